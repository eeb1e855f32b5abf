import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DuckDBWarehouse,
  duckdbInstanceOptions,
  StatementRefusedError,
} from '../../src/integrations/warehouses/index.js';
import { agentSpecSchema } from '../../src/spec/agent-spec.js';
import { configSchema } from '../../src/spec/config.js';
import { ToolExecutor } from '../../src/tools/executor.js';
import { builtinToolRegistry } from '../../src/tools/registry.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { createSeededDuckDB } from './seeds.js';
import { warehouseContract, writerSpec } from './warehouse-contract.js';

const tag = { runId: '01DUCKRUN', agent: 'tester' };
const bounds = { maxRows: 100, maxBytes: 100 * 1024, timeoutMs: 10_000, readOnly: true, tag };
const ALL_TOOLS = ['run_sql_query', 'list_tables', 'describe_table', 'profile_table', 'get_query_history'];

/** Bytes of the file and its WAL, plus every table's rows: any change shows. */
async function duckdbFingerprint(file: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(readFileSync(file));
  hash.update(existsSync(`${file}.wal`) ? readFileSync(`${file}.wal`) : 'no wal');
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const tables = await connection.runAndReadAll(
      'select table_name from information_schema.tables where table_catalog = current_database() order by 1',
    );
    for (const [name] of tables.getRowsJson()) {
      const rows = await connection.runAndReadAll(
        `select string_agg(cast(t as varchar), '|' order by cast(t as varchar)) from "${name}" t`,
      );
      hash.update(`${name}:${JSON.stringify(rows.getRowsJson())}`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return hash.digest('hex');
}

warehouseContract({
  type: 'duckdb',
  millionRows: 'select * from range(1000000)',
  slowQuery: 'select sum(a.range * b.range) from range(300000) a, range(300000) b',
  wideRows: "select repeat('x', 500) as filler from range(1000)",
  extraRefusals: [
    "copy (select * from raw_customers) to '{target}' (format csv)",
    "export database '{target}'",
    "import database '{target}'",
    'install httpfs',
    'load httpfs',
    "select * from read_csv('/etc/passwd')",
    "select * from read_text('/etc/passwd')",
    "select * from glob('/etc/*')",
    "select * from query('drop table raw_orders')",
    'detach jaffle',
    'checkpoint',
    'pragma enable_profiling',
    'use memory',
    'set threads = 1',
    'set enable_external_access = true',
    'truncate raw_orders',
    'create macro boom() as 1',
    'from raw_orders; drop table raw_orders',
  ],
  async setup() {
    const root = mkdtempSync(path.join(tmpdir(), 'agentry-duckdb-'));
    const file = path.join(root, 'jaffle.duckdb');
    await createSeededDuckDB(file);
    return {
      config: { type: 'duckdb', path: 'jaffle.duckdb' },
      env: {},
      projectRoot: root,
      fingerprint: () => duckdbFingerprint(file),
      cleanup: async () => rmSync(root, { recursive: true, force: true }),
    };
  },
});

describe('DuckDB specifics', () => {
  let root: string;
  let file: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'agentry-duckdb-more-'));
    file = path.join(root, 'jaffle.duckdb');
    await createSeededDuckDB(file);
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('the instance is read-only, without external access, with its configuration locked', () => {
    expect(
      duckdbInstanceOptions({
        inMemory: false,
        writable: false,
        settings: { threads: 2, access_mode: 'READ_WRITE', enable_external_access: true },
      }),
    ).toEqual({
      threads: '2',
      access_mode: 'READ_ONLY',
      enable_external_access: 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      lock_configuration: 'true',
    });
    expect(duckdbInstanceOptions({ inMemory: false, writable: true }).access_mode).toBe('READ_WRITE');
  });

  test("DuckDB's own syntax reads: FROM-first, SUMMARIZE, DESCRIBE, SHOW, PRAGMA table_info", async () => {
    const warehouse = await DuckDBWarehouse.open({ name: 'jaffle', path: file, writable: false });
    try {
      for (const sql of [
        'from raw_orders limit 1',
        'summarize raw_orders',
        'describe raw_orders',
        'show tables',
        "pragma table_info('raw_orders')",
        'explain select * from raw_orders',
      ]) {
        expect(await warehouse.classify(sql)).toMatchObject({ kind: 'read' });
        const result = await warehouse.query(sql, bounds);
        expect(result.rows.length).toBeGreaterThan(0);
      }
    } finally {
      await warehouse.close();
    }
  });

  test('a bare file path is not a table: with external access off, nothing on the host is read', async () => {
    const warehouse = await DuckDBWarehouse.open({ name: 'jaffle', path: file, writable: false });
    try {
      const error = await warehouse.query("select * from '/etc/passwd'", bounds).catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        'jaffle: Catalog Error: Table with name /etc/passwd does not exist!',
      );
    } finally {
      await warehouse.close();
    }
  });

  test("DuckDB's parser counts statements the library parser cannot read", async () => {
    const warehouse = await DuckDBWarehouse.open({ name: 'jaffle', path: file, writable: false });
    try {
      const error = await warehouse
        .classify('from raw_orders; drop table raw_orders')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StatementRefusedError);
      expect((error as Error).message).toBe(
        'refused: one statement per call, and this SQL holds 2: send each statement in its own call; nothing ran',
      );
    } finally {
      await warehouse.close();
    }
  });

  test('granted writes run (and commit) on a writable copy; host access and tricks stay refused', async () => {
    const writable = path.join(root, 'writable.duckdb');
    copyFileSync(file, writable);
    const context = makeToolContext(root, {
      spec: writerSpec('scratch'),
      config: configSchema.parse({
        warehouses: { scratch: { type: 'duckdb', path: 'writable.duckdb', read_only: false } },
      }),
    });
    const executor = new ToolExecutor(builtinToolRegistry(), ALL_TOOLS, 'tester');
    try {
      const created = await executor.call(
        'run_sql_query',
        { sql: 'create table notes (id integer, body text)' },
        context,
      );
      expect(created.status).toBe('completed');
      const inserted = await executor.call(
        'run_sql_query',
        { sql: "insert into notes select id, status from raw_orders where status = 'returned'" },
        context,
      );
      expect(inserted).toMatchObject({ status: 'completed' });
      expect((inserted as { summary: string }).summary).toMatch(/^INSERT on scratch/);
      const counted = await executor.call(
        'run_sql_query',
        { sql: 'select count(*) as n from notes', format: 'json' },
        context,
      );
      expect((counted as { output: { rows: unknown[] } }).output.rows).toEqual([{ n: 4 }]);

      for (const sql of [
        `copy notes to '${path.join(root, 'out.csv')}'`,
        'select 1; drop table notes',
        "select * from read_csv('/etc/passwd')",
        'set threads = 1',
      ]) {
        const outcome = await executor.call('run_sql_query', { sql }, context);
        expect(outcome.status).toBe('failed');
      }
      expect(existsSync(path.join(root, 'out.csv'))).toBe(false);

      // A read on the writable file still runs in a read-only transaction.
      const warehouse = await context.resources.get<DuckDBWarehouse>('warehouse:scratch', async () => {
        throw new Error('opened above');
      });
      const error = await warehouse.query('drop table notes', bounds).catch((e: unknown) => e);
      expect((error as StatementRefusedError).code).toBe('warehouse.write-refused');
    } finally {
      await context.resources.closeAll();
    }
    const check = await DuckDBInstance.create(writable, { access_mode: 'READ_ONLY' });
    const connection = await check.connect();
    expect((await connection.runAndReadAll('select count(*) from notes')).getRowsJson()).toEqual([['4']]);
    connection.closeSync();
    check.closeSync();
  });

  test('writes need both the agent grant and read_only: false, and the refusal says which is missing', async () => {
    const executor = new ToolExecutor(builtinToolRegistry(), ALL_TOOLS, 'tester');
    const notGranted = makeToolContext(root, {
      config: configSchema.parse({
        warehouses: { jaffle: { type: 'duckdb', path: 'jaffle.duckdb', read_only: false } },
      }),
    });
    const grantedButReadOnly = makeToolContext(root, {
      spec: writerSpec('jaffle'),
      config: configSchema.parse({ warehouses: { jaffle: { type: 'duckdb', path: 'jaffle.duckdb' } } }),
    });
    try {
      const first = await executor.call('run_sql_query', { sql: 'drop table raw_orders' }, notGranted);
      expect(first).toMatchObject({
        status: 'failed',
        code: 'warehouse.write-refused',
        error:
          'refused: DROP changes the warehouse and tester may only read jaffle (a person can grant writes under warehouse.allow_writes in .agentry/agents/tester.yml); only SELECT, WITH, SHOW, DESCRIBE and EXPLAIN run here; nothing ran',
      });
      const second = await executor.call(
        'run_sql_query',
        { sql: 'drop table raw_orders' },
        grantedButReadOnly,
      );
      expect((second as { error: string }).error).toContain(
        'jaffle is read_only in .agentry/config.yml (a person can set read_only: false there)',
      );
    } finally {
      await notGranted.resources.closeAll();
      await grantedButReadOnly.resources.closeAll();
    }
  });

  test('an in-memory warehouse reads, and refuses writes with a read-only transaction', async () => {
    const warehouse = await DuckDBWarehouse.open({ name: 'memory', writable: false });
    try {
      expect((await warehouse.query('select 42 as answer', bounds)).rows).toEqual([[42]]);
      const error = await warehouse.query('create table x (a integer)', bounds).catch((e: unknown) => e);
      expect((error as StatementRefusedError).code).toBe('warehouse.write-refused');
    } finally {
      await warehouse.close();
    }
  });

  test('a missing file, an unknown warehouse and query history are errors that say what to do', async () => {
    const executor = new ToolExecutor(builtinToolRegistry(), ALL_TOOLS, 'tester');
    const context = makeToolContext(root, {
      spec: agentSpecSchema.parse({ name: 'tester', role: 'r', goal: 'g', warehouse: { default: 'gone' } }),
      config: configSchema.parse({
        warehouses: {
          gone: { type: 'duckdb', path: 'target/missing.duckdb' },
          jaffle: { type: 'duckdb', path: 'jaffle.duckdb' },
        },
      }),
    });
    try {
      expect(await executor.call('list_tables', {}, context)).toMatchObject({
        status: 'failed',
        code: 'warehouse.misconfigured',
        error:
          'gone: the DuckDB file target/missing.duckdb does not exist (paths are relative to the project root): build it first (e.g. dbt build) or fix path in .agentry/config.yml',
      });
      expect(await executor.call('list_tables', { warehouse: 'nope' }, context)).toMatchObject({
        status: 'failed',
        code: 'warehouse.unknown',
        error: 'there is no warehouse named nope in .agentry/config.yml (configured: gone, jaffle)',
      });
      expect(await executor.call('get_query_history', { warehouse: 'jaffle' }, context)).toMatchObject({
        status: 'failed',
        code: 'warehouse.unsupported',
      });
    } finally {
      await context.resources.closeAll();
    }
  });
});
