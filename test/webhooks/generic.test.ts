import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAgentryWebhook } from '../../src/server/webhooks/index.js';
import { renderTemplate } from '../../src/triggers/index.js';
import { type Answer, startWebhookServer, type WebhookServer } from './serve-harness.js';

const SECRET = 'hook-secret-1';
const ROTATED = 'hook-secret-2';

const AGENTS = {
  'freshness-fixer': `name: freshness-fixer
role: data engineer
goal: fix stale tables
triggers:
  - webhook: { secret_env: HOOK_SECRET }
    message: "Table {{ table }} is stale ({{ checks.0.name }}: {{ checks.0.hours }} h); tags {{ tags }}; delivery {{ webhook.delivery }}"
  - webhook: { secret_env: HOOK_SECRET_NEXT }
`,
  'plain-hook': `name: plain-hook
role: data engineer
goal: read payloads
triggers:
  - webhook: { secret_env: HOOK_SECRET }
`,
  'no-hook': `name: no-hook
role: data engineer
goal: nothing
`,
  'unset-hook': `name: unset-hook
role: data engineer
goal: nothing
triggers:
  - webhook: { secret_env: AGENTRY_TEST_NEVER_SET }
`,
};

const PAYLOAD = JSON.stringify({
  table: 'analytics.orders',
  checks: [{ name: 'freshness', hours: 26 }],
  tags: ['finance', 'daily'],
});

let harness: WebhookServer;

beforeAll(async () => {
  harness = await startWebhookServer({
    agents: AGENTS,
    env: { HOOK_SECRET: SECRET, HOOK_SECRET_NEXT: ROTATED },
  });
});

afterAll(async () => {
  await harness?.close();
});

async function post(agent: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${harness.url}/webhooks/${agent}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

const webhookRuns = () => harness.store.listRuns({ trigger: 'webhook' });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('POST /webhooks/{agent}', () => {
  it('starts the agent with the templated message when signed over "<timestamp>.<body>"', async () => {
    const timestamp = nowSeconds();
    // Computed by hand, as a sender in another language would.
    const digest = createHmac('sha256', SECRET).update(`${timestamp}.${PAYLOAD}`).digest('hex');
    const { status, body } = await post('freshness-fixer', PAYLOAD, {
      'X-Agentry-Timestamp': String(timestamp),
      'X-Agentry-Signature': `sha256=${digest}`,
      'X-Agentry-Delivery': 'monitor-alert-981',
    });
    expect(status).toBe(202);
    expect(body.matched).toEqual([
      expect.objectContaining({ agent: 'freshness-fixer', trigger_index: 0, created: true }),
    ]);
    const run = await harness.store.getRun(body.matched[0]!.run_id);
    expect(run?.message).toBe(
      'Table analytics.orders is stale (freshness: 26 h); tags finance, daily; delivery monitor-alert-981',
    );
    expect(run?.trigger).toMatchObject({
      kind: 'webhook',
      source: 'webhook:freshness-fixer',
      idempotencyKey: 'webhook:monitor-alert-981',
      metadata: { webhook_delivery: 'monitor-alert-981', trigger_index: 0 },
    });
  });

  it('accepts the secret of any of the agent trigger entries (rotation) and uses that entry', async () => {
    const headers = signAgentryWebhook(ROTATED, PAYLOAD, { deliveryId: 'rotated-1' });
    const { status, body } = await post('freshness-fixer', PAYLOAD, headers);
    expect(status).toBe(202);
    expect(body.matched[0]!.trigger_index).toBe(1);
    const run = await harness.store.getRun(body.matched[0]!.run_id);
    expect(run?.message).toContain('Webhook delivery rotated-1 to freshness-fixer. Payload:');
    expect(run?.message).toContain('"table": "analytics.orders"');
  });

  it('answers a replay with 200 and the first run, whether keyed by delivery id or by signature', async () => {
    const keyed = signAgentryWebhook(SECRET, PAYLOAD, { deliveryId: 'replay-me' });
    expect((await post('plain-hook', PAYLOAD, keyed)).status).toBe(202);
    const count = (await webhookRuns()).length;
    const replay = await post('plain-hook', PAYLOAD, keyed);
    expect(replay.status).toBe(200);
    expect(replay.body.matched).toEqual([expect.objectContaining({ agent: 'plain-hook', created: false })]);

    const unkeyed = signAgentryWebhook(SECRET, '{"n":1}');
    expect((await post('plain-hook', '{"n":1}', unkeyed)).status).toBe(202);
    expect((await post('plain-hook', '{"n":1}', unkeyed)).status).toBe(200);
    expect((await webhookRuns()).length).toBe(count + 1);
  });

  it('rejects forged, unsigned, stale and re-timestamped deliveries with 401', async () => {
    const count = (await webhookRuns()).length;
    const forged = await post('plain-hook', PAYLOAD, signAgentryWebhook('wrong', PAYLOAD));
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('webhook.signature-invalid');

    const unsigned = await post('plain-hook', PAYLOAD, { 'X-Agentry-Timestamp': String(nowSeconds()) });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error?.code).toBe('webhook.signature-missing');

    const stale = await post(
      'plain-hook',
      PAYLOAD,
      signAgentryWebhook(SECRET, PAYLOAD, { timestampSeconds: nowSeconds() - 6 * 60 }),
    );
    expect(stale.status).toBe(401);
    expect(stale.body.error?.code).toBe('webhook.stale');

    // An old signature with a fresh timestamp: the timestamp is signed, so it no longer matches.
    const old = signAgentryWebhook(SECRET, PAYLOAD, { timestampSeconds: nowSeconds() - 6 * 60 });
    const retimed = await post('plain-hook', PAYLOAD, {
      ...old,
      'X-Agentry-Timestamp': String(nowSeconds()),
    });
    expect(retimed.status).toBe(401);
    expect(retimed.body.error?.code).toBe('webhook.signature-invalid');
    expect((await webhookRuns()).length).toBe(count);
  });

  it('answers 404 for agents without a webhook trigger, 503 for an unset secret, 400 for bad JSON', async () => {
    const count = (await webhookRuns()).length;
    const headers = signAgentryWebhook(SECRET, PAYLOAD);
    expect((await post('no-hook', PAYLOAD, headers)).status).toBe(404);
    const unknown = await post('no-such-agent', PAYLOAD, headers);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('webhook.not-configured');
    const unset = await post('unset-hook', PAYLOAD, headers);
    expect(unset.status).toBe(503);
    expect(unset.body.error?.message).toContain('AGENTRY_TEST_NEVER_SET');
    const bad = await post('plain-hook', '{not json', signAgentryWebhook(SECRET, '{not json'));
    expect(bad.status).toBe(400);
    expect((await webhookRuns()).length).toBe(count);
  });
});

describe('renderTemplate', () => {
  it('looks up own keys only and never evaluates anything', () => {
    const values = { a: { b: [{ c: 'deep' }] }, n: 0, flag: false, nothing: null, list: [1, 'two'] };
    expect(
      renderTemplate('{{ a.b.0.c }}|{{n}}|{{ flag }}|{{ nothing }}|{{ list }}|{{ missing.x }}', values),
    ).toBe('deep|0|false||1, two|');
    expect(renderTemplate('{{ a.b }}', values)).toBe('[{"c":"deep"}]');
    expect(renderTemplate('{{ __proto__ }}{{ a.constructor.name }}{{ toString }}', values)).toBe('');
    expect(renderTemplate('{{ process.env.HOME }} {{ 1 + 1 }} {{a.b[0]}}', values)).toBe(
      ' {{ 1 + 1 }} {{a.b[0]}}',
    );
    expect(renderTemplate('x'.repeat(30_000), {}).length).toBeLessThanOrEqual(20_000);
  });
});
