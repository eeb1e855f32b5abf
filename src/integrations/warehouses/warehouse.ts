/**
 * The `Warehouse` port: what SQL tools need from a warehouse, whatever engine is behind it.
 * Adapters (DuckDB, Postgres, Snowflake, BigQuery) live beside this file and take their client
 * by injection or load it lazily; this file holds no dependency.
 *
 * Glossary: a *statement* is one SQL command; a *read* changes nothing (SELECT, WITH, SHOW,
 * DESCRIBE, EXPLAIN); a *write* changes data or schema (INSERT, CREATE, DROP …) and runs only when
 * granted; everything else (COPY, ATTACH, SET, CALL, GRANT …) never runs through a tool.
 */

/** The engines Agentry can query. */
export type WarehouseType = 'duckdb' | 'postgres' | 'snowflake' | 'bigquery';

/** The SQL dialect statements are parsed in. */
export type SqlDialect = WarehouseType;

/** Identifies a run's queries in the warehouse's own history and activity views. */
export interface QueryTag {
  runId: string;
  agent: string;
}

/** How a statement was classified before it ran. */
export interface StatementClass {
  /** `read` runs everywhere; `write` only where the agent is granted writes. */
  kind: 'read' | 'write';
  /** The statement's type in upper case, e.g. `SELECT`, `SHOW`, `EXPLAIN`, `INSERT`. */
  statement: string;
}

/** Bounds and identity of one query. */
export interface QueryOptions {
  /** Rows kept at most; one more is read to know whether the result was cut. */
  maxRows: number;
  /** Bytes of row data (as JSON) kept at most. */
  maxBytes: number;
  /** The statement is cancelled after this long. */
  timeoutMs: number;
  /**
   * Run in the engine's read-only mode (read-only transaction, read-only connection, dry-run
   * check): the second wall after the parser. False only for a granted write.
   */
  readOnly: boolean;
  tag: QueryTag;
  /** Cancels the statement (run cancelled or timed out). */
  signal?: AbortSignal;
}

/** A result column. */
export interface ResultColumn {
  name: string;
  /** The warehouse's type name, e.g. `BIGINT`, `timestamp with time zone`, `STRING`. */
  type: string;
}

/** Why a result has fewer rows than the query produced. */
export type CutReason = 'rows' | 'bytes';

/** What a query returned, already bounded. Values are JSON-safe (big numbers and times as strings). */
export interface QueryResult {
  columns: ResultColumn[];
  rows: unknown[][];
  /** Set when rows were left out; the query produced more than `rows`. */
  cut?: CutReason;
  /** Rows inserted, updated or deleted, for writes that report it. */
  rowsAffected?: number;
  /** Bytes the warehouse scanned or billed, where it reports it (BigQuery). */
  bytesProcessed?: number;
  /** The warehouse's id for the query (Snowflake query id, BigQuery job id). */
  queryId?: string;
  elapsedMs: number;
}

/** A table or view. */
export interface TableInfo {
  /** The database, catalog or project; omitted where there is only one. */
  catalog?: string;
  schema: string;
  name: string;
  /** `table`, `view`, `materialized view`, … in lower case. */
  type: string;
  /** The warehouse's row estimate, where it keeps one. */
  estimatedRows?: number;
}

/** A column of a table. */
export interface ColumnInfo {
  name: string;
  type: string;
  nullable: boolean;
  comment?: string;
}

/** A table and its columns. */
export interface TableDescription {
  table: TableInfo;
  columns: ColumnInfo[];
}

/** A table named by the model: `orders`, `analytics.orders`, `db.analytics.orders`. */
export interface TableName {
  catalog?: string;
  schema?: string;
  name: string;
}

/** Filters for {@link Warehouse.listTables}. */
export interface ListTablesOptions {
  schema?: string;
  /** A SQL LIKE pattern, case-insensitive; without `%` it matches anywhere in the name. */
  pattern?: string;
  /** Tables kept at most; one more is read to know whether the list was cut. */
  limit: number;
}

/** Filters for {@link Warehouse.queryHistory}. */
export interface QueryHistoryOptions {
  /** How far back to look. */
  hours: number;
  /** Queries kept at most. */
  limit: number;
  /** `slowest`: longest running first; `largest`: most bytes first; `recent`: newest first. */
  order: 'slowest' | 'largest' | 'recent';
}

/** One titled result of a history look-up (recent queries, credits per warehouse, …). */
export interface QueryHistorySection {
  title: string;
  result: QueryResult;
}

/** What a warehouse says about its past queries and their cost. */
export interface QueryHistory {
  sections: QueryHistorySection[];
  /** Caveats the reader needs, e.g. view latency or a missing extension. */
  notes: string[];
}

/** What an adapter can do; tools say so instead of failing obscurely. */
export interface WarehouseCapabilities {
  /**
   * The engine-level wall behind the parser: `connection` (opened read-only), `transaction`
   * (read-only transaction per query), `dry-run` (statement type checked before running),
   * `role` (only the configured role's privileges).
   */
  readOnlyMode: 'connection' | 'transaction' | 'dry-run' | 'role';
  /** How the run id reaches the warehouse. */
  queryTag: 'comment' | 'application-name' | 'session-parameter' | 'job-labels';
  /** The warehouse keeps a history of queries `queryHistory` can read. */
  queryHistory: boolean;
  /** `approx_count_distinct` is cheap here and used for profiles. */
  approximateDistinct: boolean;
}

/** A connection to one configured warehouse, for the length of a run. */
export interface Warehouse {
  /** The name under `warehouses:` in config.yml. */
  readonly name: string;
  readonly type: WarehouseType;
  readonly capabilities: WarehouseCapabilities;
  /**
   * Classifies one statement with a real parser of this warehouse's dialect, without running it.
   * Throws `StatementRefusedError` for what never runs through a tool (several statements, COPY,
   * SET, …) and for what cannot be parsed.
   */
  classify(sql: string): Promise<StatementClass>;
  /** Runs one statement, bounded by `options`. Does not classify: call `classify` first. */
  query(sql: string, options: QueryOptions): Promise<QueryResult>;
  listTables(options: ListTablesOptions, query: QueryContext): Promise<{ tables: TableInfo[]; cut: boolean }>;
  /** Finds the table (case-insensitively when unambiguous) and its columns. */
  describeTable(table: TableName, query: QueryContext): Promise<TableDescription>;
  /** Past queries and their cost. Throws `WarehouseUnsupportedError` where `capabilities.queryHistory` is false. */
  queryHistory(options: QueryHistoryOptions, query: QueryContext): Promise<QueryHistory>;
  close(): Promise<void>;
}

/** What the metadata methods need to run their own queries: identity, time and cancellation. */
export type QueryContext = Pick<QueryOptions, 'tag' | 'timeoutMs' | 'signal'>;
