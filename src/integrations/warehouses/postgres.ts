/**
 * Postgres. Every query runs in its own transaction: `BEGIN TRANSACTION READ ONLY` unless it is
 * a granted write, `SET LOCAL statement_timeout`, the extended protocol (one statement only),
 * and for row-returning reads a cursor fetched in batches, so a million-row result costs the
 * rows kept. The run id is the connection's `application_name` and a comment on every statement.
 */
import type { Pool, PoolClient } from 'pg';
import { describeError, isAgentryError } from '../../errors.js';
import { withDeadline } from './deadline.js';
import {
  QueryTimeoutError,
  StatementRefusedError,
  WarehouseConnectionError,
  WarehouseQueryError,
} from './errors.js';
import { metadataQuery } from './metadata-query.js';
import { postgresApplicationName, queryTagComment } from './query-tag.js';
import { RowCollector } from './row-collector.js';
import { leadingKeyword } from './sql-lexer.js';
import { classifyStatement } from './sql-safety.js';
import { likePattern, quoteLiteral } from './sql-text.js';
import { pickTable, resultRecords, toColumnInfo, toTableInfo } from './table-lookup.js';
import type {
  ListTablesOptions,
  QueryContext,
  QueryHistory,
  QueryHistoryOptions,
  QueryOptions,
  QueryResult,
  QueryTag,
  ResultColumn,
  StatementClass,
  TableDescription,
  TableInfo,
  TableName,
  Warehouse,
  WarehouseCapabilities,
} from './warehouse.js';

/** How to open a Postgres warehouse. */
export interface PostgresWarehouseOptions {
  name: string;
  /** `postgres://user:password@host:5432/database`; read from the env var named in config. */
  connectionString: string;
  /** Sets `application_name` on every connection of this run. */
  tag: QueryTag;
}

/** Rows fetched from the cursor per round trip. */
const FETCH_BATCH = 1000;

/** Date and time types stay as Postgres prints them: a JS Date would shift them to local time. */
const RAW_TEXT_OIDS = new Set([1082, 1083, 1114, 1184, 1266, 1186]);

const BIGINT_OID = 20;

/** Counts are bigint: a number when it fits, else the exact text. */
function bigintValue(value: string): number | string {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

/** Type names of common result column types, so most results need no catalog look-up. */
const TYPE_NAMES: Record<number, string> = {
  16: 'boolean',
  17: 'bytea',
  18: 'char',
  19: 'name',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  26: 'oid',
  114: 'json',
  700: 'real',
  701: 'double precision',
  1042: 'character',
  1043: 'character varying',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamp with time zone',
  1186: 'interval',
  1266: 'time with time zone',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
  1000: 'boolean[]',
  1005: 'smallint[]',
  1007: 'integer[]',
  1009: 'text[]',
  1016: 'bigint[]',
  1015: 'character varying[]',
};

/** Statements a cursor can hold; the rest (SHOW, EXPLAIN, writes) run as they are. */
const CURSOR_STATEMENTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', '(']);

/** A Postgres database for one run: a small pool, closed at run end. */
export class PostgresWarehouse implements Warehouse {
  readonly type = 'postgres' as const;
  readonly capabilities: WarehouseCapabilities = {
    readOnlyMode: 'transaction',
    queryTag: 'application-name',
    queryHistory: true,
    approximateDistinct: false,
  };

  /** Type names by oid; unknown ones are looked up once and kept for the run. */
  private readonly typeNames = new Map<number, string>(
    Object.entries(TYPE_NAMES).map(([oid, name]) => [Number(oid), name]),
  );

  private constructor(
    readonly name: string,
    private readonly pool: Pool,
    private readonly connectionString: string,
    private readonly pg: typeof import('pg').default,
  ) {}

  /** Creates the pool; no connection is made until the first query. */
  static async open(options: PostgresWarehouseOptions): Promise<PostgresWarehouse> {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      application_name: postgresApplicationName(options.tag),
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      // Results read the same whatever the server's zone: times are shown in UTC.
      options: '-c TimeZone=UTC',
      types: {
        getTypeParser: ((oid: number, format?: string) => {
          if (RAW_TEXT_OIDS.has(oid)) return (value: string) => value;
          if (oid === BIGINT_OID) return bigintValue;
          return pg.types.getTypeParser(oid, format as 'text');
        }) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client that loses its server must not crash the worker.
    pool.on('error', () => undefined);
    return new PostgresWarehouse(options.name, pool, options.connectionString, pg);
  }

  classify(sql: string): Promise<StatementClass> {
    return classifyStatement(sql, 'postgres');
  }

  async query(sql: string, options: QueryOptions): Promise<QueryResult> {
    const started = performance.now();
    const client = await this.connect();
    let broken = false;
    try {
      const result = await withDeadline(
        this.name,
        { timeoutMs: options.timeoutMs, signal: options.signal, graceMs: 1000 },
        () => this.cancelBackend(client),
        () => this.runInTransaction(client, sql, options),
      );
      return { ...result, elapsedMs: Math.round(performance.now() - started) };
    } catch (error) {
      broken = !(await client.query('ROLLBACK').then(
        () => true,
        () => false,
      ));
      throw this.queryError(error, options.timeoutMs);
    } finally {
      client.release(broken);
    }
  }

  private async runInTransaction(
    client: PoolClient,
    sql: string,
    options: QueryOptions,
  ): Promise<Omit<QueryResult, 'elapsedMs'>> {
    const comment = queryTagComment(options.tag);
    await client.query(options.readOnly ? 'BEGIN TRANSACTION READ ONLY' : 'BEGIN');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.ceil(options.timeoutMs))}`);
    const collector = new RowCollector(options.maxRows, options.maxBytes);
    let columns: ResultColumn[] = [];
    let rowsAffected: number | undefined;
    const cursor = options.readOnly && CURSOR_STATEMENTS.has(leadingKeyword(sql, 'postgres') ?? '');
    if (cursor) {
      await client.query(extended(`${comment}\nDECLARE agentry_rows NO SCROLL CURSOR FOR\n${sql}`));
      while (collector.open) {
        const batchSize = Math.min(FETCH_BATCH, options.maxRows + 1 - collector.rows.length);
        const batch = await client.query({
          text: `${comment} FETCH FORWARD ${batchSize} FROM agentry_rows`,
          rowMode: 'array',
        });
        if (columns.length === 0) columns = await this.columnsOf(client, batch.fields);
        for (const row of batch.rows as unknown[][]) if (!collector.add(row)) break;
        if (batch.rows.length < batchSize) break;
      }
    } else {
      const result = await client.query(extended(`${comment}\n${sql}`, 'array'));
      columns = await this.columnsOf(client, result.fields ?? []);
      for (const row of (result.rows ?? []) as unknown[][]) if (!collector.add(row)) break;
      if (!options.readOnly && result.rowCount !== null) rowsAffected = result.rowCount;
    }
    await client.query(options.readOnly ? 'ROLLBACK' : 'COMMIT');
    return {
      columns,
      rows: collector.rows,
      ...(collector.cut ? { cut: collector.cut } : {}),
      ...(rowsAffected !== undefined ? { rowsAffected } : {}),
    };
  }

  async listTables(
    options: ListTablesOptions,
    context: QueryContext,
  ): Promise<{ tables: TableInfo[]; cut: boolean }> {
    return this.tablesWhere(
      [
        ...(options.schema ? [`lower(n.nspname) = lower(${quoteLiteral(options.schema, 'postgres')})`] : []),
        ...(options.pattern
          ? [`c.relname ilike ${quoteLiteral(likePattern(options.pattern), 'postgres')}`]
          : []),
      ],
      options.limit,
      context,
    );
  }

  async describeTable(table: TableName, context: QueryContext): Promise<TableDescription> {
    const { tables } = await this.tablesWhere(
      [
        `lower(c.relname) = lower(${quoteLiteral(table.name, 'postgres')})`,
        ...(table.schema ? [`lower(n.nspname) = lower(${quoteLiteral(table.schema, 'postgres')})`] : []),
      ],
      50,
      context,
    );
    const found = pickTable(table, tables, this.name);
    const result = await metadataQuery(
      this,
      `select a.attname as column_name, format_type(a.atttypid, a.atttypmod) as data_type,
              not a.attnotnull as nullable, col_description(a.attrelid, a.attnum) as comment
       from pg_attribute a
       where a.attrelid = (${quoteLiteral(`${quoteIdent(found.schema)}.${quoteIdent(found.name)}`, 'postgres')})::regclass
         and a.attnum > 0 and not a.attisdropped
       order by a.attnum`,
      10_000,
      context,
    );
    const columns = resultRecords(result).map((row) => toColumnInfo(row, row.nullable === true));
    return { table: found, columns };
  }

  async queryHistory(options: QueryHistoryOptions, context: QueryContext): Promise<QueryHistory> {
    const installed = await metadataQuery(
      this,
      `select exists (select 1 from pg_extension where extname = 'pg_stat_statements') as installed,
              current_setting('server_version_num')::int as version`,
      1,
      context,
    );
    const facts = resultRecords(installed)[0] ?? {};
    const notes: string[] = [];
    if (facts.installed === true) {
      try {
        const result = await metadataQuery(
          this,
          postgresStatementsSql(options, Number(facts.version)),
          options.limit,
          context,
        );
        notes.push(
          'pg_stat_statements counts since its last reset, not by hour: the hours filter does not apply.',
        );
        return { sections: [{ title: 'Statements by total time (pg_stat_statements)', result }], notes };
      } catch (error) {
        notes.push(
          `pg_stat_statements is installed but cannot be read (${describeError(error)}); it needs shared_preload_libraries = 'pg_stat_statements'.`,
        );
      }
    } else {
      notes.push(
        "pg_stat_statements is not installed in this database (CREATE EXTENSION pg_stat_statements, with shared_preload_libraries = 'pg_stat_statements'): showing only the statements running now.",
      );
    }
    const result = await metadataQuery(this, postgresActivitySql(options), options.limit, context);
    return { sections: [{ title: 'Statements running now (pg_stat_activity)', result }], notes };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async tablesWhere(
    filters: string[],
    limit: number,
    context: QueryContext,
  ): Promise<{ tables: TableInfo[]; cut: boolean }> {
    const where = [
      "c.relkind in ('r', 'v', 'm', 'p', 'f')",
      "n.nspname not in ('pg_catalog', 'information_schema')",
      "n.nspname not like 'pg_toast%'",
      "n.nspname not like 'pg_temp%'",
      ...filters,
    ];
    const result = await metadataQuery(
      this,
      `select n.nspname as table_schema, c.relname as table_name,
              case c.relkind when 'r' then 'table' when 'v' then 'view' when 'm' then 'materialized view'
                             when 'p' then 'partitioned table' else 'foreign table' end as table_type,
              case when c.reltuples >= 0 then c.reltuples::bigint end as estimated_rows
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where ${where.join(' and ')}
       order by 1, 2`,
      limit,
      context,
    );
    const tables = resultRecords(result).map((row) => toTableInfo(row, 'estimated_rows'));
    return { tables, cut: result.cut !== undefined };
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw new WarehouseConnectionError(this.name, describeError(error), {
        cause: error,
      });
    }
  }

  /** Cancels the running statement from a second connection, as `pg_cancel_backend` does. */
  private async cancelBackend(client: PoolClient): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    if (!pid) return;
    const canceller = new this.pg.Client({ connectionString: this.connectionString });
    await canceller.connect();
    try {
      await canceller.query('select pg_cancel_backend($1)', [pid]);
    } finally {
      await canceller.end();
    }
  }

  /** Column names and type names; unknown type oids are looked up once per run. */
  private async columnsOf(
    client: PoolClient,
    fields: readonly { name: string; dataTypeID: number }[],
  ): Promise<ResultColumn[]> {
    const unknown = [...new Set(fields.map((field) => field.dataTypeID))].filter(
      (oid) => !this.typeNames.has(oid),
    );
    if (unknown.length > 0) {
      const lookup = await client.query<{ oid: number; name: string }>(
        'select oid::int as oid, format_type(oid, null) as name from pg_type where oid = any($1::oid[])',
        [unknown],
      );
      for (const row of lookup.rows) this.typeNames.set(row.oid, row.name);
    }
    return fields.map((field) => ({
      name: field.name,
      type: this.typeNames.get(field.dataTypeID) ?? `oid ${field.dataTypeID}`,
    }));
  }

  private queryError(error: unknown, timeoutMs: number): Error {
    if (isAgentryError(error)) return error;
    const message = describeError(error);
    const code = (error as { code?: string }).code;
    if (code === '57014' && /statement timeout/.test(message))
      return new QueryTimeoutError(this.name, timeoutMs);
    if (code === '25006') {
      return new StatementRefusedError(
        'warehouse.write-refused',
        `refused: the database refused a write in this read-only transaction (${message}); nothing changed`,
        { cause: error },
      );
    }
    if (code === '42601' && /multiple commands/.test(message)) {
      return new StatementRefusedError(
        'warehouse.statement-refused',
        'refused: one statement per call; nothing ran',
        { cause: error },
      );
    }
    const position = (error as { position?: string }).position;
    const hint = (error as { hint?: string }).hint;
    const detail = [
      message,
      hint ? `hint: ${hint}` : undefined,
      position ? `at character ${position} of the wrapped statement` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    return new WarehouseQueryError(this.name, detail, { cause: error });
  }
}

/** A query sent with the extended protocol, which refuses a second statement. */
function extended(text: string, rowMode?: 'array'): { text: string; rowMode?: 'array' } {
  return { text, ...(rowMode ? { rowMode } : {}), queryMode: 'extended' } as {
    text: string;
    rowMode?: 'array';
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The heaviest statements of this database from pg_stat_statements (column names by server version). */
export function postgresStatementsSql(options: QueryHistoryOptions, serverVersion: number): string {
  const total = serverVersion >= 130000 ? 'total_exec_time' : 'total_time';
  const mean = serverVersion >= 130000 ? 'mean_exec_time' : 'mean_time';
  const order =
    options.order === 'largest' ? 'shared_blks_read + shared_blks_hit + temp_blks_written' : total;
  return `select left(query, 1000) as query, calls, round(${total}::numeric, 1) as total_ms,
       round(${mean}::numeric, 1) as mean_ms, rows,
       shared_blks_hit + shared_blks_read as blocks_touched, temp_blks_written,
       (select rolname from pg_roles r where r.oid = s.userid) as role
from pg_stat_statements s
where dbid = (select oid from pg_database where datname = current_database())
order by ${order} desc
limit ${Math.max(1, Math.floor(options.limit))}`;
}

/** What runs now in this database, longest first. */
export function postgresActivitySql(options: QueryHistoryOptions): string {
  return `select pid, usename as user_name, application_name, state,
       query_start::text as query_start, (now() - query_start)::text as running_for,
       wait_event_type, left(query, 1000) as query
from pg_stat_activity
where datname = current_database() and pid <> pg_backend_pid() and query <> ''
order by query_start nulls last
limit ${Math.max(1, Math.floor(options.limit))}`;
}
