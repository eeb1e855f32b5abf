import { afterEach, describe, expect, it } from 'vitest';
import { resolveLimits, type Sandbox } from '../../src/sandbox/index.js';
import { sizedTmpfsPossible } from '../../src/sandbox/overlay.js';
import { sandboxConfigSchema } from '../../src/spec/config.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { bwrapDriver, cleanupProject, mountsUnder } from './sandbox-helpers.js';

// Exhaustion attempts against `sandbox.limits.disk_mb`: each writes more than the quota and
// fails if the write lands anyway.

const QUOTA_MB = 32;
/** The quota small, the file-size rlimit and memory above it: ENOSPC is the quota's, not theirs. */
const LIMITS = resolveLimits(
  sandboxConfigSchema.parse({
    limits: {
      command_timeout: '20s',
      memory_mb: 256,
      processes: 64,
      cpu_seconds: 20,
      file_size_mb: 128,
      disk_mb: QUOTA_MB,
      max_output_kb: 8,
    },
  }).limits,
);

let project: TempProject | undefined;
let sandbox: Sandbox | undefined;
let run = 0;

afterEach(async () => {
  await sandbox?.destroy();
  sandbox = undefined;
  await cleanupProject(project);
  project = undefined;
});

async function provision(workspace?: 'overlayfs' | 'git-checkout') {
  project = createProject({ 'models/orders.sql': 'select 1\n' });
  const driver = bwrapDriver(project.workspaces, { limits: LIMITS, workspace });
  sandbox = await driver.provision({ runId: `disk-${++run}`, repoRoot: project.root });
  return { driver, sandbox };
}

/** Bytes of `file` in the workspace, as the command sees it. */
async function sizeOf(file: string): Promise<number> {
  const result = await sandbox!.session.exec!(`stat -c %s ${file}`);
  return Number(result.output.trim());
}

describe.runIf(sizedTmpfsPossible())('bwrap sandbox: the workspace disk quota (worker as root)', () => {
  it('fails a write past disk_mb with ENOSPC, and the run goes on', async () => {
    await provision();
    expect(sandbox!.isolation.limits.disk).toBe('tmpfs');
    const result = await sandbox!.session.exec!(
      `dd if=/dev/zero of=big bs=1M count=${QUOTA_MB + 16} 2>&1; echo dd-exit=$?`,
    );
    expect(result.output).toContain('No space left on device');
    expect(result.output).not.toContain('dd-exit=0');
    expect(result.stoppedBy).toBeUndefined();
    expect(await sizeOf('big')).toBeLessThanOrEqual(QUOTA_MB * 1024 * 1024);

    // The next command, git and the diff still work once the agent frees the space.
    const after = await sandbox!.session.exec!(
      'rm big && echo "select 2" > models/new.sql && git status --short && echo written',
    );
    expect(after.output).toContain('?? models/new.sql');
    expect(after.output).toContain('written');
    const diff = (await sandbox!.collectArtifacts()).find((artifact) => artifact.name === 'workspace.diff')!;
    expect(Buffer.from(diff.content).toString()).toContain('+select 2');
  });

  it('counts every file a command writes, not just the largest (many files under the file-size limit)', async () => {
    await provision();
    const result = await sandbox!.session.exec!(
      "for i in 1 2 3 4 5 6; do dd if=/dev/zero of=part-$i bs=1M count=8 2>&1 | grep -o 'No space left on device'; done; du -sm . | cut -f1",
    );
    expect(result.output).toContain('No space left on device');
    const used = Number(result.output.trim().split('\n').at(-1));
    expect(used).toBeLessThanOrEqual(QUOTA_MB + 1);
  });

  it('unmounts the quota with the workspace, on destroy and when a crashed run is reaped', async () => {
    const { driver } = await provision();
    expect(mountsUnder(project!.workspaces).length).toBeGreaterThanOrEqual(2);
    await sandbox!.destroy();
    expect(mountsUnder(project!.workspaces)).toEqual([]);

    // A run whose worker died: its directory, overlay and tmpfs are still there until reaped.
    sandbox = await driver.provision({ runId: `disk-${++run}`, repoRoot: project!.root });
    expect(mountsUnder(project!.workspaces).length).toBeGreaterThanOrEqual(2);
    expect(await driver.reap(project!.root, async () => false)).toBe(1);
    expect(mountsUnder(project!.workspaces)).toEqual([]);
  });

  it('leaves a checkout workspace unbounded, and says so', async () => {
    await provision('git-checkout');
    expect(sandbox!.isolation.limits.disk).toBe('none');
  });
});

describe('bwrap sandbox: the private /tmp', () => {
  it('is as large as disk_mb: filling it fails with ENOSPC', async () => {
    await provision();
    const result = await sandbox!.session.exec!(
      `dd if=/dev/zero of=/tmp/big bs=1M count=${QUOTA_MB + 16} 2>&1; echo dd-exit=$?; stat -c %s /tmp/big`,
    );
    expect(result.output).toContain('No space left on device');
    const size = Number(result.output.trim().split('\n').at(-1));
    expect(size).toBeLessThanOrEqual(QUOTA_MB * 1024 * 1024);
  });
});

describe.skipIf(sizedTmpfsPossible())('bwrap sandbox: the workspace disk quota (worker not root)', () => {
  it('is not enforced, and the isolation report says so', async () => {
    await provision();
    expect(sandbox!.isolation.limits.disk).toBe('none');
  });
});
