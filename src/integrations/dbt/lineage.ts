import { type DbtManifest, isTest } from './manifest.js';
import type { DbtNodeRecord } from './manifest-data.js';

/** Which way to walk from a node. */
export type LineageDirection = 'upstream' | 'downstream';

/** Options of {@link lineageTree} and {@link lineageEdges}. */
export interface LineageOptions {
  direction: LineageDirection;
  /** Levels to walk: 1 is the direct parents (or children). */
  depth: number;
  /** Walk into data tests and unit tests too (downstream only; they have no children). */
  includeTests?: boolean;
  /** Stop after this many nodes, so a hub model's lineage stays readable. */
  maxNodes?: number;
}

/** One node in a lineage tree, with the nodes one level further. */
export interface LineageBranch {
  node: DbtNodeRecord;
  children: LineageBranch[];
  /** The node was already expanded elsewhere in the tree; its own branches are not repeated. */
  seenBefore?: boolean;
  /** Neighbours not shown because the depth limit was reached. */
  beyondDepth?: number;
}

/** A lineage tree rooted at one node. */
export interface LineageTree {
  root: LineageBranch;
  /** Distinct nodes in the tree, the root excluded. */
  nodeCount: number;
  /** True when {@link LineageOptions.maxNodes} cut the walk short. */
  truncated: boolean;
}

const DEFAULT_MAX_NODES = 500;

/**
 * The upstream or downstream tree of a node, breadth first so the nearest nodes survive a cut.
 * A node reached twice (a diamond in the DAG) is expanded once and marked `seenBefore` after.
 */
export function lineageTree(manifest: DbtManifest, rootId: string, options: LineageOptions): LineageTree {
  const maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
  const root: LineageBranch = { node: manifest.getOrStub(rootId), children: [] };
  const expanded = new Set<string>([rootId]);
  let queue: Array<{ branch: LineageBranch; level: number }> = [{ branch: root, level: 0 }];
  let nodeCount = 0;
  let truncated = false;

  while (queue.length > 0) {
    const next: typeof queue = [];
    for (const { branch, level } of queue) {
      const neighbours = neighboursOf(manifest, branch.node.uniqueId, options);
      if (level >= options.depth) {
        if (neighbours.length > 0) branch.beyondDepth = neighbours.length;
        continue;
      }
      for (const id of neighbours) {
        if (nodeCount >= maxNodes) {
          truncated = true;
          break;
        }
        const child: LineageBranch = { node: manifest.getOrStub(id), children: [] };
        branch.children.push(child);
        if (expanded.has(id)) {
          child.seenBefore = true;
          continue;
        }
        expanded.add(id);
        nodeCount += 1;
        next.push({ branch: child, level: level + 1 });
      }
    }
    queue = next;
  }
  return { root, nodeCount, truncated };
}

/** Lineage as edges, always written parent → child, with the nodes they touch. */
export interface LineageEdges {
  edges: Array<[parent: string, child: string]>;
  /** Unique ids reached, the root excluded, nearest first. */
  nodes: string[];
  truncated: boolean;
}

/** The edges of {@link lineageTree}'s walk, each once. */
export function lineageEdges(manifest: DbtManifest, rootId: string, options: LineageOptions): LineageEdges {
  const tree = lineageTree(manifest, rootId, options);
  const edges: Array<[string, string]> = [];
  const nodes: string[] = [];
  const seen = new Set<string>();
  let level: LineageBranch[] = [tree.root];
  while (level.length > 0) {
    const next: LineageBranch[] = [];
    for (const branch of level) {
      for (const child of branch.children) {
        const from = branch.node.uniqueId;
        const to = child.node.uniqueId;
        edges.push(options.direction === 'upstream' ? [to, from] : [from, to]);
        if (!seen.has(to)) {
          seen.add(to);
          nodes.push(to);
        }
        if (!child.seenBefore) next.push(child);
      }
    }
    level = next;
  }
  return { edges, nodes, truncated: tree.truncated };
}

function neighboursOf(manifest: DbtManifest, id: string, options: LineageOptions): readonly string[] {
  const ids = options.direction === 'upstream' ? manifest.parents(id) : manifest.children(id);
  if (options.includeTests) return ids;
  return ids.filter((neighbour) => !isTest(manifest.getOrStub(neighbour)));
}
