import type { RunStore } from './run-store.js';
import type { RunRecord } from './types.js';

/** A run and the child runs it started with `invoke_agent`, theirs below them, oldest first. */
export interface RunTree {
  run: RunRecord;
  children: RunTree[];
}

/** Runs a tree holds at most: a squad bigger than this is a bug, and the view stays bounded. */
const MAX_TREE_RUNS = 1000;

/**
 * The tree of child runs below `run`, breadth first, at most 1000 runs (children past that are
 * left out). Cycles cannot occur (a child is created after its parent), but a visited set keeps
 * a tampered store from looping.
 */
export async function loadRunTree(store: RunStore, run: RunRecord): Promise<RunTree> {
  const root: RunTree = { run, children: [] };
  const seen = new Set([run.id]);
  const queue = [root];
  while (queue.length > 0 && seen.size < MAX_TREE_RUNS) {
    const node = queue.shift()!;
    const children = await store.listRuns({ parentRunId: node.run.id, limit: MAX_TREE_RUNS });
    for (const child of children.reverse()) {
      if (seen.has(child.id) || seen.size >= MAX_TREE_RUNS) continue;
      seen.add(child.id);
      const subtree: RunTree = { run: child, children: [] };
      node.children.push(subtree);
      queue.push(subtree);
    }
  }
  return root;
}
