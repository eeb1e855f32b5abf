import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresWarehouse, postgresStatementsSql } from '../../src/integrations/warehouses/index.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { configSchema } from '../../src/spec/config.js';
import { ToolExecutor } from '../../src/tools/executor.js';
import { builtinToolRegistry } from '../../src/tools/registry.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { createThrowawayDatabase, seedPostgres } from './seeds.js';
import { warehouseContract, writerSpec } from './warehouse-contract.js';

const ALL_TOOLS = ['run_sql_query', 'list_tables', 'describe_table', 'profile_table', 'get_query_history'];

/** Every relation of the public schema, and every table's rows: any change shows. */
async function postgresFingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const hash = createHash('sha256');
    const relations = await client.query(
      "select relname, relkind from pg_class where relnamespace = 'public'::regnamespace order by 1",
    );
    hash.update(JSON.stringify(relations.rows));
    for (const { relname, relkind } of relations.rows as { relname: string; relkind: string }[]) {
      if (relkind !== 'r') continue;
      const rows = await client.query(
        `select string_agg(t::text, '|' order by t::text) as rows from "${relname}" t`,
      );
      hash.update(`${relname}:${rows.rows[0].rows}`);
    }
    return hash.digest('hex');
  } finally {
    await client.end();
  }
}

warehouseContract({
  type: 'postgres',
  // A set-returning function in the select list streams; in FROM it would be materialised first.
  millionRows: 'select generate_series(1, 1000000) as n',
  slowQuery: 'select pg_sleep(30)',
  wideRows: "select repeat('x', 500) as filler from generate_series(1, 1000)",
  extraRefusals: [
    "select pg_read_file('/etc/passwd')",
    'select * into stolen from raw_customers',
    "copy raw_orders from program 'true'",
    "copy (select * from raw_customers) to '{target}'",
    "select set_config('default_transaction_read_only', 'off', false)",
    'select pg_terminate_backend(pg_backend_pid())',
    'truncate raw_orders',
    'vacuum raw_orders',
    'do $$ begin delete from raw_orders; end $$',
    'prepare wipe as delete from raw_orders',
    'lock table raw_orders',
    'create extension dblink',
    'notify agentry',
    "select * from (select query_to_xml('delete from raw_orders returning 1', true, false, '')) x",
  ],
  async setup() {
    const database = await createThrowawayDatabase();
    await seedPostgres(database.url);
    const root = mkdtempSync(path.join(tmpdir(), 'agentry-pg-'));
    return {
      config: { type: 'postgres', url_env: 'JAFFLE_PG_URL' },
      env: { JAFFLE_PG_URL: database.url },
      projectRoot: root,
      fingerprint: () => postgresFingerprint(database.url),
      cleanup: async () => {
        rmSync(root, { recursive: true, force: true });
        await database.drop();
      },
    };
  },
});

describe('Postgres specifics', () => {
  let database: { url: string; drop: () => Promise<void> };
  let warehouse: PostgresWarehouse;
  const tag = { runId: '01PGTAGRUN', agent: 'incident-commander' };
  const bounds = { maxRows: 100, maxBytes: 100 * 1024, timeoutMs: 7_000, readOnly: true, tag };

  beforeAll(async () => {
    database = await createThrowawayDatabase();
    await seedPostgres(database.url);
    warehouse = await PostgresWarehouse.open({ name: 'pg', connectionString: database.url, tag });
  });

  afterAll(async () => {
    await warehouse?.close();
    await database?.drop();
  });

  test('every query runs in a read-only transaction with the statement timeout set', async () => {
    const readOnly = await warehouse.query('show transaction_read_only', bounds);
    expect(readOnly.rows).toEqual([['on']]);
    const timeout = await warehouse.query('show statement_timeout', bounds);
    expect(timeout.rows).toEqual([['7s']]);
  });

  test('the run id is visible in pg_stat_activity: application_name and a comment on the statement', async () => {
    const running = warehouse.query('select pg_sleep(1.5)', bounds);
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    try {
      let seen: { application_name: string; query: string } | undefined;
      for (let attempt = 0; attempt < 50 && !seen; attempt++) {
        const activity = await observer.query(
          "select application_name, query from pg_stat_activity where application_name like 'agentry%' and state = 'active'",
        );
        seen = activity.rows[0];
        if (!seen) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(seen?.application_name).toBe('agentry run_id=01PGTAGRUN');
      expect(seen?.query).toMatch(
        /^\/\* agentry run_id=01PGTAGRUN agent=incident-commander \*\/ FETCH FORWARD/,
      );
    } finally {
      await observer.end();
    }
    await running;
  });

  test('times stay as Postgres prints them, in UTC; bigints are numbers only when exact', async () => {
    const result = await warehouse.query(
      "select date '2018-04-09' as d, timestamp '2018-04-09 10:11:12' as ts, timestamptz '2018-04-09 10:11:12+02' as tz, 12345678901234::bigint as big, 9007199254740993::bigint as huge, 1.50::numeric as amount",
      bounds,
    );
    expect(result.rows).toEqual([
      [
        '2018-04-09',
        '2018-04-09 10:11:12',
        '2018-04-09 08:11:12+00',
        12345678901234,
        '9007199254740993',
        '1.50',
      ],
    ]);
    expect(result.columns.map((column) => column.type)).toEqual([
      'date',
      'timestamp',
      'timestamp with time zone',
      'bigint',
      'bigint',
      'numeric',
    ]);
  });

  test('query history falls back to pg_stat_activity and says why', async () => {
    const history = await warehouse.queryHistory({ hours: 24, limit: 10, order: 'slowest' }, bounds);
    expect(history.sections.map((section) => section.title)).toEqual([
      'Statements running now (pg_stat_activity)',
    ]);
    expect(history.notes[0]).toMatch(/^pg_stat_statements is not installed in this database/);

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('create extension if not exists pg_stat_statements');
    await admin.end();
    const installed = await warehouse.queryHistory({ hours: 24, limit: 10, order: 'slowest' }, bounds);
    // Installed without shared_preload_libraries (as on this server): readable it is not.
    expect(installed.notes[0]).toMatch(
      /^pg_stat_statements is installed but cannot be read .*shared_preload_libraries/,
    );
    expect(installed.sections[0]!.title).toBe('Statements running now (pg_stat_activity)');
  });

  test('pg_stat_statements SQL matches the server version', () => {
    const options = { hours: 24, limit: 5, order: 'slowest' as const };
    expect(postgresStatementsSql(options, 150000)).toContain('order by total_exec_time desc');
    expect(postgresStatementsSql(options, 120000)).toContain('order by total_time desc');
    expect(postgresStatementsSql({ ...options, order: 'largest' }, 150000)).toContain(
      'order by shared_blks_read + shared_blks_hit + temp_blks_written desc',
    );
  });

  test('granted writes commit; a table named twice across schemas must be qualified', async () => {
    const context = makeToolContext(tmpdir(), {
      spec: writerSpec('pg'),
      config: configSchema.parse({
        warehouses: { pg: { type: 'postgres', url_env: 'PG_URL', read_only: false } },
      }),
      env: { PG_URL: database.url },
    });
    const executor = new ToolExecutor(builtinToolRegistry(), ALL_TOOLS, 'tester');
    try {
      expect(await executor.call('run_sql_query', { sql: 'create schema staging' }, context)).toMatchObject({
        status: 'completed',
      });
      expect(
        await executor.call(
          'run_sql_query',
          { sql: 'create table staging.raw_orders as select * from raw_orders' },
          context,
        ),
      ).toMatchObject({ status: 'completed' });
      const deleted = await executor.call(
        'run_sql_query',
        { sql: "delete from staging.raw_orders where status <> 'completed'" },
        context,
      );
      expect((deleted as { summary: string }).summary).toMatch(
        /^DELETE on pg: 0 rows, 32 rows affected in \d+ ms$/,
      );
      expect(
        await executor.call('run_sql_query', { sql: 'copy staging.raw_orders to stdout' }, context),
      ).toMatchObject({
        status: 'failed',
        code: 'warehouse.statement-refused',
      });
      const ambiguous = await executor.call('describe_table', { table: 'raw_orders' }, context);
      expect(ambiguous).toMatchObject({
        status: 'failed',
        code: 'warehouse.table-not-found',
        error:
          'pg: raw_orders is ambiguous (public.raw_orders, staging.raw_orders): name it with its schema, e.g. public.raw_orders',
      });
      const qualified = await executor.call(
        'profile_table',
        { table: 'staging.raw_orders', columns: ['status'] },
        context,
      );
      expect((qualified as { output: { row_count: number; columns: unknown[] } }).output).toMatchObject({
        table: 'staging.raw_orders',
        row_count: 67,
        columns: [{ name: 'status', nulls: 0, distinct: 1, min: 'completed', max: 'completed' }],
        freshness: { column: 'order_date' },
      });
    } finally {
      await context.resources.closeAll();
    }
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    expect((await check.query('select count(*)::int as n from staging.raw_orders')).rows).toEqual([
      { n: 67 },
    ]);
    await check.end();
  });

  test('connection failures and missing credentials are errors that never show the URL', async () => {
    const secretUrl = 'postgres://agent:sekret-password-123@127.0.0.1:1/nowhere';
    const config = configSchema.parse({
      warehouses: {
        down: { type: 'postgres', url_env: 'DOWN_URL' },
        unset: { type: 'postgres', url_env: 'UNSET_URL' },
      },
    });
    const context = makeToolContext(tmpdir(), { config, env: { DOWN_URL: secretUrl } });
    const executor = new ToolExecutor(builtinToolRegistry(), ALL_TOOLS, 'tester');
    try {
      const down = await executor.call('run_sql_query', { sql: 'select 1', warehouse: 'down' }, context);
      expect(down).toMatchObject({ status: 'failed', code: 'warehouse.connection-failed' });
      expect((down as { error: string }).error).toMatch(/^down: cannot connect: /);
      expect((down as { error: string }).error).not.toContain('sekret');
      const unset = await executor.call('list_tables', { warehouse: 'unset' }, context);
      expect(unset).toMatchObject({
        status: 'failed',
        code: 'warehouse.misconfigured',
        error:
          'unset: the environment variable UNSET_URL is not set: export the connection URL where the worker runs',
      });
    } finally {
      await context.resources.closeAll();
    }
    // Whatever a driver might echo, the run's redactor masks the URL from events and the model.
    expect(Redactor.fromConfig(config, { DOWN_URL: secretUrl }).redactText(`failed: ${secretUrl}`)).toBe(
      'failed: [REDACTED:DOWN_URL]',
    );
  });
});
