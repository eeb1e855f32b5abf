import type { SandboxConfig } from '../spec/config.js';
import type { SandboxDriver } from './driver.js';
import { LocalSandboxDriver } from './local.js';

export type { ProvisionRequest, Sandbox, SandboxDriver, SandboxSession } from './driver.js';
export { SandboxError, WorkspaceError } from './errors.js';
export { LocalSandboxDriver } from './local.js';

/** The driver config.yml asks for, and a warning to show when it is weaker than asked. */
export function createSandboxDriver(config: SandboxConfig): { driver: SandboxDriver; warning?: string } {
  const driver = new LocalSandboxDriver({ workspaceRoot: config.workspace_root });
  if (config.driver === 'bwrap') {
    return {
      driver,
      warning:
        "sandbox.driver 'bwrap' is not available in this version: using 'local' (a git worktree per run; commands are not isolated)",
    };
  }
  return { driver };
}
