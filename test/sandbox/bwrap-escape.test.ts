import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { bwrapDriver, cleanupProject, mountsUnder, processesWith } from './sandbox-helpers.js';

// Every test here is an escape attempt: it fails if the escape works.

const SECRET = `s3cr3t-${randomBytes(8).toString('hex')}`;
const homeFile = join(homedir(), `.agentry-escape-test-${randomBytes(4).toString('hex')}`);

let project: TempProject;
let sandbox: Sandbox;
let run = 0;

beforeAll(() => {
  writeFileSync(homeFile, `${SECRET}\n`);
  process.env.AGENTRY_ESCAPE_TEST_SECRET = SECRET;
});

afterAll(() => {
  rmSync(homeFile, { force: true });
  delete process.env.AGENTRY_ESCAPE_TEST_SECRET;
});

afterEach(async () => {
  await sandbox?.destroy();
  await cleanupProject(project);
});

async function provision(
  files: Record<string, string> = {},
  options: { ignore?: string[]; network?: 'none' | 'host' } = {},
) {
  project = createProject({ 'models/orders.sql': 'select 1\n', '.gitignore': '.env\n', ...files });
  const driver = bwrapDriver(project.workspaces, { ignore: options.ignore ?? [] });
  sandbox = await driver.provision({
    runId: `escape-${++run}`,
    repoRoot: project.root,
    network: options.network,
  });
  return sandbox;
}

async function exec(command: string, options: { timeoutMs?: number } = {}) {
  const result = await sandbox.session.exec!(command, options);
  return result;
}

describe('bwrap sandbox: reading outside the workspace', () => {
  it("cannot read a file in the host's home directory", async () => {
    await provision();
    const result = await exec(`cat ${homeFile}; ls -a ${homedir()}; echo HOME=$HOME`);
    expect(result.output).not.toContain(SECRET);
    expect(result.output).toContain('No such file or directory');
    expect(result.output).toContain('HOME=/tmp/home');
  });

  it("cannot read the project's .env, by its host path or in the workspace", async () => {
    await provision();
    writeFileSync(join(project.root, '.env'), `DATABASE_PASSWORD=${SECRET}\n`);
    const result = await exec(`cat ${project.root}/.env; cat .env; ls -a ${project.root}`);
    expect(result.output).not.toContain(SECRET);
    expect(result.output).toContain(`cat: ${project.root}/.env: No such file or directory`);
    expect(result.output).toContain('cat: .env: No such file or directory');
  });

  it('leaves a committed file listed in sandbox.ignore out of the workspace, its status and its diff', async () => {
    await provision({ 'profiles.yml': `password: ${SECRET}\n` }, { ignore: ['profiles.yml'] });
    const result = await exec('cat profiles.yml; git status --short; ls -a');
    expect(result.output).not.toContain(SECRET);
    expect(result.output).toContain('No such file or directory');
    expect(result.output).not.toContain('D profiles.yml');
    const artifacts = await sandbox.collectArtifacts();
    const diff = artifacts.find((artifact) => artifact.name === 'workspace.diff')!;
    expect(Buffer.from(diff.content).toString()).not.toContain('profiles.yml');
  });

  it('does not follow a symlink planted in the repository to a host file', async () => {
    project = createProject({ 'models/orders.sql': 'select 1\n', '.gitignore': '.env\n' });
    writeFileSync(join(project.root, '.env'), `TOKEN=${SECRET}\n`);
    // Committed links: one absolute to the host's home, one relative from the workspace
    // (<base>/workspaces/<run>/root) up to the project's .env (<base>/repo/.env).
    symlinkSync(homeFile, join(project.root, 'home-link'));
    symlinkSync('../../../repo/.env', join(project.root, 'env-link'));
    project.commit('links');
    sandbox = await bwrapDriver(project.workspaces).provision({
      runId: `escape-${++run}`,
      repoRoot: project.root,
    });
    const result = await exec('ls -l home-link env-link; cat home-link; cat env-link');
    expect(result.output).toContain('home-link ->');
    expect(result.output).toContain('env-link ->');
    expect(result.output).not.toContain(SECRET);
  });

  it("gets an environment without the worker's secrets", async () => {
    await provision();
    const result = await exec('env; cat /proc/1/environ /proc/self/environ | tr "\\0" "\\n"');
    expect(process.env.AGENTRY_ESCAPE_TEST_SECRET).toBe(SECRET);
    expect(result.output).not.toContain(SECRET);
    expect(result.output).not.toContain('AGENTRY_ESCAPE_TEST_SECRET');
    expect(result.output).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });
});

describe('bwrap sandbox: network', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end('hello from the host\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('cannot connect to Postgres on 127.0.0.1:5432 or any host port by default', async () => {
    await provision();
    const result = await exec(
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/5432 && echo CONNECTED-5432'; bash -c 'cat < /dev/tcp/127.0.0.1/${port}'; echo done`,
    );
    expect(result.output).not.toContain('CONNECTED-5432');
    expect(result.output).not.toContain('hello from the host');
    expect(result.output).toContain('done');
  });

  it('reaches the host network when the agent is allowed it (the same command, network: host)', async () => {
    await provision({}, { network: 'host' });
    const result = await exec(`bash -c 'cat < /dev/tcp/127.0.0.1/${port}'`);
    expect(result.output).toContain('hello from the host');
    expect(sandbox.isolation.network).toBe('host');
  });
});

describe('bwrap sandbox: writing outside the workspace', () => {
  it('cannot write to the system, the project, its git objects or the host /tmp', async () => {
    await provision();
    const marker = `agentry-escape-${randomBytes(4).toString('hex')}`;
    const objects = join(project.root, '.git', 'objects');
    const result = await exec(
      [
        `touch /usr/${marker}`,
        `touch /etc/${marker}`,
        `touch /${marker}`,
        `touch ${project.root}/${marker}`,
        `touch ${objects}/${marker}`,
        `touch ${homedir()}/${marker}`,
        `echo inside > /tmp/${marker} && cat /tmp/${marker}`,
        `echo ok > written-inside.txt`,
      ].join('; '),
    );
    for (const path of [
      `/usr/${marker}`,
      `/etc/${marker}`,
      `/${marker}`,
      join(project.root, marker),
      join(objects, marker),
      join(homedir(), marker),
    ]) {
      expect(existsSync(path), path).toBe(false);
    }
    // /tmp inside is private: the write succeeded there and is not on the host.
    expect(result.output).toContain('inside');
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    expect(existsSync(join(sandbox.session.root, 'written-inside.txt'))).toBe(true);
  });

  it('has no capabilities, so it cannot remount the read-only system writable or read root-only files', async () => {
    await provision();
    const result = await exec(
      'grep CapEff /proc/self/status; mount -o remount,bind,rw /usr && touch /usr/agentry-remount && echo REMOUNTED; ls /etc/ssl/private /etc/shadow',
    );
    expect(result.output).toContain('CapEff:\t0000000000000000');
    expect(result.output).not.toContain('REMOUNTED');
    expect(existsSync('/usr/agentry-remount')).toBe(false);
    expect(result.output).toContain("ls: cannot access '/etc/ssl/private'");
    expect(result.output).toContain("ls: cannot access '/etc/shadow'");
  });

  it('cannot rewrite its git config (a filter or fsmonitor would run on the host) or swap .git', async () => {
    await provision();
    const result = await exec(
      'git config core.fsmonitor "touch /tmp/pwned"; echo x >> .git/config; mv .git .git-moved; git status --short; echo end',
    );
    expect(result.output).toContain('end');
    expect(existsSync(join(sandbox.session.root, '.git-moved'))).toBe(false);
    const artifacts = await sandbox.collectArtifacts();
    expect(artifacts.map((artifact) => artifact.name)).toContain('workspace.diff');
  });
});

describe('bwrap sandbox: resources and time', () => {
  it('bounds a fork bomb: the command ends, the rest of the machine is untouched', async () => {
    await provision();
    const result = await exec(
      'bomb() { bomb | bomb & }; bomb; sleep 2; set -- /proc/[0-9]*; echo processes=$#',
      { timeoutMs: 15_000 },
    );
    const count = Number(/processes=(\d+)/.exec(result.output)?.[1] ?? Number.NaN);
    // Processes of the command's namespace: bounded by limits.processes (64) plus bwrap's own.
    expect(count).toBeLessThanOrEqual(70);
    expect(result.processLimitReached || sandbox.isolation.limits.processes === 'rlimit').toBe(true);
    expect(result.stoppedBy).toBeUndefined();
  });

  it('stops a memory hog at the limit; the command fails cleanly', async () => {
    await provision();
    // tail keeps everything until the last newline, which never comes: 1 GiB, against a 128 MiB limit.
    const result = await exec('head -c 1073741824 /dev/zero | tail > /dev/null', { timeoutMs: 15_000 });
    expect(result.exitCode).not.toBe(0);
    if (sandbox.isolation.limits.memory === 'cgroup') expect(result.stoppedBy).toBe('memory');
    else expect(result.output).toMatch(/memory/i);
  });

  it('stops a memory hog with rlimits alone where no cgroup can be made', async () => {
    project = createProject({ 'models/orders.sql': 'select 1\n' });
    sandbox = await bwrapDriver(project.workspaces, { cgroups: false }).provision({
      runId: `escape-${++run}`,
      repoRoot: project.root,
    });
    expect(sandbox.isolation.limits.memory).toBe('rlimit');
    const result = await exec('head -c 1073741824 /dev/zero | tail > /dev/null', { timeoutMs: 15_000 });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/memory/i);
  });

  it('kills a command that outlives its timeout, with everything it started', async () => {
    await provision();
    const marker = `31${randomBytes(2).readUInt16BE(0)}7`;
    const started = Date.now();
    const result = await exec(`(setsid sleep ${marker} &); nohup sleep ${marker}.5 & sleep ${marker}.25`, {
      timeoutMs: 1000,
    });
    expect(result.stoppedBy).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(8000);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('caps the output the caller gets, keeping head and tail', async () => {
    await provision();
    const result = await exec('seq 1 200000');
    expect(result.truncated).toBe(true);
    expect(result.outputBytes).toBeGreaterThan(1_000_000);
    expect(result.output.length).toBeLessThan(10_000);
    expect(result.output.startsWith('1\n2\n3\n')).toBe(true);
    expect(result.output.trimEnd().endsWith('199999\n200000')).toBe(true);
    expect(result.output).toMatch(/cut from the middle of the output/);
  });
});

describe('bwrap sandbox: teardown', () => {
  it('removes the workspace, its mounts and its processes when destroyed, even mid-command', async () => {
    await provision();
    const root = sandbox.session.root;
    const marker = `42${randomBytes(2).readUInt16BE(0)}9`;
    const running = exec(`sleep ${marker}`, { timeoutMs: 20_000 });
    await waitUntil(() => processesWith(`sleep ${marker}`).length > 0);
    await sandbox.destroy();
    const result = await running;
    expect(result.stoppedBy).toBe('cancelled');
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    expect(existsSync(root)).toBe(false);
    expect(mountsUnder(project.workspaces)).toEqual([]);
    await expect(exec('true')).rejects.toThrow(/gone/);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
