import { mkdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAgentryError } from '../errors.js';
import { ArtifactKeeper, WORKSPACE_DIFF, workspaceDiffArtifact } from './artifacts.js';
import { BaseCheckoutCache } from './base-cache.js';
import { type BwrapProbe, bwrapArgs, probeBwrap, SANDBOX_HOME, SANDBOX_TMP } from './bwrap-args.js';
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
  SandboxNetwork,
  SandboxSession,
} from './driver.js';
import { sandboxEnvironment } from './environment.js';
import { SandboxError, SandboxUnavailableError } from './errors.js';
import { CommandRunner, WATCHDOG_SCRIPT } from './exec.js';
import { git, gitFailure } from './git.js';
import { loadIgnorePatterns } from './ignore.js';
import { prlimitAvailable, prlimitPrefix, type SandboxLimits } from './limits.js';
import {
  mountOverlay,
  mountSizedTmpfs,
  type OverlayKind,
  overlayPossible,
  sizedTmpfsPossible,
  unmountAllUnder,
} from './overlay.js';
import { ProcessFailure } from './process.js';
import { BRANCH_PREFIX, objectsDirectory, prepareIndex, resolveCommit } from './repository.js';
import {
  BASE_CACHE_DIRECTORY,
  type RunDirectoryRecord,
  reapRunDirectories,
  teardownRunDirectory,
  writeRecord,
} from './run-directory.js';
import { applyDiff, copyIndex, workspaceDiff, writeRunGitDir } from './run-git.js';
import { hostSeccompFilter, SECCOMP_DENIED, SECCOMP_FD } from './seccomp.js';
import { reapWorktrees } from './worktree.js';

/**
 * Where the tmpfs that bounds a run's writes is mounted in its directory. Shorter than `root`,
 * the overlay on top of it: mounts are taken down longest path first.
 */
const QUOTA_DIRECTORY = 'rw';

/** How the bwrap driver makes a workspace; `auto` tries the overlays, then a checkout. */
export type WorkspaceMethodSetting = 'auto' | 'overlayfs' | 'fuse-overlayfs' | 'git-checkout';

export interface BwrapDriverOptions {
  /** Where run directories are made; `<tmpdir>/agentry-workspaces` when absent. */
  workspaceRoot?: string;
  /** Network of commands unless the agent says otherwise. */
  network?: SandboxNetwork;
  /** `sandbox.ignore` of config.yml (added to `.agentryignore`). */
  ignore?: readonly string[];
  workspace?: WorkspaceMethodSetting;
  /** Host paths commands may read. */
  readOnlyPaths?: readonly string[];
  /** `sandbox.env` of config.yml: literal values added to every command's environment. */
  env?: Record<string, string>;
  limits: SandboxLimits;
  /** Bound commands with cgroups where this process may create them (default); false leaves it to rlimits. */
  cgroups?: boolean;
  /** The probe's result, when the caller ran it already. */
  probe?: BwrapProbe;
}

/**
 * Bubblewrap: every command in its own user, PID, IPC, UTS and network namespaces, a read-only
 * system, only the workspace writable, a private /tmp, a scrubbed environment and resource limits.
 * Workspaces are overlays on a cached checkout of the base commit (about as fast for 20,000
 * files as for 20), or a checkout where overlays cannot be mounted.
 */
export class BwrapSandboxDriver implements SandboxDriver {
  readonly name = 'bwrap';
  private readonly workspaceRoot: string;
  private readonly program: string;
  private readonly disableUserns: boolean;
  private readonly cache: BaseCheckoutCache;
  private readonly cgroups: CgroupFactory | undefined;
  /** The seccomp filter of every command, where bwrap and the kernel can load it. */
  private readonly seccomp: Uint8Array | undefined;
  /** Whether this bwrap can size the commands' /tmp. */
  private readonly sizedTmp: boolean;
  /** Overlay kinds that failed to mount here once: `auto` does not try them again. */
  private readonly refused = new Set<OverlayKind>();

  constructor(private readonly options: BwrapDriverOptions) {
    const probe = options.probe ?? probeBwrap();
    if (!probe.ok) throw new SandboxUnavailableError('bwrap', probe.reason);
    this.program = probe.program;
    this.disableUserns = probe.disableUserns;
    this.seccomp = probe.seccomp ? hostSeccompFilter() : undefined;
    this.sizedTmp = probe.sizedTmp;
    this.workspaceRoot = options.workspaceRoot ?? join(tmpdir(), 'agentry-workspaces');
    this.cache = new BaseCheckoutCache(join(this.workspaceRoot, BASE_CACHE_DIRECTORY));
    this.cgroups = options.cgroups === false ? undefined : detectCgroups();
  }

  /**
   * What a sandbox of this driver isolates, given the machine's cgroups; `disk` says whether its
   * workspace is on a sized tmpfs.
   */
  isolation(network: SandboxNetwork, disk: 'tmpfs' | 'none' = 'none'): SandboxIsolation {
    const rlimit = prlimitAvailable() ? 'rlimit' : 'none';
    // Root is exempt from RLIMIT_NPROC: without a cgroup, nothing bounds its processes.
    const processRlimit = process.getuid?.() === 0 ? 'none' : rlimit;
    return {
      network,
      filesystem: true,
      processes: true,
      syscalls: this.seccomp ? { filter: 'seccomp', denied: SECCOMP_DENIED } : { filter: 'none', denied: [] },
      limits: {
        memory: this.cgroups ? 'cgroup' : rlimit,
        processes: this.cgroups ? 'cgroup' : processRlimit,
        cpu: rlimit,
        disk,
      },
    };
  }

  async provision(request: ProvisionRequest): Promise<Sandbox> {
    const baseCommit = await resolveCommit(request.repoRoot, request.baseRef ?? 'HEAD');
    const patterns = await loadIgnorePatterns(request.repoRoot, this.options.ignore ?? []);
    const objectsDir = await objectsDirectory(request.repoRoot);
    // What the run's git may read: never the project's own store, which holds ignored files' contents.
    const runObjects = await this.cache.objects(request.repoRoot, baseCommit, patterns).catch((error) => {
      throw new SandboxError(
        `could not prepare the git objects for run ${request.runId}: ${failureText(error)}`,
        { cause: error },
      );
    });
    await mkdir(this.workspaceRoot, { recursive: true });
    const directory = join(await realpath(this.workspaceRoot), request.runId);
    try {
      await mkdir(directory);
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'one exists already' : failureText(error);
      throw new SandboxError(`cannot make the workspace of run ${request.runId} at ${directory}: ${why}`, {
        cause: error,
      });
    }
    const record: RunDirectoryRecord = {
      version: 1,
      runId: request.runId,
      repoRoot: request.repoRoot,
      driver: this.name,
      method: '',
      baseCommit,
      branch: `${BRANCH_PREFIX}${request.runId}`,
      objectsDir,
      runObjectsDir: runObjects.objects,
      gitDir: '',
      baseKey: BaseCheckoutCache.key(baseCommit, patterns),
      createdAt: new Date().toISOString(),
    };
    await writeRecord(directory, record);
    try {
      const made = await this.makeWorkspace(directory, record, request.repoRoot, patterns);
      Object.assign(record, { method: made.method, gitDir: made.gitDir });
      await writeRecord(directory, record);
      if (request.restoreDiff) await restore(made.root, join(made.root, '.git'), request.restoreDiff);
      return new BwrapSandbox({
        driver: this,
        program: this.program,
        disableUserns: this.disableUserns,
        seccomp: this.seccomp,
        sizedTmp: this.sizedTmp,
        cgroups: this.cgroups,
        directory,
        record,
        root: made.root,
        baseIndex: made.baseIndex,
        lower: made.lower,
        upper: made.upper,
        diskQuota: made.diskQuota ?? false,
        patterns,
        network: request.network ?? this.options.network ?? 'none',
        readOnlyPaths: this.options.readOnlyPaths ?? [],
        env: this.options.env ?? {},
        limits: this.options.limits,
      });
    } catch (error) {
      await teardownRunDirectory(directory, { ...record, method: '' });
      if (isAgentryError(error)) throw error;
      throw new SandboxError(
        `could not create the workspace for run ${request.runId}: ${failureText(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async reap(repoRoot: string, isRunLive: (runId: string) => Promise<boolean>): Promise<number> {
    const { removed, baseKeysInUse } = await reapRunDirectories(this.workspaceRoot, repoRoot, isRunLive);
    const worktrees = await reapWorktrees(repoRoot, isRunLive);
    await this.cache.prune(baseKeysInUse).catch(() => undefined);
    await this.cgroups?.reap().catch(() => undefined);
    return removed + worktrees;
  }

  /** Overlays first (unless refused here before), then a checkout; the first that works. */
  private async makeWorkspace(
    directory: string,
    record: RunDirectoryRecord,
    repoRoot: string,
    patterns: readonly string[],
  ): Promise<{
    method: string;
    root: string;
    gitDir: string;
    baseIndex: string;
    lower?: string;
    upper?: string;
    diskQuota?: boolean;
  }> {
    const setting = this.options.workspace ?? 'auto';
    const overlays: OverlayKind[] =
      setting === 'auto'
        ? (['overlayfs', 'fuse-overlayfs'] as const).filter(
            (kind) => !this.refused.has(kind) && overlayPossible(kind),
          )
        : setting === 'git-checkout'
          ? []
          : [setting];
    for (const kind of overlays) {
      const made = await this.overlayWorkspace(
        kind,
        directory,
        record,
        repoRoot,
        patterns,
        setting === 'auto',
      );
      if (made) return made;
      // The kernel or FUSE refused the mount: not here, not again in this process.
      this.refused.add(kind);
      for (const name of ['upper', 'work', 'root', QUOTA_DIRECTORY])
        await rm(join(directory, name), { recursive: true, force: true });
    }
    return this.checkoutWorkspace(directory, record, repoRoot, patterns);
  }

  /** An overlay workspace, or undefined when `mayRefuse` and the mount was refused. */
  private async overlayWorkspace(
    kind: OverlayKind,
    directory: string,
    record: RunDirectoryRecord,
    repoRoot: string,
    patterns: readonly string[],
    mayRefuse: boolean,
  ) {
    const base = await this.cache.get(repoRoot, record.baseCommit, patterns);
    // The run's writes (upper) and the overlay's scratch (work) on a tmpfs of `disk_mb` where the
    // worker may mount one: a run that fills it gets ENOSPC, not the worker's disk.
    const diskQuota = sizedTmpfsPossible();
    const writable = diskQuota ? join(directory, QUOTA_DIRECTORY) : directory;
    const layers = {
      lower: base.tree,
      upper: join(writable, 'upper'),
      work: join(writable, 'work'),
      target: join(directory, 'root'),
    };
    if (diskQuota) {
      await mkdir(writable);
      try {
        await mountSizedTmpfs(writable, this.options.limits.diskBytes);
      } catch (error) {
        // Root without CAP_SYS_ADMIN (a container) cannot mount an overlay either.
        if (!mayRefuse) throw error;
        return undefined;
      }
    }
    for (const path of [layers.upper, layers.work, layers.target]) await mkdir(path);
    // The run's git directory is written into the upper layer before mounting: it is the run's own.
    const gitDir = join(layers.upper, '.git');
    await writeRunGitDir(gitDir, {
      objectsDir: record.runObjectsDir,
      commit: record.baseCommit,
      branch: record.branch,
      index: base.index,
    });
    try {
      await mountOverlay(kind, layers);
    } catch (error) {
      if (!mayRefuse) throw error;
      await unmountAllUnder(directory).catch(() => undefined);
      return undefined;
    }
    return {
      method: kind,
      root: await realpath(layers.target),
      gitDir,
      baseIndex: base.index,
      lower: base.tree,
      upper: layers.upper,
      diskQuota,
    };
  }

  private async checkoutWorkspace(
    directory: string,
    record: RunDirectoryRecord,
    repoRoot: string,
    patterns: readonly string[],
  ) {
    const root = join(directory, 'root');
    const gitDir = join(root, '.git');
    await mkdir(root, { recursive: true });
    await writeRunGitDir(gitDir, {
      objectsDir: record.runObjectsDir,
      commit: record.baseCommit,
      branch: record.branch,
    });
    const index = join(gitDir, 'index');
    await prepareIndex(repoRoot, record.baseCommit, index, patterns);
    await git(repoRoot, [`--work-tree=${root}`, 'checkout-index', '--all', '-u'], {
      env: { GIT_INDEX_FILE: index },
    });
    // Our own copy: the diff must not start from an index a command may have rewritten.
    const baseIndex = join(directory, 'private', 'base.index');
    await mkdir(join(directory, 'private'), { recursive: true });
    await copyIndex(index, baseIndex);
    return { method: 'git-checkout', root: await realpath(root), gitDir, baseIndex };
  }
}

interface BwrapSandboxParts {
  driver: BwrapSandboxDriver;
  program: string;
  disableUserns: boolean;
  cgroups: CgroupFactory | undefined;
  directory: string;
  record: RunDirectoryRecord;
  root: string;
  baseIndex: string;
  /** The overlay's read-only base checkout, when the workspace is an overlay. */
  lower?: string;
  /** The overlay's upper layer (the run's writes), when the workspace is an overlay. */
  upper?: string;
  /** Whether the run's writes are on a tmpfs of `limits.diskBytes`. */
  diskQuota: boolean;
  seccomp: Uint8Array | undefined;
  sizedTmp: boolean;
  patterns: readonly string[];
  network: SandboxNetwork;
  readOnlyPaths: readonly string[];
  env: Record<string, string>;
  limits: SandboxLimits;
}

class BwrapSandbox implements Sandbox {
  readonly driver = 'bwrap';
  readonly runId: string;
  readonly method: string;
  readonly baseCommit: string;
  readonly branch: string;
  readonly session: SandboxSession;
  readonly isolation: SandboxIsolation;
  private readonly runner = new CommandRunner();
  private readonly artifacts: ArtifactKeeper;
  private commandCount = 0;
  private destroyed = false;

  constructor(private readonly parts: BwrapSandboxParts) {
    this.runId = parts.record.runId;
    this.method = parts.record.method;
    this.baseCommit = parts.record.baseCommit;
    this.branch = parts.record.branch;
    this.isolation = parts.driver.isolation(parts.network, parts.diskQuota ? 'tmpfs' : 'none');
    this.artifacts = new ArtifactKeeper(join(parts.directory, 'private', 'artifacts'), parts.root);
    this.session = {
      root: parts.root,
      exec: (command, options) => this.exec(command, options),
      keepArtifact: (file, options) => this.keepArtifact(file, options),
    };
  }

  async collectArtifacts(): Promise<SandboxArtifact[]> {
    const kept = await this.artifacts.collect();
    const { diff, truncated } = await workspaceDiff({
      workTree: this.parts.root,
      baseCommit: this.baseCommit,
      objectsDir: this.parts.record.objectsDir,
      baseIndex: this.parts.baseIndex,
      patterns: this.parts.patterns,
      scratch: join(this.parts.directory, 'private'),
      overlay:
        this.parts.lower && this.parts.upper
          ? { lower: this.parts.lower, upper: this.parts.upper }
          : undefined,
    });
    return [...kept, workspaceDiffArtifact(this.baseCommit, { diff, truncated })];
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.runner.stopAll();
    const errors = await teardownRunDirectory(this.parts.directory, this.parts.record);
    if (errors.length > 0) {
      throw new SandboxError(
        `the workspace of run ${this.runId} was not fully removed: ${failureText(errors[0])}`,
        {
          cause: errors[0],
        },
      );
    }
  }

  private async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.destroyed)
      throw new SandboxError(`the sandbox of run ${this.runId} is gone: no more commands can run`);
    const { limits } = this.parts;
    const cwd = insideWorkspace(this.parts.root, options.cwd);
    const cgroup = await this.parts.cgroups
      ?.create(`${this.runId}-${++this.commandCount}`, limits)
      .catch(() => undefined);
    const env = sandboxEnvironment({
      home: SANDBOX_HOME,
      tmp: SANDBOX_TMP,
      workspace: this.parts.root,
      runId: this.runId,
      extra: this.parts.env,
    });
    const args = bwrapArgs({
      workspace: this.parts.root,
      gitDir: join(this.parts.root, '.git'),
      objectsDir: this.parts.record.runObjectsDir,
      readOnlyPaths: this.parts.readOnlyPaths,
      network: this.parts.network,
      cwd,
      env,
      disableUserns: this.parts.disableUserns,
      seccompFd: this.parts.seccomp ? SECCOMP_FD : undefined,
      tmpSizeBytes: this.parts.sizedTmp ? limits.diskBytes : undefined,
    });
    const limitArgs = prlimitPrefix(limits, { memory: !cgroup, processes: true });
    return this.runner.run({
      argv: [
        this.parts.program,
        ...args,
        '--',
        ...limitArgs,
        '/bin/sh',
        '-c',
        WATCHDOG_SCRIPT,
        'agentry',
        command,
      ],
      // bwrap clears the environment for the command; it gets none of ours either.
      env: { PATH: env.PATH, LANG: 'C.UTF-8' },
      cwd: this.parts.root,
      timeoutMs: Math.min(options.timeoutMs ?? limits.commandTimeoutMs, limits.commandTimeoutMs),
      signal: options.signal,
      maxOutputBytes: options.maxOutputBytes ?? limits.maxOutputBytes,
      cgroup,
      lifeline: true,
      seccomp: this.parts.seccomp,
    });
  }

  private keepArtifact(file: string, options?: { name?: string; mediaType?: string }): Promise<KeptArtifact> {
    if (this.destroyed)
      throw new SandboxError(`the sandbox of run ${this.runId} is gone: nothing more can be kept`);
    return this.artifacts.keep(file, options);
  }
}

async function restore(root: string, gitDir: string, diff: Uint8Array | string): Promise<void> {
  try {
    await applyDiff(root, gitDir, diff);
  } catch (error) {
    throw new SandboxError(
      `could not re-apply the previous turn's changes (${WORKSPACE_DIFF}): ${gitFailure(error)}`,
      {
        cause: error,
      },
    );
  }
}

function failureText(error: unknown): string {
  if (error instanceof ProcessFailure) return error.message;
  return error instanceof Error ? error.message : String(error);
}
