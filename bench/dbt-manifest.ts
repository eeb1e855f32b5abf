// dbt manifest load time: a bare readFile + JSON.parse of the file against Agentry's loader
// cold (parse + compact index), warm from the on-disk index cache (a new process) and warm from
// memory (a later tool call or run in the same process). On the real manifests in
// ../shared/realdata and on one scaled up to about 50 MB by replicating a real manifest's nodes
// under new ids (generated in a temp dir, deleted at the end).
// Run: npm run build && node --expose-gc bench/dbt-manifest.ts   (RUNS=15 SCALE_MB=50 to change)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DbtArtifactCache, manifestArtifact } from '../dist/integrations/dbt/index.js';

const RUNS = Number(process.env.RUNS ?? 15);
const SCALE_MB = Number(process.env.SCALE_MB ?? 50);
const REALDATA = resolve(process.env.REALDATA ?? '../shared/realdata');

const REAL_MANIFESTS = [
  'tuva-health_tuva/at_54359dea8630639ebe3b518da2ce9a453138c8f9/manifest.json',
  'fivetran_dbt_hubspot/latest_be3a903c24d804bdeea3629c0dda005fb114527f/manifest.json',
  'yu-iskw_dbt-artifacts-parser/tests/resources/manifest/v12/jaffle_shop/manifest_1.11.json',
].map((relative) => join(REALDATA, relative));

const work = mkdtempSync(join(tmpdir(), 'agentry-bench-dbt-'));

type Json = Record<string, unknown>;

/**
 * A real manifest with its `nodes` copied `copies` times under new ids (`<id>__r<k>`), with
 * depends_on, attached_node, parent_map and child_map rewritten to match: the same shapes and
 * text, more of them.
 */
function scaleUp(source: string, targetBytes: number): { file: string; nodes: number } {
  const text = readFileSync(source, 'utf8');
  const manifest = JSON.parse(text) as Json;
  const nodes = manifest['nodes'] as Record<string, Json>;
  const nodesBytes = JSON.stringify(nodes).length;
  const copies = Math.max(1, Math.ceil((targetBytes - (text.length - nodesBytes)) / nodesBytes));
  const ids = new Set(Object.keys(nodes));
  const rename = (id: string, copy: number) => (copy === 0 || !ids.has(id) ? id : `${id}__r${copy}`);
  const scaledNodes: Record<string, Json> = {};
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  const originalParents = (manifest['parent_map'] ?? {}) as Record<string, string[]>;
  const originalChildren = (manifest['child_map'] ?? {}) as Record<string, string[]>;
  for (let copy = 0; copy < copies; copy++) {
    for (const [id, node] of Object.entries(nodes)) {
      const clone = structuredClone(node);
      const newId = rename(id, copy);
      clone['unique_id'] = newId;
      if (copy > 0) {
        clone['name'] = `${node['name']}__r${copy}`;
        clone['alias'] = `${node['alias'] ?? node['name']}__r${copy}`;
        clone['original_file_path'] = String(node['original_file_path']).replace(/(\.\w+)$/, `__r${copy}$1`);
      }
      const dependsOn = clone['depends_on'] as { nodes?: string[] } | undefined;
      if (dependsOn?.nodes) dependsOn.nodes = dependsOn.nodes.map((parent) => rename(parent, copy));
      if (typeof clone['attached_node'] === 'string')
        clone['attached_node'] = rename(clone['attached_node'], copy);
      scaledNodes[newId] = clone;
      parentMap[newId] = (originalParents[id] ?? []).map((parent) => rename(parent, copy));
      childMap[newId] = (originalChildren[id] ?? []).map((child) => rename(child, copy));
    }
  }
  const scaled = { ...manifest, nodes: scaledNodes, parent_map: parentMap, child_map: childMap };
  const file = join(work, `scaled-${SCALE_MB}mb-manifest.json`);
  writeFileSync(file, JSON.stringify(scaled));
  return { file, nodes: Object.keys(scaledNodes).length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

interface Row {
  manifest: string;
  size: string;
  nodes: number;
  bare: number;
  cold: number;
  /** Median of cold/bare per round: each round times both back to back, so machine load hits both. */
  ratio: number;
  /** Cold load, then every node turned into a record (what a first dbt_list_models adds). */
  coldScan: number;
  diskWarm: number;
  memoryWarm: number;
  cacheBytes: number;
}

async function measure(label: string, file: string): Promise<Row> {
  const bare: number[] = [];
  const cold: number[] = [];
  const ratios: number[] = [];
  const coldScan: number[] = [];
  const diskWarm: number[] = [];
  const memoryWarm: number[] = [];
  let nodes = 0;
  let cacheBytes = 0;
  const timeBare = async () => {
    gc();
    const started = performance.now();
    JSON.parse(await readFile(file, 'utf8'));
    return performance.now() - started;
  };
  // Two rounds of warm-up, then RUNS measured rounds; bare and cold swap places every round so
  // neither always runs second (after the other's garbage, or on a warmer cache).
  for (let round = -2; round < RUNS; round++) {
    const cacheDir = mkdtempSync(join(work, 'cache-'));
    const bareFirst = round % 2 === 0;
    let bareMs = bareFirst ? await timeBare() : 0;

    gc();
    const coldCache = new DbtArtifactCache();
    const coldLoad = await coldCache.load(manifestArtifact, file, { cacheDir });
    if (coldLoad.origin !== 'parsed') throw new Error(`cold load came from ${coldLoad.origin}`);
    let started = performance.now();
    nodes = coldLoad.value.nodes.length;
    const scanMs = coldLoad.ms + (performance.now() - started);
    // The compaction and cache write the load scheduled must not run inside the bare timing.
    await coldCache.flush();
    if (!bareFirst) bareMs = await timeBare();
    started = performance.now();
    const memoryLoad = await coldCache.load(manifestArtifact, file, { cacheDir });
    const memoryMs = performance.now() - started;
    if (memoryLoad.origin !== 'memory') throw new Error(`warm load came from ${memoryLoad.origin}`);

    gc();
    started = performance.now();
    const diskLoad = await new DbtArtifactCache().load(manifestArtifact, file, { cacheDir });
    const diskMs = performance.now() - started;
    if (diskLoad.origin !== 'disk-cache') throw new Error(`disk load came from ${diskLoad.origin}`);
    cacheBytes = readdirSync(cacheDir)
      .filter((name) => name.endsWith('.json'))
      .reduce((sum, name) => sum + statSync(join(cacheDir, name)).size, 0);
    rmSync(cacheDir, { recursive: true, force: true });

    if (round < 0) continue;
    bare.push(bareMs);
    cold.push(coldLoad.ms);
    ratios.push(coldLoad.ms / bareMs);
    coldScan.push(scanMs);
    memoryWarm.push(memoryMs);
    diskWarm.push(diskMs);
  }
  return {
    manifest: label,
    size: `${(statSync(file).size / 1024 / 1024).toFixed(1)} MB`,
    nodes,
    bare: median(bare),
    cold: median(cold),
    ratio: median(ratios),
    coldScan: median(coldScan),
    diskWarm: median(diskWarm),
    memoryWarm: median(memoryWarm),
    cacheBytes,
  };
}

try {
  const rows: Row[] = [];
  for (const file of REAL_MANIFESTS) {
    if (!existsSync(file)) {
      console.error(`skipped (not found): ${file}`);
      continue;
    }
    const label = file.slice(REALDATA.length + 1).split('/')[0]!;
    rows.push(await measure(label, file));
  }
  const largest = REAL_MANIFESTS.find((file) => existsSync(file));
  if (largest) {
    const scaled = scaleUp(largest, SCALE_MB * 1024 * 1024);
    rows.push(await measure(`${rows[0]?.manifest ?? 'real'} ×${scaled.nodes} nodes`, scaled.file));
  }

  console.log(
    `dbt manifest load, median of ${RUNS} (ms); node ${process.version}${gc.name === 'gc' ? ', --expose-gc' : ''}`,
  );
  const header = [
    'manifest',
    'size',
    'nodes',
    'bare parse',
    'cold',
    'cold/bare',
    'cold+scan',
    'warm disk',
    'warm memory',
    'cache file',
  ];
  const table = rows.map((row) => [
    row.manifest,
    row.size,
    String(row.nodes),
    row.bare.toFixed(1),
    row.cold.toFixed(1),
    `${row.ratio.toFixed(2)}×`,
    row.coldScan.toFixed(1),
    row.diskWarm.toFixed(1),
    row.memoryWarm.toFixed(3),
    `${(row.cacheBytes / 1024 / 1024).toFixed(1)} MB`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(line(header));
  for (const cells of table) console.log(line(cells));
  console.log(
    'bare parse = readFile + JSON.parse; cold = stat + cache check + readFile + JSON.parse + index;',
  );
  console.log('cold/bare = median of the per-round ratios (each round times both, back to back);');
  console.log(
    'cold+scan = cold, then every node made a record (the lazy part, e.g. a first dbt_list_models);',
  );
  console.log(
    'warm disk = a new process reading the compact index cache; warm memory = a later call in this process.',
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
