import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Answer,
  GITHUB_PAYLOADS,
  payloadBytes,
  startWebhookServer,
  type WebhookServer,
} from './serve-harness.js';

const SECRET = 'gh-redelivery-secret';
const DAY_MS = 24 * 60 * 60 * 1000;
const PUSH = join(GITHUB_PAYLOADS, 'push/with-new-branch.payload.json');

const AGENTS = {
  'push-watcher': `name: push-watcher
role: data engineer
goal: react to pushes
triggers:
  - github: { events: [push] }
`,
  'push-auditor': `name: push-auditor
role: data engineer
goal: audit pushes
triggers:
  - github: { events: [push] }
`,
};

let harness: WebhookServer | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: { now?: () => number; deliveryRetentionMs?: number } = {}) {
  harness = await startWebhookServer({
    agents: AGENTS,
    config: 'integrations:\n  github:\n    webhook_secret_env: GH_WEBHOOK_SECRET\n',
    env: { GH_WEBHOOK_SECRET: SECRET },
    ...options,
  });
  return harness;
}

async function deliver(server: WebhookServer, delivery: string) {
  const body = payloadBytes(PUSH);
  const response = await fetch(`${server.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': delivery,
      'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

/** Move a delivery and its runs into the past, as if they had happened `ms` ago. */
function backdate(server: WebhookServer, delivery: string, ms: number): void {
  const db = new DatabaseSync(join(server.project.root, '.agentry/agentry.db'), { timeout: 5000 });
  try {
    const then = new Date(Date.now() - ms).toISOString();
    db.prepare('UPDATE runs SET created_at = ? WHERE idempotency_key = ?').run(then, `github:${delivery}`);
    db.prepare('UPDATE webhook_deliveries SET received_at = ? WHERE delivery_id = ?').run(then, delivery);
  } finally {
    db.close();
  }
}

const runIds = (answer: Answer) => answer.matched.map((match) => match.run_id).sort();

describe('webhook redelivery', () => {
  it('answers a redelivery two days later with 200 and the first runs, and starts no second run', async () => {
    const server = await start();
    const first = await deliver(server, 'guid-two-days');
    expect(first.status).toBe(202);
    expect(first.body.matched).toHaveLength(2);
    expect(first.body.matched.every((match) => match.created)).toBe(true);

    // Past the runs' 24-hour idempotency window: only the delivery ledger still knows this id.
    backdate(server, 'guid-two-days', 2 * DAY_MS);
    const again = await deliver(server, 'guid-two-days');
    expect(again.status).toBe(200);
    expect(again.body.error).toBeUndefined();
    expect(again.body.matched.every((match) => !match.created)).toBe(true);
    expect(runIds(again.body)).toEqual(runIds(first.body));
    expect(await server.store.listRuns({ trigger: 'github' })).toHaveLength(2);

    const recorded = await server.store.findDelivery('github', 'guid-two-days');
    expect(recorded?.runs.map((run) => run.runId).sort()).toEqual(runIds(first.body));
  });

  it('makes one run per agent when the same delivery arrives many times at once', async () => {
    const server = await start();
    const answers = await Promise.all(Array.from({ length: 8 }, () => deliver(server, 'guid-burst')));
    for (const answer of answers) expect([200, 202]).toContain(answer.status);
    const ids = new Set(answers.flatMap((answer) => runIds(answer.body)));
    expect(ids.size).toBe(2);
    expect(await server.store.listRuns({ trigger: 'github' })).toHaveLength(2);
    expect((await server.store.findDelivery('github', 'guid-burst'))?.runs).toHaveLength(2);
  });

  it('forgets deliveries older than the retention, so the store does not grow for ever', async () => {
    let now = Date.now();
    const server = await start({ now: () => now, deliveryRetentionMs: 7 * DAY_MS });
    expect((await deliver(server, 'guid-old')).status).toBe(202);
    backdate(server, 'guid-old', 8 * DAY_MS);
    // Pruning rides on recording, at most once an hour.
    now += 2 * 60 * 60 * 1000;
    expect((await deliver(server, 'guid-new')).status).toBe(202);
    expect(await server.store.findDelivery('github', 'guid-old')).toBeUndefined();
    expect(await server.store.findDelivery('github', 'guid-new')).toBeDefined();
  });
});
