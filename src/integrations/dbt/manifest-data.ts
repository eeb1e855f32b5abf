import { DbtArtifactInvalidError } from './errors.js';
import { asNumber, asRecord, asString, asStringArray, asText, nonEmptyRecord } from './json-values.js';
import { type DbtArtifactMetadata, readArtifactMetadata } from './schema-version.js';

/**
 * The compact, serializable form of a manifest: only what the dbt tools read, one flat record per
 * node. Built in one pass over the parsed JSON (macros, compiled SQL, checksums and most of
 * `config` are left behind), kept in memory, and written to the on-disk cache as it is.
 * Absent fields are `undefined` in memory and left out of the cache file. Bump
 * {@link MANIFEST_DATA_FORMAT} when this shape changes.
 */
export interface DbtManifestData {
  metadata: DbtManifestMetadata;
  nodes: DbtNodeRecord[];
  groups: DbtGroupRecord[];
  docs: DbtDocRecord[];
  /** Disabled nodes, so "unknown model" can say "it is disabled" instead. */
  disabled: DbtDisabledRecord[];
}

/** Version of {@link DbtManifestData}'s shape; a disk cache of another version is ignored. */
export const MANIFEST_DATA_FORMAT = 1;

/** The manifest's metadata block. */
export interface DbtManifestMetadata extends DbtArtifactMetadata {
  /** The root project's name (manifest v10+); older manifests do not record it. */
  projectName?: string;
  adapterType?: string;
}

/** Who owns a node, as declared in the manifest, and where that was read. */
export interface DbtDeclaredOwner {
  /** As written: `@data-team`, `Jane Doe`, `a@x.com, b@x.com`. */
  text: string;
  name?: string;
  email?: string;
  /** Which field held it: `meta.owner`, `config.meta.owner`, `meta.owners`, `owner` (exposures). */
  field: string;
}

/** A column as documented in YAML (the catalog knows the warehouse's columns). */
export interface DbtColumnRecord {
  name: string;
  description?: string;
  dataType?: string;
}

/**
 * One node: a model, seed, snapshot, test, unit test, source, exposure, metric, semantic model or
 * saved query. Fields that do not apply to a resource type are absent.
 */
export interface DbtNodeRecord {
  uniqueId: string;
  /** `model`, `seed`, `snapshot`, `test`, `unit_test`, `source`, `exposure`, `analysis`, … */
  resourceType: string;
  /** For sources, the table's name; {@link sourceName} holds the source's. */
  name: string;
  packageName: string;
  /** The file that defines it, relative to its dbt project (`original_file_path`). */
  path?: string;
  /** The YAML file that documents it (`patch_path`, without the `package://` prefix). */
  patchPath?: string;
  description?: string;
  materialized?: string;
  tags?: string[];
  /** `meta` merged over `config.meta`. */
  meta?: Record<string, unknown>;
  owner?: DbtDeclaredOwner;
  group?: string;
  access?: string;
  version?: string;
  latestVersion?: string;
  database?: string;
  schema?: string;
  alias?: string;
  relationName?: string;
  language?: string;
  /** The SQL (or Python) as written, before Jinja. */
  rawCode?: string;
  compiledPath?: string;
  /** Unique ids of the nodes it reads from (`depends_on.nodes`). */
  dependsOn?: string[];
  columns?: DbtColumnRecord[];
  // Tests ------------------------------------------------------------------------------------
  /** `not_null`, `dbt_utils.unique_combination_of_columns`; absent for singular tests. */
  testName?: string;
  columnName?: string;
  severity?: string;
  /** The test's other arguments, as compact JSON (`{"to":"ref('customers')","field":"id"}`). */
  testArguments?: string;
  /** The nodes the test is about (usually one model). */
  attachedTo?: string[];
  // Sources ----------------------------------------------------------------------------------
  sourceName?: string;
  loader?: string;
  loadedAtField?: string;
  /** `warn after 12 hour, error after 24 hour`. */
  freshness?: string;
  // Exposures --------------------------------------------------------------------------------
  exposureType?: string;
  label?: string;
  url?: string;
  maturity?: string;
}

/** A dbt group (v10+): who owns the models that name it. */
export interface DbtGroupRecord {
  uniqueId: string;
  name: string;
  packageName: string;
  path?: string;
  description?: string;
  owner: { name?: string; email?: string; text?: string };
}

/** A `{% docs %}` block. */
export interface DbtDocRecord {
  uniqueId: string;
  name: string;
  packageName: string;
  path?: string;
  /** The block's text, cut at {@link DOC_BLOCK_MAX_CHARS}. */
  contents: string;
}

/** A node that exists but is disabled. */
export interface DbtDisabledRecord {
  uniqueId: string;
  name: string;
  resourceType: string;
  path?: string;
}

/** Doc blocks are kept for reference; their rendered text is already in the descriptions. */
const DOC_BLOCK_MAX_CHARS = 2000;
const TEST_ARGUMENTS_MAX_CHARS = 300;

/** The manifest sections whose entries are graph nodes, in the order they are read. */
const NODE_SECTIONS = [
  'nodes',
  'sources',
  'exposures',
  'metrics',
  'semantic_models',
  'saved_queries',
  'unit_tests',
];

/** The section that holds a unique id, by the id's resource-type prefix; `nodes` for the rest. */
const SECTION_OF_PREFIX: Record<string, string> = {
  source: 'sources',
  exposure: 'exposures',
  metric: 'metrics',
  semantic_model: 'semantic_models',
  saved_query: 'saved_queries',
  unit_test: 'unit_tests',
};

/**
 * A parsed manifest.json, checked and cut down to what the index reads. Holding only these
 * sections lets the rest (macros: most of the bytes) be collected once the parsed JSON is dropped.
 */
export interface RawManifest {
  metadata: DbtManifestMetadata;
  /** Node sections by name (`nodes`, `sources`, …), each keyed by unique id. */
  sections: Map<string, Record<string, unknown>>;
  /** The `nodes` section (models, seeds, tests, …), where tests find what they are attached to. */
  nodesSection: Record<string, unknown>;
  groups: DbtGroupRecord[];
  docs: DbtDocRecord[];
  disabled: DbtDisabledRecord[];
}

/** Checks a parsed manifest.json (schema v8–v12; others best effort) and picks its sections. */
export function readRawManifest(raw: unknown, shownPath: string): RawManifest {
  const base = readArtifactMetadata(raw, 'manifest', shownPath);
  const manifest = asRecord(raw)!;
  const nodesSection = asRecord(manifest['nodes']);
  if (!nodesSection) throw new DbtArtifactInvalidError('manifest', shownPath, 'it has no nodes');
  const metadata = asRecord(manifest['metadata'])!;
  const sections = new Map<string, Record<string, unknown>>();
  for (const name of NODE_SECTIONS) {
    const section = asRecord(manifest[name]);
    if (section) sections.set(name, section);
  }
  return {
    metadata: {
      ...base,
      projectName: asString(metadata['project_name']),
      adapterType: asString(metadata['adapter_type']),
    },
    sections,
    nodesSection,
    groups: Object.entries(asRecord(manifest['groups']) ?? {}).flatMap(([key, value]) => {
      const group = asRecord(value);
      return group ? [toGroupRecord(key, group)] : [];
    }),
    docs: Object.entries(asRecord(manifest['docs']) ?? {}).flatMap(([key, value]) => {
      const doc = asRecord(value);
      return doc ? [toDocRecord(key, doc)] : [];
    }),
    disabled: toDisabledRecords(asRecord(manifest['disabled'])),
  };
}

/** The raw node with this unique id, or undefined. */
export function rawNodeOf(manifest: RawManifest, uniqueId: string): Record<string, unknown> | undefined {
  const prefix = uniqueId.slice(0, uniqueId.indexOf('.'));
  const section = manifest.sections.get(SECTION_OF_PREFIX[prefix] ?? 'nodes');
  return section && Object.hasOwn(section, uniqueId) ? asRecord(section[uniqueId]) : undefined;
}

/**
 * The whole compact form at once. The index builds it lazily instead
 * ({@link DbtManifest.fromJson}); this is for callers that want the data itself.
 */
export function buildManifestData(raw: unknown, shownPath: string): DbtManifestData {
  const manifest = readRawManifest(raw, shownPath);
  const nodes: DbtNodeRecord[] = [];
  for (const section of manifest.sections.values()) {
    for (const uniqueId in section) {
      const node = asRecord(section[uniqueId]);
      if (node) nodes.push(toNodeRecord(uniqueId, node, manifest.nodesSection));
    }
  }
  const { metadata, groups, docs, disabled } = manifest;
  return { metadata, nodes, groups, docs, disabled };
}

/** A raw node's resource type: its `resource_type`, else its id's prefix. */
export function rawResourceType(uniqueId: string, node: Record<string, unknown>): string {
  return asString(node['resource_type']) ?? (uniqueId.split('.')[0] || 'unknown');
}

/** What a raw test or unit test is about; undefined for other nodes. */
export function rawAttachment(
  resourceType: string,
  node: Record<string, unknown>,
  nodesSection: Record<string, unknown>,
): string[] | undefined {
  const dependsOn = asStringArray(asRecord(node['depends_on'])?.['nodes']);
  if (resourceType === 'unit_test') return unitTestTarget(node, nonEmptyArray(dependsOn));
  if (resourceType !== 'test') return undefined;
  const kwargs = asRecord(asRecord(node['test_metadata'])?.['kwargs']) ?? {};
  return testTargets(node, kwargs, dependsOn, nodesSection);
}

/** One raw node as a compact record. `nodesSection` resolves what a test is attached to. */
export function toNodeRecord(
  uniqueId: string,
  node: Record<string, unknown>,
  nodesSection: Record<string, unknown>,
): DbtNodeRecord {
  const resourceType = rawResourceType(uniqueId, node);
  const config = asRecord(node['config']);
  const meta = mergedMeta(node, config);
  const record: DbtNodeRecord = {
    uniqueId,
    resourceType,
    name: asString(node['name']) ?? uniqueId,
    packageName: asString(node['package_name']) ?? '',
    path: asString(node['original_file_path']),
    patchPath: stripPackagePrefix(asString(node['patch_path'])),
    description: asString(node['description']),
    materialized: asString(config?.['materialized']),
    tags: nonEmptyArray(node['tags']) ?? nonEmptyArray(config?.['tags']),
    meta,
    owner: resourceType === 'exposure' ? exposureOwner(node) : declaredOwner(node, config),
    group: asString(node['group']) ?? asString(config?.['group']),
    access: asString(node['access']) ?? asString(config?.['access']),
    version: asText(node['version']),
    latestVersion: asText(node['latest_version']),
    database: asString(node['database']),
    schema: asString(node['schema']),
    alias: asString(node['alias']) ?? asString(node['identifier']),
    relationName: asString(node['relation_name']),
    language: asString(node['language']),
    rawCode: asString(node['raw_code']) ?? asString(node['raw_sql']),
    compiledPath: asString(node['compiled_path']),
    dependsOn: nonEmptyArray(asRecord(node['depends_on'])?.['nodes']),
    columns: toColumns(node['columns']),
  };
  if (resourceType === 'test') Object.assign(record, testFields(node, config, nodesSection));
  if (resourceType === 'unit_test') record.attachedTo = unitTestTarget(node, record.dependsOn);
  if (resourceType === 'source') Object.assign(record, sourceFields(node, config));
  if (resourceType === 'exposure') {
    record.exposureType = asString(node['type']);
    record.label = asString(node['label']);
    record.url = asString(node['url']);
    record.maturity = asString(node['maturity']);
  }
  return record;
}

/** `meta` over `config.meta`: dbt ≥1.10 moves meta into config, older versions keep both in step. */
function mergedMeta(
  node: Record<string, unknown>,
  config: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const top = nonEmptyRecord(node['meta']);
  const fromConfig = nonEmptyRecord(config?.['meta']);
  if (top && fromConfig) return { ...fromConfig, ...top };
  return top ?? fromConfig;
}

/** Keys under `meta` that name an owner, in the order they are believed. */
const OWNER_META_KEYS = ['owner', 'owners'];

function declaredOwner(
  node: Record<string, unknown>,
  config: Record<string, unknown> | undefined,
): DbtDeclaredOwner | undefined {
  const meta = asRecord(node['meta']);
  const configMeta = asRecord(config?.['meta']);
  for (const key of OWNER_META_KEYS) {
    // Most nodes declare no owner: look before building anything.
    const top = meta?.[key];
    const owner = top === undefined ? undefined : ownerFromValue(top, `meta.${key}`);
    if (owner) return owner;
    const nested = configMeta?.[key];
    const configured = nested === undefined ? undefined : ownerFromValue(nested, `config.meta.${key}`);
    if (configured) return configured;
  }
  return undefined;
}

function exposureOwner(node: Record<string, unknown>): DbtDeclaredOwner | undefined {
  return ownerFromValue(node['owner'], 'owner');
}

/** An owner written as a string, a list of strings, or `{ name, email }`. */
function ownerFromValue(value: unknown, field: string): DbtDeclaredOwner | undefined {
  const text = asString(value);
  if (text) return { text, field };
  const list = asStringArray(value);
  if (list.length > 0) return { text: list.join(', '), field };
  const record = asRecord(value);
  if (!record) return undefined;
  const name = asString(record['name']);
  const email = asString(record['email']);
  if (!name && !email) return undefined;
  return { text: formatPerson(name, email), name, email, field };
}

/** `Jane Doe <jane@x.com>`, or whichever half is known. */
export function formatPerson(name: string | undefined, email: string | undefined): string {
  if (name && email) return `${name} <${email}>`;
  return name ?? email ?? '';
}

function toColumns(value: unknown): DbtColumnRecord[] | undefined {
  const columns = asRecord(value);
  if (!columns) return undefined;
  const records: DbtColumnRecord[] = [];
  for (const key in columns) {
    const column = asRecord(columns[key]);
    records.push({
      name: asString(column?.['name']) ?? key,
      description: asString(column?.['description']),
      dataType: asString(column?.['data_type']),
    });
  }
  return records.length > 0 ? records : undefined;
}

function testFields(
  node: Record<string, unknown>,
  config: Record<string, unknown> | undefined,
  nodesSection: Record<string, unknown>,
): Partial<DbtNodeRecord> {
  const metadata = asRecord(node['test_metadata']);
  const kwargs = asRecord(metadata?.['kwargs']) ?? {};
  const namespace = asString(metadata?.['namespace']);
  const name = asString(metadata?.['name']);
  const dependsOn = asStringArray(asRecord(node['depends_on'])?.['nodes']);
  const { model: _model, column_name: _column, ...rest } = kwargs;
  const argumentsText = Object.keys(rest).length > 0 ? JSON.stringify(rest) : undefined;
  return {
    testName: name ? (namespace ? `${namespace}.${name}` : name) : undefined,
    columnName: asString(node['column_name']) ?? asString(kwargs['column_name']),
    severity: asString(config?.['severity'])?.toLowerCase(),
    testArguments:
      argumentsText && argumentsText.length > TEST_ARGUMENTS_MAX_CHARS
        ? `${argumentsText.slice(0, TEST_ARGUMENTS_MAX_CHARS)}…`
        : argumentsText,
    attachedTo: testTargets(node, kwargs, dependsOn, nodesSection),
  };
}

/**
 * What a data test is about. dbt ≥1.5 says so in `attached_node`; before that, a generic test's
 * `model` argument (`{{ get_where_subquery(ref('orders')) }}`) names it, which matters for
 * `relationships` tests that depend on two models. A singular test is about everything it reads.
 */
function testTargets(
  node: Record<string, unknown>,
  kwargs: Record<string, unknown>,
  dependsOn: string[],
  nodesSection: Record<string, unknown>,
): string[] | undefined {
  const attached = asString(node['attached_node']);
  if (attached) return [attached];
  if (dependsOn.length <= 1) return nonEmptyArray(dependsOn);
  const target = referencedName(asString(kwargs['model'])) ?? fileKeyName(node);
  if (target) {
    const match = dependsOn.find((id) => nameOfDependency(id, nodesSection) === target);
    if (match) return [match];
  }
  return dependsOn;
}

/** `orders` from `{{ get_where_subquery(ref('orders')) }}`; `shop.orders` for a source. */
function referencedName(model: string | undefined): string | undefined {
  if (!model) return undefined;
  const ref = /ref\(\s*(?:['"][^'"]+['"]\s*,\s*)?['"]([^'"]+)['"]/.exec(model);
  if (ref) return ref[1];
  const source = /source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]/.exec(model);
  return source ? `${source[1]}.${source[2]}` : undefined;
}

/** `orders` from `file_key_name: models.orders`. */
function fileKeyName(node: Record<string, unknown>): string | undefined {
  const key = asString(node['file_key_name']);
  return key?.includes('.') ? key.slice(key.indexOf('.') + 1) : undefined;
}

/** A dependency's name for matching: `orders`, or `shop.orders` for a source. */
function nameOfDependency(id: string, nodesSection: Record<string, unknown>): string | undefined {
  const parts = id.split('.');
  if (parts[0] === 'source') return parts.slice(2).join('.');
  const node = asRecord(nodesSection[id]);
  return asString(node?.['name']) ?? parts[2];
}

/** A unit test is about the model it names (`model: stg_orders`). */
function unitTestTarget(
  node: Record<string, unknown>,
  dependsOn: string[] | undefined,
): string[] | undefined {
  const model = asString(node['model']);
  const match = model ? dependsOn?.find((id) => id.split('.')[2] === model) : undefined;
  return match ? [match] : dependsOn;
}

function sourceFields(
  node: Record<string, unknown>,
  config: Record<string, unknown> | undefined,
): Partial<DbtNodeRecord> {
  return {
    sourceName: asString(node['source_name']),
    loader: asString(node['loader']),
    loadedAtField: asString(node['loaded_at_field']) ?? asString(config?.['loaded_at_field']),
    freshness: describeFreshness(asRecord(node['freshness']) ?? asRecord(config?.['freshness'])),
    alias: asString(node['identifier']),
  };
}

function describeFreshness(freshness: Record<string, unknown> | undefined): string | undefined {
  if (!freshness) return undefined;
  const parts: string[] = [];
  for (const level of ['warn', 'error']) {
    const after = asRecord(freshness[`${level}_after`]);
    const count = asNumber(after?.['count']);
    const period = asString(after?.['period']);
    if (count !== undefined && period) parts.push(`${level} after ${count} ${period}`);
  }
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function toGroupRecord(key: string, group: Record<string, unknown>): DbtGroupRecord {
  const owner = asRecord(group['owner']) ?? {};
  const name = asString(owner['name']);
  const email = asString(owner['email']);
  return {
    uniqueId: asString(group['unique_id']) ?? key,
    name: asString(group['name']) ?? key.split('.').at(-1) ?? key,
    packageName: asString(group['package_name']) ?? '',
    path: asString(group['original_file_path']),
    description: asString(group['description']),
    owner: { name, email, text: name || email ? formatPerson(name, email) : undefined },
  };
}

function toDocRecord(key: string, doc: Record<string, unknown>): DbtDocRecord {
  const contents = asString(doc['block_contents']) ?? '';
  return {
    uniqueId: asString(doc['unique_id']) ?? key,
    name: asString(doc['name']) ?? key,
    packageName: asString(doc['package_name']) ?? '',
    path: asString(doc['original_file_path']),
    contents: contents.length > DOC_BLOCK_MAX_CHARS ? `${contents.slice(0, DOC_BLOCK_MAX_CHARS)}…` : contents,
  };
}

/** `disabled` maps a unique id to the list of its disabled definitions. */
function toDisabledRecords(disabled: Record<string, unknown> | undefined): DbtDisabledRecord[] {
  if (!disabled) return [];
  return Object.entries(disabled).map(([uniqueId, value]) => {
    const first = Array.isArray(value) ? asRecord(value[0]) : undefined;
    return {
      uniqueId,
      name: asString(first?.['name']) ?? uniqueId.split('.').at(-1) ?? uniqueId,
      resourceType: asString(first?.['resource_type']) ?? uniqueId.split('.')[0] ?? 'unknown',
      path: asString(first?.['original_file_path']),
    };
  });
}

function stripPackagePrefix(patchPath: string | undefined): string | undefined {
  if (!patchPath) return undefined;
  const separator = patchPath.indexOf('://');
  return separator === -1 ? patchPath : patchPath.slice(separator + 3);
}

function nonEmptyArray(value: unknown): string[] | undefined {
  const list = asStringArray(value);
  return list.length > 0 ? list : undefined;
}
