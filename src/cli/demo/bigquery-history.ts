/**
 * The BigQuery stand-in, `warehouse/bigquery.duckdb`: 30 days of the `jaffle-shop-prod` project's
 * jobs in `region_us.jobs`, shaped like `region-us`.INFORMATION_SCHEMA.JOBS (on-demand pricing, no
 * reservation). DuckDB names the catalog after the file: `bigquery.region_us.jobs`.
 *
 * Planted, for the cost optimizer to find:
 * - `orders` rebuilt in full every hour by dbt (create or replace table), reading the whole order
 *   and payment history each time: the costliest model and the costliest job pattern;
 * - an hourly scheduled query on the date-partitioned `raw.web_events` that filters on
 *   `event_timestamp` instead of the partition column `event_date`, so nothing is pruned (analysts'
 *   queries on `event_date` show what a pruned read costs);
 * - `SELECT *` on the wide, unpartitioned `raw.customer_profiles` (LIMIT does not cut the bill);
 * - a Looker tile every 5 minutes whose CURRENT_DATE() keeps it out of the cache, beside one
 *   without it that is served from the cache.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import {
  type CompiledModel,
  compiledFor,
  dbtQueryComment,
  HISTORY_DAYS,
  HISTORY_START,
  HOUR,
  historyDay,
  MINUTE,
  modelNamed,
  parameterizedHash,
  SECOND,
} from './cost-history.js';
import { type CellValue, type Column, createTable } from './duckdb-table.js';
import { Prng } from './prng.js';

const SEED = 20261203;
const PROJECT = 'jaffle-shop-prod';
const MB = 1024 * 1024;

/** Flat columns; the table is then made with BigQuery's nested ones (see {@link buildBigQueryHistory}). */
const STAGING_COLUMNS: Column[] = [
  { name: 'job_id', type: 'varchar' },
  { name: 'creation_time', type: 'timestamp' },
  { name: 'start_time', type: 'timestamp' },
  { name: 'end_time', type: 'timestamp' },
  { name: 'project_id', type: 'varchar' },
  { name: 'user_email', type: 'varchar' },
  { name: 'job_type', type: 'varchar' },
  { name: 'statement_type', type: 'varchar' },
  { name: 'priority', type: 'varchar' },
  { name: 'state', type: 'varchar' },
  { name: 'query', type: 'varchar' },
  { name: 'destination_dataset', type: 'varchar' },
  { name: 'destination_table', type: 'varchar' },
  { name: 'total_bytes_processed', type: 'bigint' },
  { name: 'total_bytes_billed', type: 'bigint' },
  { name: 'total_slot_ms', type: 'bigint' },
  { name: 'cache_hit', type: 'boolean' },
  { name: 'reservation_id', type: 'varchar' },
  { name: 'labels', type: 'varchar' },
  { name: 'query_hash', type: 'varchar' },
];

interface Job {
  jobId: string;
  start: number;
  elapsed: number;
  user: string;
  jobType: 'QUERY' | 'LOAD';
  statementType: string | null;
  priority?: 'INTERACTIVE' | 'BATCH';
  query: string | null;
  destination: [dataset: string, table: string] | null;
  bytesProcessed: number;
  slotMs: number;
  cacheHit: boolean;
  labels: Record<string, string>;
  /** The text the query hash is taken from, when it is not `query`. */
  hashText?: string;
}

/** Builds `file` (named `bigquery.duckdb`) from the models the dbt jobs run. */
export async function buildBigQueryHistory(file: string, models: readonly CompiledModel[]): Promise<void> {
  const random = new Prng(SEED);
  const jobs = [
    ...loads(random),
    ...dbtJobs(random, models),
    ...webEvents(random),
    ...customerProfiles(random),
    ...dashboard(random),
  ].sort((a, b) => a.start - b.start);
  const rows = jobs.map(jobRow);

  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    await connection.run('create schema region_us');
    await createTable(connection, 'region_us', 'jobs_flat', STAGING_COLUMNS, rows);
    // BigQuery's nested columns: destination_table.table_id and query_info.query_hashes.normalized_literals.
    await connection.run(`
      create table region_us.jobs as
      select
        job_id, creation_time, start_time, end_time, project_id, user_email, job_type, statement_type,
        priority, state, query,
        case when destination_table is null then null
             else {'project_id': project_id, 'dataset_id': destination_dataset, 'table_id': destination_table} end
          as destination_table,
        total_bytes_processed, total_bytes_billed, total_slot_ms, cache_hit, reservation_id, labels,
        case when query_hash is null then null
             else {'query_hashes': {'normalized_literals': query_hash}} end as query_info
      from region_us.jobs_flat
      order by creation_time`);
    await connection.run('drop table region_us.jobs_flat');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// what ran

/** Hourly loads of the shop's exports (load jobs are not billed). */
function loads(random: Prng): Job[] {
  const jobs: Job[] = [];
  for (let hour = 0; hour < HISTORY_DAYS * 24; hour++) {
    for (const [index, table] of ['raw_orders', 'raw_payments'].entries()) {
      jobs.push({
        jobId: `job_${random.hex(8)}-${random.hex(4)}-${random.hex(4)}-${random.hex(12)}`,
        start: HISTORY_START + hour * HOUR + random.int(20, 50) * SECOND + index * 70 * SECOND,
        elapsed: random.int(8_000, 41_000),
        user: `loader@${PROJECT}.iam.gserviceaccount.com`,
        jobType: 'LOAD',
        statementType: null,
        query: null,
        destination: ['jaffle_shop', table],
        bytesProcessed: 0,
        slotMs: random.int(2_000, 9_000),
        cacheHit: false,
        labels: { source: 'shop_exports' },
      });
    }
  }
  return jobs;
}

/**
 * dbt: every hour `dbt build --select +orders` (the two staging views it reads, then `orders`,
 * recreated in full), and once a day at 03:10 the rest of the project (`stg_customers`, `customers`).
 */
function dbtJobs(random: Prng, models: readonly CompiledModel[]): Job[] {
  const relation = (name: string) => `\`${PROJECT}\`.\`jaffle_shop\`.\`${name}\``;
  const text = (name: string) => {
    const model = modelNamed(models, name);
    const sql = compiledFor(model, relation);
    return model.materialized === 'view'
      ? `${dbtQueryComment(name)}\n\n\n  create or replace view ${relation(name)}\n  OPTIONS()\n  as ${sql};\n\n`
      : `${dbtQueryComment(name)}\n\n  \n    \n\n    create or replace table ${relation(name)}\n      \n    \n\n    \n    OPTIONS()\n    as (\n      ${sql}\n    );\n  `;
  };
  const job = (
    name: string,
    start: number,
    invocation: string,
    job: string,
  ): Omit<Job, 'elapsed' | 'bytesProcessed' | 'slotMs'> => ({
    jobId: random.uuid(),
    start,
    user: `dbt-runner@${PROJECT}.iam.gserviceaccount.com`,
    jobType: 'QUERY',
    statementType:
      modelNamed(models, name).materialized === 'view' ? 'CREATE_VIEW' : 'CREATE_TABLE_AS_SELECT',
    priority: 'INTERACTIVE',
    query: text(name),
    destination: ['jaffle_shop', name],
    cacheHit: false,
    labels: { app: 'dbt', dbt_job: job, dbt_model: name, dbt_invocation_id: invocation, target_name: 'prod' },
  });
  const jobs: Job[] = [];
  for (let hour = 0; hour < HISTORY_DAYS * 24; hour++) {
    const invocation = random.uuid();
    const start = HISTORY_START + hour * HOUR + 10 * MINUTE + random.int(3, 30) * SECOND;
    for (const [index, name] of ['stg_orders', 'stg_payments'].entries()) {
      jobs.push({
        ...job(name, start + index * 150, invocation, 'jaffle_shop_hourly'),
        elapsed: random.int(700, 1_600),
        bytesProcessed: 0,
        slotMs: 0,
      });
    }
    // orders reads every column it needs of the whole history: ~0.95 TiB, each hour.
    const bytes = Math.round((1.043e12 + hour * 0.241e9) * random.between(0.995, 1.005));
    jobs.push({
      ...job('orders', start + random.int(2_100, 3_400), invocation, 'jaffle_shop_hourly'),
      elapsed: random.int(168_000, 262_000),
      bytesProcessed: bytes,
      slotMs: Math.round((bytes / 1e12) * random.between(17.5e6, 20.5e6)),
    });
    if (hour % 24 === 3) {
      const daily = random.uuid();
      const dailyStart = start + 5 * MINUTE;
      jobs.push({
        ...job('stg_customers', dailyStart, daily, 'jaffle_shop_daily'),
        elapsed: random.int(700, 1_500),
        bytesProcessed: 0,
        slotMs: 0,
      });
      const customerBytes = Math.round((0.538e12 + hour * 0.09e9) * random.between(0.995, 1.005));
      jobs.push({
        ...job('customers', dailyStart + random.int(1_800, 2_900), daily, 'jaffle_shop_daily'),
        elapsed: random.int(88_000, 141_000),
        bytesProcessed: customerBytes,
        slotMs: Math.round((customerBytes / 1e12) * random.between(15.5e6, 18.5e6)),
      });
    }
  }
  return jobs;
}

/**
 * `raw.web_events` is partitioned by `event_date`. The growth dashboard's scheduled query filters
 * on `event_timestamp` instead, so each run reads the whole table; analysts filtering on
 * `event_date` read a day's partition.
 */
function webEvents(random: Prng): Job[] {
  const scheduled = [
    'SELECT event_name, COUNT(*) AS events, COUNT(DISTINCT session_id) AS sessions',
    `FROM \`${PROJECT}.raw.web_events\``,
    'WHERE event_timestamp >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)',
    'GROUP BY event_name',
  ].join('\n');
  const jobs: Job[] = [];
  for (let hour = 0; hour < HISTORY_DAYS * 24; hour++) {
    const bytes = Math.round((0.451e12 + hour * 0.118e9) * random.between(0.998, 1.002));
    jobs.push({
      jobId: `scheduled_query_${random.hex(8)}-0000-${random.hex(4)}-${random.hex(4)}-${random.hex(12)}`,
      start: HISTORY_START + hour * HOUR + 15 * MINUTE + random.int(0, 20) * SECOND,
      elapsed: random.int(21_000, 46_000),
      user: `growth-dashboard@${PROJECT}.iam.gserviceaccount.com`,
      jobType: 'QUERY',
      statementType: 'SELECT',
      priority: 'BATCH',
      query: scheduled,
      destination: null,
      bytesProcessed: bytes,
      slotMs: Math.round((bytes / 1e12) * random.between(4.6e6, 5.4e6)),
      cacheHit: false,
      labels: { data_source_id: 'scheduled_query', report: 'web_events_last_hour' },
    });
  }
  for (let day = 0; day < HISTORY_DAYS; day++) {
    const { start, workday } = historyDay(day);
    if (!workday) continue;
    const date = new Date(start - 24 * HOUR).toISOString().slice(0, 10);
    const query = [
      'SELECT event_name, COUNT(*) AS events',
      `FROM \`${PROJECT}.raw.web_events\``,
      `WHERE event_date = '${date}'`,
      'GROUP BY event_name',
      'ORDER BY events DESC',
    ].join('\n');
    const bytes = Math.round(random.between(1.05e9, 1.25e9));
    jobs.push(consoleJob(random, 'priya@jaffle.example', start + random.between(9, 17) * HOUR, query, bytes));
  }
  return jobs;
}

/** `raw.customer_profiles`: 312 columns, unpartitioned. `SELECT *` reads every column, LIMIT or not. */
function customerProfiles(random: Prng): Job[] {
  const jobs: Job[] = [];
  const star = `SELECT *\nFROM \`${PROJECT}.raw.customer_profiles\``;
  for (let day = 0; day < HISTORY_DAYS; day++) {
    const { start, workday } = historyDay(day);
    // Looker Studio's extract of the whole table, four times a day.
    for (let extract = 0; extract < 4; extract++) {
      const bytes = Math.round((0.418e12 + day * 0.6e9) * random.between(0.999, 1.001));
      jobs.push({
        jobId: `job_${random.hex(26)}`,
        start: start + extract * 6 * HOUR + 2 * HOUR + random.int(0, 600) * SECOND,
        elapsed: random.int(38_000, 74_000),
        user: `looker-studio@${PROJECT}.iam.gserviceaccount.com`,
        jobType: 'QUERY',
        statementType: 'SELECT',
        priority: 'INTERACTIVE',
        query: star,
        destination: null,
        bytesProcessed: bytes,
        slotMs: Math.round((bytes / 1e12) * random.between(5.5e6, 6.5e6)),
        cacheHit: false,
        labels: { looker_studio_datasource: 'customer_360', requestor: 'looker_studio' },
      });
    }
    if (!workday) continue;
    for (let peek = random.int(1, 3); peek > 0; peek--) {
      const bytes = Math.round((0.418e12 + day * 0.6e9) * random.between(0.999, 1.001));
      jobs.push(
        consoleJob(
          random,
          'dana@jaffle.example',
          start + random.between(9, 18) * HOUR,
          `${star}\nLIMIT 100`,
          bytes,
        ),
      );
    }
    // The same table, three columns: what a narrow read costs.
    const narrow = [
      'SELECT customer_id, country, marketing_opt_in',
      `FROM \`${PROJECT}.raw.customer_profiles\``,
      'WHERE marketing_opt_in',
    ].join('\n');
    jobs.push(
      consoleJob(
        random,
        'eric@jaffle.example',
        start + random.between(9, 18) * HOUR,
        narrow,
        Math.round(random.between(3.9e9, 4.3e9)),
      ),
    );
  }
  return jobs;
}

/** Two Looker tiles refreshed every 5 minutes; only the one without CURRENT_DATE() is cached. */
function dashboard(random: Prng): Job[] {
  const daily = [
    'SELECT',
    '    orders.order_date AS orders_order_date,',
    '    COUNT(*) AS orders_count,',
    '    COALESCE(SUM(orders.amount), 0) AS orders_total_amount',
    `FROM \`${PROJECT}.jaffle_shop.orders\` AS orders`,
    'WHERE orders.order_date >= DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)',
    'GROUP BY 1',
    'ORDER BY 1 DESC',
    'LIMIT 500',
  ].join('\n');
  const byStatus = [
    'SELECT',
    '    orders.status AS orders_status,',
    '    COUNT(*) AS orders_count',
    `FROM \`${PROJECT}.jaffle_shop.orders\` AS orders`,
    'GROUP BY 1',
    'ORDER BY 2 DESC',
    'LIMIT 500',
  ].join('\n');
  const jobs: Job[] = [];
  for (let tick = 0; tick < (HISTORY_DAYS * 24 * 60) / 5; tick++) {
    const at = HISTORY_START + tick * 5 * MINUTE + random.int(200, 3_000);
    // orders is replaced at about :14 every hour: the first status query after that misses the cache.
    const rebuiltSince = tick % 12 === 3;
    const tile = (query: string, cached: boolean, bytes: number, offset: number): Job => ({
      jobId: `job_${random.hex(26)}`,
      start: at + offset,
      elapsed: cached ? random.int(60, 190) : random.int(1_900, 4_800),
      user: `looker@${PROJECT}.iam.gserviceaccount.com`,
      jobType: 'QUERY',
      statementType: 'SELECT',
      priority: 'INTERACTIVE',
      query,
      destination: null,
      bytesProcessed: cached ? 0 : bytes,
      slotMs: cached ? 0 : Math.round((bytes / 1e9) * random.between(3_900, 4_600)),
      cacheHit: cached,
      labels: { requestor: 'looker', dashboard: 'jaffle_shop_daily_orders' },
    });
    jobs.push(tile(daily, false, Math.round(random.between(9.4e9, 9.9e9)), 0));
    jobs.push(tile(byStatus, !rebuiltSince, Math.round(random.between(4.6e9, 4.9e9)), random.int(20, 400)));
  }
  return jobs;
}

function consoleJob(random: Prng, user: string, start: number, query: string, bytes: number): Job {
  return {
    jobId: `bquxjob_${random.hex(8)}_${random.hex(11)}`,
    start: Math.round(start),
    elapsed: random.int(1_400, 9_800),
    user,
    jobType: 'QUERY',
    statementType: 'SELECT',
    priority: 'INTERACTIVE',
    query,
    destination: null,
    bytesProcessed: bytes,
    slotMs: Math.round((bytes / 1e9) * random.between(3_800, 4_700)),
    cacheHit: false,
    labels: {},
  };
}

// ---------------------------------------------------------------------------------------------
// as INFORMATION_SCHEMA.JOBS records it

function jobRow(job: Job): CellValue[] {
  // On-demand billing: per MB, at least 10 MB per query that reads anything.
  const billed = job.bytesProcessed === 0 ? 0 : Math.max(10 * MB, Math.ceil(job.bytesProcessed / MB) * MB);
  const queued = job.jobType === 'LOAD' ? 1_200 : job.cacheHit ? 20 : 140;
  return [
    job.jobId,
    job.start - queued,
    job.start,
    job.start + job.elapsed,
    PROJECT,
    job.user,
    job.jobType,
    job.statementType,
    job.priority ?? 'INTERACTIVE',
    'DONE',
    job.query,
    job.destination?.[0] ?? null,
    job.destination?.[1] ?? null,
    job.bytesProcessed,
    billed,
    job.slotMs,
    job.cacheHit,
    null,
    JSON.stringify(job.labels),
    job.query === null ? null : parameterizedHash(job.hashText ?? job.query),
  ];
}
