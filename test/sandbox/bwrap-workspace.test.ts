import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxDriver } from '../../src/sandbox/index.js';
import { WorkspaceError } from '../../src/sandbox/index.js';
import { overlayPossible } from '../../src/sandbox/overlay.js';
import { gitCommitTool } from '../../src/tools/git.js';
import { contextOn } from '../git-tools/helpers.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { bwrapDriver, cleanupProject, mountsUnder } from './sandbox-helpers.js';

let project: TempProject | undefined;
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  for (const sandbox of sandboxes.splice(0)) await sandbox.destroy();
  await cleanupProject(project);
  project = undefined;
});

function repo(files: Record<string, string> = {}): TempProject {
  project = createProject({ 'models/orders.sql': 'select 1 as id\n', 'README.md': '# shop\n', ...files });
  return project;
}

async function provision(driver: SandboxDriver, runId: string, extra: { restoreDiff?: Uint8Array } = {}) {
  const sandbox = await driver.provision({ runId, repoRoot: project!.root, ...extra });
  sandboxes.push(sandbox);
  return sandbox;
}

/** Commit everything in the workspace as the git_commit tool does (on the worker, not in the sandbox). */
async function commit(sandbox: Sandbox, message: string): Promise<void> {
  await gitCommitTool.execute({ message }, contextOn(sandbox.session.root, { runId: sandbox.runId }));
}

function mainGit(...args: string[]): string {
  return execFileSync('git', args, { cwd: project!.root, encoding: 'utf8' }).trim();
}

const methods = [
  { method: 'overlayfs', possible: overlayPossible('overlayfs') },
  { method: 'fuse-overlayfs', possible: overlayPossible('fuse-overlayfs') },
  { method: 'git-checkout', possible: true },
] as const;

describe.each(methods)('bwrap workspace made with $method', ({ method, possible }) => {
  it.skipIf(!possible)(
    'is the repository at the base commit on agentry/<run-id>, and git works inside',
    async () => {
      repo();
      const driver = bwrapDriver(project!.workspaces, { workspace: method });
      const sandbox = await provision(driver, `ws-${method}-1`);
      expect(sandbox.method).toBe(method);
      expect(sandbox.baseCommit).toBe(mainGit('rev-parse', 'HEAD'));
      expect(sandbox.branch).toBe(`agentry/ws-${method}-1`);
      expect(readFileSync(join(sandbox.session.root, 'models/orders.sql'), 'utf8')).toBe('select 1 as id\n');
      const result = await sandbox.session.exec!(
        'git status --short && git rev-parse --abbrev-ref HEAD && echo "select 2" > models/new.sql && git status --short',
      );
      expect(result.exitCode).toBe(0);
      expect(result.output).toBe(`agentry/ws-${method}-1\n?? models/new.sql\n`);
      // Commands read git; commits go through git_commit (.git is read-only for commands).
      await commit(sandbox, 'add new model');
      expect((await sandbox.session.exec!('git log --format=%s -1')).output).toBe('add new model\n');
    },
  );

  it.skipIf(!possible)('sees a same-size change made in the second of the checkout (racy git)', async () => {
    repo();
    const sandbox = await provision(
      bwrapDriver(project!.workspaces, { workspace: method }),
      `racy-${method}`,
    );
    await sandbox.session.exec!("printf 'select 9 as id\\n' > models/orders.sql");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const status = await sandbox.session.exec!('git status --short');
    expect(status.output).toBe(' M models/orders.sql\n');
    const diff = (await sandbox.collectArtifacts()).find((artifact) => artifact.name === 'workspace.diff')!;
    expect(Buffer.from(diff.content).toString()).toContain('+select 9 as id');
  });

  it.skipIf(!possible)(
    'keeps every change in workspace.diff, and a follow-up turn gets them back',
    async () => {
      repo({ 'models/gone.sql': 'select 0\n' });
      const driver = bwrapDriver(project!.workspaces, { workspace: method });
      const first = await provision(driver, `ws-${method}-2`);
      await first.session.exec!('rm models/gone.sql');
      await commit(first, 'drop gone');
      const result = await first.session.exec!(
        [
          'echo "-- reviewed" >> models/orders.sql',
          'mkdir -p reports && printf "all good\\n" > reports/summary.md',
          '{ printf "\\000\\001"; head -c 300 /dev/urandom; } > reports/blob.bin',
        ].join(' && '),
      );
      expect(result.exitCode).toBe(0);
      const artifacts = await first.collectArtifacts();
      const diff = artifacts.find((artifact) => artifact.name === 'workspace.diff')!;
      const text = Buffer.from(diff.content).toString();
      expect(diff.mediaType).toBe('text/x-diff');
      expect(text).toContain('+-- reviewed');
      expect(text).toContain('deleted file mode 100644');
      expect(text).toContain('+all good');
      expect(text).toContain('GIT binary patch');
      const blob = readFileSync(join(first.session.root, 'reports/blob.bin'));
      await first.destroy();

      const second = await provision(driver, `ws-${method}-3`, { restoreDiff: diff.content });
      const root = second.session.root;
      expect(readFileSync(join(root, 'models/orders.sql'), 'utf8')).toBe('select 1 as id\n-- reviewed\n');
      expect(existsSync(join(root, 'models/gone.sql'))).toBe(false);
      expect(readFileSync(join(root, 'reports/summary.md'), 'utf8')).toBe('all good\n');
      expect(readFileSync(join(root, 'reports/blob.bin')).equals(blob)).toBe(true);
      const again = (await second.collectArtifacts()).find((artifact) => artifact.name === 'workspace.diff')!;
      expect(Buffer.from(again.content).toString()).toBe(text);
    },
  );
});

describe('bwrap workspace', () => {
  it('mounts an overlay on a cached checkout, shared by runs on the same commit', async () => {
    repo();
    const driver = bwrapDriver(project!.workspaces);
    const first = await provision(driver, 'cache-1');
    const second = await provision(driver, 'cache-2');
    if (!first.method.endsWith('overlayfs')) return;
    // One checkout, and beside it the objects its runs' git may read.
    const cached = readdirSync(join(project!.workspaces, '.base')).sort();
    expect(cached).toHaveLength(2);
    expect(cached[1]).toBe(`${cached[0]}.objects`);
    // Writes land in the run's own layer: the other run and the cache do not see them.
    writeFileSync(join(first.session.root, 'README.md'), 'changed\n');
    expect(readFileSync(join(second.session.root, 'README.md'), 'utf8')).toBe('# shop\n');
    // One overlay per run (and, as root, the tmpfs under each that bounds its writes).
    expect(mountsUnder(project!.workspaces).filter((target) => target.endsWith('/root'))).toHaveLength(2);
  });

  it('sees deletions under a directory that was removed and made again (an opaque overlay directory)', async () => {
    repo({
      'models/staging/a.sql': 'select 1\n',
      'models/staging/b.sql': 'select 2\n',
      'seeds/c.csv': 'id\n1\n',
    });
    const sandbox = await provision(bwrapDriver(project!.workspaces), 'opaque-1');
    await sandbox.session.exec!(
      'rm -rf models/staging && mkdir models/staging && echo "select 3" > models/staging/c.sql && rm -r seeds && ln -s ../README.md link.md',
    );
    const diff = (await sandbox.collectArtifacts()).find((artifact) => artifact.name === 'workspace.diff')!;
    const files = [
      ...Buffer.from(diff.content)
        .toString()
        .matchAll(/^diff --git a\/(\S+)/gm),
    ].map((match) => match[1]);
    expect(files.sort()).toEqual([
      'link.md',
      'models/staging/a.sql',
      'models/staging/b.sql',
      'models/staging/c.sql',
      'seeds/c.csv',
    ]);
  });

  it("fetches the run's commits into the project as agentry/<run-id>, and leaves no branch without them", async () => {
    repo();
    const driver = bwrapDriver(project!.workspaces);
    const idle = await provision(driver, 'keep-idle');
    const busy = await provision(driver, 'keep-busy');
    await busy.session.exec!('echo "select 3" > models/three.sql');
    await commit(busy, 'three');
    const tip = (await busy.session.exec!('git rev-parse HEAD')).output.trim();
    await idle.destroy();
    await busy.destroy();
    expect(mainGit('branch', '--list', 'agentry/*')).toBe('agentry/keep-busy');
    expect(mainGit('rev-parse', 'agentry/keep-busy')).toBe(tip);
    expect(mainGit('show', 'agentry/keep-busy:models/three.sql')).toBe('select 3');
  });

  it('keeps a file the agent asked for, as it was when asked, and refuses files outside', async () => {
    repo();
    const sandbox = await provision(bwrapDriver(project!.workspaces), 'artifact-1');
    await sandbox.session.exec!('printf "# report\\n" > report.md');
    const kept = await sandbox.session.keepArtifact!(join(sandbox.session.root, 'report.md'));
    expect(kept).toEqual({ name: 'report.md', mediaType: 'text/markdown', size: 9, path: 'report.md' });
    await sandbox.session.exec!('echo changed-later > report.md');
    await expect(sandbox.session.keepArtifact!(join(project!.root, 'README.md'))).rejects.toThrow(
      /inside the workspace/,
    );
    const artifacts = await sandbox.collectArtifacts();
    expect(artifacts.map((artifact) => artifact.name)).toEqual(['report.md', 'workspace.diff']);
    expect(Buffer.from(artifacts[0]!.content).toString()).toBe('# report\n');
  });

  it('reaps the workspaces of runs that are no longer running, and only those of this project', async () => {
    repo();
    const driver = bwrapDriver(project!.workspaces);
    const lost = await driver.provision({ runId: 'reap-lost', repoRoot: project!.root });
    const live = await provision(driver, 'reap-live');
    await lost.session.exec!('echo "select 9" > models/nine.sql');
    await commit(lost, 'nine');
    // A new driver, as after a restart: it knows nothing of the lost run but its directory.
    const restarted = bwrapDriver(project!.workspaces);
    const removed = await restarted.reap(project!.root, async (runId) => runId === 'reap-live');
    expect(removed).toBe(1);
    expect(existsSync(lost.session.root)).toBe(false);
    expect(existsSync(live.session.root)).toBe(true);
    expect(mountsUnder(join(project!.workspaces, 'reap-lost'))).toEqual([]);
    // Its commits were not lost with it.
    expect(mainGit('show', 'agentry/reap-lost:models/nine.sql')).toBe('select 9');
    const other = await restarted.reap('/some/other/project', async () => false);
    expect(other).toBe(0);
    expect(existsSync(live.session.root)).toBe(true);
  });

  it('fails with a one-line WorkspaceError for an unknown base ref and leaves nothing behind', async () => {
    repo();
    const driver = bwrapDriver(project!.workspaces);
    const attempt = driver.provision({
      runId: 'bad-ref',
      repoRoot: project!.root,
      baseRef: 'no-such-branch',
    });
    await expect(attempt).rejects.toBeInstanceOf(WorkspaceError);
    await expect(attempt).rejects.toThrow(/cannot resolve base ref 'no-such-branch'/);
    expect(existsSync(join(project!.workspaces, 'bad-ref'))).toBe(false);
  });
});
