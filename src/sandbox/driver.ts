/**
 * The sandbox port. Words used here:
 * - **sandbox**: the isolated workspace and process space of one run, owned by the engine.
 * - **session**: what a tool may touch of it: read and write files under `root`, run commands.
 * - **workspace**: the repository at the run's base commit, on the branch `agentry/<run-id>`.
 * - **driver**: makes and removes sandboxes (`bwrap`, `local`, later `kubernetes`).
 */

/** Network a sandbox's commands get: none at all (the default), or the host's. */
export type SandboxNetwork = 'none' | 'host';

/** How a limit is enforced: by a cgroup (the whole command), a per-process rlimit, or not at all. */
export type LimitEnforcement = 'cgroup' | 'rlimit' | 'none';

/** What a sandbox isolates, reported in `sandbox.provisioned` so the audit trail says it. */
export interface SandboxIsolation {
  /** Network of commands: `none`, `host`, or `unisolated` when the driver cannot cut it. */
  network: SandboxNetwork | 'unisolated';
  /** True when commands see only the workspace (read-write) and system directories (read-only). */
  filesystem: boolean;
  /** True when commands get their own PID namespace and die with the sandbox. */
  processes: boolean;
  /**
   * System calls commands may not make: `seccomp` with the names its filter refuses (see
   * docs/sandbox.md), or `none` when nothing filters them.
   */
  syscalls: { filter: 'seccomp' | 'none'; denied: readonly string[] };
  /**
   * How each resource limit is enforced. `disk`: `tmpfs` when the workspace's writes land on a
   * tmpfs of `limits.disk_mb` (commands get ENOSPC beyond it), `none` when nothing bounds them.
   */
  limits: {
    memory: LimitEnforcement;
    processes: LimitEnforcement;
    cpu: LimitEnforcement;
    disk: 'tmpfs' | 'none';
  };
}

/** Why the sandbox stopped a command before it ended on its own. */
export type ExecStop = 'timeout' | 'cancelled' | 'memory' | 'cpu' | 'file-size';

/** One command to run in the workspace. */
export interface ExecOptions {
  /** Working directory, relative to the workspace root; the root when absent. */
  cwd?: string;
  /** Killed after this long; the sandbox's `limits.command_timeout` when absent, never more. */
  timeoutMs?: number;
  /** Aborting it kills the command (the run was cancelled or timed out). */
  signal?: AbortSignal;
  /** Bytes of output kept for the caller, head and tail; the sandbox's limit when absent. */
  maxOutputBytes?: number;
}

/** How a command ended. A command that fails is a result, not an error: its output says why. */
export interface ExecResult {
  /** The exit code; 128 + N when the command died of signal N. */
  exitCode: number;
  /**
   * Standard output and error, interleaved as they came. When longer than the cap, its head and
   * tail with a note saying how much was cut between them.
   */
  output: string;
  truncated: boolean;
  /** Bytes the command wrote in all. */
  outputBytes: number;
  durationMs: number;
  /** Set when the sandbox stopped the command. */
  stoppedBy?: ExecStop;
  /** True when the command tried to start more processes than its limit allows. */
  processLimitReached: boolean;
}

/** A file kept from a run, handed to the engine before the sandbox goes. */
export interface SandboxArtifact {
  /** Unique per run; `workspace.diff` is the diff of the workspace against its base commit. */
  name: string;
  mediaType: string;
  content: Uint8Array;
  /** Extra fields for the `artifact.created` event, e.g. the workspace path it came from. */
  details?: Record<string, unknown>;
}

/** Where an artifact the agent asked to keep came from. */
export interface KeptArtifact {
  name: string;
  mediaType: string;
  size: number;
  /** Workspace-relative path of the file, with `/` separators. */
  path: string;
}

/**
 * A run's view of its sandbox: what tools may touch. It can read and write files under `root`
 * and run commands inside the sandbox, nothing else; creating and destroying it is the engine's.
 */
export interface SandboxSession {
  /** Absolute, real (symlink-free) path of the workspace: the repository at the run's commit. */
  readonly root: string;
  /**
   * Run a shell command (`/bin/sh -c`) in the workspace, isolated as the driver can, with a
   * scrubbed environment, a timeout and resource limits. Absent on a session that cannot run
   * commands (a bare directory in a test).
   */
  exec?(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Keep a workspace file as a run artifact: a snapshot is taken now and stored when the sandbox
   * goes. `file` is an absolute path the caller has already checked is inside `root`.
   */
  keepArtifact?(file: string, options?: { name?: string; mediaType?: string }): Promise<KeptArtifact>;
}

/** A provisioned sandbox, owned by the engine. */
export interface Sandbox {
  readonly runId: string;
  /** Which driver made it, reported on every run. */
  readonly driver: string;
  /** How the workspace was made: `overlayfs`, `fuse-overlayfs`, `git-checkout`, `git-worktree`. */
  readonly method: string;
  /** The commit the workspace was checked out at. */
  readonly baseCommit: string;
  /** The branch the run works on: `agentry/<run-id>`. */
  readonly branch: string;
  readonly session: SandboxSession;
  /** What this sandbox isolates and how its limits are enforced. */
  readonly isolation: SandboxIsolation;
  /**
   * The files to keep before the sandbox goes: those the agent asked for, and always
   * `workspace.diff`, the diff of the workspace (commits and uncommitted changes) against the
   * base commit. Call it before {@link destroy}.
   */
  collectArtifacts(): Promise<SandboxArtifact[]>;
  /**
   * Kill its processes and remove the workspace. Commits the agent made on its branch are kept
   * as the branch `agentry/<run-id>` of the project's repository. Idempotent.
   */
  destroy(): Promise<void>;
}

export interface ProvisionRequest {
  runId: string;
  /** The project's git repository (the directory holding `.agentry/`). */
  repoRoot: string;
  /** A commit-ish; `HEAD` when absent. */
  baseRef?: string;
  /** The agent's network, overriding `sandbox.network` of config.yml. */
  network?: SandboxNetwork;
  /**
   * A diff (`git diff --binary`) to apply on top of the base commit: the previous turn's
   * `workspace.diff`, so a follow-up turn starts where the last one ended.
   */
  restoreDiff?: Uint8Array | string;
}

/** Makes and removes sandboxes. Drivers: `bwrap` (Linux namespaces), `local`, later `kubernetes`. */
export interface SandboxDriver {
  readonly name: string;
  provision(request: ProvisionRequest): Promise<Sandbox>;
  /**
   * Remove sandboxes left by runs that are no longer running (a crashed process). Returns how
   * many were removed.
   */
  reap(repoRoot: string, isRunLive: (runId: string) => Promise<boolean>): Promise<number>;
}
