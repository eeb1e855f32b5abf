import type { SandboxConfig } from '../spec/config.js';
import { BwrapSandboxDriver } from './bwrap.js';
import { type BwrapProbe, probeBwrap } from './bwrap-args.js';
import type { ProvisionRequest, Sandbox, SandboxDriver } from './driver.js';
import { SandboxUnavailableError } from './errors.js';
import { resolveLimits } from './limits.js';
import { LOCAL_DRIVER_CAVEAT, LocalSandboxDriver } from './local.js';

export { MAX_ARTIFACT_BYTES, mediaTypeFor, WORKSPACE_DIFF } from './artifacts.js';
export { type BwrapDriverOptions, BwrapSandboxDriver, type WorkspaceMethodSetting } from './bwrap.js';
export { type BwrapProbe, probeBwrap } from './bwrap-args.js';
export type {
  ExecOptions,
  ExecResult,
  ExecStop,
  KeptArtifact,
  LimitEnforcement,
  ProvisionRequest,
  Sandbox,
  SandboxArtifact,
  SandboxDriver,
  SandboxIsolation,
  SandboxNetwork,
  SandboxSession,
} from './driver.js';
export { ArtifactError, SandboxError, SandboxUnavailableError, WorkspaceError } from './errors.js';
export {
  type CommittedSecretFile,
  DEFAULT_IGNORE_PATTERNS,
  findCommittedSecretFiles,
  IGNORE_FILE,
  loadIgnorePatterns,
} from './ignore.js';
export { resolveLimits, type SandboxLimits } from './limits.js';
export { LOCAL_DRIVER_CAVEAT, type LocalDriverOptions, LocalSandboxDriver } from './local.js';

/**
 * The driver config.yml asks for, and a warning to show when the run will be less isolated than
 * asked. `auto` (the default) probes bubblewrap: `bwrap` where a sandbox starts, `local` with a
 * warning saying what it does not isolate where not. An explicit `bwrap` that cannot start does
 * not fall back: its runs fail, saying why, rather than run unisolated.
 */
export function createSandboxDriver(
  config: SandboxConfig,
  options: { probe?: BwrapProbe } = {},
): { driver: SandboxDriver; warning?: string } {
  const limits = resolveLimits(config.limits);
  const local = () =>
    new LocalSandboxDriver({
      workspaceRoot: config.workspace_root,
      ignore: config.ignore,
      env: config.env,
      limits,
    });
  if (config.driver === 'local') return { driver: local() };
  const probe = options.probe ?? probeBwrap();
  if (probe.ok) {
    const driver = new BwrapSandboxDriver({
      workspaceRoot: config.workspace_root,
      network: config.network,
      ignore: config.ignore,
      workspace: config.workspace,
      readOnlyPaths: config.read_only_paths,
      env: config.env,
      limits,
      probe,
    });
    return { driver };
  }
  if (config.driver === 'auto') {
    return {
      driver: local(),
      warning: `sandbox: bubblewrap cannot run here (${probe.reason}), so runs use the local driver: ${LOCAL_DRIVER_CAVEAT}. Install bubblewrap ('apt-get install bubblewrap') to isolate them.`,
    };
  }
  const error = new SandboxUnavailableError('bwrap', probe.reason);
  return { driver: new UnavailableSandboxDriver(local(), error), warning: error.message };
}

/** Stands in for `bwrap` where it cannot run: cleans up like `local`, refuses to start a run. */
class UnavailableSandboxDriver implements SandboxDriver {
  readonly name = 'bwrap';

  constructor(
    private readonly cleaner: SandboxDriver,
    private readonly error: SandboxUnavailableError,
  ) {}

  async provision(_request: ProvisionRequest): Promise<Sandbox> {
    throw this.error;
  }

  reap(repoRoot: string, isRunLive: (runId: string) => Promise<boolean>): Promise<number> {
    return this.cleaner.reap(repoRoot, isRunLive);
  }
}
