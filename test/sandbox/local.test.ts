import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSandboxDriver, type Sandbox } from '../../src/sandbox/index.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { cleanupProject, processesWith, TEST_LIMITS } from './sandbox-helpers.js';

let project: TempProject | undefined;
let sandbox: Sandbox | undefined;

afterEach(async () => {
  await sandbox?.destroy();
  await cleanupProject(project);
  sandbox = undefined;
  project = undefined;
});

async function provision(
  files: Record<string, string> = {},
  ignore: string[] = [],
  restoreDiff?: Uint8Array,
) {
  project ??= createProject({ 'models/orders.sql': 'select 1\n', ...files });
  const driver = new LocalSandboxDriver({ workspaceRoot: project.workspaces, ignore, limits: TEST_LIMITS });
  sandbox = await driver.provision({
    runId: `local-${randomBytes(3).toString('hex')}`,
    repoRoot: project.root,
    restoreDiff,
  });
  return sandbox;
}

describe('local driver', () => {
  it('runs commands in a git worktree with a scrubbed environment, and says it isolates nothing else', async () => {
    process.env.AGENTRY_LOCAL_TEST_SECRET = 'local-secret-value';
    try {
      const { session, isolation } = await provision();
      const result = await session.exec!('pwd; env; git rev-parse --abbrev-ref HEAD');
      expect(result.exitCode).toBe(0);
      expect(result.output).toContain(`${session.root}\n`);
      expect(result.output).not.toContain('local-secret-value');
      expect(result.output).toContain(`agentry/${sandbox!.runId}`);
      expect(sandbox!.method).toBe('git-worktree');
      expect(isolation).toMatchObject({ network: 'unisolated', filesystem: false, processes: false });
    } finally {
      delete process.env.AGENTRY_LOCAL_TEST_SECRET;
    }
  });

  it('leaves ignored paths (.agentryignore and sandbox.ignore) out of the worktree and its diff', async () => {
    await provision(
      { '.agentryignore': '# secrets\nsecrets/\n', 'secrets/key.pem': 'KEY\n', 'profiles.yml': 'p: 1\n' },
      ['profiles.yml'],
    );
    const root = sandbox!.session.root;
    expect(existsSync(join(root, 'secrets/key.pem'))).toBe(false);
    expect(existsSync(join(root, 'profiles.yml'))).toBe(false);
    expect(existsSync(join(root, 'models/orders.sql'))).toBe(true);
    const status = await sandbox!.session.exec!('git status --short');
    expect(status.output).toBe('');
    writeFileSync(join(root, 'models/orders.sql'), 'select 2\n');
    const diff = Buffer.from((await sandbox!.collectArtifacts()).at(-1)!.content).toString();
    expect(diff).toContain('+select 2');
    expect(diff).not.toContain('key.pem');
    expect(diff).not.toContain('profiles.yml');
  });

  it('sees a same-size change made in the second of the checkout (racy git)', async () => {
    await provision();
    writeFileSync(join(sandbox!.session.root, 'models/orders.sql'), 'select 9\n');
    // Past the second boundary: a copied index with a fresh mtime would now take the file as clean.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const diff = Buffer.from((await sandbox!.collectArtifacts()).at(-1)!.content).toString();
    expect(diff).toContain('+select 9');
  });

  it('kills a command at its timeout, and the background processes it started', async () => {
    await provision();
    const marker = `53${randomBytes(2).readUInt16BE(0)}1`;
    const result = await sandbox!.session.exec!(`sleep ${marker}.5 & sleep ${marker}`, { timeoutMs: 500 });
    expect(result.stoppedBy).toBe('timeout');
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('re-applies a previous diff and removes the worktree and its branch when destroyed', async () => {
    await provision();
    writeFileSync(join(sandbox!.session.root, 'notes.md'), 'remember\n');
    const diff = (await sandbox!.collectArtifacts()).at(-1)!.content;
    await sandbox!.destroy();
    await provision({}, [], diff);
    const root = sandbox!.session.root;
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('remember\n');
    await sandbox!.destroy();
    expect(existsSync(root)).toBe(false);
  });
});
