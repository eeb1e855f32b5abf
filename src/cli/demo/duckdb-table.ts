/**
 * Writes generated rows into a DuckDB table through the appender: thousands of rows in a few
 * milliseconds, where INSERT statements would spend the demo's time budget on parsing.
 */
import { type DuckDBConnection, DuckDBTimestampValue } from '@duckdb/node-api';

/** A column's DuckDB type, as the generated rows hold it. */
export type ColumnType = 'varchar' | 'bigint' | 'double' | 'boolean' | 'timestamp';

/** A column of a generated table: its name as the real system spells it, and its type. */
export interface Column {
  name: string;
  type: ColumnType;
}

/** A value of a generated row; timestamps are epoch milliseconds (UTC). */
export type CellValue = string | number | boolean | null;

const SQL_TYPES: Record<ColumnType, string> = {
  varchar: 'VARCHAR',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  // Naive timestamps holding UTC: a TIMESTAMPTZ would show in the reader's time zone.
  timestamp: 'TIMESTAMP',
};

/** Creates `schema.table` with `columns` and appends `rows` (each in column order). */
export async function createTable(
  connection: DuckDBConnection,
  schema: string,
  table: string,
  columns: readonly Column[],
  rows: readonly (readonly CellValue[])[],
): Promise<void> {
  const definition = columns.map((column) => `${column.name} ${SQL_TYPES[column.type]}`).join(', ');
  await connection.run(`create table ${schema}.${table} (${definition})`);
  const appender = await connection.createAppender(table, schema);
  try {
    for (const row of rows) {
      for (const [index, column] of columns.entries()) append(appender, column, row[index] ?? null);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function append(appender: Appender, column: Column, value: CellValue): void {
  if (value === null) {
    appender.appendNull();
  } else if (column.type === 'varchar') {
    appender.appendVarchar(String(value));
  } else if (column.type === 'bigint') {
    appender.appendBigInt(BigInt(Math.round(Number(value))));
  } else if (column.type === 'double') {
    appender.appendDouble(Number(value));
  } else if (column.type === 'boolean') {
    appender.appendBoolean(Boolean(value));
  } else {
    appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(Number(value))) * 1000n));
  }
}
