import { afterEach, describe, expect, it } from 'vitest';
import { openRunNotifier } from '../../src/engine/run-notifier.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { SqliteRunStore } from '../../src/store/sqlite.js';
import type { RunRecord, RunTrigger } from '../../src/store/types.js';
import { FAKE_SLACK_TOKEN, type FakeSlack } from '../../src/testing/fake-slack.js';
import { ToolExecutor } from '../../src/tools/executor.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { RunResources } from '../../src/tools/run-resources.js';
import { MAX_SLACK_MESSAGES_PER_RUN, postSlackMessageTool } from '../../src/tools/slack.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { allText, Fixture, loadedAgent, SLACK_ENV, slackConfig, storedRun } from './helpers.js';

const fixture = new Fixture();
const contexts: ToolContext[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.resources.closeAll();
  await fixture.cleanup();
});

const AGENT = 'incident-commander';
const executor = new ToolExecutor(new ToolRegistry([postSlackMessageTool]), ['post_slack_message'], AGENT);

interface Setup {
  slack: FakeSlack;
  store: SqliteRunStore;
  run: RunRecord;
  context: ToolContext;
}

/** A run of an agent whose channel is `channel`, its thread opened by the notifier when `thread`. */
async function setUp(
  options: {
    channel?: string | null;
    thread?: boolean;
    trigger?: RunTrigger;
    env?: NodeJS.ProcessEnv;
    slack?: FakeSlack;
  } = {},
): Promise<Setup> {
  const slack = options.slack ?? (await fixture.slack());
  const store = await fixture.store();
  const config = slackConfig(slack.url);
  const env = options.env ?? SLACK_ENV;
  const redactor = Redactor.fromConfig(config, env);
  const agent = loadedAgent(
    AGENT,
    options.channel === null ? {} : { slack: { channel: options.channel ?? '#incidents' } },
  );
  const { run, record } = await storedRun(store, AGENT, redactor, options.trigger);
  if (options.thread) {
    const notifier = await openRunNotifier({ config, env, redactor, store, agent, run, record });
    await notifier?.started('DAG orders_daily failed');
  }
  const context = makeToolContext('/nonexistent-workspace', {
    runId: run.id,
    agent: AGENT,
    spec: agent.spec,
    config,
    env,
    store,
  });
  contexts.push(context);
  return { slack, store, run, context };
}

describe('post_slack_message', () => {
  it("replies in the run's thread by default, or posts in the channel", async () => {
    const { slack, context } = await setUp({ thread: true });
    const [parent] = slack.channelMessages('#incidents');
    const outcome = await executor.call(
      'post_slack_message',
      { text: 'Found it: **duplicate** payments' },
      context,
    );
    expect(outcome).toMatchObject({
      status: 'completed',
      output: { posted: true, channel: '#incidents', channel_id: 'C0INCIDENT1', thread_ts: parent!.ts },
      summary: "posted to #incidents in the run's thread",
    });
    const [reply] = slack.thread('#incidents', parent!.ts);
    expect(JSON.stringify(reply!.blocks)).toContain('Found it: *duplicate* payments');

    const topLevel = await executor.call('post_slack_message', { text: 'FYI', thread: false }, context);
    expect(topLevel).toMatchObject({ status: 'completed', output: { thread_ts: null } });
    expect(slack.channelMessages('#incidents').map((message) => message.text)).toEqual([parent!.text, 'FYI']);
  });

  it('posts only to the agent’s own channel: no channel argument, no channel in the YAML, no one else’s thread', async () => {
    const { slack, context } = await setUp({ thread: true });
    const other = await executor.call('post_slack_message', { text: 'hi', channel: '#general' }, context);
    expect(other).toMatchObject({
      status: 'failed',
      code: 'tool.invalid-input',
      error: expect.stringContaining("always posts to the channel in your agent's YAML"),
    });

    const unconfigured = await setUp({ channel: null });
    const denied = await executor.call('post_slack_message', { text: 'hi' }, unconfigured.context);
    expect(denied).toMatchObject({
      status: 'denied',
      error: expect.stringContaining('has no slack.channel: add slack: { channel: "#name" }'),
    });

    // A run triggered from a thread in another channel: the tool posts in the agent's own channel.
    const shared = await fixture.slack();
    const question = shared.postAsUser({ channel: '#analytics-eng', text: 'question' });
    const elsewhere = await setUp({
      slack: shared,
      thread: true,
      trigger: { kind: 'webhook', slack: { channel: '#analytics-eng', threadTs: question.ts } },
    });
    expect(shared.thread('#analytics-eng', question.ts)).toHaveLength(1);
    const outcome = await executor.call('post_slack_message', { text: 'status' }, elsewhere.context);
    expect(outcome).toMatchObject({
      status: 'completed',
      output: { channel_id: 'C0INCIDENT1', thread_ts: null },
    });
    expect(shared.channelMessages('#incidents').map((message) => message.text)).toEqual(['status']);
    expect(shared.thread('#analytics-eng', question.ts)).toHaveLength(1);
    expect(slack.channelMessages('#general')).toEqual([]);
  });

  it(`posts at most ${MAX_SLACK_MESSAGES_PER_RUN} messages per run, counting earlier turns from the trail`, async () => {
    const { slack, store, run, context } = await setUp();
    for (let index = 0; index < MAX_SLACK_MESSAGES_PER_RUN; index++) {
      const outcome = await executor.call('post_slack_message', { text: `update ${index}` }, context);
      expect(outcome.status).toBe('completed');
    }
    const over = await executor.call('post_slack_message', { text: 'one more' }, context);
    expect(over).toMatchObject({ status: 'failed', code: 'slack.message-cap' });
    expect(slack.messages).toHaveLength(MAX_SLACK_MESSAGES_PER_RUN);

    // A later turn (fresh per-run resources) still sees the ten calls in the run's events.
    for (let index = 0; index < MAX_SLACK_MESSAGES_PER_RUN; index++) {
      await store.appendEvent(run.id, 'tool-call.completed', {
        tool: 'post_slack_message',
        callId: `c${index}`,
      });
    }
    const fresh = makeToolContext('/nonexistent-workspace', { ...context, resources: new RunResources() });
    contexts.push(fresh);
    expect(await executor.call('post_slack_message', { text: 'turn 2' }, fresh)).toMatchObject({
      status: 'failed',
      code: 'slack.message-cap',
    });
    expect(slack.messages).toHaveLength(MAX_SLACK_MESSAGES_PER_RUN);
  });

  it('escapes mentions and broadcasts and redacts secrets in what the model writes', async () => {
    const { slack, context } = await setUp();
    const text = `<!channel> @here <@U0CEO00001> <https://evil.test|docs> token ${FAKE_SLACK_TOKEN}`;
    expect(await executor.call('post_slack_message', { text }, context)).toMatchObject({
      status: 'completed',
    });
    const posted = allText(slack.messages[0]!);
    expect(posted).not.toMatch(/<[!@#]/);
    expect(posted).not.toContain('<https://');
    expect(posted).not.toContain(FAKE_SLACK_TOKEN);
    expect(posted).toContain('&lt;!channel&gt; @\u2060here');
    expect(posted).toContain('[REDACTED:SLACK_BOT_TOKEN]');
  });

  it('returns what it would have posted when Slack is not configured', async () => {
    const { slack, context } = await setUp({ env: {} });
    const outcome = await executor.call('post_slack_message', { text: 'a < b' }, context);
    expect(outcome).toMatchObject({
      status: 'completed',
      output: {
        posted: false,
        outbox: true,
        channel: '#incidents',
        text: 'a &lt; b',
        note: expect.stringContaining('the message was not sent'),
      },
      summary: 'outbox: would post to #incidents',
    });
    expect(slack.requests).toEqual([]);
  });

  it('reports a Slack failure to the model as an error it can read', async () => {
    const { slack, context } = await setUp({ channel: '#random' });
    const outcome = await executor.call('post_slack_message', { text: 'hi' }, context);
    expect(outcome).toMatchObject({
      status: 'failed',
      code: 'slack.not-in-channel',
      error: expect.stringContaining('/invite'),
    });
    expect(slack.messages).toEqual([]);
  });
});
