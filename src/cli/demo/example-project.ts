/**
 * Lays out the example project the reference agents and `agentry demo` run on: the jaffle_shop
 * dbt project at the morning after its nightly run failed (2026-12-04, 03:17 UTC).
 *
 * - `target/` and `airflow/logs/`: what the failed `dbt build` and its Airflow task left behind;
 * - `jaffle_shop.duckdb`: the warehouse, with the guest orders that broke the build;
 * - `warehouse/snowflake.duckdb`, `warehouse/bigquery.duckdb`: 30 days of cost history;
 * - a git history by three people, and `.agentry/config.yml` naming the three warehouses.
 */
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { describeError } from '../../errors.js';
import { buildAnalyticsWarehouse, readManifestModels } from './analytics-warehouse.js';
import { buildBigQueryHistory } from './bigquery-history.js';
import { ExampleDirectoryNotEmptyError, ExampleProjectError } from './example-errors.js';
import { type ExampleCommit, writeExampleHistory } from './git-history.js';
import { buildSnowflakeHistory } from './snowflake-history.js';

/** The bundled examples, shipped in the package beside dist/. */
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const EXAMPLE = 'jaffle-shop';

/** The failed Airflow task of the story; its log is in the project's `airflow/logs`. */
export const EXAMPLE_FAILURE = {
  dagId: 'jaffle_shop_daily',
  runId: 'scheduled__2026-12-03T03:00:00+00:00',
  taskId: 'dbt_build',
  tryNumber: 1,
} as const;

/** The warehouses `.agentry/config.yml` names, and their files relative to the project root. */
export const EXAMPLE_WAREHOUSES = {
  analytics: 'jaffle_shop.duckdb',
  snowflake: 'warehouse/snowflake.duckdb',
  bigquery: 'warehouse/bigquery.duckdb',
} as const;

/**
 * Never committed: the databases are built here, the run's outputs are what a deployment leaves
 * on disk, and Agentry's own state is per machine.
 */
const GITIGNORE = `# dbt
target/
dbt_packages/
logs/

# Databases: dbt builds jaffle_shop.duckdb; warehouse/ holds the cost-history stand-ins
*.duckdb
*.duckdb.wal
*.duckdb.tmp/

# The scheduler's task logs, where Airflow's log folder is mounted on this machine
airflow/logs/

# Agentry's run store and caches, per machine (.agentry/.gitignore says so too, but npm does
# not ship .gitignore files)
.agentry/agentry.db*
.agentry/cache/
`;

/** What {@link prepareExampleProject} laid out. */
export interface ExampleProject {
  /** Absolute path of the project (a git repository with `.agentry/`). */
  root: string;
  /** Absolute paths of the warehouses' DuckDB files, by their name in config.yml. */
  warehouses: Record<keyof typeof EXAMPLE_WAREHOUSES, string>;
  /** The failed task, and the absolute path of its log. */
  failure: typeof EXAMPLE_FAILURE & { logPath: string };
  /** The history, oldest first. */
  commits: ExampleCommit[];
}

export interface PrepareExampleOptions {
  /** The folder holding `jaffle-shop/` (default: the examples shipped with Agentry). */
  examples?: string;
}

/**
 * Copies the jaffle_shop example into `dir` (created; it must not exist or be empty), builds its
 * three DuckDB warehouses, names them in `.agentry/config.yml` and makes its git history.
 */
export async function prepareExampleProject(
  dir: string,
  options: PrepareExampleOptions = {},
): Promise<ExampleProject> {
  const root = resolve(dir);
  const source = join(resolve(options.examples ?? EXAMPLES), EXAMPLE);
  await ensureEmpty(root);
  if (!(await isDirectory(source))) {
    throw new ExampleProjectError(`the example project is missing: ${source} is not a directory`);
  }
  await mkdir(root, { recursive: true });
  await cp(source, root, { recursive: true });
  await writeFile(join(root, '.gitignore'), GITIGNORE);
  await nameWarehouses(root);

  const warehouses = {
    analytics: join(root, EXAMPLE_WAREHOUSES.analytics),
    snowflake: join(root, EXAMPLE_WAREHOUSES.snowflake),
    bigquery: join(root, EXAMPLE_WAREHOUSES.bigquery),
  };
  await mkdir(join(root, 'warehouse'), { recursive: true });
  const models = await readManifestModels(join(root, 'target', 'manifest.json'));
  // Separate files and DuckDB instances, and git only stages what .gitignore lets through (not the
  // databases being written): all four go side by side.
  const [commits] = await Promise.all([
    writeExampleHistory(root),
    buildAnalyticsWarehouse(root, warehouses.analytics, models),
    wrap('the Snowflake cost history', buildSnowflakeHistory(warehouses.snowflake, models)),
    wrap('the BigQuery cost history', buildBigQueryHistory(warehouses.bigquery, models)),
  ]);

  const { dagId, runId, taskId, tryNumber } = EXAMPLE_FAILURE;
  const logPath = join(
    root,
    'airflow',
    'logs',
    `dag_id=${dagId}`,
    `run_id=${runId}`,
    `task_id=${taskId}`,
    `attempt=${tryNumber}.log`,
  );
  return { root, warehouses, failure: { ...EXAMPLE_FAILURE, logPath }, commits };
}

async function ensureEmpty(root: string): Promise<void> {
  const entries = await readdir(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new ExampleProjectError(`cannot use ${root} for the example project: ${error.message}`, {
      cause: error,
    });
  });
  if (entries.length > 0) throw new ExampleDirectoryNotEmptyError(root);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

/** Points `warehouses:` in config.yml at the files built here, keeping the file's comments. */
async function nameWarehouses(root: string): Promise<void> {
  const file = join(root, '.agentry', 'config.yml');
  const document = parseDocument(await readFile(file, 'utf8'));
  for (const [name, path] of Object.entries(EXAMPLE_WAREHOUSES)) {
    document.setIn(['warehouses', name, 'type'], 'duckdb');
    document.setIn(['warehouses', name, 'path'], path);
    document.setIn(['warehouses', name, 'read_only'], true);
  }
  await writeFile(file, document.toString());
}

async function wrap(what: string, building: Promise<void>): Promise<void> {
  try {
    await building;
  } catch (error) {
    if (error instanceof ExampleProjectError) throw error;
    throw new ExampleProjectError(`could not build ${what}: ${describeError(error)}`, { cause: error });
  }
}
