import { mkdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { sandboxLimitsSchema } from '../spec/config.js';
import { ArtifactKeeper, workspaceDiffArtifact } from './artifacts.js';
import { BaseCheckoutCache } from './base-cache.js';
import { type CgroupFactory, detectCgroups } from './cgroup.js';
import { insideWorkspace } from './cwd.js';
import type {
  ExecOptions,
  ExecResult,
  KeptArtifact,
  ProvisionRequest,
  Sandbox,
  SandboxArtifact,
  SandboxDriver,
  SandboxIsolation,
  SandboxSession,
} from './driver.js';
import { sandboxEnvironment } from './environment.js';
import { SandboxError } from './errors.js';
import { CommandRunner } from './exec.js';
import { git, gitFailure } from './git.js';
import { loadIgnorePatterns } from './ignore.js';
import { prlimitAvailable, prlimitPrefix, resolveLimits, type SandboxLimits } from './limits.js';
import { BRANCH_PREFIX, objectsDirectory, resolveCommit } from './repository.js';
import { withRepositoryLock } from './repository-lock.js';
import { BASE_CACHE_DIRECTORY, reapRunDirectories } from './run-directory.js';
import { applyDiff, copyIndex, workspaceDiff } from './run-git.js';
import { reapWorktrees, removeWorktree } from './worktree.js';

export interface LocalDriverOptions {
  /** Where workspaces are created; `<tmpdir>/agentry-workspaces` when absent. */
  workspaceRoot?: string;
  /** `sandbox.ignore` of config.yml (added to `.agentryignore`). */
  ignore?: readonly string[];
  /** `sandbox.env` of config.yml: literal values added to every command's environment. */
  env?: Record<string, string>;
  /** Limits of commands; config.yml's defaults when absent. */
  limits?: SandboxLimits;
}

/** What the local driver does not isolate, for the warning shown when it stands in for bwrap. */
export const LOCAL_DRIVER_CAVEAT =
  'commands run as you, with your network and your files outside the workspace readable and writable; only the environment is scrubbed';

/**
 * A git worktree per run on a branch `agentry/<run-id>`, and commands run as plain child
 * processes with a scrubbed environment, a timeout and resource limits. It isolates files from
 * the file tools, not from commands: use `bwrap` where commands run unattended.
 */
export class LocalSandboxDriver implements SandboxDriver {
  readonly name = 'local';
  private readonly workspaceRoot: string;
  private readonly limits: SandboxLimits;
  private readonly cgroups: CgroupFactory | undefined;

  constructor(private readonly options: LocalDriverOptions = {}) {
    this.workspaceRoot = options.workspaceRoot ?? join(tmpdir(), 'agentry-workspaces');
    this.limits = options.limits ?? resolveLimits(sandboxLimitsSchema.parse({}));
    this.cgroups = detectCgroups();
  }

  async provision(request: ProvisionRequest): Promise<Sandbox> {
    const baseCommit = await resolveCommit(request.repoRoot, request.baseRef ?? 'HEAD');
    const patterns = await loadIgnorePatterns(request.repoRoot, this.options.ignore ?? []);
    const objectsDir = await objectsDirectory(request.repoRoot);
    const branch = `${BRANCH_PREFIX}${request.runId}`;
    await mkdir(this.workspaceRoot, { recursive: true });
    const directory = join(this.workspaceRoot, request.runId);
    try {
      // -B: a follow-up turn starts the branch again from the base (the last turn's diff is re-applied).
      await withRepositoryLock(request.repoRoot, () =>
        git(request.repoRoot, ['worktree', 'add', '--quiet', '-B', branch, directory, baseCommit]),
      );
    } catch (error) {
      throw new SandboxError(
        `could not create the workspace for run ${request.runId}: ${gitFailure(error)}`,
        {
          cause: error,
        },
      );
    }
    const root = await realpath(directory);
    const worktree = { path: root, branch, runId: request.runId };
    try {
      await removeIgnored(root, patterns);
      // Ours, inside the worktree's admin directory: removed with the worktree.
      const adminDir = await git(root, ['rev-parse', '--absolute-git-dir']);
      const privateDir = join(adminDir, 'agentry');
      await mkdir(join(privateDir, 'home'), { recursive: true });
      await mkdir(join(privateDir, 'tmp'), { recursive: true });
      const baseIndex = join(privateDir, 'base.index');
      await copyIndex(join(adminDir, 'index'), baseIndex);
      if (request.restoreDiff) await applyDiff(root, adminDir, request.restoreDiff);
      return new LocalSandbox({
        repoRoot: request.repoRoot,
        worktree,
        baseCommit,
        objectsDir,
        privateDir,
        baseIndex,
        patterns,
        env: this.options.env ?? {},
        limits: this.limits,
        cgroups: this.cgroups,
      });
    } catch (error) {
      await removeWorktree(request.repoRoot, worktree, baseCommit);
      throw new SandboxError(
        `could not prepare the workspace for run ${request.runId}: ${gitFailure(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async reap(repoRoot: string, isRunLive: (runId: string) => Promise<boolean>): Promise<number> {
    const removed = await reapWorktrees(repoRoot, isRunLive);
    // A project that switched from bwrap may have left its run directories here.
    const directories = await reapRunDirectories(this.workspaceRoot, repoRoot, isRunLive);
    await new BaseCheckoutCache(join(this.workspaceRoot, BASE_CACHE_DIRECTORY))
      .prune(directories.baseKeysInUse)
      .catch(() => undefined);
    await this.cgroups?.reap().catch(() => undefined);
    return removed + directories.removed;
  }
}

/** Delete the files the ignore patterns match and mark them skip-worktree, so git does not miss them. */
async function removeIgnored(root: string, patterns: readonly string[]): Promise<void> {
  if (patterns.length === 0) return;
  const listed = await git(root, [
    'ls-files',
    '-z',
    '--cached',
    '--ignored',
    ...patterns.flatMap((p) => ['-x', p]),
  ]);
  const ignored = listed.split('\0').filter(Boolean);
  if (ignored.length === 0) return;
  await git(root, ['update-index', '-z', '--skip-worktree', '--stdin'], { input: `${ignored.join('\0')}\0` });
  for (const path of ignored) {
    if (isAbsolute(path)) continue;
    await rm(join(root, path), { force: true });
  }
}

interface LocalSandboxParts {
  repoRoot: string;
  worktree: { path: string; branch: string; runId: string };
  baseCommit: string;
  objectsDir: string;
  privateDir: string;
  baseIndex: string;
  patterns: readonly string[];
  env: Record<string, string>;
  limits: SandboxLimits;
  cgroups: CgroupFactory | undefined;
}

class LocalSandbox implements Sandbox {
  readonly driver = 'local';
  readonly method = 'git-worktree';
  readonly runId: string;
  readonly branch: string;
  readonly baseCommit: string;
  readonly session: SandboxSession;
  readonly isolation: SandboxIsolation;
  private readonly runner = new CommandRunner();
  private readonly artifacts: ArtifactKeeper;
  private commandCount = 0;
  private destroyed = false;

  constructor(private readonly parts: LocalSandboxParts) {
    this.runId = parts.worktree.runId;
    this.branch = parts.worktree.branch;
    this.baseCommit = parts.baseCommit;
    const rlimit = prlimitAvailable() ? 'rlimit' : 'none';
    this.isolation = {
      network: 'unisolated',
      filesystem: false,
      processes: false,
      syscalls: { filter: 'none', denied: [] },
      limits: {
        memory: parts.cgroups ? 'cgroup' : rlimit,
        // RLIMIT_NPROC counts all of the user's processes here: only a cgroup bounds a command's.
        processes: parts.cgroups ? 'cgroup' : 'none',
        cpu: rlimit,
        disk: 'none',
      },
    };
    this.artifacts = new ArtifactKeeper(join(parts.privateDir, 'artifacts'), parts.worktree.path);
    this.session = {
      root: parts.worktree.path,
      exec: (command, options) => this.exec(command, options),
      keepArtifact: (file, options) => this.keepArtifact(file, options),
    };
  }

  async collectArtifacts(): Promise<SandboxArtifact[]> {
    const kept = await this.artifacts.collect();
    const { diff, truncated } = await workspaceDiff({
      workTree: this.parts.worktree.path,
      baseCommit: this.baseCommit,
      objectsDir: this.parts.objectsDir,
      baseIndex: this.parts.baseIndex,
      patterns: this.parts.patterns,
      scratch: this.parts.privateDir,
    });
    return [...kept, workspaceDiffArtifact(this.baseCommit, { diff, truncated })];
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.runner.stopAll();
    await removeWorktree(this.parts.repoRoot, this.parts.worktree, this.baseCommit);
  }

  private async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.destroyed)
      throw new SandboxError(`the sandbox of run ${this.runId} is gone: no more commands can run`);
    const { limits, cgroups } = this.parts;
    const cwd = insideWorkspace(this.parts.worktree.path, options.cwd);
    const cgroup = await cgroups
      ?.create(`${this.runId}-${++this.commandCount}`, limits)
      .catch(() => undefined);
    const env = sandboxEnvironment({
      home: join(this.parts.privateDir, 'home'),
      tmp: join(this.parts.privateDir, 'tmp'),
      workspace: this.parts.worktree.path,
      runId: this.runId,
      extra: this.parts.env,
    });
    return this.runner.run({
      argv: [...prlimitPrefix(limits, { memory: !cgroup, processes: false }), '/bin/sh', '-c', command],
      env,
      cwd,
      timeoutMs: Math.min(options.timeoutMs ?? limits.commandTimeoutMs, limits.commandTimeoutMs),
      signal: options.signal,
      maxOutputBytes: options.maxOutputBytes ?? limits.maxOutputBytes,
      cgroup,
    });
  }

  private keepArtifact(file: string, options?: { name?: string; mediaType?: string }): Promise<KeptArtifact> {
    if (this.destroyed)
      throw new SandboxError(`the sandbox of run ${this.runId} is gone: nothing more can be kept`);
    return this.artifacts.keep(file, options);
  }
}
