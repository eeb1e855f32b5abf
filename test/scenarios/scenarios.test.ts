import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PlayedScenario, playScenario } from '../../src/cli/demo/play.js';
import { listScenarios, loadScenario } from '../../src/cli/demo/scenario.js';
import { verifyRunAudit } from '../../src/store/index.js';

/**
 * Every reference agent's scenario, played on a fresh copy of the example project exactly as
 * `agentry demo --agent NAME` plays it: the model's decisions are scripted, every tool call is
 * real (dbt artifacts, the Airflow log, DuckDB, git, the Slack outbox, the GitHub and Linear
 * stand-ins). Each scenario's `expect` says what its result must show.
 */

const base = mkdtempSync(join(tmpdir(), 'agentry-scenarios-'));
const played: PlayedScenario[] = [];

afterAll(async () => {
  for (const each of played) await each.close();
  rmSync(base, { recursive: true, force: true });
});

const names = await listScenarios();

describe.each(names)('scenario %s', (name) => {
  it('runs end to end with real tools and shows what its agent is for', async () => {
    const scenario = await loadScenario(name);
    const result = await playScenario(scenario, { dir: join(base, name) });
    played.push(result);
    const { run, runs, events, artifacts } = result;
    expect(run.agent).toBe(scenario.agent);
    expect(run.status, run.error ?? '').toBe(scenario.expect.status);

    const allEvents = runs.flatMap((each) => events.get(each.id) ?? []);
    const called = new Set(
      allEvents.filter((event) => event.type === 'tool-call.completed').map((event) => event.payload['tool']),
    );
    for (const tool of scenario.expect.tools) expect([...called], `tool ${tool}`).toContain(tool);
    // A scripted decision that the real tool refused would hide a broken scenario.
    const refused = allEvents.filter(
      (event) => event.type === 'tool-call.failed' || event.type === 'tool-call.denied',
    );
    expect(refused.map((event) => event.payload)).toEqual([]);

    expect(result.tree.children.map((child) => child.run.agent).sort()).toEqual(
      [...scenario.expect.children].sort(),
    );
    for (const child of result.tree.children) {
      expect(child.run.status, `${child.run.agent}: ${child.run.error}`).toBe('COMPLETED');
      expect(child.run.output?.object, `${child.run.agent} output`).toBeTypeOf('object');
    }

    if (scenario.expect.output_keys.length > 0) {
      expect(Object.keys(run.output?.object as object)).toEqual(
        expect.arrayContaining(scenario.expect.output_keys),
      );
    }
    const kept = [...artifacts.values()].flat().map((artifact) => artifact.name);
    for (const name of scenario.expect.artifacts) expect(kept).toContain(name);
    const sent = (events.get(run.id) ?? [])
      .filter((event) => event.type === 'notification.sent')
      .map((event) => event.payload['kind']);
    for (const kind of scenario.expect.notifications) expect(sent).toContain(kind);

    for (const each of runs) expect((await verifyRunAudit(result.store, each.id)).ok).toBe(true);

    // Commit hashes an answer quotes must come from what the tools returned: a scripted answer
    // written against an older example project would otherwise quote commits that do not exist.
    const toolText = JSON.stringify(
      allEvents
        .filter((event) => event.type === 'tool-call.completed')
        .map((event) => event.payload['output']),
    );
    for (const each of runs) {
      const answer = JSON.stringify(each.output ?? '');
      for (const [hash] of answer.matchAll(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b/g)) {
        expect(toolText, `${each.agent} quotes commit ${hash}`).toContain(hash);
      }
    }
  });
});

describe('the incident scenario', () => {
  it('reports the failing test, the skipped models, the owner and the evidence in the Slack outbox', async () => {
    const result = played.find((each) => each.run.agent === 'incident-commander');
    expect(result, 'the incident scenario ran').toBeDefined();
    const { run, events } = result!;
    const report = run.output?.object as Record<string, unknown>;
    expect(report['affected_models']).toEqual(expect.arrayContaining(['stg_orders', 'orders', 'customers']));
    expect(String(report['root_cause'])).toContain('customer_id');
    expect((report['owner'] as { email: string }).email).toContain('@jaffle.example');

    const outbox = (events.get(run.id) ?? []).filter(
      (event) => event.type === 'notification.sent' && event.payload['kind'] === 'report',
    );
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.payload).toMatchObject({ transport: 'outbox', channel: '#incidents' });
    const blocks = JSON.stringify(outbox[0]!.payload['blocks']);
    expect(blocks).toContain('not_null_stg_orders_customer_id');

    // The specialists ran at once: each started before any of them ended.
    const children = result!.tree.children.map((child) => child.run);
    const lastStart = Math.max(...children.map((child) => Date.parse(child.startedAt!)));
    const firstEnd = Math.min(...children.map((child) => Date.parse(child.endedAt!)));
    expect(lastStart).toBeLessThanOrEqual(firstEnd);
  });
});
