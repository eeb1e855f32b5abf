import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore, type RunStore } from '../../src/store/index.js';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';
import { bwrapDriver, cleanupProject, mountsUnder, processesWith } from './sandbox-helpers.js';

const agent = (extra = '', timeout = '20s', maxSteps = 6) => `name: builder
role: builder
goal: build things
tools:
  list: [run_terminal_command, keep_artifact, read_file]
limits:
  max_steps: ${maxSteps}
  timeout: ${timeout}
${extra}`;

let server: ScriptedModelServer | undefined;
let project: TempProject | undefined;
let store: RunStore | undefined;

afterEach(async () => {
  await store?.close();
  await server?.close();
  await cleanupProject(project);
  store = server = project = undefined;
});

async function engineFor(script: ScriptStep[], agentYaml = agent()) {
  server = await startScriptedModel({ script });
  project = createProject({ 'models/orders.sql': 'select 1\n' });
  project.write(
    '.agentry/config.yml',
    scriptedConfig(server.url, project.workspaces).replace('driver: local', 'driver: bwrap'),
  );
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/builder.yml', agentYaml);
  project.commit('agentry');
  const { project: loaded, issues } = await loadProject(project.root);
  expect(issues).toEqual([]);
  store = await openStore(loaded.config.store, project.root);
  const engine = new Engine({
    project: loaded,
    store,
    sandbox: bwrapDriver(project.workspaces),
    env: {},
    heartbeatMs: 50,
  });
  return { engine, store, project };
}

const command = (text: string, extra: Record<string, unknown> = {}): ScriptStep => ({
  toolCalls: [{ name: 'run_terminal_command', arguments: { command: text, ...extra } }],
});

/** Nothing of the run is left: no run directory, no mount, no process started with `marker`. */
function expectNothingLeft(marker: string) {
  const left = existsSync(project!.workspaces)
    ? readdirSync(project!.workspaces).filter((name) => name !== '.base')
    : [];
  expect(left).toEqual([]);
  expect(mountsUnder(project!.workspaces)).toEqual([]);
  expect(processesWith(marker)).toEqual([]);
}

describe('engine with the bwrap sandbox', () => {
  it('COMPLETED: keeps the diff and kept files as artifacts, then leaves nothing behind', async () => {
    const marker = `61${randomBytes(2).readUInt16BE(0)}3`;
    const { engine, store } = await engineFor([
      command(
        `echo "select 2" > models/new.sql && echo "# done" > report.md && (sleep ${marker} &) && echo ok`,
      ),
      { toolCalls: [{ name: 'keep_artifact', arguments: { path: 'report.md' } }] },
      { text: 'built' },
    ]);
    const run = await engine.triggerRun('builder', 'build');
    expect(run.status).toBe('COMPLETED');
    const events = await store.listEvents(run.id);
    const provisioned = events.find((event) => event.type === 'sandbox.provisioned')!;
    expect(provisioned.payload).toMatchObject({
      driver: 'bwrap',
      isolation: { network: 'none', filesystem: true, processes: true, syscalls: { filter: 'seccomp' } },
    });
    expect((provisioned.payload.isolation as { syscalls: { denied: string[] } }).syscalls.denied).toContain(
      'ptrace',
    );
    const artifactEvents = events
      .filter((event) => event.type === 'artifact.created')
      .map((event) => event.payload.name);
    expect(artifactEvents).toEqual(['report.md', 'workspace.diff']);
    const types = events.map((event) => event.type);
    expect(types.indexOf('artifact.created')).toBeLessThan(types.indexOf('sandbox.destroyed'));
    const diff = Buffer.from((await store.getArtifactContent(run.id, 'workspace.diff'))!).toString();
    expect(diff).toContain('+select 2');
    expect(Buffer.from((await store.getArtifactContent(run.id, 'report.md'))!).toString()).toBe('# done\n');
    expectNothingLeft(`sleep ${marker}`);
  });

  it('FAILED (timeout): kills the running command and removes the workspace', async () => {
    const marker = `62${randomBytes(2).readUInt16BE(0)}7`;
    const { engine } = await engineFor(
      [command(`sleep ${marker}`, { timeout_seconds: 120 })],
      agent('', '2s'),
    );
    const started = Date.now();
    const run = await engine.triggerRun('builder', 'wait');
    expect(run.status).toBe('FAILED');
    expect(run.failureReason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expectNothingLeft(`sleep ${marker}`);
  });

  it('CANCELLED: the signal kills the running command and removes the workspace', async () => {
    const marker = `63${randomBytes(2).readUInt16BE(0)}1`;
    const { engine } = await engineFor([command(`sleep ${marker}`, { timeout_seconds: 120 })]);
    const controller = new AbortController();
    const running = engine.triggerRun('builder', 'wait', { signal: controller.signal });
    await waitUntil(() => processesWith(`sleep ${marker}`).length > 0);
    controller.abort();
    const run = await running;
    expect(run.status).toBe('CANCELLED');
    expectNothingLeft(`sleep ${marker}`);
  });

  it('FAILED (max-steps): still keeps the diff and tears down', async () => {
    const { engine, store } = await engineFor([command('echo partial > partial.txt')], agent('', '20s', 1));
    const run = await engine.triggerRun('builder', 'loop');
    expect(run.failureReason).toBe('max-steps');
    expect(Buffer.from((await store.getArtifactContent(run.id, 'workspace.diff'))!).toString()).toContain(
      '+partial',
    );
    expectNothingLeft('partial.txt');
  });

  it('re-applies the previous turn’s changes in a follow-up turn', async () => {
    const { engine } = await engineFor([
      command('echo "first turn" > notes.md'),
      { text: 'wrote notes' },
      command('cat notes.md'),
      { text: 'read notes' },
    ]);
    const first = await engine.triggerRun('builder', 'write');
    expect(first.status).toBe('COMPLETED');
    const second = await engine.reply(first.id, 'read it back');
    expect(second.status).toBe('COMPLETED');
    const toolResult = (server!.requests[3]!.messages as { role: string; content: string }[]).findLast(
      (m) => m.role === 'tool',
    );
    expect(toolResult?.content).toContain('first turn');
  });

  it("gives an agent with sandbox.network: host the host's network, and records it", async () => {
    const { engine, store } = await engineFor([{ text: 'ok' }], agent('sandbox:\n  network: host\n'));
    const run = await engine.triggerRun('builder', 'go');
    const provisioned = (await store.listEvents(run.id)).find(
      (event) => event.type === 'sandbox.provisioned',
    )!;
    expect((provisioned.payload.isolation as { network: string }).network).toBe('host');
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
