import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyGithubSignature } from '../../src/server/webhooks/index.js';
import {
  type Answer,
  agentsOf,
  GITHUB_PAYLOADS,
  payloadBytes,
  startWebhookServer,
  type WebhookServer,
} from './serve-harness.js';

const SECRET = 'gh-webhook-secret-for-tests';

const agent = (name: string, triggers: string) => `name: ${name}
role: data engineer
goal: react to repository events
triggers:
${triggers}
`;

const AGENTS = {
  'pr-closer': agent('pr-closer', '  - github: { events: [pull_request.closed], branches: [master] }'),
  'main-only': agent('main-only', '  - github: { events: [pull_request.closed], branches: [main] }'),
  'merged-only': agent('merged-only', '  - github: { events: [pull_request.merged] }'),
  'pr-templated': agent(
    'pr-templated',
    `  - cron: "0 6 * * 1"
  - github: { events: [pull_request] }
    message: "{{ webhook.event }}.{{ action }} #{{ pull_request.number }} by {{ pull_request.user.login }}: {{ pull_request.title }} ({{ pull_request.html_url }}) {{ pull_request.constructor }}"`,
  ),
  pusher: agent('pusher', "  - github: { events: [push], branches: ['ma*', '!main'] }"),
  'release-pusher': agent('release-pusher', "  - github: { events: [push], branches: ['release/**'] }"),
};

const CLOSED_PR = join(GITHUB_PAYLOADS, 'pull_request/closed.payload.json');
const PUSH_MASTER = join(GITHUB_PAYLOADS, 'push/with-new-branch.payload.json');
const PUSH_TAG = join(GITHUB_PAYLOADS, 'push/payload.json');
const ISSUE_OPENED = join(GITHUB_PAYLOADS, 'issues/opened.payload.json');

let harness: WebhookServer;
let deliveries = 0;

beforeAll(async () => {
  harness = await startWebhookServer({
    agents: AGENTS,
    config: 'integrations:\n  github:\n    webhook_secret_env: GH_WEBHOOK_SECRET\n',
    env: { GH_WEBHOOK_SECRET: SECRET },
  });
});

afterAll(async () => {
  await harness?.close();
});

function sign(body: Uint8Array | string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function deliver(
  event: string,
  body: Uint8Array | string,
  options: { delivery?: string; signature?: string | null; contentType?: string } = {},
) {
  const headers: Record<string, string> = {
    'Content-Type': options.contentType ?? 'application/json',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': options.delivery ?? `delivery-${++deliveries}-${Date.now()}`,
  };
  if (options.signature !== null) headers['X-Hub-Signature-256'] = options.signature ?? sign(body);
  const response = await fetch(`${harness.url}/webhooks/github`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Answer };
}

async function githubRuns() {
  return harness.store.listRuns({ trigger: 'github' });
}

describe('X-Hub-Signature-256', () => {
  it("accepts GitHub's documented test vector and nothing else", () => {
    const body = Buffer.from('Hello, World!');
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyGithubSignature("It's a Secret to Everybody", body, expected)).toBe(true);
    expect(
      verifyGithubSignature(
        "It's a Secret to Everybody",
        body,
        expected.toUpperCase().replace('SHA256', 'sha256'),
      ),
    ).toBe(true);
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from('Hello, World?'), expected)).toBe(
      false,
    );
    expect(verifyGithubSignature('another secret', body, expected)).toBe(false);
    expect(verifyGithubSignature("It's a Secret to Everybody", body, expected.slice(0, -2))).toBe(false);
    expect(
      verifyGithubSignature("It's a Secret to Everybody", body, expected.replace('sha256=', 'sha1=')),
    ).toBe(false);
    expect(verifyGithubSignature("It's a Secret to Everybody", body, undefined)).toBe(false);
  });
});

describe('POST /webhooks/github', () => {
  it('starts one run per matching agent for a closed pull request, with the PR in the message', async () => {
    const before = (await githubRuns()).length;
    const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
    const { status, body } = await deliver('pull_request', payloadBytes(CLOSED_PR), { delivery });
    expect(status).toBe(202);
    expect(body.delivery).toBe(delivery);
    const agents = agentsOf(body);
    // main-only filters on base branch main (the PR's base is master); merged-only needs merged: true.
    expect(agents).toEqual(['pr-closer', 'pr-templated']);
    for (const match of body.matched)
      expect(match).toMatchObject({ created: true, status: expect.any(String) });
    expect(
      body.matched.find((match: { agent: string }) => match.agent === 'pr-templated')!.trigger_index,
    ).toBe(1);

    const runs = await githubRuns();
    expect(runs.length - before).toBe(2);
    const closer = runs.find((run) => run.agent === 'pr-closer')!;
    expect(closer.trigger).toMatchObject({
      kind: 'github',
      source: 'Codertocat/Hello-World#2',
      idempotencyKey: `github:${delivery}`,
      metadata: {
        github_event: 'pull_request',
        github_action: 'closed',
        github_delivery: delivery,
        repository: 'Codertocat/Hello-World',
        branch: 'master',
        pr_number: 2,
        pr_merged: false,
        sender: 'Codertocat',
        trigger_index: 0,
      },
    });
    expect(closer.message).toContain('pull request #2: Update the README with new information.');
    expect(closer.message).toContain('Author: Codertocat');
    expect(closer.message).toContain('Branch: changes → master');
    expect(closer.message).toContain('Merged: no');
    expect(closer.message).toContain('URL: https://github.com/Codertocat/Hello-World/pull/2');

    const templated = runs.find((run) => run.agent === 'pr-templated')!;
    // A placeholder that is no own key of the payload (constructor) renders as nothing.
    expect(templated.message).toBe(
      'pull_request.closed #2 by Codertocat: Update the README with new information. (https://github.com/Codertocat/Hello-World/pull/2) ',
    );
  });

  it('answers a redelivery of the same delivery id with 200, the first runs, and starts nothing', async () => {
    const delivery = 'redelivered-0001';
    const first = await deliver('pull_request', payloadBytes(CLOSED_PR), { delivery });
    expect(first.status).toBe(202);
    const count = (await githubRuns()).length;
    const again = await deliver('pull_request', payloadBytes(CLOSED_PR), { delivery });
    // Any non-2xx shows as a failed delivery in GitHub, and operators would redeliver again.
    expect(again.status).toBe(200);
    expect(again.body.error).toBeUndefined();
    expect(again.body.matched.map((match: { run_id: string }) => match.run_id).sort()).toEqual(
      first.body.matched.map((match: { run_id: string }) => match.run_id).sort(),
    );
    expect(again.body.matched.every((match: { created: boolean }) => !match.created)).toBe(true);
    expect((await githubRuns()).length).toBe(count);
  });

  it('rejects forged, unsigned and tampered deliveries with 401 and starts nothing', async () => {
    const count = (await githubRuns()).length;
    const body = payloadBytes(CLOSED_PR);
    const forged = await deliver('pull_request', body, { signature: sign(body, 'not-the-secret') });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('webhook.signature-invalid');

    const unsigned = await deliver('pull_request', body, { signature: null });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error?.code).toBe('webhook.signature-missing');

    const tampered = Buffer.from(body.toString('utf8').replace('"merged": false', '"merged": true'));
    expect(tampered.equals(body)).toBe(false);
    const altered = await deliver('pull_request', tampered, { signature: sign(body) });
    expect(altered.status).toBe(401);

    const sha1 = await deliver('pull_request', body, {
      signature: `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`,
    });
    expect(sha1.status).toBe(401);
    expect((await githubRuns()).length).toBe(count);
  });

  it('matches push branch filters against the pushed branch, never a tag', async () => {
    const master = await deliver('push', payloadBytes(PUSH_MASTER));
    expect(master.status).toBe(202);
    expect(agentsOf(master.body)).toEqual(['pusher']);
    const run = await harness.store.getRun(master.body.matched[0]!.run_id);
    expect(run?.message).toContain('GitHub push to refs/heads/master in Codertocat/Hello-World');
    expect(run?.trigger.metadata).toMatchObject({ branch: 'master', github_event: 'push' });

    const tag = await deliver('push', payloadBytes(PUSH_TAG));
    expect(tag.status).toBe(202);
    expect(tag.body.matched).toEqual([]);
  });

  it('answers 202 with no matches for an event no agent listens to', async () => {
    const count = (await githubRuns()).length;
    const { status, body } = await deliver('issues', payloadBytes(ISSUE_OPENED));
    expect(status).toBe(202);
    expect(body.matched).toEqual([]);
    const ping = await deliver('ping', JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }));
    expect(ping.status).toBe(202);
    expect((await githubRuns()).length).toBe(count);
  });

  it('reads form-encoded deliveries (payload=…), verifying the signature over the form body', async () => {
    const form = `payload=${encodeURIComponent(payloadBytes(CLOSED_PR).toString('utf8'))}`;
    const { status, body } = await deliver('pull_request', form, {
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(status).toBe(202);
    expect(body.matched).toHaveLength(2);
  });

  it('rejects malformed deliveries: 400 for bad JSON or headers, 422 for a payload missing its fields', async () => {
    const count = (await githubRuns()).length;
    const notJson = await deliver('pull_request', '{"action": "closed",');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.code).toBe('webhook.malformed');

    const noEvent = await fetch(`${harness.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'X-Hub-Signature-256': sign('{}'), 'X-GitHub-Delivery': 'x-1' },
      body: '{}',
    });
    expect(noEvent.status).toBe(400);

    const badDelivery = await deliver('push', '{}', { delivery: 'has spaces and ; semicolons' });
    expect(badDelivery.status).toBe(400);

    const noBase = JSON.stringify({ action: 'closed', pull_request: { number: 7 } });
    const invalid = await deliver('pull_request', noBase);
    expect(invalid.status).toBe(422);
    expect(invalid.body.error).toMatchObject({ code: 'webhook.invalid', field: 'pull_request.base' });
    expect((await githubRuns()).length).toBe(count);
  });

  it('matches pull_request.merged only for merged pull requests', async () => {
    const merged = JSON.parse(payloadBytes(CLOSED_PR).toString('utf8'));
    merged.pull_request.merged = true;
    const { status, body } = await deliver('pull_request', JSON.stringify(merged));
    expect(status).toBe(202);
    expect(agentsOf(body)).toEqual(['merged-only', 'pr-closer', 'pr-templated']);
    const run = await harness.store.getRun(
      body.matched.find((match: { agent: string }) => match.agent === 'merged-only')!.run_id,
    );
    expect(run?.message).toContain('Merged: yes');
  });

  it('lists the webhook paths in the OpenAPI document', async () => {
    const document = (await (await fetch(`${harness.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/webhooks/github', '/webhooks/linear', '/webhooks/{agent}']),
    );
  });
});

describe('POST /webhooks/github without a configured secret', () => {
  it('answers 404 when GitHub webhooks are not configured and 503 when the secret variable is unset', async () => {
    const bare = await startWebhookServer({ agents: { 'pr-closer': AGENTS['pr-closer'] }, env: {} });
    const unset = await startWebhookServer({
      agents: { 'pr-closer': AGENTS['pr-closer'] },
      config: 'integrations:\n  github:\n    webhook_secret_env: AGENTRY_TEST_UNSET_SECRET\n',
      env: {},
    });
    try {
      const body = payloadBytes(CLOSED_PR);
      const headers = {
        'X-GitHub-Event': 'pull_request',
        'X-GitHub-Delivery': 'd-1',
        'X-Hub-Signature-256': sign(body),
      };
      const off = await fetch(`${bare.url}/webhooks/github`, { method: 'POST', headers, body });
      expect(off.status).toBe(404);
      expect(((await off.json()) as Answer).error?.code).toBe('webhook.not-configured');
      const missing = await fetch(`${unset.url}/webhooks/github`, { method: 'POST', headers, body });
      expect(missing.status).toBe(503);
      expect(((await missing.json()) as Answer).error?.message).toContain('AGENTRY_TEST_UNSET_SECRET');
      expect(await bare.store.listRuns()).toEqual([]);
      expect(await unset.store.listRuns()).toEqual([]);
    } finally {
      await bare.close();
      await unset.close();
    }
  });
});
