/**
 * DuckDB, the embedded default. The file is opened READ_ONLY unless the agent is granted writes;
 * external access (files, network, extensions) is off and the configuration locked, so no
 * statement can turn either back on. Reads on a writable file run in read-only transactions.
 */
import type { DuckDBInstance } from '@duckdb/node-api';
import { describeError, isAgentryError } from '../../errors.js';
import { withDeadline } from './deadline.js';
import {
  StatementRefusedError,
  WarehouseConnectionError,
  WarehouseQueryError,
  WarehouseUnsupportedError,
} from './errors.js';
import { metadataQuery } from './metadata-query.js';
import { tagStatement } from './query-tag.js';
import { RowCollector } from './row-collector.js';
import { classifyStatement } from './sql-safety.js';
import { likePattern, quoteLiteral } from './sql-text.js';
import { pickTable, resultRecords, toColumnInfo, toTableInfo } from './table-lookup.js';
import type {
  ListTablesOptions,
  QueryContext,
  QueryHistory,
  QueryOptions,
  QueryResult,
  StatementClass,
  TableDescription,
  TableInfo,
  TableName,
  Warehouse,
  WarehouseCapabilities,
} from './warehouse.js';

type DuckDBModule = typeof import('@duckdb/node-api');

/** How to open a DuckDB warehouse. */
export interface DuckDBWarehouseOptions {
  name: string;
  /** Absolute path of the database file; an in-memory database when absent. */
  path?: string;
  /** Open the file for writing: only when the agent is granted writes. */
  writable: boolean;
  /** Driver settings from config.yml `options:`; only memory and thread settings are taken. */
  settings?: Record<string, string | number | boolean>;
}

/** Driver settings a config may pass through; everything that touches safety is ours. */
const PASSED_SETTINGS = new Set(['memory_limit', 'max_memory', 'threads', 'temp_directory']);

/**
 * The DuckDB configuration for a warehouse: read-only file unless writable, no external access
 * (no `read_csv('/etc/passwd')`, no COPY TO, no ATTACH), no extension loading, locked config.
 */
export function duckdbInstanceOptions(options: {
  inMemory: boolean;
  writable: boolean;
  settings?: Record<string, string | number | boolean>;
}): Record<string, string> {
  const passed = Object.entries(options.settings ?? {})
    .filter(([key]) => PASSED_SETTINGS.has(key))
    .map(([key, value]) => [key, String(value)]);
  return {
    ...Object.fromEntries(passed),
    // An in-memory database cannot open read-only; its reads run in read-only transactions.
    access_mode: options.writable || options.inMemory ? 'READ_WRITE' : 'READ_ONLY',
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    lock_configuration: 'true',
  };
}

/** DuckDB statement types that change data or schema; SELECT (incl. SHOW, DESCRIBE, PRAGMA table_info) reads. */
const DUCKDB_WRITES = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'ALTER',
  'DROP',
  'CREATE_FUNC',
  'MERGE_INTO',
]);

const INTEGER_TYPES = /^(U?BIGINT|U?HUGEINT|U?INTEGER|U?SMALLINT|U?TINYINT)$/;

/** A DuckDB database file (or in-memory database) for one run. */
export class DuckDBWarehouse implements Warehouse {
  readonly type = 'duckdb' as const;
  readonly capabilities: WarehouseCapabilities = {
    readOnlyMode: 'connection',
    queryTag: 'comment',
    queryHistory: false,
    approximateDistinct: false,
  };

  private constructor(
    readonly name: string,
    private readonly duckdb: DuckDBModule,
    private readonly instance: DuckDBInstance,
    private readonly writable: boolean,
    private readonly inMemory: boolean,
  ) {}

  /** Opens the file; the driver is loaded on first use. */
  static async open(options: DuckDBWarehouseOptions): Promise<DuckDBWarehouse> {
    const duckdb = await import('@duckdb/node-api');
    const inMemory = options.path === undefined;
    const config = duckdbInstanceOptions({
      inMemory,
      writable: options.writable,
      settings: options.settings,
    });
    try {
      const instance = await duckdb.DuckDBInstance.create(options.path ?? ':memory:', config);
      return new DuckDBWarehouse(options.name, duckdb, instance, options.writable, inMemory);
    } catch (error) {
      throw new WarehouseConnectionError(options.name, describeDuckDBError(error), { cause: error });
    }
  }

  async classify(sql: string): Promise<StatementClass> {
    return classifyStatement(sql, 'duckdb', { engineParser: (statement) => this.engineClassify(statement) });
  }

  /** DuckDB's own parser: the statement count, and the type of the one statement once bound. */
  private async engineClassify(sql: string): Promise<StatementClass> {
    const connection = await this.instance.connect();
    try {
      const extracted = await connection.extractStatements(sql).catch((error: unknown) => {
        throw new StatementRefusedError(
          'warehouse.unparsable-sql',
          `refused: DuckDB could not parse this (${describeDuckDBError(error)}); nothing ran`,
          { cause: error },
        );
      });
      if (extracted.count !== 1) {
        throw new StatementRefusedError(
          'warehouse.statement-refused',
          `refused: one statement per call, and this SQL holds ${extracted.count}: send each statement in its own call; nothing ran`,
        );
      }
      const prepared = await extracted.prepare(0).catch((error: unknown) => {
        throw this.queryError(error);
      });
      const type = this.duckdb.StatementType[prepared.statementType] ?? 'UNKNOWN';
      prepared.destroySync();
      if (type === 'SELECT') return { kind: 'read', statement: 'SELECT' };
      if (DUCKDB_WRITES.has(type)) return { kind: 'write', statement: type.replace('_', ' ') };
      throw new StatementRefusedError(
        'warehouse.statement-refused',
        `refused: ${type.replace('_', ' ')} statements never run through a tool; nothing ran`,
      );
    } finally {
      connection.closeSync();
    }
  }

  async query(sql: string, options: QueryOptions): Promise<QueryResult> {
    const started = performance.now();
    const connection = await this.instance.connect();
    // A read-only file needs no transaction; a writable one gets a read-only transaction for reads.
    const readOnlyTransaction = options.readOnly && (this.writable || this.inMemory);
    try {
      return await withDeadline(
        this.name,
        options,
        () => connection.interrupt(),
        async (stopper) => {
          if (readOnlyTransaction) await connection.run('BEGIN TRANSACTION READ ONLY');
          const result = await connection.stream(tagStatement(sql, options.tag));
          const columns = result.columnNames().map((name, index) => ({
            name,
            type: result.columnType(index).toString(),
          }));
          const integerColumns = columns.map((column) => INTEGER_TYPES.test(column.type));
          const collector = new RowCollector(options.maxRows, options.maxBytes);
          while (collector.open && !stopper.reason) {
            const chunk = await result.fetchChunk();
            if (!chunk || chunk.rowCount === 0) break;
            for (const row of chunk.convertRows(this.duckdb.JsonDuckDBValueConverter)) {
              if (
                !collector.add(row.map((value, index) => (integerColumns[index] ? toInteger(value) : value)))
              ) {
                break;
              }
            }
          }
          const changed = options.readOnly ? undefined : result.rowsChanged;
          return {
            columns,
            rows: collector.rows,
            ...(collector.cut ? { cut: collector.cut } : {}),
            ...(changed ? { rowsAffected: changed } : {}),
            elapsedMs: Math.round(performance.now() - started),
          };
        },
      );
    } catch (error) {
      throw this.queryError(error);
    } finally {
      if (readOnlyTransaction) await connection.run('ROLLBACK').catch(() => undefined);
      connection.closeSync();
    }
  }

  async listTables(
    options: ListTablesOptions,
    context: QueryContext,
  ): Promise<{ tables: TableInfo[]; cut: boolean }> {
    const filters = [
      ...(options.schema ? [`lower(t.table_schema) = lower(${quoteLiteral(options.schema, 'duckdb')})`] : []),
      ...(options.pattern
        ? [`t.table_name ilike ${quoteLiteral(likePattern(options.pattern), 'duckdb')}`]
        : []),
    ];
    return this.tablesWhere(filters, options.limit, context);
  }

  async describeTable(table: TableName, context: QueryContext): Promise<TableDescription> {
    const { tables } = await this.tablesWhere(
      [
        `lower(t.table_name) = lower(${quoteLiteral(table.name, 'duckdb')})`,
        ...(table.schema ? [`lower(t.table_schema) = lower(${quoteLiteral(table.schema, 'duckdb')})`] : []),
      ],
      50,
      context,
    );
    const found = pickTable(table, tables, this.name);
    const result = await metadataQuery(
      this,
      `select column_name, data_type, is_nullable, comment
       from duckdb_columns()
       where database_name = current_database()
         and schema_name = ${quoteLiteral(found.schema, 'duckdb')}
         and table_name = ${quoteLiteral(found.name, 'duckdb')}
       order by column_index`,
      10_000,
      context,
    );
    const columns = resultRecords(result).map((row) =>
      toColumnInfo(row, row.is_nullable === true || row.is_nullable === 'YES'),
    );
    return { table: found, columns };
  }

  async queryHistory(): Promise<QueryHistory> {
    throw new WarehouseUnsupportedError(
      `${this.name}: DuckDB keeps no query history; there is nothing to read (use run_sql_query with EXPLAIN ANALYZE to time one query)`,
    );
  }

  async close(): Promise<void> {
    this.instance.closeSync();
  }

  private async tablesWhere(
    filters: string[],
    limit: number,
    context: QueryContext,
  ): Promise<{ tables: TableInfo[]; cut: boolean }> {
    const where = [
      't.table_catalog = current_database()',
      "t.table_schema not in ('information_schema', 'pg_catalog')",
      ...filters,
    ];
    const result = await metadataQuery(
      this,
      `select t.table_schema, t.table_name, t.table_type, d.estimated_size
       from information_schema.tables t
       left join duckdb_tables() d
         on d.database_name = t.table_catalog and d.schema_name = t.table_schema and d.table_name = t.table_name
       where ${where.join(' and ')}
       order by t.table_schema, t.table_name`,
      limit,
      context,
    );
    return {
      tables: resultRecords(result).map((row) => toTableInfo(row, 'estimated_size')),
      cut: result.cut !== undefined,
    };
  }

  /** DuckDB errors as the model should read them: file and network access refused, else the message. */
  private queryError(error: unknown): Error {
    if (isAgentryError(error)) return error;
    const message = describeDuckDBError(error);
    if (/^Permission Error|disabled by configuration|configuration has been locked/i.test(message)) {
      return new StatementRefusedError(
        'warehouse.statement-refused',
        `refused: DuckDB blocks file, network and extension access and setting changes here (${message})`,
        { cause: error },
      );
    }
    if (/read-only mode|read-only transaction|launched in read-only/i.test(message)) {
      return new StatementRefusedError(
        'warehouse.write-refused',
        `refused: the database is open read-only for this run (${message})`,
        { cause: error },
      );
    }
    return new WarehouseQueryError(this.name, message, { cause: error });
  }
}

/** DuckDB's JSON converter gives BIGINT as text; counts read better as numbers when they fit. */
function toInteger(value: unknown): unknown {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

function describeDuckDBError(error: unknown): string {
  const message = describeError(error);
  return message.split('\n')[0]!.replace(/^Failed to extract statements: /, '');
}
