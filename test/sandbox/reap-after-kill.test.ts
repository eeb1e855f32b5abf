import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recoverLostRuns } from '../../src/engine/lost-runs.js';
import { SqliteRunStore } from '../../src/store/sqlite.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { bwrapDriver, cleanupProject, mountsUnder } from './sandbox-helpers.js';

// A worker killed with SIGKILL never tears its sandboxes down: the next start-up must.

let project: TempProject | undefined;
let store: SqliteRunStore | undefined;

afterEach(async () => {
  await store?.close();
  // The real directory too: a failed test may have left a mount there.
  if (project)
    await cleanupProject({ ...project, workspaces: join(project.workspaces, '..', 'real-workspaces') });
  await cleanupProject(project);
  project = store = undefined;
});

/** The pid of a process that was alive a moment ago and was killed with SIGKILL. */
async function killedPid(): Promise<number> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return child.pid!;
}

describe('reaping after a SIGKILL', () => {
  it.each([
    { label: 'workspace_root as is', throughLink: false },
    { label: 'workspace_root reached through a symlink', throughLink: true },
  ])('the next start-up unmounts and removes a dead run’s overlay ($label)', async ({ throughLink }) => {
    project = createProject({ 'models/orders.sql': 'select 1\n' });
    // <base>/real-workspaces, and <base>/workspaces a link to it when asked.
    const real = join(project.workspaces, '..', 'real-workspaces');
    mkdirSync(real);
    if (throughLink) symlinkSync(real, project.workspaces);
    const workspaceRoot = throughLink ? project.workspaces : real;
    store = new SqliteRunStore(join(project.root, '..', 'agentry.db'));
    await store.migrate();
    const created = await store.createRun({ agent: 'builder', agentHash: 'x', trigger: { kind: 'api' } });
    const running = await store.updateRun(created.id, ['PENDING'], {
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      owner: `${hostname()}:${await killedPid()}`,
      heartbeatAt: new Date().toISOString(),
    });
    expect(running?.status).toBe('RUNNING');

    // The dead server's sandbox: provisioned, a commit made, never destroyed.
    const sandbox = await bwrapDriver(workspaceRoot).provision({ runId: created.id, repoRoot: project.root });
    await sandbox.session.exec!('echo "select 2" > models/two.sql');
    execFileSync('git', ['add', '-A'], { cwd: sandbox.session.root });
    execFileSync('git', ['commit', '-qm', 'two'], { cwd: sandbox.session.root });
    const realRoot = realpathSync(real);
    expect(mountsUnder(realRoot).length).toBeGreaterThan(0);

    // The next start-up, as `serve` and every CLI command run it.
    const lost = await recoverLostRuns(store, {
      sandbox: bwrapDriver(workspaceRoot),
      repoRoot: project.root,
    });
    expect(lost).toEqual([created.id]);
    expect((await store.getRun(created.id))?.failureReason).toBe('worker-lost');
    expect(mountsUnder(realRoot)).toEqual([]);
    expect(readdirSync(realRoot).filter((name) => !name.startsWith('.'))).toEqual([]);
    expect(existsSync(join(realRoot, created.id))).toBe(false);
    // Its commit was kept before the workspace went.
    const kept = execFileSync('git', ['show', `agentry/${created.id}:models/two.sql`], {
      cwd: project.root,
      encoding: 'utf8',
    });
    expect(kept).toBe('select 2\n');
  });
});
