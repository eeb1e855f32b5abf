import { afterEach, describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src/sdk/index.js';
import { type Fixture, startFixture } from './fixture.js';

/** A squad's tree through `agentry serve`: every run's structured output, at every depth. */

const object = (name: string) => `output:
  schema: { type: object, required: [${name}], properties: { ${name}: { type: string } } }
`;

const agents = {
  lead: `name: lead
role: lead
goal: delegate
tools:
  list: [invoke_agent]
agents_squad: [middle]
${object('verdict')}`,
  middle: `name: middle
role: middle
goal: delegate again
tools:
  list: [invoke_agent]
agents_squad: [leaf]
${object('summary')}`,
  leaf: `name: leaf
role: leaf
goal: answer
${object('finding')}`,
};

let fixture: Fixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe('GET /api/v1/runs/{id} of a squad', () => {
  it('returns the whole tree of child runs, each with its structured output', async () => {
    fixture = await startFixture({
      agents,
      scripts: {
        lead: [
          { toolCalls: [{ name: 'invoke_agent', arguments: { agent: 'middle', message: 'look' } }] },
          { text: '{"verdict": "all good"}' },
        ],
        middle: [
          { toolCalls: [{ name: 'invoke_agent', arguments: { agent: 'leaf', message: 'look closer' } }] },
          { text: '{"summary": "the leaf found it"}' },
        ],
        leaf: [{ text: '{"finding": "a null customer_id"}' }],
      },
    });
    const client = fixture.client();
    const run = await client.triggerRunAndWait({ agent: 'lead', message: 'go' }, { timeoutMs: 20_000 });
    expect(run.status).toBe('COMPLETED');
    const detail: RunDetail = await client.getRun(run.id);
    expect(detail.output?.object).toEqual({ verdict: 'all good' });
    expect(detail.child_runs).toHaveLength(1);
    const [middle] = detail.child_runs;
    expect(middle).toMatchObject({
      agent: 'middle',
      parent_run_id: run.id,
      status: 'COMPLETED',
      output: { object: { summary: 'the leaf found it' } },
      trigger: { kind: 'agent', source: 'lead' },
    });
    expect(middle!.child_runs).toHaveLength(1);
    expect(middle!.child_runs[0]).toMatchObject({
      agent: 'leaf',
      parent_run_id: middle!.id,
      output: { object: { finding: 'a null customer_id' } },
      child_runs: [],
    });
  });
});
