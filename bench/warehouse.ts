// A million-row query through the Warehouse port comes back capped, fast, without materialising
// the rest: DuckDB (embedded file) and Postgres (127.0.0.1:5432, a throwaway database), each
// against reading every row with the bare driver. Also: what classifying a statement costs.
// Run: npm run build && node bench/warehouse.ts   (RUNS=… to change the repetitions)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { DuckDBWarehouse, PostgresWarehouse } from '../dist/integrations/warehouses/index.js';

const RUNS = Number(process.env.RUNS ?? 10);
const PG_ADMIN = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const tag = { runId: 'BENCH', agent: 'bench' };
const capped = { maxRows: 100, maxBytes: 100 * 1024, timeoutMs: 60_000, readOnly: true, tag };

interface Row {
  case: string;
  rows: number;
  medianMs: number;
  p95Ms: number;
}

async function time(label: string, runs: number, work: () => Promise<number>): Promise<Row> {
  await work(); // warm up: load the driver, plan caches
  const samples: number[] = [];
  let rows = 0;
  for (let index = 0; index < runs; index++) {
    const started = performance.now();
    rows = await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { case: label, rows, medianMs: round(pick(0.5)), p95Ms: round(pick(0.95)) };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function duckdbCases(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agentry-bench-duckdb-'));
  const file = join(dir, 'bench.duckdb');
  const setup = await DuckDBInstance.create(file);
  const connection = await setup.connect();
  await connection.run(
    'create table big as select range as id, md5(range::varchar) as payload from range(1000000)',
  );
  connection.closeSync();
  setup.closeSync();

  const warehouse = await DuckDBWarehouse.open({ name: 'bench', path: file, writable: false });
  const bare = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const bareConnection = await bare.connect();
  try {
    return [
      await time(
        'duckdb: capped select * from range(1000000)',
        RUNS,
        async () => (await warehouse.query('select * from range(1000000)', capped)).rows.length,
      ),
      await time(
        'duckdb: capped select * from big (1M rows, 2 cols)',
        RUNS,
        async () => (await warehouse.query('select * from big', capped)).rows.length,
      ),
      await time(
        'duckdb: bare driver, read all of big',
        RUNS,
        async () => (await bareConnection.runAndReadAll('select * from big')).currentRowCount,
      ),
    ];
  } finally {
    await warehouse.close();
    bareConnection.closeSync();
    bare.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresCases(): Promise<Row[]> {
  const name = `agentry_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  const url = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    'create table big as select g as id, md5(g::text) as payload from generate_series(1, 1000000) g; analyze big',
  );
  const warehouse = await PostgresWarehouse.open({ name: 'bench', connectionString: url, tag });
  try {
    return [
      await time(
        'postgres: capped select generate_series(1, 1000000)',
        RUNS,
        async () => (await warehouse.query('select generate_series(1, 1000000) as n', capped)).rows.length,
      ),
      await time(
        'postgres: capped select * from big (1M rows, 2 cols)',
        RUNS,
        async () => (await warehouse.query('select * from big', capped)).rows.length,
      ),
      await time(
        'postgres: bare driver, read all of big',
        Math.min(RUNS, 5),
        async () => (await client.query('select * from big')).rowCount ?? 0,
      ),
    ];
  } finally {
    await warehouse.close();
    await client.end();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function classifyCases(): Promise<Row[]> {
  const warehouse = await DuckDBWarehouse.open({ name: 'memory', writable: false });
  const pgWarehouse = await PostgresWarehouse.open({ name: 'classify', connectionString: PG_ADMIN, tag });
  const sql =
    "with recent as (select * from orders where order_date > current_date - 30) select status, count(*) from recent where status <> 'returned' group by 1 order by 2 desc";
  try {
    return [
      await time('classify: postgres (node-sql-parser)', RUNS * 10, async () => {
        await pgWarehouse.classify(sql);
        return 1;
      }),
      await time('classify: duckdb (node-sql-parser + DuckDB parser)', RUNS * 10, async () => {
        await warehouse.classify('select status, count(*) from range(10) t(status) group by 1');
        return 1;
      }),
    ];
  } finally {
    await warehouse.close();
    await pgWarehouse.close();
  }
}

const rows = [...(await duckdbCases()), ...(await postgresCases()), ...(await classifyCases())];
console.log(`Warehouse bench: ${RUNS} runs per case (capped: max 100 rows), node ${process.version}`);
console.table(rows);
