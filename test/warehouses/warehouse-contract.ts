/**
 * The contract every `Warehouse` adapter that can run here (DuckDB, Postgres) must keep, run
 * against a real database holding the jaffle_shop seeds: refused statements leave the database
 * unchanged, results are capped, timeouts and cancellation fire, metadata and profiles are right.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  openWarehouse,
  QueryCancelledError,
  QueryTimeoutError,
  StatementRefusedError,
  type Warehouse,
} from '../../src/integrations/warehouses/index.js';
import { agentSpecSchema } from '../../src/spec/agent-spec.js';
import { configSchema } from '../../src/spec/config.js';
import { ToolExecutor } from '../../src/tools/executor.js';
import { builtinToolRegistry } from '../../src/tools/registry.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { readSeed, type SeedTable } from './seeds.js';

/** A database holding the seeds, and how to see whether anything in it changed. */
export interface ContractDatabase {
  /** The `warehouses:` entry for it (without read_only/limits: the contract adds those). */
  config: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Where config paths resolve and where refused COPY/EXPORT targets would be written. */
  projectRoot: string;
  /** A digest of every table's name and rows (and, for files, the file's bytes). */
  fingerprint(): Promise<string>;
  cleanup(): Promise<void>;
}

/** What differs between adapters. */
export interface ContractSubject {
  type: 'duckdb' | 'postgres';
  /** A statement returning 1,000,000 rows. */
  millionRows: string;
  /** A statement that runs for many seconds. */
  slowQuery: string;
  /** A statement returning many 500-character rows (for the byte cap). */
  wideRows: string;
  /** Statements this dialect must refuse on top of the common ones; `{target}` is a path. */
  extraRefusals: string[];
  setup(): Promise<ContractDatabase>;
}

const ALL_TOOLS = ['run_sql_query', 'list_tables', 'describe_table', 'profile_table', 'get_query_history'];

/** Writes and tricks every adapter refuses, read-only; `{target}` is a path that must stay absent. */
const COMMON_REFUSALS = [
  'drop table raw_orders',
  "insert into raw_orders values (1000, 1, date '2020-01-01', 'placed')",
  "update raw_orders set status = 'lost'",
  'delete from raw_orders',
  'create table stolen as select * from raw_customers',
  'alter table raw_orders add column note text',
  "copy raw_orders to '{target}'",
  "attach '{target}' as other",
  'select 1; drop table raw_orders',
  'select count(*) from raw_orders; delete from raw_orders',
  '/* harmless */ drop table raw_orders',
  '-- just reading\n delete from raw_orders',
  "/* a */ -- b\n /* c */ insert into raw_customers values (999, 'x', 'y')",
  'with gone as (delete from raw_orders returning *) select * from gone',
  'explain analyze delete from raw_orders',
  // A quoted option name is ANALYZE to PostgreSQL: the DELETE would run.
  'explain ("analyze") delete from raw_orders',
  'set statement_timeout = 0',
  'call something()',
  'begin',
  'grant select on raw_orders to public',
];

/** Runs the contract for one adapter. */
export function warehouseContract(subject: ContractSubject): void {
  describe(`${subject.type} warehouse contract`, () => {
    let database: ContractDatabase;
    let context: ToolContext;
    let warehouse: Warehouse;
    const executor = new ToolExecutor(builtinToolRegistry(), ALL_TOOLS, 'tester');
    const tag = { runId: '01CONTRACTRUN', agent: 'tester' };
    const bounds = { maxRows: 100, maxBytes: 100 * 1024, timeoutMs: 10_000, readOnly: true, tag };

    beforeAll(async () => {
      database = await subject.setup();
      context = makeToolContext(database.projectRoot, {
        runId: tag.runId,
        config: configSchema.parse({ warehouses: { jaffle: database.config } }),
        env: database.env,
      });
      warehouse = await openWarehouse({
        name: 'jaffle',
        config: configSchema.parse({ warehouses: { jaffle: database.config } }).warehouses.jaffle!,
        projectRoot: database.projectRoot,
        env: database.env,
        writable: false,
        tag,
      });
    });

    afterAll(async () => {
      await warehouse?.close();
      await context?.resources.closeAll();
      await database?.cleanup();
    });

    test('a read runs through run_sql_query and returns a text table', async () => {
      const outcome = await executor.call(
        'run_sql_query',
        { sql: 'select status, count(*) as orders from raw_orders group by status order by status' },
        context,
      );
      expect(outcome.status).toBe('completed');
      const output = (outcome as { output: string }).output;
      expect(output.split('\n')[1]).toBe('status | orders');
      expect(output).toContain('completed | ');
      expect((outcome as { summary: string }).summary).toMatch(/^SELECT on jaffle: 5 rows in \d+ ms$/);
    });

    const refusals = [...COMMON_REFUSALS, ...subject.extraRefusals];
    test.each(refusals)('refuses %j and leaves the database unchanged', async (template) => {
      const target = path.join(database.projectRoot, 'exfiltrated.csv');
      const sql = template.replaceAll('{target}', target);
      const before = await database.fingerprint();
      const outcome = await executor.call('run_sql_query', { sql }, context);
      expect(outcome.status).toBe('failed');
      expect((outcome as { code: string }).code).toMatch(
        /^warehouse\.(statement-refused|write-refused|unparsable-sql)$/,
      );
      expect((outcome as { error: string }).error).toMatch(/^refused: .*nothing (ran|changed)/);
      expect(await database.fingerprint()).toBe(before);
      expect(existsSync(target)).toBe(false);
    });

    test.each([
      'drop table raw_orders',
      "insert into raw_orders values (1000, 1, date '2020-01-01', 'placed')",
      'delete from raw_orders',
      'create table stolen as select * from raw_customers',
    ])('the engine refuses %j on its own when the parser is bypassed (second wall)', async (sql) => {
      const before = await database.fingerprint();
      const error = await warehouse.query(sql, bounds).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StatementRefusedError);
      expect((error as StatementRefusedError).code).toBe('warehouse.write-refused');
      expect(await database.fingerprint()).toBe(before);
    });

    test('a million-row query comes back capped, with a note', async () => {
      const result = await warehouse.query(subject.millionRows, bounds);
      expect(result.rows).toHaveLength(100);
      expect(result.cut).toBe('rows');
      const outcome = await executor.call(
        'run_sql_query',
        { sql: subject.millionRows, max_rows: 50 },
        context,
      );
      const output = (outcome as { output: string }).output;
      expect(output.split('\n')).toHaveLength(1 + 1 + 50 + 1);
      expect(output.split('\n').at(-1)).toBe(
        '[… more rows cut: the first 50 rows are shown and the query returned more: aggregate, filter or page with LIMIT/OFFSET, or raise max_rows (up to 1,000)]',
      );
      expect((outcome as { truncated: boolean }).truncated).toBe(true);
    });

    test('wide rows are cut at the byte cap', async () => {
      const result = await warehouse.query(subject.wideRows, { ...bounds, maxBytes: 20_000 });
      expect(result.cut).toBe('bytes');
      expect(result.rows.length).toBeGreaterThan(10);
      expect(result.rows.length).toBeLessThan(100);
      expect(JSON.stringify(result.rows).length).toBeLessThanOrEqual(20_000);
    });

    test('the statement timeout cancels a slow query, and the warehouse stays usable', async () => {
      const started = Date.now();
      const error = await warehouse
        .query(subject.slowQuery, { ...bounds, timeoutMs: 300 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect((error as Error).message).toBe(
        'jaffle: the query ran longer than the 0.3s statement timeout and was cancelled: filter earlier, aggregate, or query fewer columns',
      );
      expect(Date.now() - started).toBeLessThan(8000);
      const after = await warehouse.query('select count(*) as n from raw_orders', bounds);
      expect(after.rows).toEqual([[99]]);
    });

    test('cancelling the run cancels the running statement', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const error = await warehouse
        .query(subject.slowQuery, { ...bounds, signal: controller.signal })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(QueryCancelledError);
    });

    test('list_tables and describe_table show the seeds', async () => {
      const listed = await executor.call('list_tables', { pattern: 'raw_' }, context);
      const lines = (listed as { output: string }).output.split('\n');
      expect(lines.map((line) => line.replace(/ \(.*$/, '').replace(/^[^.]+\./, ''))).toEqual([
        'raw_customers',
        'raw_orders',
        'raw_payments',
      ]);
      const described = await executor.call('describe_table', { table: 'RAW_ORDERS' }, context);
      const output = (described as { output: string }).output;
      expect(output).toMatch(
        /^\w+\.raw_orders \(table(, ~99 rows)?\), 4 columns:\ncolumn \| type \| nullable \| comment\n/,
      );
      expect(
        output
          .split('\n')
          .slice(2)
          .map((line) => line.split(' | ')[0]),
      ).toEqual(['id', 'user_id', 'order_date', 'status']);
      const missing = await executor.call('describe_table', { table: 'fct_orders' }, context);
      expect(missing).toMatchObject({
        status: 'failed',
        code: 'warehouse.table-not-found',
        error: 'jaffle: no table or view named fct_orders: call list_tables to see what exists',
      });
    });

    test.each(['raw_orders', 'raw_payments', 'raw_customers'] as SeedTable[])(
      'profile_table numbers for %s match the seed CSV',
      async (table) => {
        const outcome = await executor.call('profile_table', { table }, context);
        expect(outcome.status).toBe('completed');
        const profile = (outcome as { output: ProfileOutput }).output;
        const expected = profileOfCsv(table);
        expect(profile.row_count).toBe(expected.rowCount);
        expect(profile.distinct_counts).toBe('exact');
        for (const column of profile.columns) {
          const oracle = expected.columns[column.name]!;
          expect({ column: column.name, nulls: column.nulls, distinct: column.distinct }).toEqual({
            column: column.name,
            nulls: 0,
            distinct: oracle.distinct,
          });
          if (oracle.numeric) expect([column.min, column.max]).toEqual([oracle.min, oracle.max]);
          if (oracle.date) expect([column.min, column.max]).toEqual([oracle.min, oracle.max]);
        }
        if (table === 'raw_orders') {
          expect(profile.freshness?.column).toBe('order_date');
          expect(profile.freshness?.latest).toBe('2018-04-09');
          const expectedAge = (Date.now() - Date.parse('2018-04-09T00:00:00Z')) / 1000;
          expect(Math.abs(profile.freshness!.age_seconds! - expectedAge)).toBeLessThan(2 * 86_400);
        } else {
          expect(profile.freshness).toBeUndefined();
        }
      },
    );

    test('a failed query is an error result the model can act on, and the run goes on', async () => {
      const outcome = await executor.call('run_sql_query', { sql: 'select nope from raw_orders' }, context);
      expect(outcome).toMatchObject({ status: 'failed', code: 'warehouse.query-failed' });
      expect((outcome as { error: string }).error).toMatch(/^jaffle: .*nope/);
      const next = await executor.call('run_sql_query', { sql: 'select 1 as one' }, context);
      expect(next.status).toBe('completed');
    });

    test('json format returns row objects', async () => {
      const outcome = await executor.call(
        'run_sql_query',
        { sql: 'select id, status from raw_orders order by id limit 2', format: 'json' },
        context,
      );
      expect((outcome as { output: unknown }).output).toMatchObject({
        warehouse: 'jaffle',
        statement: 'SELECT',
        rows: [
          { id: 1, status: 'returned' },
          { id: 2, status: 'completed' },
        ],
        row_count: 2,
      });
    });
  });
}

/** An agent spec granting writes on `warehouse`. */
export function writerSpec(warehouse: string) {
  return agentSpecSchema.parse({
    name: 'tester',
    role: 'tester',
    goal: 'test tools',
    warehouse: { default: warehouse, allow_writes: [warehouse] },
  });
}

interface ProfileOutput {
  row_count: number;
  distinct_counts: string;
  freshness?: { column: string; latest: unknown; age_seconds?: number };
  columns: { name: string; nulls: number; distinct?: number; min?: unknown; max?: unknown }[];
}

interface ColumnOracle {
  distinct: number;
  numeric: boolean;
  date: boolean;
  min: unknown;
  max: unknown;
}

/** The numbers a profile must show, computed from the CSV itself. */
function profileOfCsv(table: SeedTable): { rowCount: number; columns: Record<string, ColumnOracle> } {
  const { header, rows } = readSeed(table);
  const columns: Record<string, ColumnOracle> = {};
  header.forEach((name, index) => {
    const values = rows.map((row) => row[index]!);
    const numeric = values.every((value) => /^-?\d+$/.test(value));
    const date = values.every((value) => /^\d{4}-\d{2}-\d{2}$/.test(value));
    const sorted = numeric ? values.map(Number).sort((a, b) => a - b) : [...values].sort();
    columns[name] = {
      distinct: new Set(values).size,
      numeric,
      date,
      min: sorted[0],
      max: sorted.at(-1),
    };
  });
  return { rowCount: rows.length, columns };
}
