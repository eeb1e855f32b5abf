import { afterEach, describe, expect, it } from 'vitest';
import { openRunNotifier, type RunNotifier, renderBlocksAsText } from '../../src/engine/run-notifier.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { SqliteRunStore } from '../../src/store/sqlite.js';
import type { RunRecord, RunTrigger } from '../../src/store/types.js';
import { FAKE_SLACK_TOKEN } from '../../src/testing/fake-slack.js';
import {
  allText,
  Fixture,
  INCIDENT_SCHEMA,
  loadedAgent,
  notificationEvents,
  SLACK_ENV,
  slackConfig,
  storedRun,
} from './helpers.js';

const fixture = new Fixture();
afterEach(() => fixture.cleanup());

const usage = { inputTokens: 30_000, outputTokens: 2_000, costUsd: 0.42 };

const incident = {
  title: 'orders_daily failed: duplicate order_id in orders',
  severity: 'high',
  summary: 'The 03:00 load failed its unique test on orders.order_id.',
  root_cause: 'A replayed Stripe webhook inserted 42 payments twice into raw.payments.',
  affected_models: ['stg_payments', 'orders', 'customer_ltv'],
  owner: { name: 'Jane Doe', email: 'jane.doe@acme.test' },
  suggested_fix: 'Deduplicate on payment_id in stg_payments and backfill orders.',
  evidence: ['unique_orders_order_id: 42 failing rows'],
};

interface Opened {
  notifier: RunNotifier;
  run: RunRecord;
  store: SqliteRunStore;
}

/** A run of `incident-commander` (slack.channel #incidents) in a real store, and its notifier. */
async function open(
  options: {
    apiUrl?: string;
    env?: NodeJS.ProcessEnv;
    trigger?: RunTrigger;
    store?: SqliteRunStore;
    run?: RunRecord;
    channel?: string | null;
  } = {},
): Promise<Opened> {
  const store = options.store ?? (await fixture.store());
  const config = slackConfig(options.apiUrl);
  const env = options.env ?? SLACK_ENV;
  const redactor = Redactor.fromConfig(config, env);
  const agent = loadedAgent('incident-commander', {
    ...(options.channel === null ? {} : { slack: { channel: options.channel ?? '#incidents' } }),
    output: { schema: INCIDENT_SCHEMA },
  });
  const created = options.run
    ? { run: options.run, record: recordFor(store, options.run.id, redactor) }
    : await storedRun(store, agent.name, redactor, options.trigger);
  const notifier = await openRunNotifier({
    config,
    env,
    redactor,
    store,
    agent,
    run: created.run,
    record: created.record,
  });
  if (!notifier) throw new Error('expected a notifier');
  return { notifier, run: created.run, store };
}

function recordFor(store: SqliteRunStore, runId: string, redactor: Redactor) {
  return async (type: 'notification.sent' | 'notification.failed', payload: Record<string, unknown>) => {
    await store.appendEvent(runId, type, redactor.redact(payload));
  };
}

async function notifications(store: SqliteRunStore, runId: string): Promise<Record<string, unknown>[]> {
  return notificationEvents(await store.listEvents(runId)).map((event) => ({
    type: event.type,
    ...event.payload,
  }));
}

const finishedOk = {
  status: 'COMPLETED' as const,
  failureReason: null,
  error: null,
  usage,
  durationMs: 363_000,
};

describe('the run notifier', () => {
  it('opens a thread, edits its progress line per child, and replies with the Block Kit report', async () => {
    const slack = await fixture.slack();
    const { notifier, run, store } = await open({ apiUrl: slack.url });

    await notifier.started('DAG orders_daily failed at 03:17: task dbt_run');
    const children = [
      { runId: 'child-1', agent: 'log-analyzer' },
      { runId: 'child-2', agent: 'warehouse-profiler' },
      { runId: 'child-3', agent: 'owner-lookup' },
    ];
    await Promise.all(children.map((child) => notifier.childStarted(child)));
    await notifier.childEnded({ ...children[0]!, status: 'COMPLETED', failureReason: null, error: null });
    await notifier.childEnded({
      ...children[2]!,
      status: 'FAILED',
      failureReason: 'timeout',
      error: 'too slow',
    });
    await notifier.childEnded({ ...children[1]!, status: 'COMPLETED', failureReason: null, error: null });
    await notifier.finished({ ...finishedOk, output: { text: JSON.stringify(incident), object: incident } });

    // One top-level message in the channel: the thread's parent, edited in place.
    const [parent, ...others] = slack.channelMessages('#incidents');
    expect(others).toEqual([]);
    expect(parent).toBeDefined();
    const posts = slack.requests.filter((request) => request.method === 'chat.postMessage');
    expect(posts).toHaveLength(2);
    expect(parent!.history.length).toBeGreaterThanOrEqual(2);
    expect(parent!.history.length).toBeLessThanOrEqual(7);
    expect(parent!.history.map((version) => renderBlocksAsText(version.blocks ?? []))).toContainEqual(
      expect.stringContaining('Sub-agents 1/3: ✅ log-analyzer · ⏳ warehouse-profiler · ⏳ owner-lookup'),
    );
    const finalStatus = renderBlocksAsText(parent!.blocks ?? []);
    expect(finalStatus).toContain('incident-commander* completed in 6m 3s');
    expect(finalStatus).toContain(
      'Sub-agents 3/3: ✅ log-analyzer · ✅ warehouse-profiler · ❌ owner-lookup (timeout)',
    );
    expect(finalStatus).toContain('│ DAG orders_daily failed at 03:17: task dbt_run');

    // The report: a reply in the thread, the structured fields laid out, the owner mentioned.
    const [report, ...moreReplies] = slack.thread('#incidents', parent!.ts);
    expect(moreReplies).toEqual([]);
    const text = renderBlocksAsText(report!.blocks ?? []);
    expect(text).toContain(
      '*Root cause*\nA replayed Stripe webhook inserted 42 payments twice into raw.payments.',
    );
    expect(text).toContain('*Affected models*\n• `stg_payments`\n• `orders`\n• `customer_ltv`');
    expect(text).toContain('*Suggested fix*\nDeduplicate on payment_id in stg_payments and backfill orders.');
    expect(JSON.stringify(report!.blocks)).toContain('<@U0JANE0001> (Jane Doe · jane.doe@acme.test)');
    expect(slack.requests.some((request) => request.method === 'users.lookupByEmail')).toBe(true);
    expect(report!.text).toContain('The 03:00 load failed its unique test');

    const events = await notifications(store, run.id);
    expect(events.filter((event) => event.type === 'notification.failed')).toEqual([]);
    expect(events[0]).toEqual({
      type: 'notification.sent',
      transport: 'slack',
      channel: '#incidents',
      channelId: 'C0INCIDENT1',
      ts: parent!.ts,
      threadTs: parent!.ts,
      kind: 'thread-start',
    });
    expect(events.find((event) => event.kind === 'report')).toMatchObject({
      ts: report!.ts,
      threadTs: parent!.ts,
    });
    expect(events.filter((event) => event.kind === 'progress').length).toBe(parent!.history.length);
  });

  it("continues the Slack thread a run was triggered from, and a follow-up turn's thread", async () => {
    const slack = await fixture.slack();
    const question = slack.postAsUser({ channel: '#data-oncall', text: '@agentry why is orders stale?' });
    const trigger: RunTrigger = { kind: 'webhook', slack: { channel: 'G0PRIVATE01', threadTs: question.ts } };
    const first = await open({ apiUrl: slack.url, trigger });
    await first.notifier.started('why is orders stale?');
    await first.notifier.finished({
      ...finishedOk,
      output: { text: '', object: { summary: 'The load is late.' } },
    });

    expect(slack.channelMessages('#data-oncall').map((message) => message.ts)).toEqual([question.ts]);
    expect(slack.channelMessages('#incidents')).toEqual([]);
    const thread = slack.thread('#data-oncall', question.ts);
    expect(thread.map((message) => message.user)).toEqual(['U0AGENTRY1', 'U0AGENTRY1']);
    expect(renderBlocksAsText(thread[1]!.blocks ?? [])).toContain('The load is late.');

    // Turn 2 (a reply in the thread): a new notifier finds the thread in the run's events.
    const run = { ...first.run, turns: 2 };
    const second = await open({ apiUrl: slack.url, store: first.store, run, trigger });
    await second.notifier.started('and since when?');
    await second.notifier.finished({
      ...finishedOk,
      output: { text: '', object: { summary: 'Since 03:00.' } },
    });
    const after = slack.thread('#data-oncall', question.ts);
    expect(after).toHaveLength(4);
    expect(renderBlocksAsText(after[2]!.history[0]?.blocks ?? [])).toContain('is working on a follow-up');
    expect(renderBlocksAsText(after[2]!.blocks ?? [])).toContain('│ and since when?');
    const events = await notifications(first.store, run.id);
    expect(events.map((event) => event.kind)).toEqual([
      'thread-start',
      'report',
      'progress',
      'follow-up',
      'report',
      'progress',
    ]);
    expect(new Set(events.map((event) => event.threadTs))).toEqual(new Set([question.ts]));
  });

  it('never lets model text or the trigger message broadcast, mention or disguise a link', async () => {
    const slack = await fixture.slack();
    const { notifier } = await open({ apiUrl: slack.url });
    const hostile = '<!channel> <!here> @everyone <@U0CEO00001|ceo> <https://evil.test|click> <#C0GENERAL01>';
    await notifier.started(`DAG failed. ${hostile}`);
    await notifier.childStarted({ runId: 'c1', agent: 'log-analyzer' });
    await notifier.finished({
      ...finishedOk,
      status: 'FAILED',
      failureReason: 'error',
      error: hostile,
      output: { text: '', object: { title: hostile, summary: hostile, owner: hostile, evidence: [hostile] } },
    });
    expect(slack.messages.length).toBe(2);
    for (const message of slack.messages) {
      for (const version of [message, ...message.history]) {
        expect(allText(version)).not.toMatch(/<[!@#]/);
        expect(allText(version)).not.toContain('<https://');
      }
    }
    expect(allText(slack.messages[1]!)).toContain('&lt;!channel&gt;');
  });

  it('keeps secrets out of Slack', async () => {
    const slack = await fixture.slack();
    const { notifier } = await open({ apiUrl: slack.url });
    await notifier.started(`token is ${FAKE_SLACK_TOKEN}`);
    await notifier.finished({
      ...finishedOk,
      output: { text: '', object: { summary: `I found ${FAKE_SLACK_TOKEN} in the logs` } },
    });
    const everything = slack.messages.map((message) => allText(message)).join('\n');
    expect(everything).not.toContain(FAKE_SLACK_TOKEN);
    expect(everything).toContain('[REDACTED:SLACK_BOT_TOKEN]');
  });

  it('posts a long report within Slack limits (the fake enforces them)', async () => {
    const slack = await fixture.slack();
    const { notifier, run, store } = await open({ apiUrl: slack.url });
    await notifier.started('go');
    await notifier.finished({
      ...finishedOk,
      output: {
        text: '',
        object: {
          summary: 'log line <with> & brackets\n'.repeat(3000),
          evidence: Array.from({ length: 3000 }, (_, index) => `evidence ${index}`),
          affected_models: Array.from({ length: 500 }, (_, index) => `model_${index}`),
        },
      },
    });
    const events = await notifications(store, run.id);
    expect(events.filter((event) => event.type === 'notification.failed')).toEqual([]);
    const report = slack.messages.find((message) => message.threadTs !== undefined)!;
    expect(report.blocks!.length).toBeLessThanOrEqual(50);
    expect(renderBlocksAsText(report.blocks!)).toContain(
      `… cut: the whole answer is in \`agentry runs show ${run.id}\``,
    );
  });

  it('records a Slack outage and goes on: every method resolves', async () => {
    const slack = await fixture.slack();
    const url = slack.url;
    await slack.close();
    const { notifier, run, store } = await open({ apiUrl: url });
    await expect(notifier.started('go')).resolves.toBeUndefined();
    await expect(notifier.childStarted({ runId: 'c1', agent: 'log-analyzer' })).resolves.toBeUndefined();
    await expect(
      notifier.childEnded({
        runId: 'c1',
        agent: 'log-analyzer',
        status: 'COMPLETED',
        failureReason: null,
        error: null,
      }),
    ).resolves.toBeUndefined();
    await expect(
      notifier.finished({ ...finishedOk, output: { text: '', object: incident } }),
    ).resolves.toBeUndefined();
    const events = await notifications(store, run.id);
    expect(events.map((event) => [event.type, event.method, event.kind, event.code])).toEqual([
      // The channel is given by name: resolving it is the first call that cannot reach Slack.
      ['notification.failed', 'conversations.list', 'thread-start', 'slack.unreachable'],
      ['notification.failed', 'conversations.list', 'report', 'slack.unreachable'],
    ]);
    expect(events[0]).toMatchObject({
      channel: '#incidents',
      error: expect.stringContaining('cannot reach Slack'),
    });
  });

  it('records 500s, then posts the report top-level once Slack is back', async () => {
    const slack = await fixture.slack();
    slack.failNext('chat.postMessage', { status: 500, times: 3 });
    const { notifier, run, store } = await open({ apiUrl: slack.url });
    await notifier.started('go');
    await notifier.childStarted({ runId: 'c1', agent: 'log-analyzer' });
    await notifier.finished({ ...finishedOk, output: { text: '', object: { summary: 'done' } } });
    const events = await notifications(store, run.id);
    expect(events.map((event) => [event.type, event.kind, event.code])).toEqual([
      ['notification.failed', 'thread-start', 'slack.unavailable'],
      ['notification.sent', 'report', undefined],
    ]);
    expect(slack.channelMessages('#incidents')).toHaveLength(1);
    expect(slack.requests.some((request) => request.method === 'chat.update')).toBe(false);
  });

  it('waits out a rate limit (429, Retry-After: 1) and delivers', async () => {
    const slack = await fixture.slack();
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    const { notifier, run, store } = await open({ apiUrl: slack.url });
    await notifier.started('go');
    await notifier.finished({ ...finishedOk, output: { text: 'plain answer' } });
    const statuses = slack.requests
      .filter((request) => request.method === 'chat.postMessage')
      .map((r) => r.status);
    expect(statuses).toEqual([429, 200, 200]);
    const events = await notifications(store, run.id);
    expect(events.map((event) => [event.type, event.kind])).toEqual([
      ['notification.sent', 'thread-start'],
      ['notification.sent', 'report'],
      ['notification.sent', 'progress'],
    ]);
  });

  it('records an unknown channel or a bad token as a failure with its code', async () => {
    const slack = await fixture.slack();
    const unknown = await open({ apiUrl: slack.url, channel: '#no-such-channel' });
    await unknown.notifier.started('go');
    const badToken = await open({ apiUrl: slack.url, env: { SLACK_BOT_TOKEN: 'xoxb-not-the-token' } });
    await badToken.notifier.started('go');
    expect(await notifications(unknown.store, unknown.run.id)).toMatchObject([
      { type: 'notification.failed', code: 'slack.channel-not-found', channel: '#no-such-channel' },
    ]);
    const [failure] = await notifications(badToken.store, badToken.run.id);
    expect(failure).toMatchObject({ type: 'notification.failed', code: 'slack.auth-failed' });
    expect(JSON.stringify(failure)).not.toContain('xoxb-not-the-token');
  });

  it('writes to the local outbox when Slack is not configured', async () => {
    const slack = await fixture.slack();
    const { notifier, run, store } = await open({ apiUrl: slack.url, env: {} });
    await notifier.started('DAG orders_daily failed');
    await notifier.childStarted({ runId: 'c1', agent: 'log-analyzer' });
    await notifier.finished({ ...finishedOk, output: { text: '', object: incident } });
    expect(slack.requests).toEqual([]);
    const events = await notifications(store, run.id);
    expect(events.map((event) => [event.transport, event.kind])).toEqual([
      ['outbox', 'thread-start'],
      ['outbox', 'progress'],
      ['outbox', 'report'],
      ['outbox', 'progress'],
    ]);
    const report = events.find((event) => event.kind === 'report')!;
    expect(report).toMatchObject({
      channel: '#incidents',
      reason: "SLACK_BOT_TOKEN is not set in the worker's environment",
    });
    const text = renderBlocksAsText(report.blocks as unknown[]);
    expect(text).toContain('orders_daily failed: duplicate order_id in orders');
    expect(text).toContain('*Root cause*');
    expect(text).toContain('Owner: Jane Doe · jane.doe@acme.test');
    expect(report.text).toContain('The 03:00 load failed');

    // A second turn in the outbox is a follow-up.
    const second = await open({ apiUrl: slack.url, env: {}, store, run: { ...run, turns: 2 } });
    await second.notifier.started('and?');
    expect((await notifications(store, run.id)).at(-1)).toMatchObject({
      transport: 'outbox',
      kind: 'follow-up',
    });
  });

  it('is not opened for a run that reports nowhere', async () => {
    const store = await fixture.store();
    const config = slackConfig(undefined);
    const redactor = Redactor.fromConfig(config, SLACK_ENV);
    const agent = loadedAgent('quiet-agent');
    const { run, record } = await storedRun(store, agent.name, redactor);
    expect(
      await openRunNotifier({ config, env: SLACK_ENV, redactor, store, agent, run, record }),
    ).toBeUndefined();
  });
});
