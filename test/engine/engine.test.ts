import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, recoverLostRuns } from '../../src/engine/index.js';
import { LocalSandboxDriver } from '../../src/sandbox/index.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore, type RunStore, verifyRunAudit } from '../../src/store/index.js';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';

const AGENT = `name: analyst
role: analyst
goal: answer
tools:
  list: [read_file]
limits:
  max_steps: 5
  timeout: 20s
`;

let server: ScriptedModelServer | undefined;
let project: TempProject | undefined;
let store: RunStore | undefined;

afterEach(async () => {
  await store?.close();
  await server?.close();
  project?.cleanup();
  store = undefined;
  server = undefined;
  project = undefined;
});

async function engineFor(script: ScriptStep[], agent = AGENT, files: Record<string, string> = {}) {
  server = await startScriptedModel({ script });
  project = createProject({ 'README.md': '# repo\n', ...files });
  project.write('.agentry/config.yml', scriptedConfig(server.url, project.workspaces));
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/analyst.yml', agent);
  project.commit('agentry');
  const { project: loaded, issues } = await loadProject(project.root);
  expect(issues).toEqual([]);
  store = await openStore(loaded.config.store, project.root);
  const engine = new Engine({
    project: loaded,
    store,
    sandbox: new LocalSandboxDriver({ workspaceRoot: project.workspaces }),
    env: {},
    heartbeatMs: 50,
  });
  return { engine, store, server, project };
}

describe('Engine', () => {
  it('asks again when the answer does not match output.schema, then keeps the object', async () => {
    const structured = `${AGENT}output:
  schema: { type: object, required: [summary, failing], properties: { summary: { type: string }, failing: { type: integer } } }
`;
    const { engine, server } = await engineFor(
      [
        { text: 'It looks fine to me.' },
        { text: '```json\n{"summary": "two models fail", "failing": 2}\n```' },
      ],
      structured,
    );
    const run = await engine.triggerRun('analyst', 'summarise');
    expect(run.status).toBe('COMPLETED');
    expect(run.output?.object).toEqual({ summary: 'two models fail', failing: 2 });
    const retry = (server.requests[1]!.messages as { role: string; content: string }[]).at(-1)!;
    expect(retry.role).toBe('user');
    expect(retry.content).toContain('output schema');
    expect(server.requests[0]!.messages[0]).toMatchObject({ role: 'system' });
    expect((server.requests[0]!.messages[0] as { content: string }).content).toContain('"failing"');
  });

  it("puts role, goal and the repository's AGENTS.md in the system prompt", async () => {
    const { engine, server } = await engineFor([{ text: 'ok' }], AGENT, {
      'AGENTS.md': 'Never select * from prod.\n',
    });
    await engine.triggerRun('analyst', 'hi');
    const system = (server.requests[0]!.messages[0] as { content: string }).content;
    expect(system).toContain('You are analyst, analyst');
    expect(system).toContain('Your goal: answer');
    expect(system).toContain('Never select * from prod.');
    expect(system).toContain('read_file');
  });

  it('fails with budget when max_cost_usd is exceeded, from the model pricing', async () => {
    const costly = AGENT.replace('timeout: 20s', 'timeout: 20s\n  max_cost_usd: 0.001');
    // pricing in scriptedConfig: $1 per million input tokens, $2 per million output tokens.
    const { engine } = await engineFor(
      [
        {
          toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }],
          usage: { inputTokens: 900, outputTokens: 10 },
        },
        {
          toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }],
          usage: { inputTokens: 900, outputTokens: 10 },
        },
        { text: 'never reached' },
      ],
      costly,
    );
    const run = await engine.triggerRun('analyst', 'spend');
    expect(run.status).toBe('FAILED');
    expect(run.failureReason).toBe('budget');
    expect(run.usage.costUsd).toBeCloseTo((1800 + 40) / 1_000_000, 9);
  });

  it('cancels a PENDING run at once and a RUNNING one at its next heartbeat', async () => {
    const { engine, store, project } = await engineFor([{ text: 'slow', delayMs: 10_000 }]);
    const pending = await engine.createRun('analyst');
    const cancelled = await engine.requestCancel(pending.id);
    expect(cancelled?.status).toBe('CANCELLED');

    const running = engine.triggerRun('analyst', 'wait');
    let runId: string | undefined;
    while (!runId) {
      runId = (await store.listRuns({ status: 'RUNNING' }))[0]?.id;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await engine.requestCancel(runId);
    const final = await running;
    expect(final.status).toBe('CANCELLED');
    expect(final.failureReason).toBeNull();
    expect(readdirSync(project.workspaces)).toEqual([]);
    expect((await verifyRunAudit(store, runId)).ok).toBe(true);
  });

  it('resolves a run left RUNNING by a dead process as worker-lost', async () => {
    const { engine, store } = await engineFor([{ text: 'unused' }]);
    const run = await engine.createRun('analyst');
    // A pid far above pid_max on Linux: certainly not alive.
    await store.updateRun(run.id, ['PENDING'], {
      status: 'RUNNING',
      owner: `${hostname()}:99999999`,
      heartbeatAt: new Date().toISOString(),
    });
    const lost = await recoverLostRuns(store);
    expect(lost).toEqual([run.id]);
    const after = await store.getRun(run.id);
    expect(after?.status).toBe('FAILED');
    expect(after?.failureReason).toBe('worker-lost');
    expect((await store.listEvents(run.id)).at(-1)?.type).toBe('run.failed');
    expect(await recoverLostRuns(store)).toEqual([]);
  });

  it('leaves a live owner alone until its heartbeat goes stale on another host', async () => {
    const { engine, store } = await engineFor([{ text: 'unused' }]);
    const run = await engine.createRun('analyst');
    await store.updateRun(run.id, ['PENDING'], {
      status: 'RUNNING',
      owner: 'other-host.invalid:123',
      heartbeatAt: new Date().toISOString(),
    });
    expect(await recoverLostRuns(store, { staleAfterMs: 60_000 })).toEqual([]);
    await store.updateRun(run.id, ['RUNNING'], { heartbeatAt: new Date(Date.now() - 120_000).toISOString() });
    expect(await recoverLostRuns(store, { staleAfterMs: 60_000 })).toEqual([run.id]);
  });

  it('refuses to reply to a run that is still running', async () => {
    const { engine } = await engineFor([{ text: 'unused' }]);
    const pending = await engine.createRun('analyst');
    await expect(engine.reply(pending.id, 'more')).rejects.toThrow(/PENDING/);
  });

  it('records every step in a chain that verifies, and removes the workspace', async () => {
    const { engine, store, project } = await engineFor([
      { toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }] },
      { text: 'it is a repo' },
    ]);
    const run = await engine.triggerRun('analyst', 'what is this?');
    expect(run.status).toBe('COMPLETED');
    expect(run.repoCommit).toMatch(/^[0-9a-f]{40}$/);
    const verdict = await verifyRunAudit(store, run.id);
    expect(verdict).toEqual({ ok: true, count: run.eventCount });
    expect(existsSync(project.workspaces) ? readdirSync(project.workspaces) : []).toEqual([]);
  });
});
