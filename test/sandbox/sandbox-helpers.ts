import { readdirSync, readFileSync } from 'node:fs';
import {
  type BwrapDriverOptions,
  BwrapSandboxDriver,
  probeBwrap,
  resolveLimits,
} from '../../src/sandbox/index.js';
import { unmountAllUnder } from '../../src/sandbox/overlay.js';
import { sandboxConfigSchema } from '../../src/spec/config.js';
import type { TempProject } from '../helpers/project.js';

/** Limits small enough that a test hitting them finishes quickly. */
export const TEST_LIMITS = resolveLimits(
  sandboxConfigSchema.parse({
    limits: {
      command_timeout: '20s',
      memory_mb: 128,
      processes: 64,
      cpu_seconds: 20,
      file_size_mb: 16,
      max_output_kb: 8,
    },
  }).limits,
);

/** A bwrap driver for tests. Fails (does not skip) where bubblewrap cannot run: CI must have it. */
export function bwrapDriver(
  workspaceRoot: string,
  options: Partial<BwrapDriverOptions> = {},
): BwrapSandboxDriver {
  const probe = probeBwrap();
  if (!probe.ok) throw new Error(`bubblewrap cannot run here (${probe.reason}): apt-get install bubblewrap`);
  return new BwrapSandboxDriver({ workspaceRoot, limits: TEST_LIMITS, ...options });
}

/** Pids of processes whose command line contains `marker` (a test's sleeper left behind). */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(marker)) found.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Mount points at or below `directory` this process sees. */
export function mountsUnder(directory: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((target) => target === directory || target.startsWith(`${directory}/`));
}

/**
 * Remove a test project even when a failed test left a workspace mounted: unmount what is below
 * its workspaces first (a mount point cannot be deleted).
 */
export async function cleanupProject(project: TempProject | undefined): Promise<void> {
  if (!project) return;
  await unmountAllUnder(project.workspaces);
  project.cleanup();
}
