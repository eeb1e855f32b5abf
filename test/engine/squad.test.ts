import { afterEach, describe, expect, it } from 'vitest';
import { type RunEvent, verifyRunAudit } from '../../src/store/index.js';
import type { ScriptStep } from '../../src/testing/index.js';
import { type EngineProject, startEngineProject } from '../helpers/engine.js';

/**
 * Squads on real parts: a parent agent invokes its squad through `invoke_agent`; every child is a
 * real run with its own workspace and audit trail; the model is the scripted server, with a script
 * per agent so parallel children each follow their own.
 */

const FINDING_SCHEMA = `output:
  schema:
    type: object
    required: [finding, confidence]
    properties:
      finding: { type: string }
      confidence: { type: number, minimum: 0, maximum: 1 }
`;

function member(name: string, extra = ''): string {
  return `name: ${name}
description: Looks into ${name} things.
role: specialist for ${name}
goal: answer the question about ${name}
tools:
  list: [read_file]
limits:
  max_steps: 4
  timeout: 20s
${FINDING_SCHEMA}${extra}`;
}

function commander(extra = '', squad = '[logs, warehouse, owners]'): string {
  return `name: commander
role: incident commander
goal: find out what broke, with the squad
tools:
  list: [invoke_agent, read_file]
agents_squad: ${squad}
limits:
  max_steps: 6
  timeout: 30s
${extra}`;
}

const invoke = (agent: string, message = `What do you know about ${agent}?`) => ({
  name: 'invoke_agent',
  arguments: { agent, message },
});

const answer = (finding: string, delayMs = 0): ScriptStep => ({
  text: JSON.stringify({ finding, confidence: 0.9 }),
  ...(delayMs ? { delayMs } : {}),
});

let current: EngineProject | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function squadEngine(
  scripts: Record<string, ScriptStep[]>,
  agents: Record<string, string>,
  configExtra = '',
) {
  current = await startEngineProject({ agents, model: { scripts }, configExtra });
  return { engine: current.engine, store: current.store, server: current.model };
}

const squadAgents = {
  commander: commander(),
  logs: member('logs'),
  warehouse: member('warehouse'),
  owners: member('owners'),
};

function ofType(events: RunEvent[], type: string): RunEvent[] {
  return events.filter((event) => event.type === type);
}

describe('invoke_agent', () => {
  it('runs the squad in parallel, links each child, and returns its structured output', async () => {
    const { engine, store, server } = await squadEngine(
      {
        commander: [
          { toolCalls: [invoke('logs'), invoke('warehouse'), invoke('owners')] },
          { text: 'Report: logs, warehouse and owners answered.' },
        ],
        logs: [answer('the task failed on a null customer_id', 600)],
        warehouse: [answer('3 rows with null customer_id', 600)],
        owners: [answer('data-platform owns stg_orders', 600)],
      },
      squadAgents,
    );
    const run = await engine.triggerRun('commander', 'The nightly DAG failed.');
    expect(run.status).toBe('COMPLETED');

    const children = await store.listRuns({ parentRunId: run.id });
    expect(children.map((child) => child.agent).sort()).toEqual(['logs', 'owners', 'warehouse']);
    for (const child of children) {
      expect(child.status).toBe('COMPLETED');
      expect(child.trigger).toMatchObject({ kind: 'agent', source: 'commander' });
      expect(child.trigger.metadata).toMatchObject({ parent_run_id: run.id, depth: 1 });
      expect(child.repoCommit).toBe(run.repoCommit);
      expect((await verifyRunAudit(store, child.id)).ok).toBe(true);
    }
    // Parallel: every child started before any of them ended.
    const lastStart = Math.max(...children.map((child) => Date.parse(child.startedAt!)));
    const firstEnd = Math.min(...children.map((child) => Date.parse(child.endedAt!)));
    expect(lastStart).toBeLessThan(firstEnd);

    const events = await store.listEvents(run.id);
    expect(ofType(events, 'child-run.started')).toHaveLength(3);
    const ended = ofType(events, 'child-run.ended');
    expect(ended.map((event) => event.payload['status'])).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect((await verifyRunAudit(store, run.id)).ok).toBe(true);

    // The parent model got each child's object (not prose) as the tool result, in call order.
    const commanderRequests = server.requests.filter((request) => request.agent === 'commander');
    expect(commanderRequests).toHaveLength(2);
    const toolMessages = (commanderRequests[1]!.messages as { role: string; content: string }[]).filter(
      (message) => message.role === 'tool',
    );
    expect(toolMessages).toHaveLength(3);
    const results = toolMessages.map((message) => JSON.parse(message.content));
    expect(results.map((result) => result.agent)).toEqual(['logs', 'warehouse', 'owners']);
    expect(results[1]).toMatchObject({
      status: 'COMPLETED',
      output: { finding: '3 rows with null customer_id', confidence: 0.9 },
    });
  });

  it("shows the squad and each member's output schema in the tool the parent is offered", async () => {
    const { engine, server } = await squadEngine({ commander: [{ text: 'nothing to do' }] }, squadAgents);
    await engine.triggerRun('commander', 'hello');
    const offered = (server.requests[0]!.tools as { function: { name: string; description: string } }[]).find(
      (tool) => tool.function.name === 'invoke_agent',
    )!;
    expect(offered.function.description).toContain('- logs: Looks into logs things.');
    expect(offered.function.description).toContain('"required":["finding","confidence"]');
  });

  it('reports a failed child to the parent as an error it can reason about, and the parent goes on', async () => {
    const { engine, store, server } = await squadEngine(
      {
        commander: [
          { toolCalls: [invoke('logs'), invoke('warehouse')] },
          { text: 'Partial report: the warehouse check failed.' },
        ],
        logs: [answer('found it')],
        // Never valid JSON: the child runs out of steps.
        warehouse: [{ text: 'no' }, { text: 'still no' }, { text: 'nope' }, { text: 'never' }],
      },
      squadAgents,
    );
    const run = await engine.triggerRun('commander', 'go');
    expect(run.status).toBe('COMPLETED');
    const failed = ofType(await store.listEvents(run.id), 'tool-call.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.payload).toMatchObject({ tool: 'invoke_agent', code: 'child-run.failed' });
    expect(String(failed[0]!.payload['error'])).toMatch(/warehouse \(run \w+\) ended FAILED \(max-steps\)/);
    const toolMessages = (server.requests.at(-1)!.messages as { role: string; content: string }[]).filter(
      (message) => message.role === 'tool',
    );
    expect(toolMessages[1]!.content).toContain('ended FAILED (max-steps)');
  });

  it('refuses and records a call to an agent outside the squad', async () => {
    const { engine, store } = await squadEngine(
      {
        commander: [{ toolCalls: [invoke('intruder')] }, { text: 'done' }],
      },
      { ...squadAgents, intruder: member('intruder') },
    );
    const run = await engine.triggerRun('commander', 'go');
    expect(run.status).toBe('COMPLETED');
    const denied = ofType(await store.listEvents(run.id), 'tool-call.denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]!.payload['reason']).toContain("intruder is not in commander's agents_squad");
    expect(await store.listRuns({ parentRunId: run.id })).toEqual([]);
  });

  it('cancels every child when the parent is cancelled', async () => {
    const { engine, store } = await squadEngine(
      {
        commander: [{ toolCalls: [invoke('logs'), invoke('warehouse')] }, { text: 'unreachable' }],
        logs: [answer('slow', 20_000)],
        warehouse: [answer('slow', 20_000)],
      },
      squadAgents,
    );
    const controller = new AbortController();
    const running = engine.triggerRun('commander', 'go', { signal: controller.signal });
    await waitFor(async () => (await store.listRuns({ agent: 'warehouse' })).length === 1);
    await waitFor(async () => (await store.listRuns({ agent: 'logs' })).length === 1);
    controller.abort('user');
    const run = await running;
    expect(run.status).toBe('CANCELLED');
    const children = await store.listRuns({ parentRunId: run.id });
    expect(children).toHaveLength(2);
    for (const child of children) {
      expect(child.status).toBe('CANCELLED');
      expect(child.error).toContain(`parent run ${run.id} (commander) was cancelled`);
    }
  });

  it('cancels the children when the parent is cancelled from another process (runs cancel)', async () => {
    const { engine, store } = await squadEngine(
      {
        commander: [{ toolCalls: [invoke('logs')] }, { text: 'unreachable' }],
        logs: [answer('slow', 20_000)],
      },
      squadAgents,
    );
    const running = engine.triggerRun('commander', 'go');
    await waitFor(async () => (await store.listRuns({ agent: 'logs', status: 'RUNNING' })).length === 1);
    const [parent] = await store.listRuns({ agent: 'commander' });
    // What `agentry runs cancel` does from another terminal: a flag in the store, seen at the heartbeat.
    await engine.requestCancel(parent!.id, { by: 'another process' });
    const run = await running;
    expect(run.status).toBe('CANCELLED');
    const [child] = await store.listRuns({ parentRunId: run.id });
    expect(child!.status).toBe('CANCELLED');
  });

  it("stops children when the parent's timeout passes", async () => {
    const { engine, store } = await squadEngine(
      {
        commander: [{ toolCalls: [invoke('logs')] }, { text: 'unreachable' }],
        logs: [answer('slow', 20_000)],
      },
      { ...squadAgents, commander: commander().replace('timeout: 30s', 'timeout: 1s') },
    );
    const run = await engine.triggerRun('commander', 'go');
    expect(run.status).toBe('FAILED');
    expect(run.failureReason).toBe('timeout');
    const [child] = await store.listRuns({ parentRunId: run.id });
    expect(child!.status).toBe('CANCELLED');
    expect(child!.error).toContain('timed out');
  });

  it("spends the parent's budget: children stop when the squad's limit is spent", async () => {
    const { engine, store } = await squadEngine(
      {
        commander: [{ toolCalls: [invoke('logs')] }, { text: 'over budget already' }],
        logs: [
          {
            toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }],
            usage: { inputTokens: 900, outputTokens: 10 },
          },
          answer('never reached'),
        ],
      },
      {
        ...squadAgents,
        commander: commander().replace('timeout: 30s', 'timeout: 30s\n  max_tokens: 1000'),
      },
    );
    // The commander's own first step costs about 150 tokens by estimate; the child's 910 go over 1000.
    const run = await engine.triggerRun('commander', 'go');
    const [child] = await store.listRuns({ parentRunId: run.id });
    expect(child!.status).toBe('FAILED');
    expect(child!.failureReason).toBe('budget');
    expect(child!.error).toContain(`the budget of parent run ${run.id} (commander)`);
    expect(run.status).toBe('FAILED');
    expect(run.failureReason).toBe('budget');
  });

  it('refuses to go deeper than squads.max_depth', async () => {
    const { engine, store } = await squadEngine(
      {
        commander: [{ toolCalls: [invoke('logs')] }, { text: 'done' }],
        logs: [{ toolCalls: [invoke('owners')] }, answer('could not go deeper')],
        owners: [answer('unreachable')],
      },
      {
        ...squadAgents,
        logs:
          member('logs').replace('list: [read_file]', 'list: [read_file, invoke_agent]') +
          'agents_squad: [owners]\n',
      },
      'squads: { max_depth: 1 }\n',
    );
    const run = await engine.triggerRun('commander', 'go');
    expect(run.status).toBe('COMPLETED');
    const [child] = await store.listRuns({ parentRunId: run.id });
    expect(child!.status).toBe('COMPLETED');
    const failed = ofType(await store.listEvents(child!.id), 'tool-call.failed');
    expect(failed[0]!.payload).toMatchObject({ code: 'squad.too-deep' });
    expect(await store.listRuns({ parentRunId: child!.id })).toEqual([]);
  });

  it('limits how many children run at once and in all', async () => {
    const { engine, store } = await squadEngine(
      {
        commander: [
          { toolCalls: [invoke('logs', 'a'), invoke('logs', 'b'), invoke('logs', 'c')] },
          { text: 'done' },
        ],
        logs: [answer('ok', 300)],
      },
      { ...squadAgents, commander: commander().replace('timeout: 30s', 'timeout: 30s\n  max_child_runs: 2') },
      'squads: { max_parallel: 1 }\n',
    );
    const run = await engine.triggerRun('commander', 'go');
    expect(run.status).toBe('COMPLETED');
    const children = (await store.listRuns({ parentRunId: run.id })).sort((a, b) => a.id.localeCompare(b.id));
    expect(children).toHaveLength(2);
    // One at a time: the second started after the first ended.
    expect(Date.parse(children[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(children[0]!.endedAt!));
    const failed = ofType(await store.listEvents(run.id), 'tool-call.failed');
    expect(failed.map((event) => event.payload['code'])).toEqual(['squad.too-many']);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('timed out waiting');
}
