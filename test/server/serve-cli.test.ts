import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentryClient } from '../../src/sdk/index.js';
import { SqliteRunStore } from '../../src/store/sqlite.js';
import { type ScriptedModelServer, startScriptedModel } from '../../src/testing/index.js';
import { createProject, runCli, scriptedConfig, spawnCli, type TempProject } from '../helpers/project.js';
import { ECHO_AGENT } from './fixture.js';

let model: ScriptedModelServer | undefined;
let project: TempProject | undefined;
const servers = new Set<ChildProcessWithoutNullStreams | ReturnType<typeof spawnCli>>();

afterEach(async () => {
  for (const server of servers) {
    server.kill('SIGKILL');
    await new Promise((resolve) =>
      server.exitCode === null && server.signalCode === null ? server.once('exit', resolve) : resolve(null),
    );
  }
  servers.clear();
  await model?.close();
  project?.cleanup();
  model = undefined;
  project = undefined;
});

async function setup(script: Parameters<typeof startScriptedModel>[0]['script']) {
  model = await startScriptedModel({ script, whenExhausted: 'repeat-last' });
  project = createProject({});
  project.write('.agentry/config.yml', scriptedConfig(model.url, project.workspaces));
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/echo.yml', ECHO_AGENT);
  project.commit('agents');
  return project;
}

/** Start `agentry serve` as its own process; resolves with its URL once it listens. */
async function serve(root: string, args: string[] = []) {
  const child = spawnCli(['serve', '--port', '0', ...args], { cwd: root });
  servers.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

describe('agentry serve (built CLI)', () => {
  it('after a SIGKILL mid-run, a restart fails the running run (worker-lost) and runs the queued one', async () => {
    const root = (await setup([{ text: 'never answered', delayMs: 60_000 }, { text: 'recovered' }])).root;
    const created = await runCli(['keys', 'create', '--scope', 'admin', '--name', 'test'], { cwd: root });
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    const first = await serve(root, ['--concurrency', '1']);
    const client = new AgentryClient({ url: first.url, apiKey: key });
    const running = await client.triggerRun({ agent: 'echo', message: 'one' });
    await waitFor(
      () => client.getRun(running.id),
      (run) => run.status === 'RUNNING',
      'RUNNING',
    );
    // Mid-run: the model is thinking about the first run's request when the server dies.
    await waitFor(
      async () => model!.requests.length,
      (count) => count === 1,
      'the model call',
    );
    const queued = await client.triggerRun({ agent: 'echo', message: 'two' });
    expect(queued.status).toBe('PENDING');

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const store = new SqliteRunStore(join(root, '.agentry', 'agentry.db'));
    try {
      expect((await store.getRun(running.id))!.status).toBe('RUNNING');
      expect((await store.getRun(queued.id))!.status).toBe('PENDING');
    } finally {
      await store.close();
    }

    const second = await serve(root, ['--concurrency', '1']);
    const restarted = new AgentryClient({ url: second.url, apiKey: key });
    const lost = await restarted.getRun(running.id);
    expect(lost).toMatchObject({ status: 'FAILED', failure_reason: 'worker-lost' });
    const done = await restarted.waitForRun(queued.id, { timeoutMs: 15_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', output: { text: 'recovered' } });
    expect((await restarted.listRuns({ status: 'RUNNING' })).runs).toEqual([]);
    expect((await restarted.listRuns({ status: 'PENDING' })).runs).toEqual([]);
    expect(second.stderr()).toContain(
      `run ${running.id} was left RUNNING by a server that died: FAILED (worker-lost)`,
    );
    expect(second.stderr()).toContain(`run ${queued.id} was accepted by a server that died: queued again`);
    // The lost run's workspace was reaped.
    const workspaces = project!.workspaces;
    await waitFor(
      async () => (existsSync(workspaces) ? readdirSync(workspaces) : []),
      (left) => left.length === 0,
      'workspaces gone',
    );

    // Ctrl-C stops it cleanly.
    second.child.kill('SIGINT');
    const code = await new Promise((resolve) => second.child.once('exit', resolve));
    expect(code).toBe(0);
  });

  it('keys: create prints a key once, list shows it without the key, revoke stops it at once', async () => {
    const root = (await setup([{ text: 'ok' }])).root;
    const created = await runCli(
      ['keys', 'create', '--scope', 'runs:read,runs:trigger', '--name', 'airflow'],
      {
        cwd: root,
      },
    );
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^agk_/);
    expect(created.stderr).toContain('copy it now, it is not shown again');
    const listed = await runCli(['keys', 'list', '--json'], { cwd: root });
    const [record] = JSON.parse(listed.stdout) as {
      id: string;
      name: string;
      scopes: string[];
      hash?: string;
    }[];
    expect(record).toMatchObject({ name: 'airflow', scopes: ['runs:trigger', 'runs:read'] });
    expect(record!.hash).toBeUndefined();
    expect(listed.stdout).not.toContain(key);
    const table = await runCli(['keys', 'list'], { cwd: root });
    expect(table.stdout).toContain(`${key.slice(0, 12)}…`);

    const server = await serve(root);
    const client = new AgentryClient({ url: server.url, apiKey: key });
    expect((await client.listAgents()).map((agent) => agent.name)).toEqual(['echo']);
    const revoked = await runCli(['keys', 'revoke', record!.id], { cwd: root });
    expect(revoked.code).toBe(0);
    expect(await client.listAgents().catch((error: unknown) => error)).toMatchObject({ status: 401 });
    expect((await runCli(['keys', 'revoke', 'nope'], { cwd: root })).code).toBe(1);
    const badScope = await runCli(['keys', 'create', '--scope', 'runs:write'], { cwd: root });
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toContain("unknown scope 'runs:write'");
  });

  it('refuses to start without a key, and --no-auth off loopback', async () => {
    const root = (await setup([{ text: 'ok' }])).root;
    const noKey = await runCli(['serve', '--port', '0'], { cwd: root });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("no API key exists: create one with 'agentry keys create --scope admin'");
    const open = await runCli(['serve', '--port', '0', '--host', '0.0.0.0', '--no-auth'], { cwd: root });
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('--no-auth is only allowed on a loopback host');
    const badPort = await runCli(['serve', '--port', 'http'], { cwd: root });
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toContain('--port must be a whole number');

    const dev = await serve(root, ['--no-auth']);
    expect(dev.stderr()).toContain('warning: --no-auth');
    const response = await fetch(`${dev.url}/api/v1/agents`);
    expect(response.status).toBe(200);
  });
});
