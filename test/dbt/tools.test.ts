import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedDbtArtifactCache } from '../../src/integrations/dbt/index.js';
import { ToolExecutor } from '../../src/tools/executor.js';
import { builtinToolRegistry } from '../../src/tools/registry.js';
import type { ToolContext } from '../../src/tools/tool.js';
import {
  createDbtWorkspace,
  type DbtWorkspace,
  HAVE_REALDATA,
  jaffleV12WithOwners,
  REAL,
  readJson,
} from './realdata.js';

const DBT_TOOLS = [
  'dbt_list_models',
  'dbt_get_model',
  'dbt_lineage',
  'dbt_failed_nodes',
  'dbt_models_missing',
];
const executor = new ToolExecutor(builtinToolRegistry(), DBT_TOOLS, 'tester');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await sharedDbtArtifactCache.flush();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function workspace(files: Record<string, string | Record<string, unknown>>): Promise<DbtWorkspace> {
  const created = await createDbtWorkspace(files);
  cleanups.push(created.cleanup);
  return created;
}

/** Calls a tool as the engine does: through the executor, errors come back as results. */
async function call(name: string, input: Record<string, unknown>, context: ToolContext) {
  const outcome = await executor.call(name, input, context);
  if (outcome.status === 'completed') {
    return { ...outcome, text: String(outcome.output) };
  }
  return { ...outcome, text: outcome.error };
}

const read = (file: string) => readFileSync(file, 'utf8');

describe('the dbt tools are registered', () => {
  it('in the built-in registry', () => {
    const names = builtinToolRegistry().names();
    for (const name of [...DBT_TOOLS, 'find_owner']) expect(names).toContain(name);
  });
});

describe.skipIf(!HAVE_REALDATA)('dbt_list_models', () => {
  it('lists the models of a real manifest with materialization, path, tests and docs', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.jaffleV8) });
    const result = await call('dbt_list_models', {}, ws.context());
    expect(result.status).toBe('completed');
    expect(result.text).toContain('manifest: target/manifest.json (dbt 1.4.1, schema v8');
    expect(result.text).toContain('5 models match:');
    expect(result.text).toMatch(/^orders — table; models\/orders\.sql; 10 tests; documented$/m);
    expect(result.text).toMatch(
      /^stg_orders — view; models\/staging\/stg_orders\.sql; 3 tests; no description$/m,
    );
  });

  it('filters by tag, path glob, tests, docs and materialization', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.tuva) });
    const context = ws.context();
    const readmissions = await call('dbt_list_models', { tag: 'readmissions', limit: 1000 }, context);
    expect(readmissions.text).toContain('17 models match:');

    const byPath = await call('dbt_list_models', { path: 'models/core/**', limit: 1000 }, context);
    expect(byPath.text).toContain('30 models match:');
    const lines = byPath.text.split('\n').slice(2);
    expect(lines.every((line) => line.includes('models/core/'))).toBe(true);

    const byName = await call('dbt_list_models', { path: 'core__*', limit: 1000 }, context);
    expect(byName.text).toMatch(/^core__condition — /m);

    const untested = await call(
      'dbt_list_models',
      { has_tests: false, materialization: 'ephemeral' },
      context,
    );
    expect(untested.text).not.toMatch(/; [1-9]\d* tests?;/);
    expect(untested.text).not.toMatch(/— (view|table);/);

    const undocumented = await call('dbt_list_models', { has_docs: true, limit: 1000 }, context);
    expect(undocumented.text).not.toContain('no description');
  });

  it('caps the list and says how many were cut', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.tuva) });
    const result = await call('dbt_list_models', { limit: 5 }, ws.context());
    expect(result.status === 'completed' && result.truncated).toBe(true);
    expect(result.text).toContain('307 models match (showing the first 5 by path):');
    expect(result.text).toContain('[… 302 more models cut: narrow the filters or raise limit]');
  });

  it('lists sources and exposures', async () => {
    const ws = await workspace({ 'target/manifest.json': jaffleV12WithOwners() });
    const sources = await call('dbt_list_models', { resource_type: 'source' }, ws.context());
    expect(sources.text).toMatch(
      /^ecom\.raw_orders — models\/staging\/__sources\.yml; 0 tests; documented$/m,
    );
    const exposures = await call('dbt_list_models', { resource_type: 'exposure' }, ws.context());
    expect(exposures.text).toContain(
      'weekly_revenue — models/exposures.yml; 0 tests; documented; owner: Jaffle CEO',
    );
  });
});

describe.skipIf(!HAVE_REALDATA)('dbt_get_model', () => {
  it('describes a model: owner with evidence, lineage neighbours, columns with tests, catalog columns, last run, SQL', async () => {
    const ws = await workspace({
      'target/manifest.json': jaffleV12WithOwners(),
      'target/catalog.json': read(REAL.jaffleCatalog111),
      'target/run_results.json': read(REAL.jaffleRunResults111),
    });
    const result = await call('dbt_get_model', { model: 'orders', sql_lines: 10 }, ws.context());
    expect(result.status).toBe('completed');
    const text = result.text;
    expect(text).toContain('model.jaffle_shop.orders — orders (model, table)');
    expect(text).toContain('file: models/marts/orders.sql; documented in: models/marts/orders.yml');
    expect(text).toContain(
      'owner: @jaffle/orders-team — meta.owner of model orders, documented in models/marts/orders.yml',
    );
    expect(text).toContain('depends on (2): stg_orders (model, view), order_items (model, table)');
    expect(text).toMatch(
      /used by \(2, tests not counted\): customers \(model, table\), orders \(semantic_model\)/,
    );
    expect(text).toContain(
      '  order_id (VARCHAR) — The unique key of the orders mart. | tests: not_null, unique',
    );
    expect(text).toContain("relationships(to=ref('stg_customers'), field=customer_id)");
    expect(text).toMatch(
      /in the warehouse \(catalog\.json\) but not in YAML \(11\): location_id \(VARCHAR\)/,
    );
    expect(text).toContain('unit test test_order_items_compute_to_bools_correctly');
    expect(text).toMatch(/last run \(target\/run_results\.json\): success at 2026-03-12T/);
    expect(text).toContain('SQL as written (models/marts/orders.sql, 77 lines):');
    expect(text).toContain(
      '[… 67 more lines cut: read_file models/marts/orders.sql with offset=11 to see more]',
    );
  });

  it('still answers when the catalog is unusable, saying so', async () => {
    const ws = await workspace({
      'target/manifest.json': read(REAL.jaffleV12),
      'target/catalog.json': '{"nodes"',
    });
    const result = await call('dbt_get_model', { model: 'orders', include_sql: false }, ws.context());
    expect(result.status).toBe('completed');
    expect(result.text).toContain(
      'note: target/catalog.json is not a usable dbt catalog (it is not valid JSON',
    );
    expect(result.text).toContain('model.jaffle_shop.orders — orders (model, table)');
  });

  it('gives a group owner with its email, and leaves SQL out when asked', async () => {
    const ws = await workspace({ 'target/manifest.json': jaffleV12WithOwners() });
    const result = await call('dbt_get_model', { model: 'customers', include_sql: false }, ws.context());
    expect(result.text).toContain(
      'owner: Finance Analytics <finance@jaffle.example> — owner of group finance (declared in models/groups.yml), which model customers belongs to',
    );
    expect(result.text).toContain('weekly_revenue (exposure: dashboard)');
    expect(result.text).not.toContain('SQL as written');
  });

  it('describes sources and exposures', async () => {
    const ws = await workspace({ 'target/manifest.json': jaffleV12WithOwners() });
    const source = await call('dbt_get_model', { model: 'ecom.raw_orders' }, ws.context());
    expect(source.text).toContain('source.jaffle_shop.ecom.raw_orders — ecom.raw_orders (source)');
    expect(source.text).toContain('loaded_at_field ordered_at; no freshness check');
    const exposure = await call('dbt_get_model', { model: 'weekly_revenue' }, ws.context());
    expect(exposure.text).toContain(
      'owner: Jaffle CEO <ceo@jaffle.example> — owner of exposure weekly_revenue',
    );
    expect(exposure.text).toContain('url https://bi.example/weekly');
  });

  it('answers an unknown name with a did-you-mean, as a tool error the run survives', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.jaffleV12) });
    const result = await call('dbt_get_model', { model: 'fct_orders' }, ws.context());
    expect(result).toMatchObject({ status: 'failed', code: 'dbt.unknown-node' });
    expect(result.text).toBe(
      'no model, seed, snapshot, source or exposure named "fct_orders" in target/manifest.json ' +
        "(did you mean 'orders'?): use dbt_list_models to see the names",
    );
    const typo = await call('dbt_get_model', { model: 'stg_ordrs' }, ws.context());
    expect(typo.text).toContain("did you mean 'stg_orders'?");
  });

  it('asks for a unique id when a name is ambiguous', async () => {
    const raw = readJson(REAL.jaffleV12);
    const nodes = raw['nodes'] as Record<string, Record<string, unknown>>;
    nodes['model.jaffle_shop.orders']!['package_name'] = 'finance';
    nodes['model.other.orders'] = {
      ...nodes['model.jaffle_shop.orders'],
      unique_id: 'model.other.orders',
      package_name: 'other',
    };
    const ws = await workspace({ 'target/manifest.json': raw });
    const result = await call('dbt_get_model', { model: 'orders' }, ws.context());
    expect(result).toMatchObject({ status: 'failed', code: 'dbt.ambiguous-node' });
    expect(result.text).toContain('"orders" names 2 nodes (model.jaffle_shop.orders, model.other.orders)');
    const picked = await call(
      'dbt_get_model',
      { model: 'model.other.orders', include_sql: false },
      ws.context(),
    );
    expect(picked.text).toContain('model.other.orders — orders (model, table)');
  });
});

describe.skipIf(!HAVE_REALDATA)('dbt_lineage', () => {
  it('draws upstream to sources and downstream to exposures as trees', async () => {
    const ws = await workspace({ 'target/manifest.json': jaffleV12WithOwners() });
    const result = await call('dbt_lineage', { model: 'orders' }, ws.context());
    const text = result.text;
    expect(text).toContain('lineage of model.jaffle_shop.orders, depth 3:');
    expect(text).toContain('  <- stg_orders (model, view)  models/staging/stg_orders.sql');
    expect(text).toContain('    <- ecom.raw_orders (source)  models/staging/__sources.yml');
    expect(text).toContain('    <- stg_orders (model, view)  (see above)');
    expect(text).toContain(
      '    -> weekly_revenue (exposure: dashboard)  models/exposures.yml  owner: Jaffle CEO <ceo@jaffle.example>',
    );
    expect(text).not.toContain('test.');
  });

  it('gives edges with unique ids, one direction, to a depth', async () => {
    const ws = await workspace({ 'target/manifest.json': jaffleV12WithOwners() });
    const result = await call(
      'dbt_lineage',
      { model: 'stg_orders', direction: 'upstream', format: 'edges', depth: 1 },
      ws.context(),
    );
    expect(result.text).toContain('upstream edges (parent -> child), 1:');
    expect(result.text).toContain('source.jaffle_shop.ecom.raw_orders -> model.jaffle_shop.stg_orders');
    expect(result.text).not.toContain('downstream');

    const shallow = await call(
      'dbt_lineage',
      { model: 'customers', direction: 'upstream', depth: 1 },
      ws.context(),
    );
    expect(shallow.text).toContain(
      '<- orders (model, table)  models/marts/orders.sql  [+2 more beyond this depth]',
    );
  });

  it('includes tests when asked', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.jaffleV8) });
    const result = await call(
      'dbt_lineage',
      { model: 'orders', direction: 'downstream', depth: 1, include_tests: true, format: 'edges' },
      ws.context(),
    );
    expect(result.text).toContain(
      'model.jaffle_shop.orders -> test.jaffle_shop.unique_orders_order_id.fed79b3a6e',
    );
  });
});

describe.skipIf(!HAVE_REALDATA)('dbt_failed_nodes', () => {
  it('reports the real BigQuery error of a dbt build with its message and compiled SQL path', async () => {
    const ws = await workspace({
      'target/manifest.json': read(REAL.jaffleV8),
      'target/run_results.json': read(REAL.jaffleRunResultsV4),
    });
    const result = await call('dbt_failed_nodes', {}, ws.context());
    expect(result.status).toBe('completed');
    const text = result.text;
    expect(text).toContain(
      'run results: target/run_results.json (dbt 1.0.0, schema v4, generated 2021-12-07T10:49:34',
    );
    expect(text).toContain('dbt build, 16.2 s: 29 results (20 pass, 8 success, 1 error)');
    expect(text).toContain(
      '[error] test_insert_overwrite (model) — model.jaffle_shop.test_insert_overwrite (not in the manifest)',
    );
    expect(text).toContain('  compiled SQL: target/run/jaffle_shop/models/test_insert_overwrite.sql');
    expect(text).toContain('No matching signature for function TIMESTAMP_TRUNC');
    expect(result.status === 'completed' && result.summary).toBe('1 of 29 results are error/fail/warn');
  });

  it('says what a failing test tests, with failing rows, and cuts long messages', async () => {
    const raw = readJson(REAL.jaffleRunResults111);
    const results = raw['results'] as Array<Record<string, unknown>>;
    const index = results.findIndex(
      (entry) => entry['unique_id'] === 'test.jaffle_shop.unique_stg_customers_customer_id.c7614daada',
    );
    results[index] = {
      ...results[index],
      status: 'fail',
      failures: 3,
      message: [
        'Got 3 results, configured to fail if != 0',
        ...Array.from({ length: 40 }, (_, i) => `detail ${i}`),
      ].join('\n'),
      compiled_code: 'select customer_id from stg_customers group by 1 having count(*) > 1',
    };
    const ws = await workspace({
      'target/manifest.json': read(REAL.jaffleV12),
      'target/run_results.json': raw,
    });
    const result = await call('dbt_failed_nodes', { message_lines: 5, include_sql: true }, ws.context());
    const text = result.text;
    expect(text).toContain('[fail] unique_stg_customers_customer_id (test)');
    expect(text).toContain('  tests stg_customers.customer_id with unique');
    expect(text).toContain('  failing rows: 3');
    expect(text).toContain('    Got 3 results, configured to fail if != 0');
    expect(text).toContain('[… 36 more lines cut: raise message_lines to see more]');
    expect(text).toContain('    select customer_id from stg_customers group by 1 having count(*) > 1');
    expect(text).toMatch(
      /compiled SQL: target\/compiled\/jaffle_shop\/models\/staging\/stg_customers\.yml\/unique_stg_customers_customer_id\.sql/,
    );
  });

  it('says when nothing failed, and counts skipped nodes', async () => {
    const raw = readJson(REAL.jaffleRunResults111);
    const results = raw['results'] as Array<Record<string, unknown>>;
    results[0] = { ...results[0], status: 'skipped', message: 'SKIP' };
    const ws = await workspace({ 'target/run_results.json': raw });
    const result = await call('dbt_failed_nodes', {}, ws.context());
    expect(result.text).toContain('(no manifest: files and compiled paths are guessed from the unique ids)');
    expect(result.text).toContain('1 nodes were skipped (add "skipped" to statuses to list them)');
    expect(result.text).toContain('No results with status error, fail, warn.');
    const skipped = await call('dbt_failed_nodes', { statuses: ['skipped'] }, ws.context());
    expect(skipped.text).toContain('[skipped] metricflow_time_spine (model)');
  });

  it('tells the model how to get run_results.json when there is none', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.jaffleV8) });
    const result = await call('dbt_failed_nodes', {}, ws.context());
    expect(result).toMatchObject({ status: 'failed', code: 'dbt.artifact-not-found' });
    expect(result.text).toBe(
      "no dbt run-results found (looked at target/run_results.json in the project, target/run_results.json in the run's workspace): " +
        'it is written by `dbt build`, `dbt run` or `dbt test`; run that in the dbt project, or set dbt.run_results in .agentry/config.yml',
    );
  });
});

describe.skipIf(!HAVE_REALDATA)('dbt_models_missing', () => {
  it('finds models without tests or docs, and columns (from YAML and the catalog) without either', async () => {
    const ws = await workspace({
      'target/manifest.json': read(REAL.hubspot),
      'target/catalog.json': read(REAL.hubspotCatalog),
    });
    const result = await call('dbt_models_missing', { limit: 1000 }, ws.context());
    expect(result.status).toBe('completed');
    expect(result.text).toContain('catalog: target/catalog.json (warehouse columns)');
    expect(result.text).toMatch(
      /^154 models checked: \d+ without tests, \d+ without a description, \d+ with undocumented columns, \d+ with untested columns\.$/m,
    );
  });

  it('reports only what was asked, per column, on jaffle_shop', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.jaffleV12) });
    const docs = await call('dbt_models_missing', { missing: 'docs' }, ws.context());
    expect(docs.text).toContain('catalog: none (only columns listed in YAML are checked)');
    expect(docs.text).not.toContain('no tests');
    expect(docs.text).toContain('13 models checked: 5 without a description, 1 with undocumented columns.');
    expect(docs.text).toMatch(
      /^order_items \(models\/marts\/order_items\.sql\): no description; columns without description \(2\): order_item_id, order_id$/m,
    );

    const tests = await call('dbt_models_missing', { missing: 'tests', columns: false }, ws.context());
    expect(tests.text).toContain('13 models checked: 4 without tests.');
    expect(tests.text).toMatch(/^locations \(models\/marts\/locations\.sql\): no tests$/m);
    expect(tests.text).not.toMatch(/^orders /m);

    const staging = await call('dbt_models_missing', { path: 'models/staging/**' }, ws.context());
    expect(staging.text).toContain('6 models checked');
  });
});

describe.skipIf(!HAVE_REALDATA)('where the dbt tools find the artifacts', () => {
  it('reads dbt.project_dir and an absolute dbt.manifest from the config', async () => {
    const ws = await workspace({ 'transform/target/manifest.json': read(REAL.jaffleV8) });
    const inSubdir = await call('dbt_list_models', {}, ws.context({}, { project_dir: 'transform' }));
    expect(inSubdir.text).toContain('manifest: transform/target/manifest.json');

    const elsewhere = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-artifacts-')));
    cleanups.push(() => rm(elsewhere, { recursive: true, force: true }));
    const absolute = path.join(elsewhere, 'manifest.json');
    await writeFile(absolute, read(REAL.jaffleV12));
    const configured = await call('dbt_list_models', {}, ws.context({}, { manifest: absolute }));
    expect(configured.text).toContain(`manifest: ${absolute} (dbt 1.11.7`);
  });

  it('falls back to artifacts committed in the workspace, through the workspace guard', async () => {
    const ws = await workspace({ 'target/manifest.json': read(REAL.jaffleV8) });
    const project = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-project-')));
    cleanups.push(() => rm(project, { recursive: true, force: true }));
    const result = await call('dbt_list_models', {}, ws.context({ projectRoot: project }));
    expect(result.text).toContain("manifest: target/manifest.json (in the run's workspace) (dbt 1.4.1");
  });

  it('does not follow a workspace symlink to a manifest outside the workspace', async () => {
    const outside = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-outside-')));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(path.join(outside, 'manifest.json'), read(REAL.jaffleV8));
    const ws = await workspace({ 'README.md': 'a repo\n' });
    await mkdir(path.join(ws.root, 'target'));
    await symlink(path.join(outside, 'manifest.json'), path.join(ws.root, 'target', 'manifest.json'));
    const project = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-project-')));
    cleanups.push(() => rm(project, { recursive: true, force: true }));
    const result = await call('dbt_list_models', {}, ws.context({ projectRoot: project }));
    expect(result).toMatchObject({ status: 'failed', code: 'dbt.artifact-not-found' });
  });

  it('reports a broken manifest as unusable, saying how to fix it', async () => {
    const ws = await workspace({ 'target/manifest.json': '{"metadata": ' });
    const result = await call('dbt_list_models', {}, ws.context());
    expect(result).toMatchObject({ status: 'failed', code: 'dbt.artifact-invalid' });
    expect(result.text).toContain('target/manifest.json is not a usable dbt manifest (it is not valid JSON');
  });

  it('keeps the compact index under .agentry/cache/dbt unless dbt.cache is false', async () => {
    const cached = await workspace({ 'target/manifest.json': read(REAL.jaffleV8) });
    await call('dbt_list_models', {}, cached.context());
    await sharedDbtArtifactCache.flush();
    expect(
      (await readdir(path.join(cached.root, '.agentry/cache/dbt'))).some((name) =>
        name.startsWith('manifest-'),
      ),
    ).toBe(true);

    const uncached = await workspace({ 'target/manifest.json': read(REAL.jaffleV8) });
    await call('dbt_list_models', {}, uncached.context({}, { cache: false }));
    await sharedDbtArtifactCache.flush();
    await expect(readdir(path.join(uncached.root, '.agentry'))).rejects.toThrow(/ENOENT/);
  });
});
