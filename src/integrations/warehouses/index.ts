/**
 * Warehouses: the `Warehouse` port, its adapters (DuckDB, Postgres, Snowflake, BigQuery), and
 * statement safety. Tools reach a warehouse only through here.
 */
export {
  BigQueryWarehouse,
  bigQueryClientOptions,
  bigQueryColumnsSql,
  bigQueryJobOptions,
  bigQueryJobsSql,
  bigQueryRegion,
  bigQueryTablesSql,
  checkDryRunStatement,
} from './bigquery.js';
export { DuckDBWarehouse, type DuckDBWarehouseOptions, duckdbInstanceOptions } from './duckdb.js';
export {
  QueryCancelledError,
  QueryTimeoutError,
  StatementRefusedError,
  TableNotFoundError,
  WarehouseConfigError,
  WarehouseConnectionError,
  WarehouseQueryError,
  WarehouseUnsupportedError,
} from './errors.js';
export { type OpenWarehouseOptions, openWarehouse } from './open-warehouse.js';
export {
  PostgresWarehouse,
  type PostgresWarehouseOptions,
  postgresActivitySql,
  postgresStatementsSql,
} from './postgres.js';
export {
  type ColumnCategory,
  type ColumnProfile,
  columnCategory,
  describeAge,
  type Freshness,
  type PlannedColumn,
  type ProfileOptions,
  type ProfilePlan,
  parseWarehouseTime,
  pickTimestampColumn,
  planProfile,
  readProfile,
  type TableProfile,
} from './profile.js';
export {
  bigQueryLabels,
  postgresApplicationName,
  queryTagComment,
  snowflakeQueryTag,
  tagStatement,
} from './query-tag.js';
export { MAX_VALUE_CHARS, RowCollector, toJsonValue } from './row-collector.js';
export {
  DEFAULT_MAXIMUM_BYTES_BILLED,
  type WarehouseLimits,
  warehouseLimits,
} from './settings.js';
export {
  type SnowflakeStatementOptions,
  SnowflakeWarehouse,
  snowflakeColumnsSql,
  snowflakeConnectionOptions,
  snowflakeIdentifier,
  snowflakeMeteringSql,
  snowflakeQueryHistorySql,
  snowflakeStatementOptions,
  snowflakeTablesSql,
} from './snowflake.js';
export { leadingKeyword, leadingTokens, type SqlToken, sqlTokens } from './sql-lexer.js';
export {
  type ClassifyOptions,
  classifyStatement,
  type EngineStatementParser,
  isForbiddenFunction,
  READ_STATEMENTS,
} from './sql-safety.js';
export {
  displayTableName,
  likePattern,
  parseTableName,
  qualifiedName,
  quoteIdentifier,
  quoteLiteral,
} from './sql-text.js';
export { pickTable, resultRecords, toCount } from './table-lookup.js';
export type {
  ColumnInfo,
  CutReason,
  ListTablesOptions,
  QueryContext,
  QueryHistory,
  QueryHistoryOptions,
  QueryHistorySection,
  QueryOptions,
  QueryResult,
  QueryTag,
  ResultColumn,
  SqlDialect,
  StatementClass,
  TableDescription,
  TableInfo,
  TableName,
  Warehouse,
  WarehouseCapabilities,
  WarehouseType,
} from './warehouse.js';
