import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  agentsOf,
  LINEAR_FIXTURES,
  payloadBytes,
  startWebhookServer,
  type WebhookServer,
} from './serve-harness.js';

const SECRET = 'lin_wh_test_secret';
const BUG_LABEL_ID = '6e4da2ed-ee8b-4b19-9cf8-40e5603e04c1';

const agent = (name: string, triggers: string) => `name: ${name}
role: data engineer
goal: work Linear issues
triggers:
${triggers}
`;

const AGENTS = {
  'bug-triager': agent('bug-triager', '  - linear: { labels: [bug], teams: [WEB] }'),
  'other-team': agent('other-team', '  - linear: { labels: [Bug], teams: [DATA] }'),
  'every-issue': agent(
    'every-issue',
    `  - linear: {}
    message: "{{ webhook.identifier }} {{ data.title }} [{{ data.labels.2.name }}] {{ data.team.key }}"`,
  ),
};

let harness: WebhookServer;
let deliveries = 0;

beforeAll(async () => {
  harness = await startWebhookServer({
    agents: AGENTS,
    config: 'integrations:\n  linear:\n    webhook_secret_env: LINEAR_WEBHOOK_SECRET\n',
    env: { LINEAR_WEBHOOK_SECRET: SECRET },
  });
});

afterAll(async () => {
  await harness?.close();
});

/** The parts of a Linear payload the tests change. */
interface LinearPayload {
  webhookTimestamp?: number;
  data: { labelIds: string[] };
  updatedFrom: { labelIds?: string[] };
}

/** A real captured payload with its timestamp moved to now (Linear stamps each send), as bytes. */
function fixture(name: string, change: (payload: LinearPayload) => void = () => undefined): string {
  const payload = JSON.parse(payloadBytes(join(LINEAR_FIXTURES, name)).toString('utf8')) as LinearPayload;
  payload.webhookTimestamp = Date.now();
  change(payload);
  return JSON.stringify(payload);
}

async function deliver(body: string, options: { secret?: string; delivery?: string | null } = {}) {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Linear-Signature': createHmac('sha256', options.secret ?? SECRET)
      .update(body)
      .digest('hex'),
    'Linear-Event': 'Issue',
  };
  if (options.delivery !== null)
    headers['Linear-Delivery'] = options.delivery ?? `lin-${++deliveries}-${Date.now()}`;
  const response = await fetch(`${harness.url}/webhooks/linear`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Answer };
}

const linearRuns = () => harness.store.listRuns({ trigger: 'linear' });

describe('POST /webhooks/linear', () => {
  it('starts agents whose labels and teams a created issue has, with the issue in the message', async () => {
    const { status, body } = await deliver(fixture('issue_create_complex.json'), {
      delivery: 'lin-create-1',
    });
    expect(status).toBe(202);
    expect(agentsOf(body)).toEqual(['bug-triager', 'every-issue']);
    const runs = await linearRuns();
    const triager = runs.find((run) => run.agent === 'bug-triager')!;
    expect(triager.trigger).toMatchObject({
      kind: 'linear',
      source: 'linear:WEB-44',
      idempotencyKey: 'linear:lin-create-1',
      metadata: {
        linear_action: 'create',
        issue_identifier: 'WEB-44',
        team: 'WEB',
        labels: 'Improvement, Feature, Bug, Custom Label',
        trigger_index: 0,
      },
    });
    const message = triager.message ?? '';
    expect(message).toContain(
      'Linear issue WEB-44 created: This is regarding the outage that we faced during 11/12/22 from 2000 to 2200.',
    );
    expect(message).toContain('Team: Webhooks (WEB)');
    expect(message).toContain('Labels: Improvement, Feature, Bug, Custom Label');
    expect(message).toContain('Priority: Urgent');
    expect(message).toContain('URL: https://linear.app/webhooks/issue/WEB-44/');
    expect(message).toContain('Description:\nThe outage that occurred');

    const templated = runs.find((run) => run.agent === 'every-issue')!;
    expect(templated.message).toBe(
      'WEB-44 This is regarding the outage that we faced during 11/12/22 from 2000 to 2200. [Bug] WEB',
    );
  });

  it('refuses a validly signed delivery whose webhookTimestamp is over 60 s old', async () => {
    const count = (await linearRuns()).length;
    // The fixture as captured: signed correctly, stamped in 2023.
    const captured = payloadBytes(join(LINEAR_FIXTURES, 'issue_create_complex.json')).toString('utf8');
    const old = await deliver(captured);
    expect(old.status).toBe(401);
    expect(old.body.error?.code).toBe('webhook.stale');
    const minuteAgo = await deliver(
      fixture('issue_create_complex.json', (payload) => {
        payload.webhookTimestamp = Date.now() - 61_000;
      }),
    );
    expect(minuteAgo.status).toBe(401);
    expect((await linearRuns()).length).toBe(count);
  });

  it('rejects a forged signature and answers a repeated Linear-Delivery with 200, starting nothing', async () => {
    const count = (await linearRuns()).length;
    const forged = await deliver(fixture('issue_create_complex.json'), { secret: 'guessed' });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('webhook.signature-invalid');
    expect((await linearRuns()).length).toBe(count);

    const body = fixture('issue_create_complex.json');
    expect((await deliver(body, { delivery: 'lin-replay' })).status).toBe(202);
    const replay = await deliver(body, { delivery: 'lin-replay' });
    expect(replay.status).toBe(200);
    expect(replay.body.matched.every((match) => !match.created)).toBe(true);
    expect((await linearRuns()).length).toBe(count + 2);
  });

  it('treats the same body without Linear-Delivery as the same delivery (keyed by its signature)', async () => {
    const body = fixture('issue_create_complex.json');
    expect((await deliver(body, { delivery: null })).status).toBe(202);
    const count = (await linearRuns()).length;
    expect((await deliver(body, { delivery: null })).status).toBe(200);
    expect((await linearRuns()).length).toBe(count);
  });

  it('starts nothing for an edit that does not newly match, and starts for a label just added', async () => {
    const titleEdit = await deliver(fixture('issue_update.json'));
    expect(titleEdit.status).toBe(202);
    expect(titleEdit.body.matched).toEqual([]);

    const labelAdded = await deliver(
      fixture('issue_update.json', (payload) => {
        payload.updatedFrom.labelIds = payload.data.labelIds.filter((id: string) => id !== BUG_LABEL_ID);
      }),
    );
    expect(labelAdded.status).toBe(202);
    expect(agentsOf(labelAdded.body)).toEqual(['bug-triager']);
    const run = await harness.store.getRun(labelAdded.body.matched[0]!.run_id);
    expect(run?.message).toContain('Linear issue WEB-44 updated:');

    const otherLabelAdded = await deliver(
      fixture('issue_update.json', (payload) => {
        payload.updatedFrom.labelIds = payload.data.labelIds.filter(
          (id: string) => id !== '926b0916-05e2-4e8b-a7c6-96bc2c763326',
        );
      }),
    );
    expect(otherLabelAdded.body.matched).toEqual([]);
  });

  it('starts nothing for comments, and 422s a payload without webhookTimestamp', async () => {
    const comment = await deliver(fixture('comment_create.json'));
    expect(comment.status).toBe(202);
    expect(comment.body.matched).toEqual([]);
    const undated = await deliver(
      fixture('issue_create_complex.json', (payload) => {
        delete payload.webhookTimestamp;
      }),
    );
    expect(undated.status).toBe(422);
    expect(undated.body.error?.field).toBe('webhookTimestamp');
  });
});
