/**
 * Snowflake. Snowflake has no read-only transaction: the parser is the first wall and the
 * configured role the second (give agents a role with SELECT only). Every statement carries
 * `QUERY_TAG`, `STATEMENT_TIMEOUT_IN_SECONDS` and `MULTI_STATEMENT_COUNT = 1` as statement
 * parameters, and rows are streamed up to the cap. What is built (options, SQL) is pure and
 * tested; the driver is loaded only when a Snowflake warehouse is used.
 */
import type { Connection, ConnectionOptions, RowStatement } from 'snowflake-sdk';
import type { WarehouseConfig } from '../../spec/config.js';
import { withDeadline } from './deadline.js';
import { WarehouseConfigError, WarehouseConnectionError } from './errors.js';
import { metadataQuery } from './metadata-query.js';
import { asQueryError } from './query-error.js';
import { snowflakeQueryTag, tagStatement } from './query-tag.js';
import { RowCollector } from './row-collector.js';
import { classifyStatement } from './sql-safety.js';
import { likePattern, quoteIdentifier, quoteLiteral } from './sql-text.js';
import { pickTable, resultRecords, toColumnInfo, toTableInfo } from './table-lookup.js';
import type {
  ListTablesOptions,
  QueryContext,
  QueryHistory,
  QueryHistoryOptions,
  QueryOptions,
  QueryResult,
  QueryTag,
  StatementClass,
  TableDescription,
  TableInfo,
  TableName,
  Warehouse,
  WarehouseCapabilities,
} from './warehouse.js';

/** Connection options Agentry sets itself; `options:` in config.yml cannot override them. */
const OWN_CONNECTION_KEYS = new Set([
  'account',
  'username',
  'password',
  'privateKey',
  'privateKeyPath',
  'privateKeyPass',
  'authenticator',
  'token',
  'queryTag',
  'application',
  'database',
  'schema',
  'warehouse',
  'role',
]);

/**
 * The driver's connection options for a configured warehouse: credentials from the worker's
 * environment (never from config.yml), the run's query tag, and pass-through `options:`.
 */
export function snowflakeConnectionOptions(
  name: string,
  config: WarehouseConfig,
  env: NodeJS.ProcessEnv,
  tag: QueryTag,
): ConnectionOptions {
  const privateKey = config.private_key_env ? env[config.private_key_env] : undefined;
  const password = config.password_env ? env[config.password_env] : undefined;
  if (!privateKey && !password) {
    const variable = config.private_key_env ?? config.password_env ?? 'password_env';
    throw new WarehouseConfigError(
      'warehouse.misconfigured',
      `${name}: the environment variable ${variable} is not set: export it where the worker runs`,
    );
  }
  const passed = Object.fromEntries(
    Object.entries(config.options).filter(([key]) => !OWN_CONNECTION_KEYS.has(key)),
  );
  return {
    ...passed,
    account: config.account,
    username: config.user,
    ...(privateKey ? { authenticator: 'SNOWFLAKE_JWT', privateKey } : { password }),
    ...(config.database ? { database: config.database } : {}),
    ...(config.schema ? { schema: config.schema } : {}),
    ...(config.warehouse ? { warehouse: config.warehouse } : {}),
    ...(config.role ? { role: config.role } : {}),
    application: 'agentry',
    queryTag: snowflakeQueryTag(tag),
  } as ConnectionOptions;
}

/** What one statement is sent with: the tag, the timeout and one statement only, as statement parameters. */
export interface SnowflakeStatementOptions {
  sqlText: string;
  streamResult: true;
  rowMode: 'array';
  fetchAsString: ('Number' | 'Date')[];
  parameters: {
    QUERY_TAG: string;
    STATEMENT_TIMEOUT_IN_SECONDS: number;
    MULTI_STATEMENT_COUNT: 1;
  };
}

/** The execute options for one statement. */
export function snowflakeStatementOptions(
  sql: string,
  options: Pick<QueryOptions, 'tag' | 'timeoutMs'>,
): SnowflakeStatementOptions {
  return {
    sqlText: tagStatement(sql, options.tag),
    streamResult: true,
    rowMode: 'array',
    // NUMBER(38,0) overflows a JS number and dates lose their zone: keep Snowflake's text.
    fetchAsString: ['Number', 'Date'],
    parameters: {
      QUERY_TAG: snowflakeQueryTag(options.tag),
      STATEMENT_TIMEOUT_IN_SECONDS: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
      MULTI_STATEMENT_COUNT: 1,
    },
  };
}

/**
 * A database or schema name as Snowflake resolves it: a plain name unquoted (so `analytics`
 * finds `ANALYTICS`), anything else quoted exactly.
 */
export function snowflakeIdentifier(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : quoteIdentifier(name, 'snowflake');
}

/** `DB.INFORMATION_SCHEMA`, or the current database's when none is known. */
function informationSchema(database: string | undefined): string {
  return database ? `${snowflakeIdentifier(database)}.INFORMATION_SCHEMA` : 'INFORMATION_SCHEMA';
}

/** Tables and views matching `filters`, with Snowflake's row counts and sizes. */
export function snowflakeTablesSql(
  database: string | undefined,
  filters: { schema?: string; pattern?: string; exactName?: string },
): string {
  const where = [
    "table_schema <> 'INFORMATION_SCHEMA'",
    ...(filters.schema ? [`table_schema ilike ${quoteLiteral(filters.schema, 'snowflake')}`] : []),
    ...(filters.pattern
      ? [`table_name ilike ${quoteLiteral(likePattern(filters.pattern), 'snowflake')}`]
      : []),
    ...(filters.exactName
      ? [`upper(table_name) = upper(${quoteLiteral(filters.exactName, 'snowflake')})`]
      : []),
  ];
  return `select table_catalog, table_schema, table_name, table_type, row_count, bytes, last_altered
from ${informationSchema(database)}.TABLES
where ${where.join(' and ')}
order by table_schema, table_name`;
}

/** The columns of one table, in order. */
export function snowflakeColumnsSql(table: { catalog?: string; schema: string; name: string }): string {
  return `select column_name, data_type, is_nullable, comment
from ${informationSchema(table.catalog)}.COLUMNS
where table_schema = ${quoteLiteral(table.schema, 'snowflake')} and table_name = ${quoteLiteral(table.name, 'snowflake')}
order by ordinal_position`;
}

const HISTORY_ORDER: Record<QueryHistoryOptions['order'], string> = {
  slowest: 'total_elapsed_time',
  largest: 'bytes_scanned',
  recent: 'start_time',
};

/** Recent queries from ACCOUNT_USAGE.QUERY_HISTORY, slowest (or largest, or newest) first. */
export function snowflakeQueryHistorySql(options: QueryHistoryOptions): string {
  return `select query_id, left(query_text, 1000) as query_text, user_name, role_name, warehouse_name,
       warehouse_size, query_tag, execution_status, start_time,
       total_elapsed_time / 1000 as elapsed_s, bytes_scanned, rows_produced,
       credits_used_cloud_services
from SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY
where start_time >= dateadd('hour', -${hours(options)}, current_timestamp())
order by ${HISTORY_ORDER[options.order]} desc nulls last
limit ${limit(options)}`;
}

/** Credits per virtual warehouse from ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY over the same window. */
export function snowflakeMeteringSql(options: QueryHistoryOptions): string {
  return `select warehouse_name, round(sum(credits_used), 3) as credits_used,
       round(sum(credits_used_compute), 3) as credits_compute,
       round(sum(credits_used_cloud_services), 3) as credits_cloud_services,
       min(start_time) as first_hour, max(end_time) as last_hour
from SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY
where start_time >= dateadd('hour', -${hours(options)}, current_timestamp())
group by warehouse_name
order by credits_used desc
limit 100`;
}

function hours(options: QueryHistoryOptions): number {
  return Math.max(1, Math.floor(options.hours));
}

function limit(options: QueryHistoryOptions): number {
  return Math.max(1, Math.floor(options.limit));
}

/** A Snowflake account for one run: one session, closed at run end. */
export class SnowflakeWarehouse implements Warehouse {
  readonly type = 'snowflake' as const;
  readonly capabilities: WarehouseCapabilities = {
    readOnlyMode: 'role',
    queryTag: 'session-parameter',
    queryHistory: true,
    approximateDistinct: true,
  };

  private constructor(
    readonly name: string,
    private readonly connection: Connection,
    private readonly database: string | undefined,
  ) {}

  /** Connects with the driver, loaded on first use. */
  static async open(options: {
    name: string;
    config: WarehouseConfig;
    env: NodeJS.ProcessEnv;
    tag: QueryTag;
  }): Promise<SnowflakeWarehouse> {
    const connectionOptions = snowflakeConnectionOptions(
      options.name,
      options.config,
      options.env,
      options.tag,
    );
    const snowflake = (await import('snowflake-sdk')).default;
    snowflake.configure({ logLevel: 'ERROR' });
    const connection = snowflake.createConnection(connectionOptions);
    await new Promise<void>((resolve, reject) => {
      connection.connect((error) =>
        error
          ? reject(new WarehouseConnectionError(options.name, error.message, { cause: error }))
          : resolve(),
      );
    });
    return new SnowflakeWarehouse(options.name, connection, options.config.database);
  }

  classify(sql: string): Promise<StatementClass> {
    return classifyStatement(sql, 'snowflake');
  }

  async query(sql: string, options: QueryOptions): Promise<QueryResult> {
    const started = performance.now();
    let running: RowStatement | undefined;
    try {
      const result = await withDeadline(
        this.name,
        { timeoutMs: options.timeoutMs, signal: options.signal, graceMs: 2000 },
        () => running?.cancel(),
        () =>
          new Promise<Omit<QueryResult, 'elapsedMs'>>((resolve, reject) => {
            const collector = new RowCollector(options.maxRows, options.maxBytes);
            running = this.connection.execute({
              ...snowflakeStatementOptions(sql, options),
              complete: (error, statement) => {
                if (error) return reject(error);
                const columns = ((statement as RowStatement).getColumns() ?? []).map((column) => ({
                  name: column.getName(),
                  type: column.getType(),
                }));
                const rows = (statement as RowStatement).streamRows({ start: 0, end: options.maxRows });
                const finish = () =>
                  resolve({
                    columns,
                    rows: collector.rows,
                    ...(collector.cut ? { cut: collector.cut } : {}),
                  });
                rows.on('data', (row: unknown[]) => {
                  if (!collector.add(row)) {
                    rows.destroy();
                    finish();
                  }
                });
                rows.on('end', finish);
                rows.on('error', reject);
              },
            }) as RowStatement;
          }),
      );
      return {
        ...result,
        queryId: running?.getQueryId(),
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      throw asQueryError(this.name, error);
    }
  }

  async listTables(
    options: ListTablesOptions,
    context: QueryContext,
  ): Promise<{ tables: TableInfo[]; cut: boolean }> {
    const result = await metadataQuery(
      this,
      snowflakeTablesSql(this.database, { schema: options.schema, pattern: options.pattern }),
      options.limit,
      context,
    );
    return {
      tables: resultRecords(result).map((row) => toTableInfo(row, 'row_count')),
      cut: result.cut !== undefined,
    };
  }

  async describeTable(table: TableName, context: QueryContext): Promise<TableDescription> {
    const result = await metadataQuery(
      this,
      snowflakeTablesSql(table.catalog ?? this.database, { schema: table.schema, exactName: table.name }),
      50,
      context,
    );
    const found = pickTable(
      table,
      resultRecords(result).map((row) => toTableInfo(row, 'row_count')),
      this.name,
    );
    const columns = await metadataQuery(this, snowflakeColumnsSql(found), 10_000, context);
    return {
      table: found,
      columns: resultRecords(columns).map((row) => toColumnInfo(row, row.is_nullable === 'YES')),
    };
  }

  async queryHistory(options: QueryHistoryOptions, context: QueryContext): Promise<QueryHistory> {
    const queries = await metadataQuery(this, snowflakeQueryHistorySql(options), options.limit, context);
    const metering = await metadataQuery(this, snowflakeMeteringSql(options), 100, context);
    return {
      sections: [
        {
          title: `Queries of the last ${hours(options)} hours (ACCOUNT_USAGE.QUERY_HISTORY)`,
          result: queries,
        },
        { title: 'Credits per warehouse (ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY)', result: metering },
      ],
      notes: [
        'ACCOUNT_USAGE lags: QUERY_HISTORY up to 45 minutes, WAREHOUSE_METERING_HISTORY up to 3 hours.',
      ],
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }
}
