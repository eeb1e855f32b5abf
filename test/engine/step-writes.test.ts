import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { LocalSandboxDriver } from '../../src/sandbox/index.js';
import { Redactor } from '../../src/secrets/index.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore, type RunStore, verifyRunAudit, verifyStoreAudit } from '../../src/store/index.js';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';

/**
 * What one step of the engine costs the store, and what the store can prove about it afterwards:
 * a step's writes go in as few transactions as the run's outside calls allow, every text is
 * scanned for secrets once, and the answer, messages and fields a reader sees are bound into the
 * audit trail (`audit verify` catches them rewritten).
 */

const AGENT = `name: analyst
role: analyst
goal: answer
tools:
  list: [read_file]
limits:
  max_steps: 12
  timeout: 20s
`;

/** A file long enough for the redaction memo, with nothing secret in it. */
const ORDERS_SQL = `${'select order_id, amount, status from raw.orders where status is not null\n'.repeat(40)}`;

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

/** Counts the store's writes: each is one SQLite transaction. */
function countingStore(inner: RunStore): { store: RunStore; writes: () => number } {
  const methods = new Set([
    'record',
    'appendEvent',
    'appendMessages',
    'updateRun',
    'putArtifact',
    'createRun',
  ]);
  let writes = 0;
  const proxy = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (methods.has(String(property))) writes++;
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, writes: () => writes };
}

class CountingRedactor extends Redactor {
  readonly scans = new Map<string, number>();
  override redactText(text: string): string {
    this.scans.set(text, (this.scans.get(text) ?? 0) + 1);
    return super.redactText(text);
  }
}

async function setup(options: { redactor?: Redactor } = {}) {
  server = await startScriptedModel({ script: [], whenExhausted: 'error' });
  project = createProject({ 'models/orders.sql': ORDERS_SQL });
  project.write('.agentry/config.yml', scriptedConfig(server.url, project.workspaces));
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/analyst.yml', AGENT);
  project.commit('agentry');
  const { project: loaded } = await loadProject(project.root);
  store = await openStore(loaded.config.store, project.root);
  const counting = countingStore(store);
  const engine = new Engine({
    project: loaded,
    store: counting.store,
    sandbox: new LocalSandboxDriver({ workspaceRoot: project.workspaces }),
    env: {},
    heartbeatMs: 60_000,
    ...(options.redactor ? { redactor: options.redactor } : {}),
  });
  return {
    engine,
    server,
    writes: counting.writes,
    store,
    database: join(project.root, '.agentry/agentry.db'),
  };
}

function readSteps(count: number, answer = 'done'): ScriptStep[] {
  return [
    ...Array.from({ length: count }, () => ({
      toolCalls: [{ name: 'read_file', arguments: { path: 'models/orders.sql' } }],
    })),
    { text: answer },
  ];
}

describe('a step of the engine', () => {
  it('writes in two transactions: the request before the model call, the answer with the tool call before the tool', async () => {
    const { engine, server, writes } = await setup();
    const counts: number[] = [];
    for (const steps of [3, 6]) {
      server.append(readSteps(steps));
      const before = writes();
      const run = await engine.triggerRun('analyst', 'read it');
      expect(run.status).toBe('COMPLETED');
      counts.push(writes() - before);
    }
    // The difference is three more steps, each a model call that asks for one tool.
    expect((counts[1]! - counts[0]!) / 3).toBe(2);
  });

  it('keeps every event of the step, in order, and the usage on the run', async () => {
    const { engine, server, store } = await setup();
    server.append([
      {
        toolCalls: [{ name: 'read_file', arguments: { path: 'models/orders.sql' } }],
        usage: { inputTokens: 7, outputTokens: 3 },
      },
      { text: 'done', usage: { inputTokens: 11, outputTokens: 2 } },
    ]);
    const run = await engine.triggerRun('analyst', 'read it');
    const types = (await store.listEvents(run.id)).map((event) => event.type);
    expect(types).toEqual([
      'run.created',
      'run.started',
      'turn.started',
      'sandbox.provisioned',
      'model.request',
      'model.response',
      'tool-call.started',
      'tool-call.completed',
      'model.request',
      'model.response',
      'artifact.created',
      'sandbox.destroyed',
      'run.completed',
    ]);
    expect(run.usage).toMatchObject({ inputTokens: 18, outputTokens: 5 });
    expect((await store.listMessages(run.id)).map((message) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(await verifyRunAudit(store, run.id)).toEqual({ ok: true, count: types.length });
  });

  it('scans a tool output for secrets once, though the event, the message and the model all carry it', async () => {
    const redactor = new CountingRedactor([{ name: 'WAREHOUSE_PASSWORD', value: 'correct-horse-battery' }]);
    const { engine, server } = await setup({ redactor });
    server.append(readSteps(1));
    const run = await engine.triggerRun('analyst', 'read it');
    expect(run.status).toBe('COMPLETED');
    const output = [...redactor.scans.keys()].find((text) => text.includes('raw.orders'));
    expect(output).toBeDefined();
    expect(redactor.scans.get(output!)).toBe(1);
  });

  it('still masks a secret in a tool output everywhere it goes', async () => {
    const secret = 'correct-horse-battery';
    const redactor = new Redactor([{ name: 'WAREHOUSE_PASSWORD', value: secret }]);
    const { engine, server, store } = await setup({ redactor });
    project!.write('models/orders.sql', `${ORDERS_SQL}-- password ${secret}\n`);
    project!.commit('leak');
    server.append(readSteps(1, `the password is ${secret}`));
    const run = await engine.triggerRun('analyst', 'read it');
    const stored = JSON.stringify([
      await store.listEvents(run.id),
      await store.listMessages(run.id),
      await store.getRun(run.id),
    ]);
    expect(stored).toContain('[REDACTED:WAREHOUSE_PASSWORD]');
    expect(stored).not.toContain(secret);
    expect(JSON.stringify(server.requests.map((request) => request.messages))).not.toContain(secret);
  });
});

describe('what a reader sees of an engine run is bound into its audit trail', () => {
  it('verifies a completed run, its follow-up, a failed and a cancelled one, and the whole store', async () => {
    const { engine, server, store } = await setup();
    server.append(readSteps(1, 'The orders model reads raw.orders.'));
    const run = await engine.triggerRun('analyst', 'what does orders read?');
    server.append([{ text: 'Nothing else.' }]);
    const replied = await engine.reply(run.id, 'anything else?');
    expect(replied.status).toBe('COMPLETED');
    expect((await store.listLedger({ runId: run.id })).map((entry) => entry.kind)).toEqual([
      'created',
      'sealed',
      'sealed',
    ]);
    server.append(readSteps(13));
    const failed = await engine.triggerRun('analyst', 'read forever');
    expect(failed.failureReason).toBe('max-steps');
    const pending = await engine.createRun('analyst', { message: 'later' });
    await engine.requestCancel(pending.id, { reason: 'not needed' });
    for (const id of [run.id, failed.id, pending.id]) {
      expect(await verifyRunAudit(store, id)).toMatchObject({ ok: true });
    }
    expect(await verifyStoreAudit(store)).toMatchObject({ ok: true, runs: 3, missing: [] });
  });

  it('names a forged answer, a rewritten message and a deleted run', async () => {
    const { engine, server, store, database } = await setup();
    server.append(readSteps(1, 'Three models have no tests.'));
    const run = await engine.triggerRun('analyst', 'which models lack tests?');
    server.append(readSteps(0, 'second'));
    const other = await engine.triggerRun('analyst', 'again');
    const raw = new DatabaseSync(database);
    try {
      raw.exec(
        'DROP TRIGGER messages_no_update; DROP TRIGGER messages_no_delete; DROP TRIGGER runs_no_delete;',
      );
      raw.exec('DROP TRIGGER events_no_delete;');
      raw.prepare(`UPDATE runs SET output = '{"text":"Every model is tested."}' WHERE id = ?`).run(run.id);
      expect(await verifyRunAudit(store, run.id)).toMatchObject({
        ok: false,
        part: 'run',
        fields: ['output'],
      });

      raw.prepare(`UPDATE runs SET output = ? WHERE id = ?`).run(JSON.stringify(run.output), run.id);
      const lastMessage = (await store.listMessages(run.id)).at(-1)!;
      raw
        .prepare('UPDATE messages SET content = ? WHERE run_id = ? AND seq = ?')
        .run(JSON.stringify([{ type: 'text', text: 'Every model is tested.' }]), run.id, lastMessage.seq);
      expect(await verifyRunAudit(store, run.id)).toMatchObject({
        ok: false,
        part: 'messages',
        seq: lastMessage.seq,
      });

      for (const table of ['events', 'messages', 'artifacts', 'runs']) {
        raw.prepare(`DELETE FROM ${table} WHERE ${table === 'runs' ? 'id' : 'run_id'} = ?`).run(other.id);
      }
      const report = await verifyStoreAudit(store);
      expect(report.missing.map((missing) => missing.runId)).toEqual([other.id]);
      expect(report.ok).toBe(false);
    } finally {
      raw.close();
    }
  });

  it('writes no end over a run another process already resolved', async () => {
    const { engine, server, store } = await setup();
    server.append([{ text: 'late answer', delayMs: 400 }]);
    const running = engine.triggerRun('analyst', 'slow');
    let runId: string | undefined;
    while (runId === undefined) {
      runId = (await store.listRuns({ status: 'RUNNING' }))[0]?.id;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // What a restart's recovery does to a run it takes for lost.
    const resolved = await store.updateRun(runId, ['RUNNING'], {
      status: 'FAILED',
      failureReason: 'worker-lost',
      error: 'the process running it stopped',
      endedAt: new Date().toISOString(),
    });
    await store.appendEvent(runId, 'run.failed', {
      turn: 1,
      reason: 'worker-lost',
      error: 'the process running it stopped',
      usage: resolved!.usage,
    });
    const final = await running;
    expect(final).toMatchObject({ status: 'FAILED', failureReason: 'worker-lost' });
    const ends = (await store.listEvents(runId)).filter(
      (event) =>
        event.type.startsWith('run.') && event.type !== 'run.created' && event.type !== 'run.started',
    );
    expect(ends.map((event) => event.type)).toEqual(['run.failed']);
  });
});
