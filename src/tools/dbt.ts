import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isAgentryError } from '../errors.js';
import {
  type ArtifactLoadOptions,
  catalogArtifact,
  type DbtArtifactKind,
  type DbtArtifactKindName,
  DbtArtifactNotFoundError,
  type DbtCatalog,
  type DbtManifest,
  type DbtNodeRecord,
  type DbtRunResultRecord,
  type DbtRunResults,
  displayName,
  isTest,
  type LineageBranch,
  type LoadedArtifact,
  lineageEdges,
  lineageTree,
  manifestArtifact,
  runResultsArtifact,
  sharedDbtArtifactCache,
  stubNode,
} from '../integrations/dbt/index.js';
import type { DbtConfig } from '../spec/config.js';
import { ToolError } from './errors.js';
import { compileGlob, filterInTurns, type GlobMatcher } from './glob-pattern.js';
import {
  clipLine,
  cutNote,
  DEFAULT_MAX_OUTPUT_BYTES,
  formatCount,
  splitLines,
  takeHead,
} from './output-cap.js';
import { defineTool, type ToolContext, type ToolResult } from './tool.js';
import { resolveInWorkspace } from './workspace-path.js';

// ---------------------------------------------------------------------------------------------
// Finding and loading the artifacts

/** An artifact file found for a tool call. */
export interface LocatedArtifact {
  /** Absolute path. */
  file: string;
  /** As the model sees it: the configured path, relative to the project (or the workspace). */
  shown: string;
}

const DEFAULT_FILES: Record<DbtArtifactKindName, string> = {
  manifest: 'target/manifest.json',
  'run-results': 'target/run_results.json',
  catalog: 'target/catalog.json',
};

const CONFIG_KEYS = { manifest: 'manifest', 'run-results': 'run_results', catalog: 'catalog' } as const;

/** The artifact's path as configured (relative to the project root, or absolute). */
export function configuredArtifactPath(config: DbtConfig | undefined, kind: DbtArtifactKindName): string {
  const explicit = config?.[CONFIG_KEYS[kind]];
  if (explicit) return explicit;
  return path.posix.join(config?.project_dir ?? '.', DEFAULT_FILES[kind]);
}

/**
 * Finds an artifact. A relative path is looked for in the project (where `dbt` writes `target/`)
 * and then in the run's workspace (artifacts committed to the repository); an absolute one is
 * used as it is. Workspace paths go through the workspace guard, so a symlink planted in the
 * workspace cannot make a dbt tool read a file outside it. Undefined when there is none.
 */
export async function locateArtifact(
  context: ToolContext,
  kind: DbtArtifactKindName,
): Promise<LocatedArtifact | undefined> {
  const configured = configuredArtifactPath(context.config.dbt, kind);
  if (path.isAbsolute(configured)) {
    return (await isFile(configured)) ? { file: configured, shown: configured } : undefined;
  }
  const shown = path.posix.normalize(configured);
  const inProject = path.resolve(context.projectRoot, configured);
  if (await isFile(inProject)) return { file: inProject, shown };
  const inWorkspace = await resolveInWorkspace(context.session.root, configured, { mustExist: true }).catch(
    () => undefined,
  );
  if (inWorkspace && inWorkspace !== inProject && (await isFile(inWorkspace))) {
    return { file: inWorkspace, shown: `${shown} (in the run's workspace)` };
  }
  return undefined;
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/** Loads an artifact through the process-wide cache; throws when it does not exist. */
async function loadArtifact<Data, Loaded>(
  context: ToolContext,
  kind: DbtArtifactKind<Data, Loaded>,
): Promise<LoadedArtifact<Loaded> & { shown: string }> {
  const located = await locateArtifact(context, kind.name);
  if (!located) {
    const configured = path.posix.normalize(configuredArtifactPath(context.config.dbt, kind.name));
    const lookedIn = path.isAbsolute(configured)
      ? [configured]
      : [`${configured} in the project`, `${configured} in the run's workspace`];
    throw new DbtArtifactNotFoundError(kind.name, lookedIn);
  }
  const options: ArtifactLoadOptions = { shownPath: located.shown };
  if (context.config.dbt?.cache !== false) {
    options.cacheDir = path.join(context.projectRoot, '.agentry', 'cache', 'dbt');
  }
  const loaded = await sharedDbtArtifactCache.load(kind, located.file, options);
  return { ...loaded, shown: located.shown };
}

/** The project's manifest, loaded once per file version (see {@link locateArtifact}). */
export function loadDbtManifest(
  context: ToolContext,
): Promise<LoadedArtifact<DbtManifest> & { shown: string }> {
  return loadArtifact(context, manifestArtifact);
}

/** The project's run_results.json. */
export function loadDbtRunResults(
  context: ToolContext,
): Promise<LoadedArtifact<DbtRunResults> & { shown: string }> {
  return loadArtifact(context, runResultsArtifact);
}

/**
 * An artifact the tool can do without: undefined when it is missing, or when it is unusable, in
 * which case a line saying so is added to `notes` (the main answer is still worth giving).
 */
async function loadOptional<Loaded>(
  load: () => Promise<Loaded>,
  notes: string[],
): Promise<Loaded | undefined> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof DbtArtifactNotFoundError) return undefined;
    if (!isAgentryError(error)) throw error;
    notes.push(`note: ${error.message}`);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Shared formatting

/** Lines a dbt tool returns at most. */
const MAX_OUTPUT_LINES = 2000;
const MAX_DESCRIPTION_CHARS = 1500;
const MAX_COLUMN_DESCRIPTION_CHARS = 300;

/** `manifest target/manifest.json (dbt 1.11.7, schema v12, generated 2026-03-12T05:47:33Z)`. */
function artifactLine(
  label: string,
  shown: string,
  metadata: { dbtVersion?: string; schemaVersion: number; generatedAt?: string; note?: string },
): string {
  const parts = [
    metadata.dbtVersion ? `dbt ${metadata.dbtVersion}` : undefined,
    `schema v${metadata.schemaVersion}`,
    metadata.generatedAt ? `generated ${metadata.generatedAt}` : undefined,
  ].filter(Boolean);
  return `${label}: ${shown} (${parts.join(', ')})${metadata.note ? `\nnote: ${metadata.note}` : ''}`;
}

/** `orders (model, table)`, `shop.raw_orders (source)`, `weekly (exposure: dashboard)`. */
function nodeLabel(node: DbtNodeRecord): string {
  const kind =
    node.resourceType === 'exposure' && node.exposureType
      ? `exposure: ${node.exposureType}`
      : node.materialized && node.resourceType !== node.materialized
        ? `${node.resourceType}, ${node.materialized}`
        : node.resourceType;
  return `${displayName(node)} (${kind})`;
}

/** A one-line test name: `not_null`, `relationships(to=ref('customers'), field=customer_id)`. */
function testLabel(test: DbtNodeRecord): string {
  if (test.resourceType === 'unit_test') return `unit test ${test.name}`;
  const name = test.testName ?? test.name;
  const severity = test.severity === 'warn' ? ' [warn]' : '';
  return `${name}${test.testArguments ? `(${shortArguments(test.testArguments)})` : ''}${severity}`;
}

function shortArguments(json: string): string {
  try {
    const values = JSON.parse(json) as Record<string, unknown>;
    return Object.entries(values)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(', ');
  } catch {
    return json;
  }
}

function clip(text: string | undefined, maxChars: number): string | undefined {
  if (text === undefined) return undefined;
  const oneLine = text.replace(/\s*\n\s*/g, ' ').trim();
  return clipLine(oneLine, maxChars);
}

/** Caps a tool's lines and bytes, ending with a note that says what was cut and how to see it. */
function cappedOutput(lines: string[], hint: string, summary: string): ToolResult {
  const { kept, omitted } = takeHead(lines, {
    maxLines: MAX_OUTPUT_LINES,
    maxBytes: DEFAULT_MAX_OUTPUT_BYTES,
  });
  if (omitted === 0) return { output: lines.join('\n'), summary };
  return { output: [...kept, cutNote(omitted, 'lines', hint)].join('\n'), truncated: true, summary };
}

/** `(manifest from memory, 0.2 ms)`: how the artifact was loaded, for the audit trail. */
function loadNote(loaded: { origin: string; ms: number }): string {
  return `manifest ${loaded.origin === 'parsed' ? 'parsed' : `from ${loaded.origin}`} in ${loaded.ms.toFixed(1)} ms`;
}

/**
 * The node a model named, or a ToolError the model can act on: a did-you-mean for a typo, the
 * candidates for an ambiguous name, a note for a disabled node.
 */
function resolveNode(manifest: DbtManifest, query: string, shown: string): DbtNodeRecord {
  const found = manifest.lookup(query);
  switch (found.status) {
    case 'found':
      return found.node;
    case 'ambiguous': {
      const ids = found.candidates.slice(0, 10).map((node) => node.uniqueId);
      throw new ToolError(
        'dbt.ambiguous-node',
        `"${query}" names ${found.candidates.length} nodes (${ids.join(', ')}): pass one of these unique ids`,
      );
    }
    case 'disabled':
      throw new ToolError(
        'dbt.disabled-node',
        `${found.disabled.uniqueId} is disabled in this project${found.disabled.path ? ` (${found.disabled.path})` : ''}, so dbt did not build or describe it: enable it in its config to use it`,
      );
    case 'missing': {
      const [first, ...others] = found.suggestions;
      const hint = first
        ? ` (did you mean '${first}'?${others.length > 0 ? ` Others with a similar name: ${others.join(', ')}` : ''})`
        : '';
      throw new ToolError(
        'dbt.unknown-node',
        `no model, seed, snapshot, source or exposure named "${query}" in ${shown}${hint}: use dbt_list_models to see the names`,
      );
    }
  }
}

const nodeInput = z
  .string()
  .min(1)
  .describe(
    'The node: a model name ("fct_orders"), a unique id ("model.shop.fct_orders"), a source table ("shop.raw_orders"), ' +
      'a seed, snapshot or exposure name, or the model\'s file path ("models/marts/fct_orders.sql").',
  );

// ---------------------------------------------------------------------------------------------
// dbt_list_models

const LIST_DEFAULT_LIMIT = 200;
const LIST_MAX_LIMIT = 2000;

const listInput = z.object({
  path: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A glob on the file path relative to the dbt project, e.g. "models/staging/**" or "models/marts/*.sql". ' +
        'Without a "/" it matches the file or node name, e.g. "fct_*".',
    ),
  tag: z.string().min(1).optional().describe('Only nodes with this tag.'),
  materialization: z
    .string()
    .min(1)
    .optional()
    .describe('Only models materialized this way: table, view, incremental, ephemeral, …'),
  has_tests: z
    .boolean()
    .optional()
    .describe('true: only nodes with at least one data or unit test; false: only nodes with none.'),
  has_docs: z
    .boolean()
    .optional()
    .describe('true: only nodes with a description; false: only nodes without one.'),
  package: z.string().min(1).optional().describe('Only nodes of this dbt package (project).'),
  resource_type: z
    .enum(['model', 'seed', 'snapshot', 'source', 'exposure', 'analysis'])
    .default('model')
    .describe('What to list (default model).'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(LIST_MAX_LIMIT)
    .default(LIST_DEFAULT_LIMIT)
    .describe(`How many to return at most (default ${LIST_DEFAULT_LIMIT}).`),
});

/** `dbt_list_models`: the project's models (or seeds, snapshots, sources, exposures), filtered. */
export const dbtListModelsTool = defineTool({
  name: 'dbt_list_models',
  description: [
    "List the dbt project's models from its manifest (target/manifest.json), one per line:",
    'name, materialization, file path, number of tests, whether it has a description, tags.',
    'Filter by path glob, tag, materialization, package, has_tests or has_docs; list seeds, snapshots, sources or exposures with resource_type.',
    `Returns at most ${LIST_DEFAULT_LIMIT} lines by default (limit raises it), with a note when more match.`,
    'Use dbt_get_model for one model in detail and dbt_models_missing to find gaps in tests and docs.',
  ].join(' '),
  inputSchema: listInput,
  concurrent: true,
  async execute(input, context) {
    const loaded = await loadDbtManifest(context);
    const manifest = loaded.value;
    const glob = compilePathGlob(input.path);
    const matches = await filterInTurns(manifest.nodes, context.signal, (node) => {
      if (node.resourceType !== input.resource_type) return false;
      if (input.package && node.packageName !== input.package) return false;
      if (input.tag && !node.tags?.includes(input.tag)) return false;
      if (input.materialization && node.materialized !== input.materialization) return false;
      if (input.has_docs !== undefined && Boolean(node.description) !== input.has_docs) return false;
      if (input.has_tests !== undefined && manifest.testsOf(node.uniqueId).length > 0 !== input.has_tests) {
        return false;
      }
      return glob === undefined || matchesPathGlob(node, glob);
    });
    matches.sort((a, b) => (a.path ?? a.name).localeCompare(b.path ?? b.name));

    const summary = `${formatCount(matches.length)} ${input.resource_type}s match (${loadNote(loaded)})`;
    const header = artifactLine('manifest', loaded.shown, manifest.metadata);
    if (matches.length === 0) {
      return { output: `${header}\nNo ${input.resource_type}s match these filters.`, summary };
    }
    const shown = matches.slice(0, input.limit);
    const lines = [
      header,
      `${formatCount(matches.length)} ${input.resource_type}s match${shown.length < matches.length ? ` (showing the first ${formatCount(shown.length)} by path)` : ''}:`,
      ...shown.map((node) => listLine(manifest, node)),
    ];
    if (shown.length < matches.length) {
      lines.push(
        cutNote(
          matches.length - shown.length,
          input.resource_type + 's',
          'narrow the filters or raise limit',
        ),
      );
    }
    const result = cappedOutput(lines, 'narrow the filters', summary);
    return { ...result, truncated: result.truncated || shown.length < matches.length };
  },
});

/** The model's `path` glob, compiled for RE2: `path.matchesGlob` can backtrack for minutes. */
interface PathGlob {
  /** With a `/` the glob matches the node's path, without one its name or file name. */
  onPath: boolean;
  matches: GlobMatcher;
}

function compilePathGlob(requested: string | undefined): PathGlob | undefined {
  if (requested === undefined) return undefined;
  const glob = requested.replace(/^\.\//, '');
  return { onPath: glob.includes('/'), matches: compileGlob(glob, { caseSensitive: true, field: 'path' }) };
}

function matchesPathGlob(node: DbtNodeRecord, glob: PathGlob): boolean {
  if (glob.onPath) return node.path !== undefined && glob.matches(node.path);
  const base = node.path ? path.posix.basename(node.path) : undefined;
  return glob.matches(node.name) || (base !== undefined && glob.matches(base));
}

function listLine(manifest: DbtManifest, node: DbtNodeRecord): string {
  const tests = manifest.testsOf(node.uniqueId).length;
  const parts = [
    node.materialized,
    node.path,
    `${tests} test${tests === 1 ? '' : 's'}`,
    node.description ? 'documented' : 'no description',
    node.tags?.length ? `tags: ${node.tags.join(', ')}` : undefined,
    node.resourceType === 'exposure' && node.owner ? `owner: ${node.owner.text}` : undefined,
  ].filter(Boolean);
  return `${displayName(node)} — ${parts.join('; ')}`;
}

// ---------------------------------------------------------------------------------------------
// dbt_get_model

const SQL_DEFAULT_LINES = 200;
const SQL_MAX_LINES = 1000;
const MAX_COLUMNS = 300;

const getModelInput = z.object({
  model: nodeInput,
  include_sql: z.boolean().default(true).describe("Include the model's SQL as written (default true)."),
  sql_lines: z
    .number()
    .int()
    .min(1)
    .max(SQL_MAX_LINES)
    .default(SQL_DEFAULT_LINES)
    .describe(`Lines of SQL to include at most (default ${SQL_DEFAULT_LINES}).`),
});

/** `dbt_get_model`: one model (or seed, snapshot, source, exposure) in detail. */
export const dbtGetModelTool = defineTool({
  name: 'dbt_get_model',
  description: [
    'Describe one dbt model (or seed, snapshot, source or exposure) from the manifest:',
    'its unique id, file, materialization, description, owner (meta.owner or its group),',
    'what it depends on and what uses it, its columns with descriptions and tests, its other tests,',
    'its status in the last dbt run (when run_results.json exists) and its SQL as written (Jinja, before compilation).',
    `SQL is cut at ${SQL_DEFAULT_LINES} lines by default; read the file with read_file for the rest.`,
    'Accepts a name, a unique id, source_name.table or a file path; an unknown name gets suggestions.',
  ].join(' '),
  inputSchema: getModelInput,
  concurrent: true,
  async execute(input, context) {
    const loaded = await loadDbtManifest(context);
    const manifest = loaded.value;
    const node = resolveNode(manifest, input.model, loaded.shown);
    const notes: string[] = [];
    const catalog = await loadOptional(() => loadArtifact(context, catalogArtifact), notes);
    const runResults = await loadOptional(() => loadDbtRunResults(context), notes);

    const lines = [
      artifactLine('manifest', loaded.shown, manifest.metadata),
      ...notes,
      '',
      ...describeNode(manifest, node),
      ...describeColumns(manifest, node, catalog?.value),
      ...describeOtherTests(manifest, node),
      ...describeLastRun(node, runResults),
    ];
    if (input.include_sql && node.rawCode) lines.push(...describeSql(node, input.sql_lines));
    const columns = node.columns?.length ?? 0;
    const summary = `${node.uniqueId}: ${columns} documented columns, ${manifest.testsOf(node.uniqueId).length} tests (${loadNote(loaded)})`;
    return cappedOutput(lines, 'ask for less SQL (sql_lines) or read the files with read_file', summary);
  },
});

function describeNode(manifest: DbtManifest, node: DbtNodeRecord): string[] {
  const lines = [`${node.uniqueId} — ${nodeLabel(node)}`];
  const files = [
    node.path ? `file: ${node.path}` : undefined,
    node.patchPath && node.patchPath !== node.path ? `documented in: ${node.patchPath}` : undefined,
  ].filter(Boolean);
  if (files.length > 0) lines.push(files.join('; '));
  if (node.relationName) lines.push(`relation: ${node.relationName}`);
  lines.push(`description: ${clip(node.description, MAX_DESCRIPTION_CHARS) ?? '(none)'}`);

  const owners = manifest.ownersOf(node);
  if (owners.length > 0) {
    lines.push(`owner: ${owners.map((owner) => `${owner.owner} — ${owner.evidence}`).join('; ')}`);
  }
  const facts = [
    node.packageName ? `package ${node.packageName}` : undefined,
    node.tags?.length ? `tags ${node.tags.join(', ')}` : undefined,
    node.group ? `group ${node.group}` : undefined,
    node.access ? `access ${node.access}` : undefined,
    node.version !== undefined ? `version ${node.version} (latest ${node.latestVersion ?? '?'})` : undefined,
    node.language && node.language !== 'sql' ? `language ${node.language}` : undefined,
  ].filter(Boolean);
  if (facts.length > 0) lines.push(facts.join('; '));
  if (node.meta) lines.push(`meta: ${clipLine(JSON.stringify(node.meta), 500)}`);
  lines.push(...sourceOrExposureFacts(node));

  const parents = manifest.parents(node.uniqueId).map((id) => nodeLabel(manifest.getOrStub(id)));
  const children = manifest
    .children(node.uniqueId)
    .map((id) => manifest.getOrStub(id))
    .filter((child) => !isTest(child))
    .map(nodeLabel);
  lines.push(`depends on (${parents.length}): ${listOrNone(parents)}`);
  lines.push(`used by (${children.length}, tests not counted): ${listOrNone(children)}`);
  return lines;
}

function sourceOrExposureFacts(node: DbtNodeRecord): string[] {
  if (node.resourceType === 'source') {
    const facts = [
      node.loader ? `loader ${node.loader}` : undefined,
      node.loadedAtField ? `loaded_at_field ${node.loadedAtField}` : undefined,
      node.freshness ? `freshness: ${node.freshness}` : 'no freshness check',
    ].filter(Boolean);
    return [facts.join('; ')];
  }
  if (node.resourceType === 'exposure') {
    const facts = [
      node.label ? `label ${node.label}` : undefined,
      node.maturity ? `maturity ${node.maturity}` : undefined,
      node.url ? `url ${node.url}` : undefined,
    ].filter(Boolean);
    return facts.length > 0 ? [facts.join('; ')] : [];
  }
  return [];
}

/** Columns from YAML with their tests, then the warehouse's columns YAML does not mention. */
function describeColumns(
  manifest: DbtManifest,
  node: DbtNodeRecord,
  catalog: DbtCatalog | undefined,
): string[] {
  const documented = node.columns ?? [];
  const warehouse = catalog?.columnsOf(node.uniqueId);
  const typeOf = new Map(warehouse?.map((column) => [column.name.toLowerCase(), column.type]));
  const lines: string[] = [];
  if (documented.length > 0) lines.push(`columns in YAML (${documented.length}):`);
  for (const column of documented.slice(0, MAX_COLUMNS)) {
    const tests = manifest.columnTests(node.uniqueId, column.name).map(testLabel);
    const type = column.dataType ?? typeOf.get(column.name.toLowerCase());
    const description = clip(column.description, MAX_COLUMN_DESCRIPTION_CHARS);
    lines.push(
      `  ${column.name}${type ? ` (${type})` : ''} — ${description ?? '(no description)'}${tests.length > 0 ? ` | tests: ${tests.join(', ')}` : ''}`,
    );
  }
  if (documented.length > MAX_COLUMNS) lines.push(`  [… ${documented.length - MAX_COLUMNS} more columns]`);
  if (documented.length === 0) lines.push('columns in YAML: none');
  if (warehouse) {
    const known = new Set(documented.map((column) => column.name.toLowerCase()));
    const extra = warehouse.filter((column) => !known.has(column.name.toLowerCase()));
    if (extra.length > 0) {
      const names = extra
        .slice(0, MAX_COLUMNS)
        .map((column) => `${column.name}${column.type ? ` (${column.type})` : ''}`);
      lines.push(`in the warehouse (catalog.json) but not in YAML (${extra.length}): ${names.join(', ')}`);
    }
  }
  return lines;
}

/** Tests that are not on one of the node's YAML columns: model-level, expression and unit tests. */
function describeOtherTests(manifest: DbtManifest, node: DbtNodeRecord): string[] {
  const columns = new Set((node.columns ?? []).map((column) => column.name.toLowerCase()));
  const other = manifest
    .testsOf(node.uniqueId)
    .filter((test) => !test.columnName || !columns.has(test.columnName.toLowerCase()));
  if (other.length === 0) return [];
  return [
    `other tests (${other.length}):`,
    ...other.map(
      (test) => `  ${testLabel(test)}${test.columnName ? ` on ${test.columnName}` : ''} — ${test.uniqueId}`,
    ),
  ];
}

function describeLastRun(
  node: DbtNodeRecord,
  runResults: (LoadedArtifact<DbtRunResults> & { shown: string }) | undefined,
): string[] {
  const result = runResults?.value.get(node.uniqueId);
  if (!runResults || !result) return [];
  const when = result.completedAt ?? runResults.value.metadata.generatedAt;
  const message =
    result.status === 'success' || result.status === 'pass' ? '' : `: ${clip(result.message, 300) ?? ''}`;
  return [`last run (${runResults.shown}): ${result.status}${when ? ` at ${when}` : ''}${message}`];
}

function describeSql(node: DbtNodeRecord, maxLines: number): string[] {
  const sql = splitLines(node.rawCode ?? '');
  const { kept, omitted } = takeHead(sql, { maxLines, maxBytes: DEFAULT_MAX_OUTPUT_BYTES / 2 });
  const lines = [`SQL as written (${node.path ?? 'unknown file'}, ${sql.length} lines):`, ...kept];
  if (omitted > 0) {
    lines.push(
      cutNote(omitted, 'lines', `read_file ${node.path ?? ''} with offset=${kept.length + 1} to see more`),
    );
  }
  return lines;
}

function listOrNone(items: string[], max = 50): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, … ${items.length - max} more` : shown;
}

// ---------------------------------------------------------------------------------------------
// dbt_lineage

const lineageInput = z.object({
  model: nodeInput,
  direction: z
    .enum(['upstream', 'downstream', 'both'])
    .default('both')
    .describe(
      'upstream: what it reads from (down to sources); downstream: what reads from it (up to exposures); both (default).',
    ),
  depth: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(3)
    .describe('Levels to walk each way (default 3, at most 20).'),
  format: z
    .enum(['tree', 'edges'])
    .default('tree')
    .describe(
      'tree: an indented tree per direction (default); edges: one "parent -> child" line per edge, with unique ids.',
    ),
  include_tests: z
    .boolean()
    .default(false)
    .describe('Include data tests and unit tests downstream (default false).'),
});

/** `dbt_lineage`: upstream and downstream of a node, sources and exposures included. */
export const dbtLineageTool = defineTool({
  name: 'dbt_lineage',
  description: [
    'Show the lineage of a dbt model from the manifest: what it reads from (upstream, down to sources and seeds)',
    'and what reads from it (downstream: models, snapshots, exposures such as dashboards, metrics), to a depth.',
    'Use it to find the root cause of a failure upstream or the blast radius of a change downstream.',
    'format=tree gives an indented tree per direction; format=edges gives "parent -> child" lines with unique ids.',
    'A node reached twice is expanded once and then marked "(see above)". Tests are left out unless include_tests.',
  ].join(' '),
  inputSchema: lineageInput,
  concurrent: true,
  async execute(input, context) {
    const loaded = await loadDbtManifest(context);
    const manifest = loaded.value;
    const node = resolveNode(manifest, input.model, loaded.shown);
    const directions = input.direction === 'both' ? (['upstream', 'downstream'] as const) : [input.direction];
    const lines = [
      artifactLine('manifest', loaded.shown, manifest.metadata),
      `lineage of ${node.uniqueId}, depth ${input.depth}:`,
    ];
    const counts: string[] = [];
    for (const direction of directions) {
      const options = { direction, depth: input.depth, includeTests: input.include_tests };
      if (input.format === 'edges') {
        const result = lineageEdges(manifest, node.uniqueId, options);
        counts.push(`${result.nodes.length} ${direction}`);
        lines.push('', `${direction} edges (parent -> child), ${result.edges.length}:`);
        lines.push(...result.edges.map(([from, to]) => `${from} -> ${to}`));
        if (result.edges.length === 0) lines.push('(none)');
        if (result.truncated) lines.push('[… stopped at 500 nodes: lower depth to see a complete picture]');
        continue;
      }
      const tree = lineageTree(manifest, node.uniqueId, options);
      counts.push(`${tree.nodeCount} ${direction}`);
      lines.push(
        '',
        `${direction} (${direction === 'upstream' ? 'reads from' : 'read by'}), ${tree.nodeCount} nodes:`,
      );
      lines.push(...renderTree(tree.root, direction === 'upstream' ? '<-' : '->', manifest));
      if (tree.truncated) lines.push('[… stopped at 500 nodes: lower depth to see a complete picture]');
    }
    const summary = `${node.uniqueId}: ${counts.join(', ')} nodes to depth ${input.depth} (${loadNote(loaded)})`;
    return cappedOutput(lines, 'lower depth, or pick one direction', summary);
  },
});

function renderTree(root: LineageBranch, arrow: string, manifest: DbtManifest): string[] {
  const lines = [`${nodeLabel(root.node)}${root.node.path ? `  ${root.node.path}` : ''}`];
  if (root.children.length === 0) lines.push(`  (none)`);
  const walk = (branch: LineageBranch, level: number) => {
    for (const child of branch.children) {
      const indent = '  '.repeat(level);
      const node = child.node;
      const extra = [
        node.path && !child.seenBefore ? node.path : undefined,
        node.resourceType === 'exposure' ? exposureOwner(manifest, node) : undefined,
        child.seenBefore ? '(see above)' : undefined,
        child.beyondDepth ? `[+${child.beyondDepth} more beyond this depth]` : undefined,
        manifest.get(node.uniqueId) ? undefined : '(not in this manifest)',
      ].filter(Boolean);
      lines.push(`${indent}${arrow} ${nodeLabel(node)}${extra.length > 0 ? `  ${extra.join('  ')}` : ''}`);
      walk(child, level + 1);
    }
  };
  walk(root, 1);
  return lines;
}

function exposureOwner(manifest: DbtManifest, node: DbtNodeRecord): string | undefined {
  const owner = manifest.ownersOf(node)[0];
  return owner ? `owner: ${owner.owner}` : undefined;
}

// ---------------------------------------------------------------------------------------------
// dbt_failed_nodes

const FAILED_DEFAULT_LIMIT = 25;
const MESSAGE_DEFAULT_LINES = 20;

const failedInput = z.object({
  statuses: z
    .array(z.enum(['error', 'fail', 'warn', 'runtime error', 'skipped']))
    .min(1)
    .default(['error', 'fail', 'warn'])
    .describe(
      'Which results to list (default error, fail, warn). Add "skipped" to see nodes skipped after a failure.',
    ),
  limit: z
    .number()
    .int()
    .min(1)
    .max(500)
    .default(FAILED_DEFAULT_LIMIT)
    .describe(`How many results to return at most (default ${FAILED_DEFAULT_LIMIT}).`),
  message_lines: z
    .number()
    .int()
    .min(1)
    .max(200)
    .default(MESSAGE_DEFAULT_LINES)
    .describe(`Lines of each error message to show at most (default ${MESSAGE_DEFAULT_LINES}).`),
  include_sql: z
    .boolean()
    .default(false)
    .describe(
      'Include the compiled SQL that failed, when run_results.json holds it (dbt ≥ 1.3). Default false.',
    ),
});

/** `dbt_failed_nodes`: what went wrong in the last dbt invocation, from run_results.json. */
export const dbtFailedNodesTool = defineTool({
  name: 'dbt_failed_nodes',
  description: [
    "List what failed in the dbt project's last run from target/run_results.json: models and snapshots with status error,",
    'tests that failed or warned, each with its error message, when it ran and for how long, its file,',
    'the compiled SQL path to read, and (for tests) the model and column tested.',
    'Starts with what ran (command, time, counts per status). Use it first when a dbt job failed;',
    'then dbt_get_model, dbt_lineage and read_file on the compiled SQL to find the cause.',
  ].join(' '),
  inputSchema: failedInput,
  concurrent: true,
  async execute(input, context) {
    const results = await loadDbtRunResults(context);
    const notes: string[] = [];
    const manifest = await loadOptional(() => loadDbtManifest(context), notes);
    const runResults = results.value;
    const metadata = runResults.metadata;
    const counts = Object.entries(runResults.countByStatus())
      .sort((a, b) => b[1] - a[1])
      .map(([status, count]) => `${count} ${status}`);
    const problems = runResults.withStatus(input.statuses);
    const lines = [
      artifactLine('run results', results.shown, metadata),
      `${commandLabel(metadata.command)}${metadata.select ? ` --select ${metadata.select.join(' ')}` : ''}` +
        `${metadata.elapsedSeconds !== undefined ? `, ${metadata.elapsedSeconds.toFixed(1)} s` : ''}: ` +
        `${runResults.results.length} results (${counts.join(', ') || 'none'})`,
      ...notes,
    ];
    if (!manifest) lines.push('(no manifest: files and compiled paths are guessed from the unique ids)');
    const skipped = runResults.withStatus(['skipped']).length;
    if (skipped > 0 && !input.statuses.includes('skipped')) {
      lines.push(`${skipped} nodes were skipped (add "skipped" to statuses to list them)`);
    }
    const summary = `${problems.length} of ${runResults.results.length} results are ${input.statuses.join('/')}`;
    if (problems.length === 0) {
      lines.push(`No results with status ${input.statuses.join(', ')}.`);
      return { output: lines.join('\n'), summary };
    }
    lines.push(`${problems.length} with status ${input.statuses.join(', ')}:`);
    for (const result of problems.slice(0, input.limit)) {
      lines.push('', ...describeFailure(result, manifest?.value, context.config.dbt?.project_dir, input));
    }
    if (problems.length > input.limit) {
      lines.push('', cutNote(problems.length - input.limit, 'results', 'raise limit to see them'));
    }
    const output = cappedOutput(lines, 'lower limit or message_lines', summary);
    return { ...output, truncated: output.truncated || problems.length > input.limit };
  },
});

/** `dbt build`; dbt records `docs generate` as `generate`. */
function commandLabel(command: string | undefined): string {
  if (!command) return 'dbt';
  return command === 'generate' ? 'dbt docs generate' : `dbt ${command}`;
}

function describeFailure(
  result: DbtRunResultRecord,
  manifest: DbtManifest | undefined,
  projectDir: string | undefined,
  options: { message_lines: number; include_sql: boolean },
): string[] {
  const node = manifest?.get(result.uniqueId);
  const label = nodeLabel(node ?? stubNode(result.uniqueId));
  const lines = [
    `[${result.status}] ${label} — ${result.uniqueId}${manifest && !node ? ' (not in the manifest)' : ''}`,
  ];
  if (node && isTest(node)) {
    const targets = (node.attachedTo ?? []).map((id) => displayName(manifest!.getOrStub(id)));
    lines.push(
      `  tests ${targets.join(', ') || '?'}${node.columnName ? `.${node.columnName}` : ''} with ${testLabel(node)}`,
    );
  }
  if (node?.path) lines.push(`  file: ${node.path}`);
  const timing = [
    result.startedAt ? `started ${result.startedAt}` : undefined,
    result.executionSeconds !== undefined ? `took ${result.executionSeconds.toFixed(2)} s` : undefined,
    result.threadId,
  ].filter(Boolean);
  if (timing.length > 0) lines.push(`  ${timing.join(', ')}`);
  if (result.failures !== undefined && result.failures > 0)
    lines.push(`  failing rows: ${formatCount(result.failures)}`);
  const compiled = compiledPathOf(result, node, projectDir);
  if (compiled) lines.push(`  compiled SQL: ${compiled}`);
  if (result.adapterResponse) lines.push(`  adapter response: ${result.adapterResponse}`);
  if (result.message) {
    const messageLines = splitLines(result.message);
    const { kept, omitted } = takeHead(messageLines, { maxLines: options.message_lines, maxBytes: 8 * 1024 });
    lines.push('  message:', ...kept.map((line) => `    ${clipLine(line, 1000)}`));
    if (omitted > 0) lines.push(`    ${cutNote(omitted, 'lines', 'raise message_lines to see more')}`);
  }
  if (options.include_sql && result.compiledCode) {
    const sql = splitLines(result.compiledCode);
    const { kept, omitted } = takeHead(sql, { maxLines: 200, maxBytes: 16 * 1024 });
    lines.push('  compiled SQL that ran:', ...kept.map((line) => `    ${line}`));
    if (omitted > 0)
      lines.push(`    ${cutNote(omitted, 'lines', compiled ? `read_file ${compiled}` : undefined)}`);
  }
  return lines;
}

/**
 * Where the compiled SQL is: named in dbt's error message when it failed in the database, else
 * the manifest's compiled_path, else dbt's own layout (`target/compiled/<package>/<file>`).
 */
function compiledPathOf(
  result: DbtRunResultRecord,
  node: DbtNodeRecord | undefined,
  projectDir: string | undefined,
): string | undefined {
  const fromMessage = /compiled (?:SQL|Code) at (\S+)/i.exec(result.message ?? '')?.[1];
  const relative =
    fromMessage ??
    node?.compiledPath ??
    (node?.path
      ? path.posix.join(
          'target/compiled',
          node.packageName,
          node.path,
          node.resourceType === 'test' && node.path.endsWith('.yml') ? `${node.name}.sql` : '',
        )
      : undefined);
  if (!relative || path.isAbsolute(relative)) return relative;
  return projectDir ? path.posix.normalize(path.posix.join(projectDir, relative)) : relative;
}

// ---------------------------------------------------------------------------------------------
// dbt_models_missing

const MISSING_DEFAULT_LIMIT = 100;
const COLUMNS_PER_MODEL = 25;

const missingInput = z.object({
  missing: z
    .enum(['tests', 'docs', 'both'])
    .default('both')
    .describe('Find models missing tests, missing docs (descriptions), or either (default both).'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('A glob on the model file path, e.g. "models/marts/**"; without "/" it matches the name.'),
  package: z.string().min(1).optional().describe('Only models of this dbt package (project).'),
  columns: z
    .boolean()
    .default(true)
    .describe(
      'Also report columns without a description or without tests (default true). Uses catalog.json, when present, to find warehouse columns YAML does not list.',
    ),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(MISSING_DEFAULT_LIMIT)
    .describe(`How many models to report at most (default ${MISSING_DEFAULT_LIMIT}).`),
});

/** `dbt_models_missing`: models (and their columns) without tests or without descriptions. */
export const dbtModelsMissingTool = defineTool({
  name: 'dbt_models_missing',
  description: [
    'Find dbt models that lack tests or documentation, from the manifest: models with no data or unit test,',
    'models with no description, and (columns=true) per model the columns without a description and without tests.',
    'With catalog.json (dbt docs generate) it also finds warehouse columns that YAML does not mention.',
    'Starts with totals, then one line per model sorted by path. Filter with path or package.',
    'Use it to plan which tests and docs to add; dbt_get_model shows one model in full.',
  ].join(' '),
  inputSchema: missingInput,
  concurrent: true,
  async execute(input, context) {
    const loaded = await loadDbtManifest(context);
    const manifest = loaded.value;
    const notes: string[] = [];
    const catalog = input.columns
      ? await loadOptional(() => loadArtifact(context, catalogArtifact), notes)
      : undefined;
    const wantTests = input.missing !== 'docs';
    const wantDocs = input.missing !== 'tests';
    const glob = compilePathGlob(input.path);
    const models = (
      await filterInTurns(
        manifest.nodes,
        context.signal,
        (node) =>
          node.resourceType === 'model' &&
          (!input.package || node.packageName === input.package) &&
          (glob === undefined || matchesPathGlob(node, glob)),
      )
    ).sort((a, b) => (a.path ?? a.name).localeCompare(b.path ?? b.name));

    const gaps = models.flatMap((model) => {
      const gap = findGaps(manifest, model, catalog?.value, { wantTests, wantDocs, columns: input.columns });
      return gap ? [gap] : [];
    });
    const totals = [
      wantTests ? `${gaps.filter((gap) => gap.noTests).length} without tests` : undefined,
      wantDocs ? `${gaps.filter((gap) => gap.noDescription).length} without a description` : undefined,
      input.columns && wantDocs
        ? `${gaps.filter((gap) => gap.undocumentedColumns.length > 0).length} with undocumented columns`
        : undefined,
      input.columns && wantTests
        ? `${gaps.filter((gap) => gap.untestedColumns.length > 0).length} with untested columns`
        : undefined,
    ].filter(Boolean);
    const lines = [
      artifactLine('manifest', loaded.shown, manifest.metadata),
      ...notes,
      catalog
        ? `catalog: ${catalog.shown} (warehouse columns)`
        : 'catalog: none (only columns listed in YAML are checked)',
      `${models.length} models checked: ${totals.join(', ')}.`,
    ];
    const summary = `${gaps.length} of ${models.length} models have gaps (${loadNote(loaded)})`;
    if (gaps.length === 0) {
      lines.push('No gaps found.');
      return { output: lines.join('\n'), summary };
    }
    for (const gap of gaps.slice(0, input.limit)) lines.push(gapLine(gap));
    if (gaps.length > input.limit) {
      lines.push(
        cutNote(gaps.length - input.limit, 'models', 'use path or package to narrow, or raise limit'),
      );
    }
    const output = cappedOutput(lines, 'use path or package to narrow', summary);
    return { ...output, truncated: output.truncated || gaps.length > input.limit };
  },
});

interface ModelGaps {
  model: DbtNodeRecord;
  noTests: boolean;
  noDescription: boolean;
  undocumentedColumns: string[];
  untestedColumns: string[];
}

function findGaps(
  manifest: DbtManifest,
  model: DbtNodeRecord,
  catalog: DbtCatalog | undefined,
  wanted: { wantTests: boolean; wantDocs: boolean; columns: boolean },
): ModelGaps | undefined {
  const tests = manifest.testsOf(model.uniqueId);
  const gaps: ModelGaps = {
    model,
    noTests: wanted.wantTests && tests.length === 0,
    noDescription: wanted.wantDocs && !model.description,
    undocumentedColumns: [],
    untestedColumns: [],
  };
  if (wanted.columns) {
    const described = new Map((model.columns ?? []).map((column) => [column.name.toLowerCase(), column]));
    const names = (model.columns ?? []).map((column) => column.name);
    for (const column of catalog?.columnsOf(model.uniqueId) ?? []) {
      if (!described.has(column.name.toLowerCase())) names.push(column.name);
    }
    const tested = new Set(tests.flatMap((test) => (test.columnName ? [test.columnName.toLowerCase()] : [])));
    for (const name of names) {
      if (wanted.wantDocs && !described.get(name.toLowerCase())?.description)
        gaps.undocumentedColumns.push(name);
      if (wanted.wantTests && !tested.has(name.toLowerCase())) gaps.untestedColumns.push(name);
    }
  }
  const any =
    gaps.noTests ||
    gaps.noDescription ||
    gaps.undocumentedColumns.length > 0 ||
    gaps.untestedColumns.length > 0;
  return any ? gaps : undefined;
}

function gapLine(gap: ModelGaps): string {
  const parts = [
    gap.noTests ? 'no tests' : undefined,
    gap.noDescription ? 'no description' : undefined,
    gap.undocumentedColumns.length > 0
      ? `columns without description (${gap.undocumentedColumns.length}): ${listOrNone(gap.undocumentedColumns, COLUMNS_PER_MODEL)}`
      : undefined,
    gap.untestedColumns.length > 0
      ? `columns without tests (${gap.untestedColumns.length}): ${listOrNone(gap.untestedColumns, COLUMNS_PER_MODEL)}`
      : undefined,
  ].filter(Boolean);
  return `${displayName(gap.model)} (${gap.model.path ?? gap.model.uniqueId}): ${parts.join('; ')}`;
}

/** Every dbt tool, for the registry. */
export const dbtTools = [
  dbtListModelsTool,
  dbtGetModelTool,
  dbtLineageTool,
  dbtFailedNodesTool,
  dbtModelsMissingTool,
] as const;
