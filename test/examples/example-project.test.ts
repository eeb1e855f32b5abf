import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExampleDirectoryNotEmptyError } from '../../src/cli/demo/example-errors.js';
import { type ExampleProject, prepareExampleProject } from '../../src/cli/demo/example-project.js';
import { sharedDbtArtifactCache } from '../../src/integrations/dbt/index.js';
import { loadProject } from '../../src/spec/index.js';
import { ToolExecutor } from '../../src/tools/executor.js';
import { builtinToolRegistry } from '../../src/tools/registry.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { REPO_ROOT } from '../helpers/project.js';
import { makeToolContext } from '../helpers/tool-context.js';

/**
 * The example project tells one story, and every tool an agent would use on it must tell the
 * same: at 03:17 UTC on 2026-12-04 the nightly `dbt build` failed because the mobile checkout
 * export loaded guest orders with no user_id. Each check goes through the real tool.
 */

const EXAMPLE = join(REPO_ROOT, 'examples', 'jaffle-shop');
const FAILED_TEST = 'test.jaffle_shop.not_null_stg_orders_customer_id.af79d5e4b5';
const TOOLS = [
  'dbt_failed_nodes',
  'dbt_lineage',
  'search_log',
  'read_log',
  'run_sql_query',
  'find_owner',
  'git_log',
  'git_diff',
];
const executor = new ToolExecutor(builtinToolRegistry(), TOOLS, 'tester');

let base: string;
let project: ExampleProject;
let context: ToolContext;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'agentry-example-'));
  project = await prepareExampleProject(join(base, 'jaffle-shop'));
  const { project: loaded, issues } = await loadProject(project.root);
  expect(issues).toEqual([]);
  context = makeToolContext(project.root, { config: loaded.config });
});

afterAll(async () => {
  await context?.resources.closeAll();
  await sharedDbtArtifactCache.flush();
  if (base) rmSync(base, { recursive: true, force: true });
});

/** Calls a tool as the engine does; a tool error fails the test with its message. */
async function call(name: string, input: Record<string, unknown>): Promise<string> {
  const outcome = await executor.call(name, input, context);
  if (outcome.status !== 'completed') throw new Error(`${name} ${outcome.status}: ${outcome.error}`);
  return String(outcome.output);
}

/** The rows of a run_sql_query answer, as the lines after its header line. */
async function sql(warehouse: string, statement: string): Promise<string[]> {
  const output = await call('run_sql_query', { warehouse, sql: statement });
  return output.split('\n').slice(2);
}

describe('the failed build', () => {
  it('dbt_failed_nodes names the failing test, its message and what it skipped', async () => {
    const failed = await call('dbt_failed_nodes', {});
    expect(failed).toContain(
      'run results: target/run_results.json (dbt 1.9.0, schema v6, generated 2026-12-04T03:16:59',
    );
    expect(failed).toContain('26 results (14 skipped, 8 pass, 3 success, 1 fail)');
    expect(failed).toContain(`[fail] not_null_stg_orders_customer_id (test) — ${FAILED_TEST}`);
    expect(failed).toContain('tests stg_orders.customer_id with not_null');
    expect(failed).toContain('file: models/staging/schema.yml');
    expect(failed).toContain('failing rows: 3');
    expect(failed).toContain('Got 3 results, configured to fail if != 0');
    expect(failed).toContain('14 nodes were skipped');

    const skipped = await call('dbt_failed_nodes', { statuses: ['skipped'], limit: 50 });
    expect(skipped).toContain('[skipped] customers (model, table) — model.jaffle_shop.customers');
    expect(skipped).toContain('[skipped] orders (model, table) — model.jaffle_shop.orders');
    expect(skipped).toContain('tests orders.customer_id with relationships');
    expect(skipped).not.toContain('[skipped] stg_orders');
  });

  it('dbt_lineage shows customers and orders downstream of stg_orders, raw_orders upstream', async () => {
    const lineage = await call('dbt_lineage', { model: 'stg_orders' });
    expect(lineage).toContain('downstream (read by), 2 nodes:');
    expect(lineage).toContain('-> customers (model, table)  models/customers.sql');
    expect(lineage).toContain('-> orders (model, table)  models/orders.sql');
    expect(lineage).toContain('<- raw_orders (seed)');
  });

  it('search_log finds the dbt failure and the task failing at 03:17 in the Airflow log', async () => {
    const { dagId, runId, taskId } = project.failure;
    const log = await call('search_log', { dag_id: dagId, run_id: runId, task_id: taskId });
    expect(log).toContain(`Failure search in dag_id=${dagId} run_id=${runId} task_id=${taskId} try 1`);
    expect(log).toMatch(
      /Last exception \(line \d+\): airflow\.exceptions\.AirflowException: Bash command failed\. The command returned a non-zero exit code 1\./,
    );
    expect(log).toMatch(
      /\d+> .*Failure in test not_null_stg_orders_customer_id \(models\/staging\/schema\.yml\)/,
    );
    expect(log).toContain('Got 3 results, configured to fail if != 0');
    expect(log).toContain(
      'compiled code at target/compiled/jaffle_shop/models/staging/schema.yml/not_null_stg_orders_customer_id.sql',
    );
    expect(log).toMatch(
      new RegExp(
        `\\[2026-12-04T03:17:00\\.\\d{3}\\+0000\\] \\{taskinstance\\.py:\\d+\\} INFO - Marking task as FAILED\\. dag_id=${dagId}, task_id=${taskId}, run_id=${escapeRegex(runId)}`,
      ),
    );
  });

  it('the log, run_results.json and the manifest agree', async () => {
    const runResults = readJson(join(project.root, 'target/run_results.json'));
    const manifest = readJson(join(project.root, 'target/manifest.json'));
    const results = runResults.results as Array<Record<string, unknown>>;
    const count = (statuses: string[]) =>
      results.filter((result) => statuses.includes(String(result.status))).length;
    const done = `Done. PASS=${count(['pass', 'success'])} WARN=0 ERROR=${count(['error', 'fail'])} SKIP=${count(['skipped'])} TOTAL=${results.length}`;
    expect(done).toBe('Done. PASS=11 WARN=0 ERROR=1 SKIP=14 TOTAL=26');
    const { dagId, runId, taskId } = project.failure;
    expect(
      await call('search_log', { dag_id: dagId, run_id: runId, task_id: taskId, pattern: 'Done\\. PASS' }),
    ).toContain(done);

    const nodes = manifest.nodes as Record<string, Record<string, unknown>>;
    for (const result of results)
      expect(nodes[String(result.unique_id)], String(result.unique_id)).toBeDefined();
    const failedTest = nodes[FAILED_TEST]!;
    expect(failedTest.depends_on).toEqual({
      macros: ['macro.dbt.test_not_null', 'macro.dbt.get_where_subquery'],
      nodes: ['model.jaffle_shop.stg_orders'],
    });
    expect(failedTest.column_name).toBe('customer_id');
    expect(readFileSync(join(project.root, String(failedTest.compiled_path)), 'utf8')).toBe(
      failedTest.compiled_code,
    );
    // The manifest describes this project's files as they are.
    for (const node of Object.values(nodes)) {
      if (node.resource_type !== 'model') continue;
      const file = readFileSync(join(project.root, String(node.original_file_path)), 'utf8');
      expect(file.trimEnd(), String(node.name)).toBe(String(node.raw_code).trimEnd());
    }
    expect(readFileSync(join(project.root, 'models/staging/schema.yml'), 'utf8')).toMatch(
      /- name: stg_orders\n {4}meta:\n {6}owner: data-platform@jaffle\.example\n[\s\S]*- name: customer_id\n {8}tests:\n {10}- not_null\n/,
    );
  });
});

describe('the analytics warehouse', () => {
  it('holds the three guest orders in raw and staging, and yesterday’s marts without them', async () => {
    expect(
      await sql('analytics', 'select count(*) filter (where customer_id is null), count(*) from stg_orders'),
    ).toEqual(['3 | 102']);
    expect(
      await sql(
        'analytics',
        'select order_id, order_date, status from stg_orders where customer_id is null order by 1',
      ),
    ).toEqual(['100 | 2018-04-10 | placed', '101 | 2018-04-10 | placed', '102 | 2018-04-10 | placed']);
    // Stale: the marts were built the night before, when no order lacked a customer.
    expect(
      await sql('analytics', 'select count(*) filter (where customer_id is null), count(*) from orders'),
    ).toEqual(['0 | 99']);
    expect(await sql('analytics', 'select count(*), max(order_date) from orders')).toEqual([
      '99 | 2018-04-09',
    ]);
    expect(await sql('analytics', 'select count(*) from customers')).toEqual(['100']);
    // The guest orders were paid; stg_payments converts cents to dollars.
    expect(await sql('analytics', 'select sum(amount) from stg_payments where order_id >= 100')).toEqual([
      '73.5',
    ]);
    // The seed CSVs are dbt Labs' own: the extra rows are only in the warehouse.
    const seeded =
      readFileSync(join(project.root, 'seeds/raw_orders.csv'), 'utf8').trim().split('\n').length - 1;
    expect(seeded).toBe(99);
  });
});

describe('owners', () => {
  it('find_owner on stg_orders gives the dbt owner, the CODEOWNERS team and Bob and Carol from git', async () => {
    const owner = await call('find_owner', { target: 'stg_orders' });
    expect(owner).toContain('data-platform@jaffle.example — meta.owner of model stg_orders');
    expect(owner).toContain('CODEOWNERS (.github/CODEOWNERS):');
    expect(owner).toMatch(
      /@jaffle-shop\/data-platform — line \d+: "\/models\/staging\/ @jaffle-shop\/data-platform"/,
    );
    expect(owner).toContain('"/models/ @jaffle-shop/analytics-engineering"');
    expect(owner).toContain('last change: Bob Builder <bob@jaffle.example> — 2026-12-02 ');
    expect(owner).toContain('"stg_orders: include orders from the mobile checkout export"');
    expect(owner).toContain(
      'Carol Chen <carol@jaffle.example>: stg_orders: say why orders without a user_id are left out',
    );
    expect(owner).toContain('Alice Analyst <alice@jaffle.example>: jaffle_shop: the dbt project');
    expect(owner).toContain(
      'Best contact: data-platform@jaffle.example (dbt meta.owner); also @jaffle-shop/data-platform (CODEOWNERS)',
    );

    const test = await call('find_owner', { target: 'models/staging/schema.yml' });
    expect(test).toContain('last change: Carol Chen <carol@jaffle.example> — 2026-12-03 ');
    expect(test).toContain('stg_orders: test that every order has a customer');
  });

  it('git_log and git_diff show Bob removing the filter that kept guest orders out', async () => {
    const history = await call('git_log', { path: 'models/staging/stg_orders.sql' });
    const bob = project.commits.find((commit) => commit.author === 'Bob Builder')!;
    expect(history.split('\n')[0]).toContain(
      `${bob.hash.slice(0, 7)}  2026-12-02T16:42:19+00:00  Bob Builder <bob@jaffle.example>`,
    );
    const diff = await call('git_diff', { base: `${bob.hash}~1`, target: bob.hash });
    expect(diff).toContain('-    where user_id is not null');
    expect(diff).toContain('models/staging/stg_orders.sql');
  });
});

describe('the cost history', () => {
  it('snowflake: orders, rebuilt in full every hour, is the costliest model', async () => {
    const byModel = await sql(
      'snowflake',
      `select json_extract_string(QUERY_TAG, '$.dbt_model') as model, count(*) as runs,
              round(sum(EXECUTION_TIME) / 3600000 * 8) as credits
       from SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY
       where WAREHOUSE_NAME = 'TRANSFORM_WH' group by 1 order by credits desc limit 2`,
    );
    expect(byModel[0]).toMatch(/^orders \| 720 \| \d{4}$/);
    expect(byModel[1]).toMatch(/^customers \| 720 \| \d{3}$/);
    expect(
      await sql(
        'snowflake',
        `select count(*) filter (where PARTITIONS_SCANNED = PARTITIONS_TOTAL and QUERY_TEXT like '%create or replace transient table ANALYTICS.JAFFLE_SHOP.orders%'), count(*)
         from snowflake.account_usage.query_history where QUERY_TEXT like '%"node_id": "model.jaffle_shop.orders"%'`,
      ),
    ).toEqual(['720 | 720']);
    // customers spills to remote storage on every run.
    expect(
      await sql(
        'snowflake',
        `select min(BYTES_SPILLED_TO_REMOTE_STORAGE) > 1e9, count(*) from snowflake.account_usage.query_history
         where json_extract_string(QUERY_TAG, '$.dbt_model') = 'customers'`,
      ),
    ).toEqual(['true | 720']);
  });

  it('snowflake: the X-Large warehouse bills hundreds of credits for queries that read megabytes', async () => {
    const [xl] = await sql(
      'snowflake',
      `select q.size, q.max_mb, round(m.credits) from
         (select any_value(WAREHOUSE_SIZE) as size, round(max(BYTES_SCANNED) / 1e6) as max_mb
          from snowflake.account_usage.query_history where WAREHOUSE_NAME = 'ANALYST_XL_WH') q,
         (select sum(CREDITS_USED) as credits from snowflake.account_usage.warehouse_metering_history
          where WAREHOUSE_NAME = 'ANALYST_XL_WH') m`,
    );
    const [size, maxMb, credits] = xl!.split(' | ');
    expect(size).toBe('X-Large');
    expect(Number(maxMb)).toBeLessThan(100);
    expect(Number(credits)).toBeGreaterThan(300);
    // The Looker tile keeps REPORTING_WH up every hour of the 30 days.
    expect(
      await sql(
        'snowflake',
        `select count(*), round(sum(CREDITS_USED)) from snowflake.account_usage.warehouse_metering_history
         where WAREHOUSE_NAME = 'REPORTING_WH'`,
      ),
    ).toEqual(['720 | 1440']);
  });

  it('bigquery: orders is the costliest model; web_events is read whole; SELECT * reads every column', async () => {
    const byModel = await sql(
      'bigquery',
      `select json_extract_string(labels, '$.dbt_model') as model, count(*) as jobs,
              round(sum(total_bytes_billed) / power(1024, 4) * 6.25) as usd
       from bigquery.region_us.jobs where json_extract_string(labels, '$.dbt_model') is not null
       group by 1 order by usd desc limit 1`,
    );
    expect(byModel[0]).toMatch(/^orders \| 720 \| \d{4}$/);
    expect(
      await sql(
        'bigquery',
        `select distinct destination_table.table_id from bigquery.region_us.jobs
         where query_info.query_hashes.normalized_literals is not null and statement_type = 'CREATE_TABLE_AS_SELECT'
         order by 1`,
      ),
    ).toEqual(['customers', 'orders']);
    // The same table, filtered on its partition column or not.
    const [unpruned, pruned] = (
      await sql(
        'bigquery',
        `select query like '%event_timestamp%', round(avg(total_bytes_processed) / 1e9) from bigquery.region_us.jobs
         where query like '%raw.web_events%' group by 1 order by 1 desc`,
      )
    ).map((row) => Number(row.split(' | ')[1]));
    expect(unpruned! / pruned!).toBeGreaterThan(100);
    const [star, narrow] = (
      await sql(
        'bigquery',
        `select query like 'SELECT *%', round(avg(total_bytes_billed) / 1e9) from bigquery.region_us.jobs
         where query like '%raw.customer_profiles%' group by 1 order by 1 desc`,
      )
    ).map((row) => Number(row.split(' | ')[1]));
    expect(star! / narrow!).toBeGreaterThan(50);
  });
});

describe('the repository', () => {
  it('has the history of three people, ends in the example’s files, and is the same on every machine', async () => {
    expect(project.commits.map((commit) => `${commit.author} | ${commit.date} | ${commit.subject}`)).toEqual([
      'Alice Analyst | 2026-09-14T09:12:37+00:00 | jaffle_shop: the dbt project from dbt-labs/jaffle_shop_duckdb',
      'Alice Analyst | 2026-10-06T14:30:12+00:00 | Agentry: config and agents for the jaffle_shop project',
      'Carol Chen | 2026-10-21T11:05:48+00:00 | stg_orders: say why orders without a user_id are left out',
      'Carol Chen | 2026-11-18T15:40:03+00:00 | CODEOWNERS and dbt owners for the staging models',
      'Bob Builder | 2026-12-02T16:42:19+00:00 | stg_orders: include orders from the mobile checkout export',
      'Carol Chen | 2026-12-03T10:05:55+00:00 | stg_orders: test that every order has a customer',
    ]);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: project.root, encoding: 'utf8' });
    expect(git('status', '--porcelain')).toBe('');
    // Committed: the example's files, without what a run leaves behind, plus the .gitignore.
    const expected = listFiles(EXAMPLE)
      .filter((file) => !file.startsWith('target/') && !file.startsWith('airflow/logs/'))
      .concat('.gitignore')
      .sort();
    expect(git('ls-files').trim().split('\n').sort()).toEqual(expected);
    for (const file of [
      'jaffle_shop.duckdb',
      'warehouse/snowflake.duckdb',
      '.agentry/agentry.db',
      'target/run_results.json',
      'airflow/logs/dag_id=jaffle_shop_daily',
    ]) {
      expect(git('check-ignore', file).trim()).toBe(file);
    }

    const again = await prepareExampleProject(join(base, 'again'));
    expect(again.commits.map((commit) => commit.hash)).toEqual(project.commits.map((commit) => commit.hash));
    expect(again.warehouses.analytics).toBe(join(base, 'again', 'jaffle_shop.duckdb'));
  });

  it('is laid out only in a new or empty directory', async () => {
    const used = join(base, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'notes.txt'), 'mine');
    await expect(prepareExampleProject(used)).rejects.toBeInstanceOf(ExampleDirectoryNotEmptyError);
    expect(readdirSync(used)).toEqual(['notes.txt']);
  });
});

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function listFiles(root: string, directory = root): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? listFiles(root, path) : [relative(root, path)];
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
