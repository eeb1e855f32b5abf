import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_SLACK_TOKEN, type FakeSlack, startFakeSlack } from '../../src/testing/index.js';
import { type EngineProject, startEngineProject } from '../helpers/engine.js';

/**
 * The headline path on real parts: a parent with a Slack channel fans out two children, the
 * thread opens, its status line follows the children, and the structured report lands as a reply
 * — through the production Slack client talking to a local server that speaks the Web API.
 */

const REPORT = {
  title: 'orders not built: null customer_id in stg_orders',
  severity: 'high',
  summary: 'Three guest orders arrived without a customer.',
  root_cause: 'not_null_stg_orders_customer_id failed on 3 rows <!channel>',
  affected_models: ['stg_orders', 'orders', 'customers'],
  owner: { name: 'Jane Doe', email: 'jane.doe@acme.test', evidence: 'dbt meta' },
  suggested_fix: 'Quarantine the guest orders in stg_orders.',
  evidence: ['log line 412: Got 3 results'],
};

const member = (name: string) => `name: ${name}
role: specialist
goal: look
tools:
  list: [read_file]
output:
  schema: { type: object, required: [finding], properties: { finding: { type: string } } }
`;

const commander = `name: commander
role: incident lead
goal: report
tools:
  list: [invoke_agent]
agents_squad: [logs, owners]
slack:
  channel: "#incidents"
output:
  schema:
    type: object
    required: [title, root_cause, affected_models, owner, suggested_fix]
`;

let slack: FakeSlack | undefined;
let current: EngineProject | undefined;

afterEach(async () => {
  await current?.close();
  await slack?.close();
  current = slack = undefined;
});

async function setUp() {
  slack = await startFakeSlack({
    channels: [{ id: 'C0INCIDENT1', name: 'incidents' }],
    users: [{ id: 'U0JANE0001', name: 'jane', email: 'jane.doe@acme.test', realName: 'Jane Doe' }],
  });
  current = await startEngineProject({
    agents: { commander, logs: member('logs'), owners: member('owners') },
    model: {
      scripts: {
        commander: [
          {
            toolCalls: [
              { name: 'invoke_agent', arguments: { agent: 'logs', message: 'read the log' } },
              { name: 'invoke_agent', arguments: { agent: 'owners', message: 'who owns it' } },
            ],
          },
          { text: JSON.stringify(REPORT) },
        ],
        logs: [{ text: '{"finding": "3 rows failed"}', delayMs: 100 }],
        owners: [{ text: '{"finding": "jane"}', delayMs: 100 }],
      },
    },
    configExtra: `integrations:\n  slack:\n    api_url: ${slack.url}\n    token_env: SLACK_BOT_TOKEN\n`,
    env: { SLACK_BOT_TOKEN: FAKE_SLACK_TOKEN },
  });
  return { engine: current.engine, store: current.store, slack };
}

describe('a squad reporting to Slack', () => {
  it('opens a thread, follows the children on one status line and replies with the report', async () => {
    const { engine, store, slack } = await setUp();
    const run = await engine.triggerRun('commander', 'jaffle_shop_daily.dbt_build failed');
    expect(run.status).toBe('COMPLETED');

    const topLevel = slack.messages.filter((message) => message.threadTs === undefined);
    expect(topLevel).toHaveLength(1);
    const [start] = topLevel;
    expect(start!.channel).toBe('C0INCIDENT1');
    // Progress edits the status message; it never posts a message per child.
    expect(start!.history.length).toBeGreaterThan(0);
    expect(JSON.stringify(start!.blocks ?? start!.text)).toMatch(/logs|owners/);

    const replies = slack.messages.filter((message) => message.threadTs === start!.ts);
    const report = replies.at(-1)!;
    const blocks = JSON.stringify(report.blocks);
    expect(blocks).toContain('stg_orders');
    expect(blocks).toContain('Quarantine the guest orders');
    expect(blocks).toContain('<@U0JANE0001>');
    // Model text cannot broadcast.
    expect(blocks).not.toContain('<!channel>');
    expect(blocks).toContain('&lt;!channel&gt;');

    const events = await store.listEvents(run.id);
    const kinds = events
      .filter((event) => event.type === 'notification.sent')
      .map((event) => event.payload['kind']);
    expect(kinds).toContain('thread-start');
    expect(kinds).toContain('report');
    // The children post nothing of their own.
    for (const child of await store.listRuns({ parentRunId: run.id })) {
      const childEvents = await store.listEvents(child.id);
      expect(childEvents.filter((event) => event.type.startsWith('notification.'))).toEqual([]);
    }
    // The report is recorded before the run's last event.
    expect(events.at(-1)!.type).toBe('run.completed');
  });

  it('finishes the run when Slack is down, and records why nothing was posted', async () => {
    const { engine, store, slack } = await setUp();
    await slack.close();
    const run = await engine.triggerRun('commander', 'jaffle_shop_daily.dbt_build failed');
    expect(run.status).toBe('COMPLETED');
    const failed = (await store.listEvents(run.id)).filter((event) => event.type === 'notification.failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.payload['channel']).toBe('#incidents');
  });
});
