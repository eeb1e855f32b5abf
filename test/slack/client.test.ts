import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SlackClient, SlackError } from '../../src/integrations/slack/index.js';
import { FAKE_SLACK_TOKEN } from '../../src/testing/fake-slack.js';
import { Fixture } from './helpers.js';

const fixture = new Fixture();
afterEach(() => fixture.cleanup());

const quiet: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};
/** The real WebClient, without its console output. */
const webClient = (token: string | undefined, options: WebClientOptions) =>
  new WebClient(token, { logger: quiet, ...options });

const quickClient = (url: string, token = FAKE_SLACK_TOKEN) =>
  new SlackClient({ token, apiUrl: url, tokenEnv: 'SLACK_BOT_TOKEN', minRetryDelayMs: 20 });

describe('the fake Slack speaks the Web API to the real WebClient', () => {
  it('checks the bearer token as Slack does', async () => {
    const slack = await fixture.slack();
    const anonymous = webClient(undefined, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    await expect(anonymous.auth.test()).rejects.toMatchObject({ data: { ok: false, error: 'not_authed' } });
    const wrong = webClient('xoxb-wrong', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    await expect(wrong.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const right = webClient(FAKE_SLACK_TOKEN, { slackApiUrl: slack.url });
    await expect(right.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'U0AGENTRY1' });
    expect(slack.requests.map((request) => [request.method, request.error])).toEqual([
      ['auth.test', 'not_authed'],
      ['auth.test', 'invalid_auth'],
      ['auth.test', undefined],
    ]);
    expect(slack.requests[2]?.authorization).toBe(`Bearer ${FAKE_SLACK_TOKEN}`);
  });

  it('receives form-encoded bodies with blocks as a JSON string, and JSON bodies', async () => {
    const slack = await fixture.slack();
    const web = webClient(FAKE_SLACK_TOKEN, { slackApiUrl: slack.url });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hello*' } }];
    const posted = await web.chat.postMessage({ channel: 'C0INCIDENT1', text: 'hello', blocks });
    expect(slack.requests[0]?.contentType).toBe('application/x-www-form-urlencoded');
    expect(typeof slack.requests[0]?.params.blocks).toBe('string');
    expect(slack.messages[0]).toMatchObject({ channel: 'C0INCIDENT1', ts: posted.ts, text: 'hello', blocks });

    const response = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${FAKE_SLACK_TOKEN}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ channel: 'C0INCIDENT1', text: 'reply', thread_ts: posted.ts }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C0INCIDENT1' });
    expect(slack.thread('#incidents', String(posted.ts)).map((message) => message.text)).toEqual(['reply']);
  });

  it('pages conversations.list with cursors and filters types and archived channels', async () => {
    const slack = await fixture.slack();
    slack.setChannels([
      ...Array.from({ length: 5 }, (_, index) => ({ id: `C0PAGE0000${index}`, name: `page-${index}` })),
      { id: 'C0ARCHIVED1', name: 'old', isArchived: true },
      { id: 'G0PRIVATE01', name: 'private', isPrivate: true },
    ]);
    const web = webClient(FAKE_SLACK_TOKEN, { slackApiUrl: slack.url });
    const first = await web.conversations.list({ limit: 2, exclude_archived: true });
    expect(first.channels?.map((channel) => channel.name)).toEqual(['page-0', 'page-1']);
    const names: string[] = [];
    for await (const page of web.paginate('conversations.list', {
      limit: 2,
      exclude_archived: true,
      types: 'public_channel,private_channel',
    })) {
      names.push(
        ...((page as { channels?: { name: string }[] }).channels ?? []).map((channel) => channel.name),
      );
    }
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'private']);
    await expect(web.conversations.list({ cursor: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject({
      data: { error: 'invalid_cursor' },
    });
  });

  it("refuses messages over Slack's limits with Slack's error names", async () => {
    const slack = await fixture.slack();
    const web = webClient(FAKE_SLACK_TOKEN, { slackApiUrl: slack.url });
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    await expect(
      web.chat.postMessage({
        channel: 'C0INCIDENT1',
        text: 'x',
        blocks: Array.from({ length: 51 }, () => section('x')),
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await expect(
      web.chat.postMessage({ channel: 'C0INCIDENT1', text: 'x', blocks: [section('y'.repeat(3001))] }),
    ).rejects.toMatchObject({
      data: {
        error: 'invalid_blocks',
        response_metadata: { messages: [expect.stringContaining('/blocks/0/text/text')] },
      },
    });
    await expect(
      web.chat.postMessage({ channel: 'C0INCIDENT1', text: 'z'.repeat(40_001) }),
    ).rejects.toMatchObject({
      data: { error: 'msg_too_long' },
    });
    await expect(web.chat.postMessage({ channel: 'C0INCIDENT1', text: '' })).rejects.toMatchObject({
      data: { error: 'no_text' },
    });
    await expect(
      web.chat.postMessage({ channel: 'C0INCIDENT1', text: 'x', thread_ts: '1700000000.000001' }),
    ).rejects.toMatchObject({ data: { error: 'thread_not_found' } });
    expect(slack.messages).toEqual([]);
  });
});

describe('SlackClient', () => {
  it('resolves a channel given as #name, name or id, listing channels once', async () => {
    const slack = await fixture.slack();
    const client = quickClient(slack.url);
    expect(await client.resolveChannel('#incidents')).toBe('C0INCIDENT1');
    expect(await client.resolveChannel('Analytics-Eng')).toBe('C0ANALYTIC1');
    expect(await client.resolveChannel('#data-oncall')).toBe('G0PRIVATE01');
    expect(await client.resolveChannel('C0INCIDENT1')).toBe('C0INCIDENT1');
    expect(slack.requests.filter((request) => request.method === 'conversations.list')).toHaveLength(1);

    const posted = await client.postMessage({ channel: '#incidents', text: 'hello' });
    expect(posted.channelId).toBe('C0INCIDENT1');
    const sent = slack.requests.at(-1)!;
    expect(sent.params).toMatchObject({ channel: 'C0INCIDENT1', link_names: 'false', unfurl_links: 'false' });
  });

  it('says clearly when the bot cannot see or is not in a channel', async () => {
    const slack = await fixture.slack();
    const client = quickClient(slack.url);
    await expect(client.resolveChannel('#nope')).rejects.toMatchObject({
      code: 'slack.channel-not-found',
      kind: 'user',
      message: expect.stringMatching(/no live channel #nope.*slack\.channel/),
    });
    // A private channel the bot was not invited to is invisible, as in Slack.
    await expect(client.resolveChannel('#secret-plans')).rejects.toMatchObject({
      code: 'slack.channel-not-found',
    });
    await expect(client.resolveChannel('#random')).rejects.toMatchObject({
      code: 'slack.not-in-channel',
      message: expect.stringContaining('/invite'),
    });
    await expect(client.postMessage({ channel: 'C0NOTMEMB01', text: 'x' })).rejects.toMatchObject({
      code: 'slack.not-in-channel',
      slackError: 'not_in_channel',
    });
  });

  it('names the token variable when Slack refuses the token', async () => {
    const slack = await fixture.slack();
    const error = await quickClient(slack.url, 'xoxb-revoked')
      .postMessage({ channel: 'C0INCIDENT1', text: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SlackError);
    expect(error).toMatchObject({ code: 'slack.auth-failed', slackError: 'invalid_auth' });
    expect((error as Error).message).toContain('SLACK_BOT_TOKEN');
    expect((error as Error).message).not.toContain('xoxb-revoked');
  });

  it('finds users by email and caches the answer', async () => {
    const slack = await fixture.slack();
    const client = quickClient(slack.url);
    expect(await client.userIdByEmail('Jane.Doe@acme.test')).toBe('U0JANE0001');
    expect(await client.userIdByEmail('jane.doe@acme.test')).toBe('U0JANE0001');
    expect(await client.userIdByEmail('nobody@acme.test')).toBeUndefined();
    expect(await client.userIdByEmail('not an email')).toBeUndefined();
    expect(slack.requests.filter((request) => request.method === 'users.lookupByEmail')).toHaveLength(2);
  });

  it('waits out a 429 with Retry-After and delivers', async () => {
    const slack = await fixture.slack();
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    const started = Date.now();
    const posted = await quickClient(slack.url).postMessage({
      channel: 'C0INCIDENT1',
      text: 'after the limit',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(
      slack.requests.filter((request) => request.method === 'chat.postMessage').map((r) => r.status),
    ).toEqual([429, 200]);
    expect(slack.messages.map((message) => message.ts)).toEqual([posted.ts]);
  });

  it('does not sit behind a Retry-After longer than it allows', async () => {
    const slack = await fixture.slack();
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 600 });
    const started = Date.now();
    await expect(
      quickClient(slack.url).postMessage({ channel: 'C0INCIDENT1', text: 'x' }),
    ).rejects.toMatchObject({
      code: 'slack.rate-limited',
      retryable: true,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(slack.messages).toEqual([]);
  });

  it('retries 5xx a bounded number of times, then fails as unavailable', async () => {
    const slack = await fixture.slack();
    slack.failNext('chat.postMessage', { status: 503, times: 2 });
    await quickClient(slack.url).postMessage({ channel: 'C0INCIDENT1', text: 'third time lucky' });
    expect(slack.messages).toHaveLength(1);

    slack.failNext('chat.postMessage', { status: 500, times: 5 });
    await expect(
      quickClient(slack.url).postMessage({ channel: 'C0INCIDENT1', text: 'x' }),
    ).rejects.toMatchObject({
      code: 'slack.unavailable',
      kind: 'system',
    });
    // Two from the first post's failures, one success, then three attempts (a first try and two retries).
    expect(slack.requests.filter((request) => request.method === 'chat.postMessage')).toHaveLength(6);
  });

  it('does not retry a post that timed out: it may have landed, and a thread must not get it twice', async () => {
    const slack = await fixture.slack();
    slack.failNext('chat.postMessage', { delayMs: 600 });
    const client = new SlackClient({
      token: FAKE_SLACK_TOKEN,
      apiUrl: slack.url,
      timeoutMs: 200,
      minRetryDelayMs: 20,
    });
    await expect(client.postMessage({ channel: 'C0INCIDENT1', text: 'slow' })).rejects.toMatchObject({
      code: 'slack.unreachable',
      message: expect.stringContaining('not retried'),
    });
    // Slack was slow, not down: the post landed once, however late, and nothing else came after it.
    await vi.waitFor(() => expect(slack.messages).toHaveLength(1));
    await sleep(300);
    expect(slack.messages.map((message) => message.text)).toEqual(['slow']);

    // An edit is the same whether it lands once or twice: it is retried.
    slack.failNext('chat.update', { delayMs: 600 });
    await client.updateMessage({ channelId: 'C0INCIDENT1', ts: slack.messages[0]!.ts, text: 'edited' });
    expect(slack.messages[0]?.text).toBe('edited');
  });

  it('fails as unreachable when nothing listens', async () => {
    const slack = await fixture.slack();
    const url = slack.url;
    await slack.close();
    await expect(quickClient(url).postMessage({ channel: 'C0INCIDENT1', text: 'x' })).rejects.toMatchObject({
      code: 'slack.unreachable',
      retryable: true,
      message: expect.stringContaining('integrations.slack.api_url'),
    });
  });
});
