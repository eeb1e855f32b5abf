import { mkdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProvisionRequest, Sandbox, SandboxDriver } from './driver.js';
import { SandboxError, WorkspaceError } from './errors.js';
import { git, gitFailure } from './git.js';

const BRANCH_PREFIX = 'agentry/';

export interface LocalDriverOptions {
  /** Where workspaces are created; `<tmpdir>/agentry-workspaces` when absent. */
  workspaceRoot?: string;
}

/**
 * A git worktree per run on a branch `agentry/<run-id>`. It isolates files, not processes: commands
 * run with the user's rights and network. Use `bwrap` where commands run unattended.
 */
export class LocalSandboxDriver implements SandboxDriver {
  readonly name = 'local';
  private readonly workspaceRoot: string;

  constructor(options: LocalDriverOptions = {}) {
    this.workspaceRoot = options.workspaceRoot ?? join(tmpdir(), 'agentry-workspaces');
  }

  async provision(request: ProvisionRequest): Promise<Sandbox> {
    const baseRef = request.baseRef ?? 'HEAD';
    const baseCommit = await resolveCommit(request.repoRoot, baseRef);
    const branch = `${BRANCH_PREFIX}${request.runId}`;
    await mkdir(this.workspaceRoot, { recursive: true });
    const directory = join(this.workspaceRoot, request.runId);
    try {
      await git(request.repoRoot, ['worktree', 'add', '--quiet', '-b', branch, directory, baseCommit]);
    } catch (error) {
      throw new SandboxError(
        `could not create the workspace for run ${request.runId}: ${gitFailure(error)}`,
        {
          cause: error,
        },
      );
    }
    const root = await realpath(directory);
    return new WorktreeSandbox(request.runId, request.repoRoot, root, branch, baseCommit);
  }

  async reap(repoRoot: string, isRunLive: (runId: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const worktree of await listRunWorktrees(repoRoot)) {
      if (await isRunLive(worktree.runId)) continue;
      await new WorktreeSandbox(worktree.runId, repoRoot, worktree.path, worktree.branch, '').destroy();
      removed++;
    }
    await git(repoRoot, ['worktree', 'prune']).catch(() => undefined);
    return removed;
  }
}

class WorktreeSandbox implements Sandbox {
  readonly driver = 'local';
  readonly method = 'git-worktree';
  private destroyed = false;

  constructor(
    readonly runId: string,
    private readonly repoRoot: string,
    private readonly root: string,
    readonly branch: string,
    readonly baseCommit: string,
  ) {}

  get session() {
    return { root: this.root };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await git(this.repoRoot, ['worktree', 'remove', '--force', this.root]).catch(() => undefined);
    // If git no longer knew the worktree, the directory may still be there.
    await rm(this.root, { recursive: true, force: true });
    await git(this.repoRoot, ['worktree', 'prune']).catch(() => undefined);
    await this.deleteBranchIfEmpty();
  }

  /** The branch is kept when the agent committed on it: those commits are its work. */
  private async deleteBranchIfEmpty(): Promise<void> {
    const base =
      this.baseCommit || (await git(this.repoRoot, ['merge-base', this.branch, 'HEAD']).catch(() => ''));
    const ahead = base
      ? await git(this.repoRoot, ['rev-list', '--count', `${base}..${this.branch}`]).catch(() => '0')
      : '0';
    if (ahead !== '0') return;
    await git(this.repoRoot, ['branch', '-D', this.branch]).catch(() => undefined);
  }
}

async function resolveCommit(repoRoot: string, ref: string): Promise<string> {
  try {
    await git(repoRoot, ['rev-parse', '--git-dir']);
  } catch {
    throw new WorkspaceError(
      `${repoRoot} is not a git repository: agents run on a checkout of a commit; run 'git init && git add -A && git commit -m init'`,
    );
  }
  try {
    return await git(repoRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    const hint =
      ref === 'HEAD'
        ? 'the repository has no commit yet: commit your files first'
        : 'pass a branch, tag or commit that exists';
    throw new WorkspaceError(`cannot resolve base ref '${ref}' in ${repoRoot}: ${hint}`);
  }
}

async function listRunWorktrees(
  repoRoot: string,
): Promise<{ path: string; branch: string; runId: string }[]> {
  const porcelain = await git(repoRoot, ['worktree', 'list', '--porcelain']).catch(() => '');
  const found: { path: string; branch: string; runId: string }[] = [];
  for (const block of porcelain.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    const branch = /^branch refs\/heads\/(.+)$/m.exec(block)?.[1];
    if (!path || !branch?.startsWith(BRANCH_PREFIX)) continue;
    found.push({ path, branch, runId: branch.slice(BRANCH_PREFIX.length) });
  }
  return found;
}
