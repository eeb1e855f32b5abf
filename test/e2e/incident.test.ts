import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { REPO_ROOT, runCli } from '../helpers/project.js';

/**
 * The proof that an agent with the data-engineering tools can answer "why did the model fail last
 * night and who owns it?" on the jaffle_shop example: from dbt's artifacts, the Airflow task log,
 * lineage, the warehouse and git. The model is scripted; every tool, file, database and git
 * repository it reaches is real.
 */

// CI clones the repository elsewhere, with shared/ beside it.
const REALDATA = join(REPO_ROOT, '..', 'shared', 'realdata');
const DBT_ARTIFACTS = join(REALDATA, 'yu-iskw_dbt-artifacts-parser/tests/resources');
/**
 * The manifest of the classic jaffle_shop (customers, orders, stg_customers, stg_orders,
 * stg_payments, seeds raw_*): the project examples/jaffle-shop holds. realdata's v12 manifest is
 * of the newer jaffle-shop (marts/orders.sql on order_items, no stg_payments), so it cannot
 * describe this project; this v8 one (dbt 1.4.1) can.
 */
const REAL_MANIFEST = join(DBT_ARTIFACTS, 'manifest/v8/jaffle_shop/manifest.json');
/** run_results v6 of `dbt build` (dbt 1.9.0) of the same project: every id matches the manifest. */
const REAL_RUN_RESULTS = join(DBT_ARTIFACTS, 'run_results/v6/jaffle_shop/run_results.json');
/** A real Airflow 2.7 task log (kanton-bern/hellodata-be): its last lines are how a task ends. */
const REAL_AIRFLOW_LOG = join(
  REALDATA,
  'airflow_logs/kanton-bern_hellodata-be/k8s_pod_operator_connection_refused.log',
);
const HAVE_REALDATA = [REAL_MANIFEST, REAL_RUN_RESULTS, REAL_AIRFLOW_LOG].every((file) => existsSync(file));

const EXAMPLE = join(REPO_ROOT, 'examples', 'jaffle-shop');
const AGENT = 'incident-analyst';
const QUESTION = 'Why did orders fail last night and who owns it?';

const DAG_ID = 'jaffle_shop_daily';
const RUN_ID = 'scheduled__2024-12-15T07:30:00+00:00';
const TASK_ID = 'dbt_run';

const ALICE = { name: 'Alice Analyst', email: 'alice@jaffle.example' };
const BOB = { name: 'Bob Builder', email: 'bob@jaffle.example' };
const BOB_SUBJECT = 'orders: sum payments in cents to avoid rounding';
const META_OWNER = 'orders-team@jaffle.example';
const CODEOWNERS_OWNER = '@jaffle-shop/analytics-engineering';

/** Bob's change: stg_payments already turns cents into dollars and has no amount_cents. */
const GOOD_TOTAL = 'sum(amount) as total_amount';
const BAD_TOTAL = 'sum(amount_cents) / 100 as total_amount';

/**
 * What dbt-duckdb records for the failed model: the binder error DuckDB (1.x) gives for Bob's
 * orders.sql compiled against the seeded database, wrapped the way dbt reports a model's runtime
 * error (`Runtime Error in model …`, the database's message indented below it).
 */
const DBT_ERROR = [
  'Runtime Error in model orders (models/orders.sql)',
  '  Binder Error: Referenced column "amount_cents" not found in FROM clause!',
  '  Candidate bindings: "amount", "payment_method", "payment_id"',
  '  ',
  '  LINE 33:         sum(amount_cents) / 100 as total_amount',
  '                       ^',
].join('\n');

const SQL_CHECK =
  'select status, count(*) as orders from raw_orders group by status order by orders desc, status';

/** The scripted model's part: the investigation a data engineer would do, then the answer. */
const SCRIPT: ScriptStep[] = [
  { toolCalls: [{ name: 'dbt_failed_nodes', arguments: {} }] },
  { toolCalls: [{ name: 'search_log', arguments: { dag_id: DAG_ID, run_id: RUN_ID, task_id: TASK_ID } }] },
  { toolCalls: [{ name: 'dbt_lineage', arguments: { model: 'orders', direction: 'upstream' } }] },
  { toolCalls: [{ name: 'run_sql_query', arguments: { sql: SQL_CHECK } }] },
  { toolCalls: [{ name: 'find_owner', arguments: { target: 'orders' } }] },
  { toolCalls: [{ name: 'git_log', arguments: { path: 'models/orders.sql' } }] },
  {
    text: [
      "orders failed in last night's dbt build (Airflow jaffle_shop_daily.dbt_run): DuckDB could not bind",
      'column "amount_cents" in models/orders.sql. stg_payments already converts cents to dollars and',
      'exposes only "amount". The column came in with Bob Builder\'s commit "orders: sum payments in',
      'cents to avoid rounding". Upstream is healthy: raw_orders holds its 99 orders and stg_orders,',
      `stg_payments built. Owner: ${META_OWNER} (dbt meta), ${CODEOWNERS_OWNER} (CODEOWNERS).`,
      'Next step: revert to sum(amount) or ask Bob.',
    ].join(' '),
  },
];

interface StoredEvent {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

interface RunJson {
  run: { id: string; status: string; error: string | null; output: { text: string } | null };
  events: StoredEvent[];
}

if (!HAVE_REALDATA)
  console.warn(`incident e2e skipped: the real dbt artifacts and Airflow logs are not in ${REALDATA}`);

describe.skipIf(!HAVE_REALDATA)('incident-analyst on the jaffle_shop example', () => {
  let base: string;
  let project: string;
  let server: ScriptedModelServer;
  let counts: ResultCounts;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'agentry-incident-'));
    project = join(base, 'repo');
    server = await startScriptedModel({ script: SCRIPT });
    createExampleRepository(project, { modelUrl: server.url, workspaces: join(base, 'workspaces') });
    counts = await addIncidentMaterial(project);
  });

  afterAll(async () => {
    await server?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('answers from the failed nodes, the task log, lineage, the warehouse, owners and git', async () => {
    const result = await runCli(['run', AGENT, '-m', QUESTION, '--json'], { cwd: project });
    expect(result.stdout, result.stderr).not.toBe('');
    const { run, events } = JSON.parse(result.stdout) as RunJson;
    expect(run.error).toBeNull();
    expect(run.status, result.stderr).toBe('COMPLETED');
    expect(result.code).toBe(0);
    expect(run.output?.text).toBe((SCRIPT.at(-1) as { text: string }).text);

    // The model was offered the agent's tools, and read every tool's answer before answering.
    const agent = parseDocument(readFileSync(join(project, `.agentry/agents/${AGENT}.yml`), 'utf8'));
    const listed = (agent.getIn(['tools', 'list']) as { toJSON(): string[] }).toJSON();
    expect([...server.requests[0]!.toolNames].sort()).toEqual([...listed].sort());
    expect(server.requests).toHaveLength(SCRIPT.length);
    const lastMessages = server.requests.at(-1)!.messages as { role: string; content: unknown }[];
    expect(lastMessages.filter((message) => message.role === 'tool')).toHaveLength(SCRIPT.length - 1);

    expect(events.filter((event) => event.type === 'tool-call.failed')).toEqual([]);
    expect(events.filter((event) => event.type === 'tool-call.denied')).toEqual([]);
    const outputs = toolOutputs(events);
    expect(outputs.map((call) => call.tool)).toEqual([
      'dbt_failed_nodes',
      'search_log',
      'dbt_lineage',
      'run_sql_query',
      'find_owner',
      'git_log',
    ]);
    const [failed, log, lineage, query, owner, history] = outputs.map((call) => call.output) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];

    // What failed, and the error dbt recorded.
    expect(failed).toContain('[error] orders (model, table) — model.jaffle_shop.orders');
    expect(failed).toContain('Runtime Error in model orders (models/orders.sql)');
    expect(failed).toContain('Binder Error: Referenced column "amount_cents" not found in FROM clause!');
    expect(failed).toContain('file: models/orders.sql');
    expect(failed).toContain(`${counts.total} results (`);
    expect(failed).toContain(`${counts.skip} nodes were skipped`);
    expect(failed).toContain('1 with status error, fail, warn:');

    // The scheduler's side: the dbt error in the task log and how the task ended.
    expect(log).toContain('ERROR creating sql table model main.orders');
    expect(log).toContain('Runtime Error in model orders (models/orders.sql)');
    expect(log).toContain('Referenced column "amount_cents" not found');
    expect(log).toContain(
      'airflow.exceptions.AirflowException: Bash command failed. The command returned a non-zero exit code 1.',
    );
    expect(log).toContain(`Marking task as FAILED. dag_id=${DAG_ID}, task_id=${TASK_ID}`);
    expect(log).toContain('Task exited with return code 1');
    expect(log).toContain(
      'Last exception (line 34): airflow.exceptions.AirflowException: Bash command failed.',
    );

    // Upstream: both staging models and the seeds under them.
    expect(lineage).toContain('<- stg_orders (model, view)  models/staging/stg_orders.sql');
    expect(lineage).toContain('<- stg_payments (model, view)  models/staging/stg_payments.sql');
    expect(lineage).toContain('<- raw_orders (seed)');
    expect(lineage).toContain('<- raw_payments (seed)');
    expect(lineage).not.toContain('customers');

    // The warehouse answers with the seeds' own numbers.
    const seeded = ordersByStatus(project);
    expect([...seeded.values()].reduce((sum, count) => sum + count, 0)).toBe(99);
    for (const [status, count] of seeded) expect(query).toMatch(new RegExp(`^${status} \\| ${count}$`, 'm'));

    // Owners: dbt meta, CODEOWNERS and git history, each with its evidence.
    expect(owner).toContain(`${META_OWNER} — meta.owner of model orders`);
    expect(owner).toContain(`"/models/orders.sql ${CODEOWNERS_OWNER}"`);
    expect(owner).toContain(`last change: ${BOB.name} <${BOB.email}>`);
    expect(owner).toContain(`${ALICE.name} <${ALICE.email}>: jaffle_shop: orders with payment amounts`);
    expect(owner).toContain(`Best contact: ${META_OWNER}`);

    // The commits to the model: the one that broke it first.
    expect(history).toContain(BOB_SUBJECT);
    expect(history).toContain(`${BOB.name} <${BOB.email}>`);
    expect(history).toContain(`${ALICE.name} <${ALICE.email}>`);
    expect(history.indexOf(BOB.name)).toBeLessThan(history.indexOf(ALICE.name));

    expect(readdirSync(join(base, 'workspaces'))).toEqual([]);
    const audit = await runCli(['audit', 'verify', run.id], { cwd: project });
    expect(audit.stdout).toContain('chain intact');
    expect(audit.code).toBe(0);
  });
});

/** Each tool call's output, in the order the calls started; a call that did not complete fails. */
function toolOutputs(events: StoredEvent[]): { tool: string; output: string }[] {
  return events
    .filter((event) => event.type === 'tool-call.started')
    .map((started) => {
      const completed = events.find(
        (event) => event.type === 'tool-call.completed' && event.payload.callId === started.payload.callId,
      );
      expect(completed, `${String(started.payload.tool)} did not complete`).toBeDefined();
      const output = completed!.payload.output;
      return {
        tool: String(started.payload.tool),
        output: typeof output === 'string' ? output : JSON.stringify(output),
      };
    });
}

/** The orders per status in the example's raw_orders seed, counted here without DuckDB. */
function ordersByStatus(root: string): Map<string, number> {
  const [header, ...rows] = readFileSync(join(root, 'seeds/raw_orders.csv'), 'utf8').trim().split(/\r?\n/);
  const statusColumn = header!.split(',').indexOf('status');
  const counts = new Map<string, number>();
  for (const row of rows) {
    const status = row.split(',')[statusColumn]!;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// the example as a team's repository

/**
 * Copies the example into a git repository whose history has two authors on models/orders.sql:
 * Alice wrote the project (and its CODEOWNERS), Bob's later commit broke the model.
 */
function createExampleRepository(root: string, options: { modelUrl: string; workspaces: string }): void {
  cpSync(EXAMPLE, root, { recursive: true });
  const configFile = join(root, '.agentry/config.yml');
  const config = parseDocument(readFileSync(configFile, 'utf8'));
  config.setIn(['models', 'default', 'base_url'], options.modelUrl);
  config.setIn(['models', 'default', 'model'], 'scripted-incident');
  config.setIn(['sandbox', 'workspace_root'], options.workspaces);
  // The local driver leaves nothing in workspace_root (bwrap keeps a cached base checkout there).
  config.setIn(['sandbox', 'driver'], 'local');
  writeFileSync(configFile, config.toString());
  writeFileSync(
    // Over the example's own: GitHub (and find_owner) read .github/CODEOWNERS before a root one.
    join(root, '.github', 'CODEOWNERS'),
    `# Analytics engineering reviews the marts\n/models/orders.sql ${CODEOWNERS_OWNER}\n`,
  );

  git(root, ALICE, '2024-11-04T10:12:00+00:00', 'init', '--quiet', '--initial-branch=main');
  git(root, ALICE, '2024-11-04T10:12:00+00:00', 'add', '-A');
  git(
    root,
    ALICE,
    '2024-11-04T10:12:00+00:00',
    'commit',
    '--quiet',
    '-m',
    'jaffle_shop: orders with payment amounts',
  );

  const model = join(root, 'models/orders.sql');
  const sql = readFileSync(model, 'utf8');
  expect(sql).toContain(GOOD_TOTAL);
  writeFileSync(model, sql.replace(GOOD_TOTAL, BAD_TOTAL));
  git(root, BOB, '2024-12-15T16:42:00+00:00', 'commit', '--quiet', '-am', BOB_SUBJECT);
}

function git(root: string, author: { name: string; email: string }, date: string, ...args: string[]): void {
  execFileSync('git', args, {
    cwd: root,
    stdio: 'pipe',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
      GIT_COMMITTER_DATE: date,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// what last night's run left behind (never committed, as in a real deployment)

async function addIncidentMaterial(root: string): Promise<ResultCounts> {
  const manifest = incidentManifest();
  write(root, 'target/manifest.json', JSON.stringify(manifest));
  const runResults = incidentRunResults(manifest);
  write(root, 'target/run_results.json', JSON.stringify(runResults.artifact));
  write(
    root,
    `airflow/logs/dag_id=${DAG_ID}/run_id=${RUN_ID}/task_id=${TASK_ID}/attempt=1.log`,
    airflowTaskLog(runResults.counts),
  );
  await buildWarehouse(root);
  return runResults.counts;
}

type Json = Record<string, unknown>;

/** The real manifest with one addition: the owner the orders model declares in its `meta`. */
function incidentManifest(): Json {
  const manifest = JSON.parse(readFileSync(REAL_MANIFEST, 'utf8')) as Json;
  const orders = (manifest.nodes as Record<string, Json>)['model.jaffle_shop.orders']!;
  orders.meta = { owner: META_OWNER };
  (orders.config as Json).meta = { owner: META_OWNER };
  return manifest;
}

interface ResultCounts {
  total: number;
  pass: number;
  error: number;
  skip: number;
  /** Results per resource type (`model`, `seed`, `test`, `operation`), for dbt's own summary lines. */
  byType: Map<string, number>;
}

/**
 * The real run results, MODIFIED to tell last night's story: `orders` ends in error with the
 * DuckDB binder error (its compiled SQL carries Bob's change), and the tests on orders are
 * skipped, as dbt skips the tests of a model that failed. Everything else is dbt's own output.
 */
function incidentRunResults(manifest: Json): { artifact: Json; counts: ResultCounts } {
  const artifact = JSON.parse(readFileSync(REAL_RUN_RESULTS, 'utf8')) as Json;
  const results = artifact.results as Json[];
  const nodes = manifest.nodes as Record<string, Json>;
  const testsOfOrders = new Set(
    Object.entries(nodes)
      .filter(([id, node]) => id.startsWith('test.') && dependsOn(node).includes('model.jaffle_shop.orders'))
      .map(([id]) => id),
  );
  expect(testsOfOrders.size).toBeGreaterThan(0);
  for (const result of results) {
    if (result.unique_id === 'model.jaffle_shop.orders') {
      const compiled = String(result.compiled_code);
      expect(compiled).toContain(GOOD_TOTAL);
      Object.assign(result, {
        status: 'error',
        message: DBT_ERROR,
        adapter_response: {},
        failures: null,
        relation_name: null,
        compiled_code: compiled.replace(GOOD_TOTAL, BAD_TOTAL),
      });
    } else if (testsOfOrders.has(String(result.unique_id))) {
      Object.assign(result, {
        status: 'skipped',
        timing: [],
        execution_time: 0,
        adapter_response: {},
        message: null,
        failures: null,
      });
    }
  }
  const count = (status: string) => results.filter((result) => result.status === status).length;
  const byType = new Map<string, number>();
  for (const result of results) {
    const type = String(result.unique_id).split('.')[0]!;
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  return {
    artifact,
    counts: {
      total: results.length,
      pass: count('pass') + count('success'),
      error: count('error'),
      skip: count('skipped'),
      byType,
    },
  };
}

function dependsOn(node: Json): string[] {
  return ((node.depends_on as Json | undefined)?.nodes as string[] | undefined) ?? [];
}

/**
 * The `dbt_run` task's log as Airflow 2.7 writes it for a BashOperator running `dbt build`: the
 * subprocess lines carry dbt's console output (the dbt error included), and the task's end is the
 * real ending of the realdata log (its traceback head, "Marking task as …", the task runner's
 * error and the return code) with this DAG's ids, times and exception put in.
 */
function airflowTaskLog(counts: ResultCounts): string {
  const at = (time: string) => `[2024-12-16, ${time} UTC]`;
  const dbt = (time: string, line: string) => `${at(time)} {subprocess.py:93} INFO - ${time}  ${line}`;
  const found = (type: string) => counts.byType.get(type) ?? 0;
  const ti = `<TaskInstance: ${DAG_ID}.${TASK_ID} ${RUN_ID} [queued]>`;
  const start = [
    `${at('07:44:58')} {taskinstance.py:1157} INFO - Dependencies all met for dep_context=non-requeueable deps ti=${ti}`,
    `${at('07:44:58')} {taskinstance.py:1157} INFO - Dependencies all met for dep_context=requeueable deps ti=${ti}`,
    `${at('07:44:58')} {taskinstance.py:1359} INFO - Starting attempt 1 of 1`,
    `${at('07:44:58')} {taskinstance.py:1380} INFO - Executing <Task(BashOperator): ${TASK_ID}> on 2024-12-15 07:30:00+00:00`,
    `${at('07:44:58')} {standard_task_runner.py:57} INFO - Started process 225 to run task`,
    `${at('07:44:58')} {subprocess.py:63} INFO - Tmp dir root location: /tmp`,
    `${at('07:44:58')} {subprocess.py:75} INFO - Running command: ['/usr/bin/bash', '-c', 'cd /opt/airflow/dbt/jaffle_shop && dbt build --target prod']`,
    `${at('07:44:58')} {subprocess.py:86} INFO - Output:`,
    dbt('07:45:01', 'Running with dbt=1.9.0'),
    dbt('07:45:02', 'Registered adapter: duckdb=1.9.1'),
    dbt('07:45:03', `Found ${found('model')} models, ${found('seed')} seeds, ${found('test')} data tests`),
    dbt('07:45:03', "Concurrency: 24 threads (target='prod')"),
    dbt('07:45:05', '1 of 61 START seed file main.raw_orders ...................................... [RUN]'),
    dbt(
      '07:45:07',
      '1 of 61 OK loaded seed file main.raw_orders .................................. [INSERT 99 in 1.92s]',
    ),
    dbt(
      '07:45:11',
      '24 of 61 OK created sql view model main.stg_orders ........................... [OK in 0.31s]',
    ),
    dbt(
      '07:45:12',
      '30 of 61 OK created sql view model main.stg_payments ......................... [OK in 0.29s]',
    ),
    dbt('07:45:13', '44 of 61 START sql table model main.orders ................................... [RUN]'),
    dbt(
      '07:45:17',
      '44 of 61 ERROR creating sql table model main.orders .......................... [ERROR in 3.52s]',
    ),
    dbt('07:45:17', '45 of 61 SKIP test unique_orders_order_id .................................... [SKIP]'),
    dbt(
      '07:45:32',
      `Finished running ${found('seed')} seeds, ${found('model')} models, ${found('test')} data tests, ${found('operation')} project hooks in 0 hours 0 minutes and 38.73 seconds (38.73s).`,
    ),
    dbt('07:45:32', `Completed with ${counts.error} error, 0 partial successes, and 0 warnings:`),
    ...DBT_ERROR.split('\n').map((line) => dbt('07:45:32', line)),
    dbt(
      '07:45:32',
      `Done. PASS=${counts.pass} WARN=0 ERROR=${counts.error} SKIP=${counts.skip} TOTAL=${counts.total}`,
    ),
    `${at('07:45:33')} {subprocess.py:97} INFO - Command exited with return code 1`,
  ];
  return `${[...start, ...realTaskEnding()].join('\n')}\n`;
}

/** The end of the real task log, from the traceback to the last line, with this task's details. */
function realTaskEnding(): string[] {
  const real = readFileSync(REAL_AIRFLOW_LOG, 'utf8').trimEnd().split('\n');
  const marking = real.findIndex((line) => line.includes('Marking task as'));
  expect(marking).toBeGreaterThan(0);
  const failure = 'Bash command failed. The command returned a non-zero exit code 1.';
  const ending = real
    .slice(marking)
    .join('\n')
    .replace('Pod airflow-running-dagster-workspace-jdkqug7h returned a failure.\nremote_pod: None', failure)
    .replaceAll('2024-01-29, 09:48:49 UTC', '2024-12-16, 07:45:33 UTC')
    .replace('UP_FOR_RETRY', 'FAILED')
    .replaceAll('run_boiler_example', DAG_ID)
    .replaceAll('run_duckdb_query', TASK_ID)
    .replace(
      'execution_date=20210501T000000, start_date=20240129T094849, end_date=20240129T094849',
      'execution_date=20241215T073000, start_date=20241216T074458, end_date=20241216T074533',
    );
  expect(ending).toContain(`(${failure}; 225)`);
  return [
    '[2024-12-16, 07:45:33 UTC] {taskinstance.py:1935} ERROR - Task failed with exception',
    'Traceback (most recent call last):',
    '  File "/home/airflow/.local/lib/python3.11/site-packages/airflow/operators/bash.py", line 210, in execute',
    '    raise AirflowException(',
    `airflow.exceptions.AirflowException: ${failure}`,
    ...ending.split('\n'),
  ];
}

/**
 * The warehouse as last night's run left it: the example's seeds/*.csv loaded as tables (as
 * `dbt seed` does) and the staging views, which built; orders did not.
 */
async function buildWarehouse(root: string): Promise<void> {
  const instance = await DuckDBInstance.create(join(root, 'jaffle_shop.duckdb'));
  const connection = await instance.connect();
  try {
    for (const table of ['raw_customers', 'raw_orders', 'raw_payments']) {
      const csv = join(root, 'seeds', `${table}.csv`).replaceAll("'", "''");
      await connection.run(`create table ${table} as select * from read_csv('${csv}', header = true)`);
    }
    for (const view of ['stg_customers', 'stg_orders', 'stg_payments']) {
      const sql = readFileSync(join(root, 'models/staging', `${view}.sql`), 'utf8');
      await connection.run(`create view ${view} as ${compileStaging(sql)}`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** What dbt compiles a staging model to: its Jinja comments dropped and `ref()` as the table name. */
function compileStaging(sql: string): string {
  const compiled = sql
    .replace(/\{#[\s\S]*?#\}/g, '')
    .replace(/\{\{\s*ref\('(\w+)'\)\s*\}\}/g, (_match, name: string) => name);
  expect(compiled).not.toMatch(/\{[{%#]/);
  return compiled;
}

function write(root: string, path: string, content: string): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
