/**
 * A run's view of its sandbox: what tools may touch. It can read, write and (with a driver that
 * isolates processes) exec inside `root`, nothing else.
 */
export interface SandboxSession {
  /** Absolute, real (symlink-free) path of the workspace: the repository at the run's commit. */
  readonly root: string;
}

/** A provisioned sandbox, owned by the engine. */
export interface Sandbox {
  readonly runId: string;
  /** Which driver made it, reported on every run. */
  readonly driver: string;
  /** How the workspace was made, e.g. `git-worktree`. */
  readonly method: string;
  /** The commit the workspace was checked out at. */
  readonly baseCommit: string;
  /** The branch the run works on: `agentry/<run-id>`. */
  readonly branch: string;
  readonly session: SandboxSession;
  /** Remove the workspace, its branch (when it holds nothing new) and its processes. Idempotent. */
  destroy(): Promise<void>;
}

export interface ProvisionRequest {
  runId: string;
  /** The project's git repository (the directory holding `.agentry/`). */
  repoRoot: string;
  /** A commit-ish; `HEAD` when absent. */
  baseRef?: string;
}

/** Makes and removes sandboxes. Drivers: `local` (git worktree), `bwrap`, later `kubernetes`. */
export interface SandboxDriver {
  readonly name: string;
  provision(request: ProvisionRequest): Promise<Sandbox>;
  /**
   * Remove sandboxes left by runs that are no longer running (a crashed process). Returns how
   * many were removed.
   */
  reap(repoRoot: string, isRunLive: (runId: string) => Promise<boolean>): Promise<number>;
}
