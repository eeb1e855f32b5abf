import { closest } from '../../spec/did-you-mean.js';
import { asRecord, asString } from './json-values.js';
import {
  type DbtDisabledRecord,
  type DbtDocRecord,
  type DbtGroupRecord,
  type DbtManifestData,
  type DbtManifestMetadata,
  type DbtNodeRecord,
  type RawManifest,
  rawAttachment,
  rawNodeOf,
  rawResourceType,
  readRawManifest,
  toNodeRecord,
} from './manifest-data.js';

/** Resource types that are checks on other nodes rather than nodes in the data's lineage. */
const TEST_TYPES = new Set(['test', 'unit_test']);

/** When a name fits several nodes, the first type in this list wins (a model over a source). */
const NAME_PRIORITY = [
  'model',
  'snapshot',
  'seed',
  'source',
  'exposure',
  'semantic_model',
  'metric',
  'saved_query',
  'analysis',
  'operation',
  'sql_operation',
  'test',
  'unit_test',
];

const MAX_SUGGESTIONS = 5;

/** Who owns a node and how we know. */
export interface DbtOwnerEvidence {
  /** As declared: `@data-team`, `Finance <finance@x.com>`. */
  owner: string;
  name?: string;
  email?: string;
  /** `meta` (meta.owner / config.meta.owner), `group` (the group's owner) or `exposure` (its owner). */
  source: 'meta' | 'group' | 'exposure';
  /** A sentence naming the field and the file it was declared in. */
  evidence: string;
  /** The file that declares it, relative to the dbt project, when known. */
  file?: string;
}

/** The answer to "which node is `orders`?". */
export type DbtLookup =
  | { status: 'found'; node: DbtNodeRecord }
  | { status: 'ambiguous'; candidates: DbtNodeRecord[] }
  | { status: 'disabled'; disabled: DbtDisabledRecord }
  | { status: 'missing'; suggestions: string[] };

/**
 * A loaded manifest with its lookups: nodes by unique id and by name, parents and children,
 * tests per node and per column, groups and owners. The graph comes from each node's
 * `depends_on`, so manifests written without `parent_map`/`child_map` (by `dbt parse`) work too.
 *
 * Made from a parsed manifest.json ({@link DbtManifest.fromJson}) it indexes in one read-only pass
 * and turns a node into a {@link DbtNodeRecord} when the node is first asked for: allocating little
 * right after a large `JSON.parse` is what keeps a cold load near the parse's own time.
 * {@link DbtManifest.compact} turns every node at once and lets the parsed JSON go. Made from
 * compact data (the disk cache) it holds only records.
 */
export class DbtManifest {
  readonly metadata: DbtManifestMetadata;
  private raw: RawManifest | undefined;
  private all: DbtNodeRecord[] | undefined;
  private readonly records = new Map<string, DbtNodeRecord>();
  /** Unique ids in manifest order. */
  private readonly order: string[] = [];
  private readonly idsByName = new Map<string, string[]>();
  private readonly childIds = new Map<string, string[]>();
  private readonly testIdsByNode = new Map<string, string[]>();
  private readonly groupsByName = new Map<string, DbtGroupRecord[]>();
  private readonly disabledByKey = new Map<string, DbtDisabledRecord>();
  private readonly extras: Pick<DbtManifestData, 'groups' | 'docs' | 'disabled'>;

  /** A manifest from its compact data (e.g. read back from the disk cache). */
  constructor(data: DbtManifestData | RawManifest) {
    this.metadata = data.metadata;
    this.extras = { groups: data.groups, docs: data.docs, disabled: data.disabled };
    if ('sections' in data) {
      this.raw = data;
      this.indexRaw(data);
    } else {
      this.all = data.nodes;
      for (const node of data.nodes) {
        this.records.set(node.uniqueId, node);
        this.indexNode(node.uniqueId, node.name, node.dependsOn, node.attachedTo);
      }
    }
    for (const group of data.groups) pushTo(this.groupsByName, group.name, group);
    for (const disabled of data.disabled) {
      this.disabledByKey.set(disabled.uniqueId, disabled);
      if (!this.disabledByKey.has(disabled.name)) this.disabledByKey.set(disabled.name, disabled);
    }
  }

  /** Indexes a manifest.json already read by `JSON.parse`; nodes become records when asked for. */
  static fromJson(raw: unknown, shownPath: string): DbtManifest {
    return new DbtManifest(readRawManifest(raw, shownPath));
  }

  /** Every node, test, source, exposure, metric… in manifest order. */
  get nodes(): readonly DbtNodeRecord[] {
    this.all ??= this.order.map((id) => this.get(id)!);
    return this.all;
  }

  /** Doc blocks (`{% docs %}`); their text is already rendered into descriptions. */
  get docs(): readonly DbtDocRecord[] {
    return this.extras.docs;
  }

  get groups(): readonly DbtGroupRecord[] {
    return this.extras.groups;
  }

  /**
   * The compact data of the whole manifest, e.g. for the disk cache. Turns every node into a
   * record and drops the parsed JSON, so from then on the manifest holds only compact records.
   */
  compact(): DbtManifestData {
    const nodes = this.nodes as DbtNodeRecord[];
    this.raw = undefined;
    return { metadata: this.metadata, nodes, ...this.extras };
  }

  get(uniqueId: string): DbtNodeRecord | undefined {
    const known = this.records.get(uniqueId);
    if (known || !this.raw) return known;
    const node = rawNodeOf(this.raw, uniqueId);
    if (!node) return undefined;
    const record = toNodeRecord(uniqueId, node, this.raw.nodesSection);
    this.records.set(uniqueId, record);
    return record;
  }

  /**
   * The node, or a stand-in built from the id for one the manifest does not hold (a disabled
   * node, or a model of another project in a dbt Mesh setup).
   */
  getOrStub(uniqueId: string): DbtNodeRecord {
    return this.get(uniqueId) ?? stubNode(uniqueId);
  }

  /** Unique ids of the nodes `uniqueId` reads from. */
  parents(uniqueId: string): readonly string[] {
    return this.get(uniqueId)?.dependsOn ?? [];
  }

  /** Unique ids of the nodes that read from `uniqueId` (tests included). */
  children(uniqueId: string): readonly string[] {
    return this.childIds.get(uniqueId) ?? [];
  }

  /** Data tests and unit tests about the node. */
  testsOf(uniqueId: string): DbtNodeRecord[] {
    return (this.testIdsByNode.get(uniqueId) ?? []).flatMap((id) => this.get(id) ?? []);
  }

  /** Data tests on one column of the node (compared without case: warehouses fold it). */
  columnTests(uniqueId: string, column: string): DbtNodeRecord[] {
    const wanted = column.toLowerCase();
    return this.testsOf(uniqueId).filter((test) => test.columnName?.toLowerCase() === wanted);
  }

  /** The group a node belongs to, preferring one of the node's own package. */
  groupOf(node: DbtNodeRecord): DbtGroupRecord | undefined {
    if (!node.group) return undefined;
    const groups = this.groupsByName.get(node.group) ?? [];
    return groups.find((group) => group.packageName === node.packageName) ?? groups[0];
  }

  /** Everything the manifest says about who owns the node, each with where it was read. */
  ownersOf(node: DbtNodeRecord): DbtOwnerEvidence[] {
    const owners: DbtOwnerEvidence[] = [];
    const label = `${node.resourceType} ${displayName(node)}`;
    if (node.owner) {
      const exposure = node.resourceType === 'exposure';
      const file = exposure ? node.path : (node.patchPath ?? node.path);
      owners.push({
        owner: node.owner.text,
        name: node.owner.name,
        email: node.owner.email,
        source: exposure ? 'exposure' : 'meta',
        evidence: `${node.owner.field} of ${label}${file ? `, ${node.patchPath ? 'documented' : 'defined'} in ${file}` : ''}`,
        file,
      });
    }
    const group = this.groupOf(node);
    if (group?.owner.text) {
      owners.push({
        owner: group.owner.text,
        name: group.owner.name,
        email: group.owner.email,
        source: 'group',
        evidence: `owner of group ${group.name}${group.path ? ` (declared in ${group.path})` : ''}, which ${label} belongs to`,
        file: group.path,
      });
    }
    return owners;
  }

  /**
   * Finds a node from what a person or a model would type: a unique id, a name (`orders`), a
   * versioned name (`orders.v2`), `package.name`, `source_name.table` or a file path
   * (`models/orders.sql`). A name several nodes share resolves by type (a model before a source),
   * then to the root project's node, then to the latest version.
   */
  lookup(query: string): DbtLookup {
    const wanted = query.trim();
    const exact = this.get(wanted);
    if (exact) return { status: 'found', node: exact };

    const candidates =
      this.named(wanted) ??
      this.dottedMatches(wanted) ??
      this.pathMatches(wanted) ??
      this.caseInsensitiveMatches(wanted);
    if (candidates && candidates.length > 0) return this.pick(candidates);

    const disabled = this.disabledByKey.get(wanted);
    if (disabled) return { status: 'disabled', disabled };
    return { status: 'missing', suggestions: this.suggestionsFor(wanted) };
  }

  /** Names close to `query` (edit distance, then substring), for a did-you-mean. */
  suggestionsFor(query: string): string[] {
    const names = new Set<string>();
    for (const node of this.nodes) {
      if (!TEST_TYPES.has(node.resourceType)) names.add(displayName(node));
    }
    const suggestions = new Set<string>();
    const near = closest(query, names);
    if (near) suggestions.add(near);
    const lower = query.toLowerCase();
    // Names holding the query (`orders` → `fct_orders`), then names the query holds (`fct_orders` → `orders`).
    const holding = (name: string) => lower.length >= 3 && name.toLowerCase().includes(lower);
    const held = (name: string) => name.length >= 4 && lower.includes(name.toLowerCase());
    for (const test of [holding, held]) {
      for (const name of names) {
        if (suggestions.size >= MAX_SUGGESTIONS) return [...suggestions];
        if (test(name)) suggestions.add(name);
      }
    }
    return [...suggestions];
  }

  /** `shop.orders` (source), `jaffle_shop.orders` (package), `orders.v2` (version). */
  private dottedMatches(query: string): DbtNodeRecord[] | undefined {
    const dot = query.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const head = query.slice(0, dot);
    const tail = query.slice(dot + 1);
    const version = /^v(\w+)$/i.exec(tail)?.[1];
    const matches = (this.named(tail) ?? []).filter(
      (node) =>
        (node.resourceType === 'source' && node.sourceName === head) ||
        node.packageName === head ||
        (node.resourceType === 'source' && `${node.packageName}.${node.sourceName}` === head),
    );
    if (version !== undefined) {
      matches.push(...(this.named(head) ?? []).filter((node) => node.version === version));
    }
    return matches.length > 0 ? matches : undefined;
  }

  /** `models/orders.sql`, or a path that ends with the node's (the dbt project in a subdirectory). */
  private pathMatches(query: string): DbtNodeRecord[] | undefined {
    if (!query.includes('/') && !/\.(sql|py|csv|yml|yaml)$/i.test(query)) return undefined;
    const wanted = query.replace(/^\.\//, '');
    const matches = this.nodes.filter(
      (node) =>
        node.path !== undefined &&
        !TEST_TYPES.has(node.resourceType) &&
        node.resourceType !== 'source' &&
        (node.path === wanted || wanted.endsWith(`/${node.path}`)),
    );
    return matches.length > 0 ? matches : undefined;
  }

  private caseInsensitiveMatches(query: string): DbtNodeRecord[] | undefined {
    const lower = query.toLowerCase();
    const matches = this.nodes.filter(
      (node) => node.name.toLowerCase() === lower || displayName(node).toLowerCase() === lower,
    );
    return matches.length > 0 ? matches : undefined;
  }

  /** The nodes named `name`, or undefined. */
  private named(name: string): DbtNodeRecord[] | undefined {
    return this.idsByName.get(name)?.flatMap((id) => this.get(id) ?? []);
  }

  /** One read-only pass over the parsed JSON: ids go into maps, no records are made yet. */
  private indexRaw(raw: RawManifest): void {
    for (const section of raw.sections.values()) {
      for (const uniqueId in section) {
        const node = asRecord(section[uniqueId]);
        if (!node) continue;
        const resourceType = rawResourceType(uniqueId, node);
        const dependsOn = asRecord(node['depends_on'])?.['nodes'];
        this.indexNode(
          uniqueId,
          asString(node['name']) ?? uniqueId,
          Array.isArray(dependsOn) ? dependsOn : undefined,
          TEST_TYPES.has(resourceType) ? rawAttachment(resourceType, node, raw.nodesSection) : undefined,
        );
      }
    }
  }

  private indexNode(
    uniqueId: string,
    name: string,
    dependsOn: readonly unknown[] | undefined,
    attachedTo: readonly string[] | undefined,
  ): void {
    this.order.push(uniqueId);
    pushTo(this.idsByName, name, uniqueId);
    for (const parent of dependsOn ?? []) {
      if (typeof parent === 'string') pushTo(this.childIds, parent, uniqueId);
    }
    for (const target of attachedTo ?? []) pushTo(this.testIdsByNode, target, uniqueId);
  }

  private pick(candidates: DbtNodeRecord[]): DbtLookup {
    if (candidates.length === 1) return { status: 'found', node: candidates[0]! };
    const rank = (node: DbtNodeRecord) => {
      const index = NAME_PRIORITY.indexOf(node.resourceType);
      return index === -1 ? NAME_PRIORITY.length : index;
    };
    const best = Math.min(...candidates.map(rank));
    let narrowed = candidates.filter((node) => rank(node) === best);
    const inRoot = narrowed.filter((node) => node.packageName === this.metadata.projectName);
    if (inRoot.length > 0) narrowed = inRoot;
    const latest = narrowed.filter(
      (node) => node.version === undefined || node.version === node.latestVersion,
    );
    if (latest.length > 0) narrowed = latest;
    if (narrowed.length === 1) return { status: 'found', node: narrowed[0]! };
    return { status: 'ambiguous', candidates: narrowed };
  }
}

/**
 * A stand-in record for a node known only by its unique id: `model.shop.orders` gives a model
 * `orders` of package `shop`; a source's id gives its source and table names.
 */
export function stubNode(uniqueId: string): DbtNodeRecord {
  const [resourceType = 'unknown', packageName = '', ...rest] = uniqueId.split('.');
  if (resourceType === 'source' && rest.length >= 2) {
    return { uniqueId, resourceType, packageName, sourceName: rest[0], name: rest.slice(1).join('.') };
  }
  // Tests end in a hash (`test.shop.unique_orders_id.1a2b3c`) that is not part of the name.
  const parts = resourceType === 'test' && rest.length > 1 ? rest.slice(0, -1) : rest;
  return { uniqueId, resourceType, packageName, name: parts.join('.') || uniqueId };
}

/** How a node is named to people: `orders`, `orders.v2`, `shop.raw_orders` for a source table. */
export function displayName(node: DbtNodeRecord): string {
  if (node.resourceType === 'source' && node.sourceName) return `${node.sourceName}.${node.name}`;
  if (node.version !== undefined && node.version !== node.latestVersion)
    return `${node.name}.v${node.version}`;
  return node.name;
}

/** True for data tests and unit tests. */
export function isTest(node: DbtNodeRecord): boolean {
  return TEST_TYPES.has(node.resourceType);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
