import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../../src/spec/config.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { makeToolContext } from '../helpers/tool-context.js';

/** The real dbt artifacts collected in ../shared/realdata (see its SOURCES.md). */
export const REALDATA = path.resolve(
  process.env.AGENTRY_REALDATA ?? path.join(import.meta.dirname, '../../../shared/realdata'),
);

const parser = path.join(REALDATA, 'yu-iskw_dbt-artifacts-parser/tests/resources');

export const REAL = {
  /** jaffle_shop, dbt 1.11.7, manifest v12, duckdb: 13 models, 7 seeds, 27 tests, 6 sources, unit tests, metrics. */
  jaffleV12: path.join(parser, 'manifest/v12/jaffle_shop/manifest_1.11.json'),
  /** jaffle_shop, dbt 1.4.1, manifest v8, bigquery: 5 models, 3 seeds, 20 tests. */
  jaffleV8: path.join(parser, 'manifest/v8/jaffle_shop/manifest.json'),
  /** fivetran hubspot, dbt 1.11.11, v12: 154 models, 56 seeds, 73 tests, 61 sources. */
  hubspot: path.join(
    REALDATA,
    'fivetran_dbt_hubspot/latest_be3a903c24d804bdeea3629c0dda005fb114527f/manifest.json',
  ),
  hubspotCatalog: path.join(
    REALDATA,
    'fivetran_dbt_hubspot/latest_be3a903c24d804bdeea3629c0dda005fb114527f/catalog.json',
  ),
  /** tuva, dbt 1.4.9, v8, snowflake: 307 models, 77 seeds, 57 tests; 4 MB. */
  tuva: path.join(REALDATA, 'tuva-health_tuva/at_54359dea8630639ebe3b518da2ce9a453138c8f9/manifest.json'),
  /** run_results v4 of `docs generate`: 399 success. */
  tuvaRunResults: path.join(
    REALDATA,
    'tuva-health_tuva/at_54359dea8630639ebe3b518da2ce9a453138c8f9/run_results.json',
  ),
  /** run_results v4, dbt 1.0.0 `build`: 20 pass, 8 success, 1 error (a BigQuery TIMESTAMP_TRUNC Database Error). */
  jaffleRunResultsV4: path.join(parser, 'run_results/v4/jaffle_shop/run_results.json'),
  /** run_results v6, dbt 1.9.0 `build`: 41 success, 20 pass. */
  jaffleRunResultsV6: path.join(parser, 'run_results/v6/jaffle_shop/run_results.json'),
  /** run_results v6, dbt 1.11.7 `docs generate`: 40 success. */
  jaffleRunResults111: path.join(parser, 'run_results/v6/jaffle_shop/run_results_1.11.json'),
  jaffleCatalog111: path.join(parser, 'catalog/v1/jaffle_shop/catalog_1.11.json'),
};

/** True when the real artifacts are here; suites skip (saying so) when they are not. */
export const HAVE_REALDATA = Object.values(REAL).every((file) => existsSync(file));

/** A parsed copy of a real artifact, to change before writing it into a workspace. */
export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** A temp directory used as both the project root and the run's workspace. */
export interface DbtWorkspace {
  root: string;
  write(relative: string, content: string | Record<string, unknown>): Promise<string>;
  context(overrides?: Partial<ToolContext>, dbt?: Record<string, unknown>): ToolContext;
  cleanup(): Promise<void>;
}

export async function createDbtWorkspace(
  files: Record<string, string | Record<string, unknown>> = {},
): Promise<DbtWorkspace> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-dbt-')));
  const write = async (relative: string, content: string | Record<string, unknown>) => {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  for (const [relative, content] of Object.entries(files)) await write(relative, content);
  return {
    root,
    write,
    context: (overrides = {}, dbt) =>
      makeToolContext(root, { config: configSchema.parse(dbt ? { dbt } : {}), ...overrides }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * The real jaffle_shop v12 manifest with what it lacks for owner tests: a `finance` group with
 * an owner (customers belongs to it), `meta.owner` on orders, and an exposure on customers.
 * Everything else is dbt's own output.
 */
export function jaffleV12WithOwners(): Record<string, unknown> {
  const manifest = readJson(REAL.jaffleV12);
  const nodes = manifest['nodes'] as Record<string, Record<string, unknown>>;
  const orders = nodes['model.jaffle_shop.orders']!;
  orders['meta'] = { owner: '@jaffle/orders-team' };
  (orders['config'] as Record<string, unknown>)['meta'] = { owner: '@jaffle/orders-team' };
  const customers = nodes['model.jaffle_shop.customers']!;
  customers['group'] = 'finance';
  (customers['config'] as Record<string, unknown>)['group'] = 'finance';
  manifest['groups'] = {
    'group.jaffle_shop.finance': {
      name: 'finance',
      resource_type: 'group',
      package_name: 'jaffle_shop',
      path: 'groups.yml',
      original_file_path: 'models/groups.yml',
      unique_id: 'group.jaffle_shop.finance',
      owner: { email: 'finance@jaffle.example', name: 'Finance Analytics' },
    },
  };
  manifest['exposures'] = {
    'exposure.jaffle_shop.weekly_revenue': {
      name: 'weekly_revenue',
      resource_type: 'exposure',
      package_name: 'jaffle_shop',
      path: 'exposures.yml',
      original_file_path: 'models/exposures.yml',
      unique_id: 'exposure.jaffle_shop.weekly_revenue',
      fqn: ['jaffle_shop', 'weekly_revenue'],
      type: 'dashboard',
      owner: { email: 'ceo@jaffle.example', name: 'Jaffle CEO' },
      description: 'Revenue by week',
      label: 'Weekly revenue',
      maturity: 'high',
      meta: {},
      tags: [],
      config: { enabled: true, tags: [], meta: {} },
      unrendered_config: {},
      url: 'https://bi.example/weekly',
      depends_on: { macros: [], nodes: ['model.jaffle_shop.customers'] },
      refs: [{ name: 'customers', package: null, version: null }],
      sources: [],
      metrics: [],
      created_at: 1773294455.4,
    },
  };
  return manifest;
}
