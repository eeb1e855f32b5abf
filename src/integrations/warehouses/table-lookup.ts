import { TableNotFoundError } from './errors.js';
import { displayTableName } from './sql-text.js';
import type { ColumnInfo, QueryResult, TableInfo, TableName } from './warehouse.js';

/**
 * Picks the table the model meant from case-insensitive matches: the only one, else the one
 * whose case matches exactly; several left is ambiguous, none is not found. Both errors say what
 * to call next.
 */
export function pickTable(
  requested: TableName,
  candidates: readonly TableInfo[],
  warehouse: string,
): TableInfo {
  const shown = displayTableName(requested);
  if (candidates.length === 0) {
    throw new TableNotFoundError(
      `${warehouse}: no table or view named ${shown}: call list_tables to see what exists`,
    );
  }
  if (candidates.length === 1) return candidates[0]!;
  const exact = candidates.filter(
    (table) =>
      table.name === requested.name &&
      (requested.schema === undefined || table.schema === requested.schema) &&
      (requested.catalog === undefined || table.catalog === requested.catalog),
  );
  if (exact.length === 1) return exact[0]!;
  const options = candidates.slice(0, 10).map((table) => displayTableName(table));
  throw new TableNotFoundError(
    `${warehouse}: ${shown} is ambiguous (${options.join(', ')}): name it with its schema, e.g. ${options[0]}`,
  );
}

/** The rows of a result as objects keyed by lower-case column name. */
export function resultRecords(result: QueryResult): Record<string, unknown>[] {
  const names = result.columns.map((column) => column.name.toLowerCase());
  return result.rows.map((row) => Object.fromEntries(names.map((name, index) => [name, row[index]])));
}

/** A count from a driver (number, bigint or numeric string) as a number; undefined when absent. */
export function toCount(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * A table from a catalog row (see {@link resultRecords}) with `table_schema`, `table_name`,
 * `table_type` and, when selected, `table_catalog`; `estimateColumn` names the column holding
 * the dialect's row estimate, if it has one.
 */
export function toTableInfo(row: Record<string, unknown>, estimateColumn?: string): TableInfo {
  const estimate = estimateColumn ? toCount(row[estimateColumn]) : undefined;
  return {
    ...('table_catalog' in row ? { catalog: String(row.table_catalog) } : {}),
    schema: String(row.table_schema),
    name: String(row.table_name),
    // INFORMATION_SCHEMA says BASE TABLE; the model reads the same word from every warehouse.
    type: String(row.table_type).toLowerCase().replace('base table', 'table'),
    ...(estimate !== undefined ? { estimatedRows: estimate } : {}),
  };
}

/**
 * A column from a catalog row with `column_name`, `data_type` and, when selected, `comment`.
 * Each dialect reports nullability its own way, so the caller reads it.
 */
export function toColumnInfo(row: Record<string, unknown>, nullable: boolean): ColumnInfo {
  return {
    name: String(row.column_name),
    type: String(row.data_type),
    nullable,
    ...(row.comment ? { comment: String(row.comment) } : {}),
  };
}
