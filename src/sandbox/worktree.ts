import { rm } from 'node:fs/promises';
import { git } from './git.js';
import { BRANCH_PREFIX } from './repository.js';
import { withRepositoryLock } from './repository-lock.js';

/** A git worktree of the project on a run's branch. */
export interface RunWorktree {
  path: string;
  branch: string;
  runId: string;
}

/** The worktrees of `repoRoot` on `agentry/*` branches: the local driver's workspaces. */
export async function listRunWorktrees(repoRoot: string): Promise<RunWorktree[]> {
  const porcelain = await git(repoRoot, ['worktree', 'list', '--porcelain']).catch(() => '');
  const found: RunWorktree[] = [];
  for (const block of porcelain.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    const branch = /^branch refs\/heads\/(.+)$/m.exec(block)?.[1];
    if (!path || !branch?.startsWith(BRANCH_PREFIX)) continue;
    found.push({ path, branch, runId: branch.slice(BRANCH_PREFIX.length) });
  }
  return found;
}

/**
 * Remove a run's worktree and, when the agent committed nothing on it, its branch. The branch
 * is kept when it holds commits: those are the run's work.
 */
export async function removeWorktree(
  repoRoot: string,
  worktree: RunWorktree,
  baseCommit: string,
): Promise<void> {
  await withRepositoryLock(repoRoot, async () => {
    await git(repoRoot, ['worktree', 'remove', '--force', worktree.path]).catch(() => undefined);
    // If git no longer knew the worktree, the directory may still be there.
    await rm(worktree.path, { recursive: true, force: true });
    await git(repoRoot, ['worktree', 'prune']).catch(() => undefined);
  });
  const base = baseCommit || (await git(repoRoot, ['merge-base', worktree.branch, 'HEAD']).catch(() => ''));
  const ahead = base
    ? await git(repoRoot, ['rev-list', '--count', `${base}..${worktree.branch}`]).catch(() => '0')
    : '0';
  if (ahead !== '0') return;
  await git(repoRoot, ['branch', '-D', worktree.branch]).catch(() => undefined);
}

/** Remove the worktrees of runs no longer running. Returns how many. */
export async function reapWorktrees(
  repoRoot: string,
  isRunLive: (runId: string) => Promise<boolean>,
): Promise<number> {
  let removed = 0;
  for (const worktree of await listRunWorktrees(repoRoot)) {
    if (await isRunLive(worktree.runId)) continue;
    await removeWorktree(repoRoot, worktree, '');
    removed++;
  }
  await withRepositoryLock(repoRoot, () => git(repoRoot, ['worktree', 'prune']).catch(() => undefined));
  return removed;
}
