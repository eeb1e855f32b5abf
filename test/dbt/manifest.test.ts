import { describe, expect, it } from 'vitest';
import {
  buildManifestData,
  DbtArtifactInvalidError,
  DbtManifest,
  type DbtManifestData,
  displayName,
  lineageEdges,
  lineageTree,
} from '../../src/integrations/dbt/index.js';
import { HAVE_REALDATA, jaffleV12WithOwners, REAL, readJson } from './realdata.js';

function countTypes(manifest: DbtManifest): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of manifest.nodes) counts[node.resourceType] = (counts[node.resourceType] ?? 0) + 1;
  return counts;
}

function load(file: string): DbtManifest {
  return DbtManifest.fromJson(readJson(file), file);
}

describe.skipIf(!HAVE_REALDATA)('DbtManifest on real manifests (v8–v12)', () => {
  it('reads every node of jaffle_shop v12 (dbt 1.11) with its metadata', () => {
    const manifest = load(REAL.jaffleV12);
    expect(manifest.metadata).toMatchObject({
      schemaVersion: 12,
      dbtVersion: '1.11.7',
      projectName: 'jaffle_shop',
      adapterType: 'duckdb',
    });
    expect(manifest.metadata.note).toBeUndefined();
    expect(countTypes(manifest)).toMatchObject({
      model: 13,
      seed: 7,
      test: 27,
      source: 6,
      unit_test: 3,
      semantic_model: 6,
      saved_query: 3,
    });
  });

  it('reads the v8 manifests of dbt 1.4 (jaffle_shop and tuva)', () => {
    const jaffle = load(REAL.jaffleV8);
    expect(jaffle.metadata).toMatchObject({ schemaVersion: 8, dbtVersion: '1.4.1', adapterType: 'bigquery' });
    expect(countTypes(jaffle)).toEqual({ model: 5, seed: 3, test: 20 });

    const tuva = load(REAL.tuva);
    expect(tuva.metadata.schemaVersion).toBe(8);
    expect(countTypes(tuva)).toEqual({ model: 307, seed: 77, test: 57 });
    expect(tuva.nodes.filter((node) => node.tags?.includes('core')).length).toBeGreaterThan(10);
  });

  it('reads hubspot (v12, two packages, sources with freshness and loaders)', () => {
    const hubspot = load(REAL.hubspot);
    expect(countTypes(hubspot)).toMatchObject({ model: 154, seed: 56, test: 73, source: 61 });
    const source = hubspot.get('source.hubspot.hubspot.calendar_event')!;
    expect(displayName(source)).toBe('hubspot.calendar_event');
    expect(source).toMatchObject({ loader: 'Fivetran', loadedAtField: '_fivetran_synced' });
    expect(source.columns?.find((column) => column.name === '_fivetran_synced')?.description).toMatch(
      /Fivetran/,
    );
  });

  it('keeps what a model needs: SQL, materialization, columns, file and docs path', () => {
    const orders = load(REAL.jaffleV12).get('model.jaffle_shop.orders')!;
    expect(orders).toMatchObject({
      name: 'orders',
      materialized: 'table',
      path: 'models/marts/orders.sql',
      patchPath: 'models/marts/orders.yml',
      language: 'sql',
    });
    expect(orders.rawCode).toContain("ref('stg_orders')");
    expect(orders.columns?.map((column) => column.name)).toContain('order_id');
    expect(orders.dependsOn).toEqual(['model.jaffle_shop.stg_orders', 'model.jaffle_shop.order_items']);
  });

  it('attaches tests to the model and column they test, also in v8 where attached_node is missing', () => {
    const jaffle = load(REAL.jaffleV8);
    const orderIdTests = jaffle
      .columnTests('model.jaffle_shop.orders', 'order_id')
      .map((test) => test.testName);
    expect(orderIdTests.sort()).toEqual(['not_null', 'unique']);
    // relationships(orders.customer_id -> customers) depends on both models but tests orders.
    const relationship = jaffle
      .testsOf('model.jaffle_shop.orders')
      .find((test) => test.testName === 'relationships');
    expect(relationship).toMatchObject({
      columnName: 'customer_id',
      attachedTo: ['model.jaffle_shop.orders'],
    });
    expect(relationship?.testArguments).toContain("ref('customers')");
    expect(
      jaffle.testsOf('model.jaffle_shop.customers').some((test) => test.testName === 'relationships'),
    ).toBe(false);
    // accepted_values keeps its arguments.
    const status = jaffle.columnTests('model.jaffle_shop.orders', 'status')[0];
    expect(status?.testName).toBe('accepted_values');
    expect(status?.testArguments).toContain('completed');
  });

  it('attaches v12 unit tests to their model', () => {
    const jaffle = load(REAL.jaffleV12);
    const unit = jaffle
      .testsOf('model.jaffle_shop.stg_locations')
      .filter((test) => test.resourceType === 'unit_test');
    expect(unit.map((test) => test.name)).toEqual(['test_does_location_opened_at_trunc_to_date']);
  });

  it('finds nodes by id, name, source.table, package.name, file path and case', () => {
    const jaffle = load(REAL.jaffleV12);
    const idOf = (query: string) => {
      const found = jaffle.lookup(query);
      return found.status === 'found' ? found.node.uniqueId : found.status;
    };
    expect(idOf('model.jaffle_shop.orders')).toBe('model.jaffle_shop.orders');
    // A model, a metric and a semantic model are all named "orders": the model wins.
    expect(idOf('orders')).toBe('model.jaffle_shop.orders');
    expect(idOf('ecom.raw_orders')).toBe('source.jaffle_shop.ecom.raw_orders');
    // A seed and a source table share the name raw_orders: the seed wins by type.
    expect(idOf('raw_orders')).toBe('seed.jaffle_shop.raw_orders');
    expect(idOf('jaffle_shop.customers')).toBe('model.jaffle_shop.customers');
    expect(idOf('models/marts/orders.sql')).toBe('model.jaffle_shop.orders');
    expect(idOf('transform/models/marts/orders.sql')).toBe('model.jaffle_shop.orders');
    expect(idOf('ORDERS')).toBe('model.jaffle_shop.orders');
  });

  it('suggests close names for a typo and a missing prefix', () => {
    const jaffle = load(REAL.jaffleV12);
    expect(jaffle.lookup('ordres')).toEqual({
      status: 'missing',
      suggestions: expect.arrayContaining(['orders']),
    });
    const missing = jaffle.lookup('fct_orders');
    expect(missing.status).toBe('missing');
    expect(missing.status === 'missing' && missing.suggestions).toContain('orders');
    expect(jaffle.lookup('nothing_like_it_at_all')).toEqual({ status: 'missing', suggestions: [] });
  });

  it('says a disabled node is disabled', () => {
    const hubspot = load(REAL.hubspot);
    const found = hubspot.lookup('integrity_deals');
    expect(found.status).toBe('disabled');
  });

  it('reports owners from meta.owner, group owners and exposure owners, with evidence', () => {
    const manifest = DbtManifest.fromJson(jaffleV12WithOwners(), 'manifest.json');
    const orders = manifest.get('model.jaffle_shop.orders')!;
    expect(manifest.ownersOf(orders)).toEqual([
      expect.objectContaining({
        owner: '@jaffle/orders-team',
        source: 'meta',
        evidence: 'meta.owner of model orders, documented in models/marts/orders.yml',
      }),
    ]);
    const customers = manifest.get('model.jaffle_shop.customers')!;
    expect(manifest.ownersOf(customers)).toEqual([
      expect.objectContaining({
        owner: 'Finance Analytics <finance@jaffle.example>',
        email: 'finance@jaffle.example',
        source: 'group',
        file: 'models/groups.yml',
        evidence: 'owner of group finance (declared in models/groups.yml), which model customers belongs to',
      }),
    ]);
    const exposure = manifest.get('exposure.jaffle_shop.weekly_revenue')!;
    expect(manifest.ownersOf(exposure)[0]).toMatchObject({
      owner: 'Jaffle CEO <ceo@jaffle.example>',
      source: 'exposure',
    });
    expect(manifest.ownersOf(manifest.get('model.jaffle_shop.stg_orders')!)).toEqual([]);
  });

  it('walks lineage upstream to sources and downstream to exposures, depth-limited', () => {
    const manifest = DbtManifest.fromJson(jaffleV12WithOwners(), 'manifest.json');
    const upstream = lineageEdges(manifest, 'model.jaffle_shop.orders', { direction: 'upstream', depth: 5 });
    expect(upstream.edges).toContainEqual(['model.jaffle_shop.stg_orders', 'model.jaffle_shop.orders']);
    expect(upstream.edges).toContainEqual([
      'source.jaffle_shop.ecom.raw_orders',
      'model.jaffle_shop.stg_orders',
    ]);
    expect(upstream.nodes).toContain('source.jaffle_shop.ecom.raw_orders');

    const downstream = lineageEdges(manifest, 'model.jaffle_shop.orders', {
      direction: 'downstream',
      depth: 5,
    });
    expect(downstream.edges).toContainEqual(['model.jaffle_shop.orders', 'model.jaffle_shop.customers']);
    expect(downstream.edges).toContainEqual([
      'model.jaffle_shop.customers',
      'exposure.jaffle_shop.weekly_revenue',
    ]);
    expect(downstream.nodes.some((id) => id.startsWith('test.'))).toBe(false);

    const shallow = lineageTree(manifest, 'model.jaffle_shop.orders', { direction: 'upstream', depth: 1 });
    const names = shallow.root.children.map((branch) => branch.node.name);
    expect(names).toEqual(['stg_orders', 'order_items']);
    expect(shallow.root.children.every((branch) => branch.children.length === 0)).toBe(true);
    expect(shallow.root.children.find((branch) => branch.node.name === 'stg_orders')?.beyondDepth).toBe(1);

    const withTests = lineageEdges(manifest, 'model.jaffle_shop.orders', {
      direction: 'downstream',
      depth: 1,
      includeTests: true,
    });
    expect(withTests.nodes.some((id) => id.startsWith('test.'))).toBe(true);
  });

  it('expands a node reached twice once (order_items → orders and → customers via orders)', () => {
    const manifest = load(REAL.jaffleV12);
    const tree = lineageTree(manifest, 'model.jaffle_shop.stg_orders', { direction: 'downstream', depth: 6 });
    const seen = new Map<string, number>();
    const repeated: string[] = [];
    const walk = (branch: (typeof tree)['root']) => {
      for (const child of branch.children) {
        if (child.seenBefore) repeated.push(child.node.uniqueId);
        else seen.set(child.node.uniqueId, (seen.get(child.node.uniqueId) ?? 0) + 1);
        walk(child);
      }
    };
    walk(tree.root);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(repeated).toContain('model.jaffle_shop.orders');
    expect(tree.nodeCount).toBe(seen.size);
  });

  it('works without parent_map and child_map (a manifest from dbt parse)', () => {
    const raw = readJson(REAL.jaffleV12);
    delete raw['parent_map'];
    delete raw['child_map'];
    const manifest = DbtManifest.fromJson(raw, 'manifest.json');
    expect(manifest.children('model.jaffle_shop.stg_orders')).toContain('model.jaffle_shop.orders');
  });

  it('gives the same answers lazily, compacted, and from a JSON round trip of the compact data', () => {
    for (const file of [REAL.jaffleV12, REAL.jaffleV8, REAL.hubspot, REAL.tuva]) {
      const eager = buildManifestData(readJson(file), file);
      const lazy = DbtManifest.fromJson(readJson(file), file);
      const someId = eager.nodes[Math.floor(eager.nodes.length / 2)]!.uniqueId;
      expect(lazy.get(someId)).toEqual(eager.nodes.find((node) => node.uniqueId === someId));
      const compact = lazy.compact();
      expect(compact).toEqual(eager);
      const revived = new DbtManifest(JSON.parse(JSON.stringify(compact)) as DbtManifestData);
      for (const node of eager.nodes.slice(0, 200)) {
        expect(revived.children(node.uniqueId)).toEqual(lazy.children(node.uniqueId));
        expect(revived.testsOf(node.uniqueId).map((test) => test.uniqueId)).toEqual(
          lazy.testsOf(node.uniqueId).map((test) => test.uniqueId),
        );
      }
    }
  });

  it('refuses what is not a manifest, clearly', () => {
    expect(() => DbtManifest.fromJson(readJson(REAL.jaffleRunResultsV4), 'target/manifest.json')).toThrow(
      /target\/manifest.json is not a usable dbt manifest \(it is a dbt run-results, not a manifest\)/,
    );
    expect(() => DbtManifest.fromJson({ nodes: {} }, 'm.json')).toThrow(DbtArtifactInvalidError);
    expect(() =>
      DbtManifest.fromJson(
        { metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json' } },
        'm.json',
      ),
    ).toThrow(/it has no nodes/);
  });

  it('loads a manifest of an untested schema version with a note', () => {
    const raw = readJson(REAL.jaffleV12);
    (raw['metadata'] as Record<string, unknown>)['dbt_schema_version'] =
      'https://schemas.getdbt.com/dbt/manifest/v13.json';
    const manifest = DbtManifest.fromJson(raw, 'm.json');
    expect(manifest.metadata.note).toMatch(
      /manifest v13 is outside the versions Agentry is tested with \(v8–v12\)/,
    );
    expect(manifest.get('model.jaffle_shop.orders')).toBeDefined();
  });
});
