/**
 * The Snowflake stand-in, `warehouse/snowflake.duckdb`: 30 days of ACCOUNT_USAGE.QUERY_HISTORY and
 * WAREHOUSE_METERING_HISTORY of the team's production account. DuckDB names the catalog after the
 * file, so `snowflake.account_usage.query_history` resolves as it does on Snowflake.
 *
 * Planted, for the cost optimizer to find (each visible in plain aggregates):
 * - `orders` rebuilt in full every hour by the dbt job (a table, not incremental) on TRANSFORM_WH,
 *   scanning every partition each time: most of the account's credits;
 * - `customers`, in the same job, spilling tens of GB to local and remote storage on every run;
 * - ANALYST_XL_WH, an X-Large warehouse with a 10-minute auto-suspend, running tiny queries;
 * - a Looker tile on REPORTING_WH that queries `orders` every 5 minutes, day and night, so the
 *   warehouse never suspends (its context comment makes each text unique: no result reuse).
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

const SEED = 20261204;

/** The account's virtual warehouses: size as QUERY_HISTORY spells it, credits per hour, auto-suspend. */
export const SNOWFLAKE_WAREHOUSES = {
  TRANSFORM_WH: { id: 11, size: 'Large', creditsPerHour: 8, autoSuspendSeconds: 60 },
  REPORTING_WH: { id: 12, size: 'Small', creditsPerHour: 2, autoSuspendSeconds: 300 },
  ANALYST_XL_WH: { id: 13, size: 'X-Large', creditsPerHour: 16, autoSuspendSeconds: 600 },
  LOADING_WH: { id: 14, size: 'X-Small', creditsPerHour: 1, autoSuspendSeconds: 60 },
} as const;

type WarehouseName = keyof typeof SNOWFLAKE_WAREHOUSES;

const QUERY_HISTORY_COLUMNS: Column[] = [
  { name: 'QUERY_ID', type: 'varchar' },
  { name: 'QUERY_TEXT', type: 'varchar' },
  { name: 'DATABASE_NAME', type: 'varchar' },
  { name: 'SCHEMA_NAME', type: 'varchar' },
  { name: 'QUERY_TYPE', type: 'varchar' },
  { name: 'USER_NAME', type: 'varchar' },
  { name: 'ROLE_NAME', type: 'varchar' },
  { name: 'WAREHOUSE_NAME', type: 'varchar' },
  { name: 'WAREHOUSE_SIZE', type: 'varchar' },
  { name: 'QUERY_TAG', type: 'varchar' },
  { name: 'EXECUTION_STATUS', type: 'varchar' },
  { name: 'START_TIME', type: 'timestamp' },
  { name: 'END_TIME', type: 'timestamp' },
  { name: 'TOTAL_ELAPSED_TIME', type: 'bigint' },
  { name: 'COMPILATION_TIME', type: 'bigint' },
  { name: 'EXECUTION_TIME', type: 'bigint' },
  { name: 'QUEUED_OVERLOAD_TIME', type: 'bigint' },
  { name: 'BYTES_SCANNED', type: 'bigint' },
  { name: 'ROWS_PRODUCED', type: 'bigint' },
  { name: 'PARTITIONS_SCANNED', type: 'bigint' },
  { name: 'PARTITIONS_TOTAL', type: 'bigint' },
  { name: 'BYTES_SPILLED_TO_LOCAL_STORAGE', type: 'bigint' },
  { name: 'BYTES_SPILLED_TO_REMOTE_STORAGE', type: 'bigint' },
  { name: 'CREDITS_USED_CLOUD_SERVICES', type: 'double' },
  { name: 'QUERY_PARAMETERIZED_HASH', type: 'varchar' },
];

const METERING_COLUMNS: Column[] = [
  { name: 'START_TIME', type: 'timestamp' },
  { name: 'END_TIME', type: 'timestamp' },
  { name: 'WAREHOUSE_ID', type: 'bigint' },
  { name: 'WAREHOUSE_NAME', type: 'varchar' },
  { name: 'CREDITS_USED', type: 'double' },
  { name: 'CREDITS_USED_COMPUTE', type: 'double' },
  { name: 'CREDITS_USED_CLOUD_SERVICES', type: 'double' },
];

interface Query {
  text: string;
  type: string;
  user: string;
  role: string;
  warehouse: WarehouseName;
  tag: string;
  start: number;
  /** Milliseconds from start to end: compilation, queueing and execution. */
  elapsed: number;
  compilation: number;
  bytesScanned: number;
  rowsProduced: number;
  partitionsScanned: number;
  partitionsTotal: number;
  spilledLocal?: number;
  spilledRemote?: number;
  cloudCredits: number;
  /** The text the parameterized hash is taken from, when it is not `text`. */
  hashText?: string;
  database?: string;
  schema?: string;
}

/** Builds `file` (named `snowflake.duckdb`) from the models the dbt job runs. */
export async function buildSnowflakeHistory(file: string, models: readonly CompiledModel[]): Promise<void> {
  const random = new Prng(SEED);
  const queries = [
    ...loads(random),
    ...dbtJob(random, models),
    ...dashboard(random),
    ...analysts(random),
  ].sort((a, b) => a.start - b.start);
  const queryRows = queries.map((query) => queryRow(random, query));
  const meteringRows = metering(queries);

  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    await connection.run('create schema account_usage');
    await createTable(connection, 'account_usage', 'query_history', QUERY_HISTORY_COLUMNS, queryRows);
    await createTable(
      connection,
      'account_usage',
      'warehouse_metering_history',
      METERING_COLUMNS,
      meteringRows,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// what ran

/** The loader copies each hour's shop exports into the raw tables. */
function loads(random: Prng): Query[] {
  const queries: Query[] = [];
  for (let hour = 0; hour < HISTORY_DAYS * 24; hour++) {
    let start = HISTORY_START + hour * HOUR + random.int(15, 45) * SECOND;
    const tables =
      hour % 6 === 0 ? ['raw_orders', 'raw_payments', 'raw_customers'] : ['raw_orders', 'raw_payments'];
    for (const table of tables) {
      const elapsed = Math.round(
        random.between(table === 'raw_customers' ? 9 : 34, table === 'raw_customers' ? 16 : 81) * SECOND,
      );
      const rows = table === 'raw_customers' ? random.int(900, 2_400) : random.int(18_000, 41_000);
      queries.push({
        text: `COPY INTO ANALYTICS.JAFFLE_SHOP.${table.toUpperCase()} FROM @ANALYTICS.JAFFLE_SHOP.SHOP_EXPORTS/${table.slice(4)}/ FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1) ON_ERROR = ABORT_STATEMENT`,
        type: 'COPY',
        user: 'LOADER_SVC',
        role: 'LOADER',
        warehouse: 'LOADING_WH',
        tag: '',
        start,
        elapsed,
        compilation: random.int(40, 160),
        bytesScanned: rows * random.int(5_600, 6_400),
        rowsProduced: rows,
        partitionsScanned: 0,
        partitionsTotal: 0,
        cloudCredits: random.between(0.00002, 0.00006),
      });
      start += elapsed + random.int(200, 900);
    }
  }
  return queries;
}

/**
 * `jaffle_shop_hourly`: `dbt build` of every model at five past each hour. The views take a second;
 * `customers` and `orders` are rebuilt in full (create or replace), side by side on 8 threads.
 */
function dbtJob(random: Prng, models: readonly CompiledModel[]): Query[] {
  const relation = (name: string) => `ANALYTICS.JAFFLE_SHOP.${name}`;
  const text = (name: string) => {
    const model = modelNamed(models, name);
    const sql = compiledFor(model, relation);
    return model.materialized === 'view'
      ? `${dbtQueryComment(name)}\ncreate or replace   view ${relation(name)}\n  \n   as (\n    ${sql}\n  );`
      : `${dbtQueryComment(name)}\ncreate or replace transient table ${relation(name)}\n         as\n        (${sql}\n        );`;
  };
  const tag = (name: string) => JSON.stringify({ app: 'dbt', job: 'jaffle_shop_hourly', dbt_model: name });
  const base = (name: string, start: number, elapsed: number, type: string) => ({
    text: text(name),
    type,
    user: 'DBT_PROD',
    role: 'TRANSFORMER',
    warehouse: 'TRANSFORM_WH' as const,
    tag: tag(name),
    start,
    elapsed,
    compilation: random.int(180, 720),
  });
  const queries: Query[] = [];
  for (let hour = 0; hour < HISTORY_DAYS * 24; hour++) {
    const start = HISTORY_START + hour * HOUR + 5 * MINUTE + random.int(2, 28) * SECOND;
    let viewsDone = start;
    for (const [index, name] of ['stg_customers', 'stg_orders', 'stg_payments'].entries()) {
      const viewStart = start + 200 + index * 40;
      const elapsed = random.int(340, 920);
      viewsDone = Math.max(viewsDone, viewStart + elapsed);
      queries.push({
        ...base(name, viewStart, elapsed, 'CREATE_VIEW'),
        bytesScanned: 0,
        rowsProduced: 0,
        partitionsScanned: 0,
        partitionsTotal: 0,
        cloudCredits: random.between(0.00003, 0.00008),
      });
    }
    const marts = viewsDone + random.int(250, 600);
    // customers: the payments join and group-by outgrow a Large warehouse's memory every run.
    const customerPartitions = 5_040 + Math.floor(hour / 6);
    queries.push({
      ...base('customers', marts, random.int(205_000, 295_000), 'CREATE_TABLE_AS_SELECT'),
      bytesScanned: Math.round(customerPartitions * random.between(61.5e6, 63.5e6)),
      rowsProduced: 18_390_000 + hour * 410 + random.int(0, 400),
      partitionsScanned: customerPartitions,
      partitionsTotal: customerPartitions,
      spilledLocal: Math.round(random.between(38e9, 52e9)),
      spilledRemote: Math.round(random.between(4.2e9, 11.5e9)),
      cloudCredits: random.between(0.00018, 0.00031),
    });
    // orders: every partition of the order and payment history, every hour, to append an hour of orders.
    const orderPartitions = 17_760 + Math.floor(hour * 0.92);
    queries.push({
      ...base(
        'orders',
        marts + random.int(30, 90),
        random.int(1_150_000, 1_390_000),
        'CREATE_TABLE_AS_SELECT',
      ),
      bytesScanned: Math.round(orderPartitions * random.between(65.4e6, 66.6e6)),
      rowsProduced: 412_000_000 + hour * 31_250 + random.int(0, 2_000),
      partitionsScanned: orderPartitions,
      partitionsTotal: orderPartitions,
      cloudCredits: random.between(0.00041, 0.00069),
    });
  }
  return queries;
}

/** Looker's "Daily orders" tile, refreshed every 5 minutes around the clock. */
function dashboard(random: Prng): Query[] {
  const sql = [
    'SELECT',
    `    DATE_TRUNC('day', "ORDERS"."ORDER_DATE") AS "ORDERS.ORDER_DATE_DAY",`,
    '    COUNT(*) AS "ORDERS.COUNT",',
    '    COALESCE(SUM("ORDERS"."AMOUNT"), 0) AS "ORDERS.TOTAL_AMOUNT"',
    'FROM "ANALYTICS"."JAFFLE_SHOP"."ORDERS" AS "ORDERS"',
    `WHERE "ORDERS"."ORDER_DATE" >= DATEADD('day', -30, CURRENT_DATE())`,
    'GROUP BY 1',
    'ORDER BY 1 DESC',
    'FETCH NEXT 500 ROWS ONLY',
  ].join('\n');
  const queries: Query[] = [];
  for (let tick = 0; tick < (HISTORY_DAYS * 24 * 60) / 5; tick++) {
    const hour = Math.floor(tick / 12);
    const tablePartitions = 9_610 + Math.floor(hour * 0.5);
    const context = JSON.stringify({
      user_id: 41,
      history_slug: random.hex(32),
      instance_slug: 'f3a9c1d27be84e6a9d0c5b17e2f4a806',
    });
    queries.push({
      text: `${sql}\n-- Looker Query Context '${context}'`,
      hashText: sql,
      type: 'SELECT',
      user: 'LOOKER_SVC',
      role: 'REPORTER',
      warehouse: 'REPORTING_WH',
      tag: '',
      start: HISTORY_START + tick * 5 * MINUTE + random.int(300, 4_000),
      elapsed: random.int(6_200, 14_400),
      compilation: random.int(90, 260),
      bytesScanned: Math.round(random.between(2.05e9, 2.35e9)),
      rowsProduced: 30,
      // Not clustered by ORDER_DATE: a 30-day filter still touches most micro-partitions.
      partitionsScanned: Math.round(tablePartitions * random.between(0.84, 0.89)),
      partitionsTotal: tablePartitions,
      cloudCredits: random.between(0.00001, 0.00003),
    });
  }
  return queries;
}

/** Analysts' small lookups on workdays, on an X-Large warehouse that stays up 10 minutes after each. */
function analysts(random: Prng): Query[] {
  const people = [
    { user: 'DANA_MARKETING', role: 'ANALYST' },
    { user: 'ERIC_FINANCE', role: 'ANALYST' },
    { user: 'PRIYA_ANALYTICS', role: 'ANALYST' },
  ];
  const templates: Array<(day: string) => { text: string; rows: number; partitions: [number, number] }> = [
    (day) => ({
      text: `select count(*) from ANALYTICS.JAFFLE_SHOP.CUSTOMERS where first_order >= '${day}'`,
      rows: 1,
      partitions: [random.int(2, 9), 1_310],
    }),
    () => ({
      text: `select * from ANALYTICS.JAFFLE_SHOP.ORDERS where order_id = ${random.int(400_000_000, 412_000_000)}`,
      rows: 1,
      partitions: [random.int(1, 4), 9_610],
    }),
    (day) => ({
      text: `select status, count(*) from ANALYTICS.JAFFLE_SHOP.ORDERS where order_date = '${day}' group by 1`,
      rows: 5,
      partitions: [random.int(6, 38), 9_610],
    }),
    () => ({
      text: `select payment_method, sum(amount) from ANALYTICS.JAFFLE_SHOP.STG_PAYMENTS where order_id in (${random.int(400_000_000, 412_000_000)}, ${random.int(400_000_000, 412_000_000)}) group by 1`,
      rows: random.int(1, 2),
      partitions: [random.int(2, 12), 17_760],
    }),
    () => ({
      text: `select customer_id, first_name, last_name, customer_lifetime_value from ANALYTICS.JAFFLE_SHOP.CUSTOMERS where customer_id = ${random.int(1, 18_000_000)}`,
      rows: 1,
      partitions: [random.int(1, 3), 1_310],
    }),
  ];
  const queries: Query[] = [];
  for (let day = 0; day < HISTORY_DAYS; day++) {
    const { start, workday } = historyDay(day);
    if (!workday) continue;
    const date = new Date(start - random.int(1, 20) * 24 * HOUR).toISOString().slice(0, 10);
    const sessions = Array.from({ length: random.int(3, 5) }, () =>
      Math.round(start + 8.5 * HOUR + random.between(0, 9.5) * HOUR),
    ).sort((a, b) => a - b);
    for (const sessionStart of sessions) {
      const person = random.pick(people);
      let at = sessionStart;
      for (let count = random.int(3, 9); count > 0; count--) {
        const made = random.pick(templates)(date);
        queries.push({
          text: made.text,
          type: 'SELECT',
          user: person.user,
          role: person.role,
          warehouse: 'ANALYST_XL_WH',
          tag: '',
          start: at,
          elapsed: random.int(310, 2_400),
          compilation: random.int(60, 240),
          bytesScanned: random.int(4_000_000, 90_000_000),
          rowsProduced: made.rows,
          partitionsScanned: made.partitions[0],
          partitionsTotal: made.partitions[1],
          cloudCredits: random.between(0.000004, 0.00002),
        });
        at += random.int(40, 240) * SECOND;
      }
    }
  }
  return queries;
}

// ---------------------------------------------------------------------------------------------
// as Snowflake records it

function queryRow(random: Prng, query: Query): CellValue[] {
  const warehouse = SNOWFLAKE_WAREHOUSES[query.warehouse];
  const queued = 0;
  return [
    `01c0${random.hex(4)}-0206-${random.hex(4)}-0000-${random.hex(12)}`,
    query.text,
    query.database ?? 'ANALYTICS',
    query.schema ?? 'JAFFLE_SHOP',
    query.type,
    query.user,
    query.role,
    query.warehouse,
    warehouse.size,
    // No tag is NULL here, not Snowflake's '': DuckDB's JSON functions fail on '' where
    // Snowflake's PARSE_JSON returns NULL, and agents filter on the tag's JSON.
    query.tag === '' ? null : query.tag,
    'SUCCESS',
    query.start,
    query.start + query.elapsed,
    query.elapsed,
    query.compilation,
    query.elapsed - query.compilation - queued,
    queued,
    query.bytesScanned,
    query.rowsProduced,
    query.partitionsScanned,
    query.partitionsTotal,
    query.spilledLocal ?? 0,
    query.spilledRemote ?? 0,
    round9(query.cloudCredits),
    parameterizedHash(query.hashText ?? query.text),
  ];
}

/**
 * Credits per warehouse and hour as Snowflake meters them: a warehouse runs from the first query
 * after a suspend until `autoSuspendSeconds` after the last one ends, billed per second with a
 * 60-second minimum per resume, at its size's credits per hour.
 */
function metering(queries: readonly Query[]): CellValue[][] {
  const compute = new Map<string, number>();
  const cloud = new Map<string, number>();
  const key = (warehouse: string, hour: number) => `${warehouse}|${hour}`;
  for (const name of Object.keys(SNOWFLAKE_WAREHOUSES) as WarehouseName[]) {
    const warehouse = SNOWFLAKE_WAREHOUSES[name];
    const own = queries.filter((query) => query.warehouse === name);
    const suspendAfter = warehouse.autoSuspendSeconds * SECOND;
    let runningFrom: number | undefined;
    let runningUntil = 0;
    const bill = (from: number, until: number) => {
      const end = Math.max(until, from + 60 * SECOND);
      for (let hour = Math.floor(from / HOUR) * HOUR; hour < end; hour += HOUR) {
        const seconds = (Math.min(end, hour + HOUR) - Math.max(from, hour)) / SECOND;
        const bucket = key(name, hour);
        compute.set(bucket, (compute.get(bucket) ?? 0) + (seconds * warehouse.creditsPerHour) / 3_600);
      }
    };
    for (const query of own) {
      const end = query.start + query.elapsed;
      if (runningFrom === undefined || query.start > runningUntil) {
        if (runningFrom !== undefined) bill(runningFrom, runningUntil);
        runningFrom = query.start;
      }
      runningUntil = Math.max(runningUntil, end + suspendAfter);
      const bucket = key(name, Math.floor(query.start / HOUR) * HOUR);
      cloud.set(bucket, (cloud.get(bucket) ?? 0) + query.cloudCredits);
    }
    if (runningFrom !== undefined) bill(runningFrom, runningUntil);
  }
  const history = HISTORY_START + HISTORY_DAYS * 24 * HOUR;
  return [...compute.entries()]
    .map(([bucket, credits]) => {
      const [name, hour] = bucket.split('|') as [WarehouseName, string];
      return { name, hour: Number(hour), credits };
    })
    .filter((entry) => entry.hour < history)
    .sort((a, b) => a.hour - b.hour || a.name.localeCompare(b.name))
    .map(({ name, hour, credits }) => {
      const services = cloud.get(key(name, hour)) ?? 0;
      return [
        hour,
        hour + HOUR,
        SNOWFLAKE_WAREHOUSES[name].id,
        name,
        round9(credits + services),
        round9(credits),
        round9(services),
      ];
    });
}

function round9(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
