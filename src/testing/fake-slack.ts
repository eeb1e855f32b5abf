import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The bot token a fake Slack accepts unless told others. */
export const FAKE_SLACK_TOKEN = 'xoxb-fake-slack-token';

/** A channel of the fake workspace. */
export interface FakeSlackChannel {
  /** `C…` (public) or `G…`/`C…` (private). */
  id: string;
  /** Without `#`, lowercase as Slack keeps them. */
  name: string;
  isPrivate?: boolean;
  /** Whether the bot was invited. Default true. A private channel the bot is not in is invisible to it. */
  isMember?: boolean;
  isArchived?: boolean;
}

/** A person of the fake workspace, for `users.lookupByEmail`. */
export interface FakeSlackUser {
  /** `U…` */
  id: string;
  name: string;
  email?: string;
  realName?: string;
  deleted?: boolean;
}

/** How to start a fake Slack. */
export interface FakeSlackOptions {
  /** Bot tokens accepted. Default: [{@link FAKE_SLACK_TOKEN}]. */
  tokens?: string[];
  /** The workspace's channels. Default: `#general` (C0GENERAL01), the bot a member. */
  channels?: FakeSlackChannel[];
  users?: FakeSlackUser[];
  /** The bot's own user id, as `auth.test` and posted messages show it. Default `U0AGENTRY1`. */
  botUserId?: string;
  /** The interface to listen on; `127.0.0.1` by default. */
  host?: string;
  /** `0` (any free port) by default. */
  port?: number;
}

/** One Web API call the fake received. */
export interface FakeSlackRequest {
  /** The Web API method, e.g. `chat.postMessage`. */
  method: string;
  /** The arguments as decoded from the body (form fields are strings, as sent) and the query. */
  params: Record<string, unknown>;
  /** `application/x-www-form-urlencoded` (WebClient), `application/json`, … */
  contentType: string | undefined;
  authorization: string | undefined;
  /** The HTTP status answered. */
  status: number;
  /** Slack's `error` when the answer was `ok: false`. */
  error: string | undefined;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
}

/** A message in the fake workspace, as posted and then edited. */
export interface FakeSlackMessage {
  /** The channel id. */
  channel: string;
  ts: string;
  /** The thread it replies in; undefined for a top-level message. */
  threadTs: string | undefined;
  text: string;
  /** The blocks, parsed. */
  blocks: unknown[] | undefined;
  /** Who posted it: the bot's user id, or a person's from {@link FakeSlack.postAsUser}. */
  user: string;
  /** Earlier versions, oldest first: one per `chat.update`. */
  history: { text: string; blocks: unknown[] | undefined }[];
}

/** What the next call of a method gets instead of its answer. */
export interface FakeSlackFailure {
  /** HTTP status: 429 for a rate limit (with `Retry-After`), 5xx for an outage. Default 200 with `error`. */
  status?: number;
  /** 429: the `Retry-After` header, in seconds (default 1). */
  retryAfterSec?: number;
  /** The `error` of an `{ok: false}` answer (default `ratelimited` for a 429, `fatal_error` else). */
  error?: string;
  /** How many calls in a row fail this way (default 1). */
  times?: number;
  /**
   * Answer only after this many milliseconds: a slow Slack. Without `status` or `error` the call
   * then goes through as usual (a post is posted, however late), as when Slack is slow but working.
   */
  delayMs?: number;
}

/** A running fake Slack. Point `integrations.slack.api_url` (or WebClient's `slackApiUrl`) at `url`. */
export interface FakeSlack {
  /** The Web API base URL, ending in `/api/`, e.g. `http://127.0.0.1:40123/api/`. */
  readonly url: string;
  /** Every call received, oldest first. */
  readonly requests: readonly FakeSlackRequest[];
  /** Every message, top-level and replies, in the order they were posted. */
  readonly messages: readonly FakeSlackMessage[];
  /** Top-level messages of a channel (id, `#name` or `name`). */
  channelMessages(channel: string): FakeSlackMessage[];
  /** The replies of a thread, oldest first (the parent not included). */
  thread(channel: string, threadTs: string): FakeSlackMessage[];
  /** Posts a message as a person would (e.g. the one a run is triggered from). */
  postAsUser(message: { channel: string; text: string; user?: string; threadTs?: string }): FakeSlackMessage;
  /** Makes the next call(s) of `method` fail: a rate limit, an outage, or a Slack error. */
  failNext(method: string, failure: FakeSlackFailure): void;
  setChannels(channels: FakeSlackChannel[]): void;
  setUsers(users: FakeSlackUser[]): void;
  /** Stops listening and cuts open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Slack's limits that a report can break. */
const LIMITS = {
  blocks: 50,
  messageText: 40_000,
  textObject: 3000,
  sectionField: 2000,
  sectionFields: 10,
  headerText: 150,
  contextElements: 10,
  blockId: 255,
  listPage: 1000,
};
const TS = /^\d+\.\d{6}$/;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Starts a local HTTP server that speaks the part of Slack's Web API Agentry uses: `auth.test`,
 * `chat.postMessage`, `chat.update`, `conversations.list` (cursor paging), `conversations.info` and
 * `users.lookupByEmail`. It takes form-encoded or JSON bodies, checks the bearer token, answers
 * `{ok: true, …}` / `{ok: false, error}` with HTTP 200 as Slack does, 429 with `Retry-After` when
 * told to, and refuses messages that break Slack's limits with Slack's error names (`msg_too_long`,
 * `invalid_blocks`) — so a client that passes here respects them.
 *
 * @example
 * const slack = await startFakeSlack({ channels: [{ id: 'C0INCIDENT1', name: 'incidents' }] });
 * const client = new WebClient(FAKE_SLACK_TOKEN, { slackApiUrl: slack.url });
 * await client.chat.postMessage({ channel: 'C0INCIDENT1', text: 'hello' });
 * expect(slack.channelMessages('#incidents')[0]?.text).toBe('hello');
 * await slack.close();
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const slack = new FakeSlackServer(options);
  await slack.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return slack;
}

type Answer = { status?: number; headers?: Record<string, string>; body: Record<string, unknown> | string };

class FakeSlackServer implements FakeSlack {
  readonly requests: FakeSlackRequest[] = [];
  readonly messages: FakeSlackMessage[] = [];
  private readonly tokens: Set<string>;
  private readonly botUserId: string;
  private channels: FakeSlackChannel[];
  private users: FakeSlackUser[];
  private readonly failures = new Map<string, FakeSlackFailure[]>();
  private readonly server = createServer((request, response) => this.handle(request, response));
  private readonly sockets = new Set<Socket>();
  private baseUrl = '';
  private lastMicros = 0;
  private closing: Promise<void> | undefined;
  /** Aborted on close, so no delayed answer outlives the server. */
  private readonly closed = new AbortController();

  constructor(options: FakeSlackOptions) {
    this.tokens = new Set(options.tokens ?? [FAKE_SLACK_TOKEN]);
    this.botUserId = options.botUserId ?? 'U0AGENTRY1';
    this.channels = options.channels ?? [{ id: 'C0GENERAL01', name: 'general' }];
    this.users = options.users ?? [];
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  get url(): string {
    return this.baseUrl;
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${hostname}:${address.port}/api/`;
  }

  channelMessages(channel: string): FakeSlackMessage[] {
    const id = this.findChannel(channel)?.id ?? channel;
    return this.messages.filter((message) => message.channel === id && message.threadTs === undefined);
  }

  thread(channel: string, threadTs: string): FakeSlackMessage[] {
    const id = this.findChannel(channel)?.id ?? channel;
    return this.messages.filter((message) => message.channel === id && message.threadTs === threadTs);
  }

  postAsUser(message: { channel: string; text: string; user?: string; threadTs?: string }): FakeSlackMessage {
    const channel = this.findChannel(message.channel);
    if (!channel) throw new Error(`the fake Slack has no channel ${message.channel}`);
    const posted: FakeSlackMessage = {
      channel: channel.id,
      ts: this.nextTs(),
      threadTs: message.threadTs,
      text: message.text,
      blocks: undefined,
      user: message.user ?? 'U0PERSON01',
      history: [],
    };
    this.messages.push(posted);
    return posted;
  }

  failNext(method: string, failure: FakeSlackFailure): void {
    const queue = this.failures.get(method) ?? [];
    for (let index = 0; index < (failure.times ?? 1); index++) queue.push(failure);
    this.failures.set(method, queue);
  }

  setChannels(channels: FakeSlackChannel[]): void {
    this.channels = channels;
  }

  setUsers(users: FakeSlackUser[]): void {
    this.users = users;
  }

  close(): Promise<void> {
    this.closed.abort();
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.answer(request)
      .then(({ method, params, answer }) => {
        const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        const status = answer.status ?? 200;
        this.requests.push({
          method,
          params,
          contentType: request.headers['content-type'],
          authorization: request.headers.authorization,
          status,
          error:
            typeof answer.body === 'object' && answer.body.ok === false
              ? String(answer.body.error)
              : undefined,
          receivedAt: Date.now(),
        });
        response.writeHead(status, {
          'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8',
          ...answer.headers,
        });
        response.end(body);
      })
      .catch((error: unknown) => {
        // A bug in the fake must show as a failed call in the test, not crash the test process.
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`fake Slack failed: ${error instanceof Error ? error.message : String(error)}`);
      });
  }

  private async answer(
    request: IncomingMessage,
  ): Promise<{ method: string; params: Record<string, unknown>; answer: Answer }> {
    const url = new URL(request.url ?? '/', 'http://fake-slack');
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : '';
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const raw = await readBody(request);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (raw.length > 0) {
      if (contentType === 'application/json') {
        try {
          Object.assign(params, JSON.parse(raw));
        } catch {
          return { method, params, answer: fail('invalid_json') };
        }
      } else {
        Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
      }
    }
    const failure = this.failures.get(method)?.shift();
    if (failure?.delayMs)
      await sleep(failure.delayMs, undefined, { signal: this.closed.signal }).catch(() => {});
    if (failure && (failure.status !== undefined || failure.error !== undefined || !failure.delayMs)) {
      return { method, params, answer: failureAnswer(failure) };
    }
    if (request.method !== 'POST' && request.method !== 'GET') {
      return { method, params, answer: { status: 405, body: 'method not allowed' } };
    }
    if (!method) return { method, params, answer: { status: 404, body: 'not found' } };

    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof params.token === 'string' ? params.token : undefined);
    if (!token) return { method, params, answer: fail('not_authed') };
    if (!this.tokens.has(token)) return { method, params, answer: fail('invalid_auth') };
    return { method, params, answer: this.call(method, params) };
  }

  private call(method: string, params: Record<string, unknown>): Answer {
    switch (method) {
      case 'auth.test':
        return ok({
          url: 'https://fake-workspace.slack.com/',
          team: 'Fake Workspace',
          user: 'agentry',
          team_id: 'T0FAKE0001',
          user_id: this.botUserId,
          bot_id: 'B0AGENTRY1',
          is_enterprise_install: false,
        });
      case 'chat.postMessage':
        return this.postMessage(params);
      case 'chat.update':
        return this.updateMessage(params);
      case 'conversations.list':
        return this.listConversations(params);
      case 'conversations.info': {
        const channel = this.visibleChannel(String(params.channel ?? ''));
        return channel ? ok({ channel: channelJson(channel) }) : fail('channel_not_found');
      }
      case 'users.lookupByEmail': {
        if (typeof params.email !== 'string' || params.email === '') return fail('invalid_arguments');
        const email = params.email.toLowerCase();
        const user = this.users.find(
          (candidate) => !candidate.deleted && candidate.email?.toLowerCase() === email,
        );
        return user ? ok({ user: userJson(user) }) : fail('users_not_found');
      }
      default:
        return fail('unknown_method');
    }
  }

  private postMessage(params: Record<string, unknown>): Answer {
    const channel = this.visibleChannel(String(params.channel ?? ''));
    if (!channel) return fail('channel_not_found');
    if (channel.isArchived) return fail('is_archived');
    if (channel.isMember === false) return fail('not_in_channel');
    const content = readContent(params);
    if ('error' in content) return content.error;
    let threadTs: string | undefined;
    if (params.thread_ts !== undefined && params.thread_ts !== '') {
      const asked = String(params.thread_ts);
      if (!TS.test(asked)) return fail('invalid_thread_ts');
      const parent = this.messages.find((message) => message.channel === channel.id && message.ts === asked);
      if (!parent) return fail('thread_not_found');
      // A reply to a reply lands in the parent's thread, as in Slack.
      threadTs = parent.threadTs ?? parent.ts;
    }
    const message: FakeSlackMessage = {
      channel: channel.id,
      ts: this.nextTs(),
      threadTs,
      text: content.text,
      blocks: content.blocks,
      user: this.botUserId,
      history: [],
    };
    this.messages.push(message);
    return ok({ channel: channel.id, ts: message.ts, message: messageJson(message) });
  }

  private updateMessage(params: Record<string, unknown>): Answer {
    const channel = this.visibleChannel(String(params.channel ?? ''));
    if (!channel) return fail('channel_not_found');
    const message = this.messages.find(
      (candidate) => candidate.channel === channel.id && candidate.ts === params.ts,
    );
    if (!message) return fail('message_not_found');
    if (message.user !== this.botUserId) return fail('cant_update_message');
    const content = readContent(params);
    if ('error' in content) return content.error;
    message.history.push({ text: message.text, blocks: message.blocks });
    message.text = content.text;
    message.blocks = content.blocks;
    return ok({ channel: channel.id, ts: message.ts, text: message.text, message: messageJson(message) });
  }

  private listConversations(params: Record<string, unknown>): Answer {
    const types = String(params.types ?? 'public_channel')
      .split(',')
      .map((type) => type.trim());
    const excludeArchived = params.exclude_archived === true || params.exclude_archived === 'true';
    const limit = params.limit === undefined ? 100 : Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.listPage) return fail('invalid_limit');
    let offset = 0;
    if (params.cursor !== undefined && params.cursor !== '') {
      const decoded = /^offset:(\d+)$/.exec(Buffer.from(String(params.cursor), 'base64').toString('utf8'));
      if (!decoded) return fail('invalid_cursor');
      offset = Number(decoded[1]);
    }
    const matching = this.channels.filter((channel) => {
      if (excludeArchived && channel.isArchived) return false;
      // A bot sees the private channels it was invited to, and no others.
      if (channel.isPrivate) return types.includes('private_channel') && channel.isMember !== false;
      return types.includes('public_channel');
    });
    const page = matching.slice(offset, offset + limit);
    const next =
      offset + limit < matching.length ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '';
    return ok({ channels: page.map(channelJson), response_metadata: { next_cursor: next } });
  }

  /** A channel by id or name, as the bot may see it: private channels only when it is in them. */
  private visibleChannel(channel: string): FakeSlackChannel | undefined {
    const found = this.findChannel(channel);
    if (!found || (found.isPrivate && found.isMember === false)) return undefined;
    return found;
  }

  private findChannel(channel: string): FakeSlackChannel | undefined {
    const name = channel.replace(/^#/, '').toLowerCase();
    return this.channels.find((candidate) => candidate.id === channel || candidate.name === name);
  }

  /** Slack's `ts`: epoch seconds and microseconds, unique and increasing within a channel. */
  private nextTs(): string {
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    return `${Math.floor(this.lastMicros / 1e6)}.${String(this.lastMicros % 1e6).padStart(6, '0')}`;
  }
}

function ok(body: Record<string, unknown>): Answer {
  return { body: { ok: true, ...body } };
}

function fail(error: string, messages?: string[]): Answer {
  return {
    body: { ok: false, error, ...(messages ? { response_metadata: { messages } } : {}) },
  };
}

function failureAnswer(failure: FakeSlackFailure): Answer {
  const status = failure.status ?? 200;
  if (status === 429) {
    return {
      status,
      headers: { 'retry-after': String(failure.retryAfterSec ?? 1) },
      body: { ok: false, error: failure.error ?? 'ratelimited' },
    };
  }
  if (status >= 500) return { status, body: failure.error ?? 'upstream connect error' };
  return { status, body: { ok: false, error: failure.error ?? 'fatal_error' } };
}

/** The text and blocks of a post or update, checked against Slack's limits. */
function readContent(
  params: Record<string, unknown>,
): { text: string; blocks: unknown[] | undefined } | { error: Answer } {
  const text = typeof params.text === 'string' ? params.text : '';
  let blocks: unknown[] | undefined;
  if (params.blocks !== undefined && params.blocks !== '') {
    let parsed = params.blocks;
    if (typeof parsed === 'string') {
      try {
        parsed = JSON.parse(parsed);
      } catch {
        return { error: fail('invalid_blocks_format') };
      }
    }
    if (!Array.isArray(parsed)) return { error: fail('invalid_blocks_format') };
    const problems = blockProblems(parsed);
    if (problems.length > 0) return { error: fail('invalid_blocks', problems) };
    blocks = parsed.length > 0 ? parsed : undefined;
  }
  if (text === '' && !blocks) return { error: fail('no_text') };
  if (text.length > LIMITS.messageText) return { error: fail('msg_too_long') };
  return { text, blocks };
}

/** What Slack would say is wrong with `blocks`, as its `[ERROR] … [json-pointer:…]` lines. */
function blockProblems(blocks: unknown[]): string[] {
  const problems: string[] = [];
  const problem = (pointer: string, message: string) =>
    problems.push(`[ERROR] ${message} [json-pointer:/blocks${pointer}]`);
  if (blocks.length > LIMITS.blocks) problem('', `no more than ${LIMITS.blocks} items allowed`);
  blocks.forEach((raw, index) => {
    const at = `/${index}`;
    if (raw === null || typeof raw !== 'object') {
      problem(at, 'must be an object');
      return;
    }
    const block = raw as Record<string, unknown>;
    if (typeof block.block_id === 'string' && block.block_id.length > LIMITS.blockId) {
      problem(`${at}/block_id`, `must be less than ${LIMITS.blockId + 1} characters`);
    }
    switch (block.type) {
      case 'section': {
        if (block.text === undefined && block.fields === undefined)
          problem(at, 'must provide text or fields');
        if (block.text !== undefined) textProblems(block.text, `${at}/text`, LIMITS.textObject, problem);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields)) {
            problem(`${at}/fields`, 'must be an array');
            return;
          }
          if (block.fields.length > LIMITS.sectionFields) {
            problem(`${at}/fields`, `no more than ${LIMITS.sectionFields} items allowed`);
          }
          for (const [fieldIndex, field] of block.fields.entries()) {
            textProblems(field, `${at}/fields/${fieldIndex}`, LIMITS.sectionField, problem);
          }
        }
        return;
      }
      case 'header':
        textProblems(block.text, `${at}/text`, LIMITS.headerText, problem, 'plain_text');
        return;
      case 'context': {
        if (!Array.isArray(block.elements) || block.elements.length === 0) {
          problem(`${at}/elements`, 'must provide at least 1 item');
          return;
        }
        if (block.elements.length > LIMITS.contextElements) {
          problem(`${at}/elements`, `no more than ${LIMITS.contextElements} items allowed`);
        }
        block.elements.forEach((element, elementIndex) => {
          const type = (element as { type?: unknown } | null)?.type;
          if (type !== 'image')
            textProblems(element, `${at}/elements/${elementIndex}`, LIMITS.textObject, problem);
        });
        return;
      }
      case 'divider':
        return;
      default:
        problem(`${at}/type`, `unsupported type: ${String(block.type)}`);
    }
  });
  return problems;
}

function textProblems(
  raw: unknown,
  at: string,
  maxChars: number,
  problem: (pointer: string, message: string) => void,
  onlyType?: 'plain_text',
): void {
  if (raw === null || typeof raw !== 'object') {
    problem(at, 'must be a text object');
    return;
  }
  const text = raw as Record<string, unknown>;
  if (text.type !== 'plain_text' && text.type !== 'mrkdwn') {
    problem(`${at}/type`, 'must be plain_text or mrkdwn');
    return;
  }
  if (onlyType && text.type !== onlyType) {
    problem(`${at}/type`, `must be ${onlyType}`);
    return;
  }
  const allowed = text.type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim'];
  for (const key of Object.keys(text)) {
    if (!allowed.includes(key)) problem(`${at}/${key}`, `invalid additional property: ${key}`);
  }
  if (typeof text.text !== 'string' || text.text.length === 0) {
    problem(`${at}/text`, 'must be more than 0 characters');
    return;
  }
  if (text.text.length > maxChars) problem(`${at}/text`, `must be less than ${maxChars + 1} characters`);
}

function channelJson(channel: FakeSlackChannel): Record<string, unknown> {
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    is_channel: !channel.isPrivate,
    is_group: Boolean(channel.isPrivate),
    is_im: false,
    is_mpim: false,
    is_private: Boolean(channel.isPrivate),
    is_archived: Boolean(channel.isArchived),
    is_general: channel.name === 'general',
    is_member: channel.isMember !== false,
    created: 1_600_000_000,
  };
}

function userJson(user: FakeSlackUser): Record<string, unknown> {
  return {
    id: user.id,
    team_id: 'T0FAKE0001',
    name: user.name,
    deleted: Boolean(user.deleted),
    real_name: user.realName ?? user.name,
    is_bot: false,
    profile: { email: user.email, real_name: user.realName ?? user.name, display_name: user.name },
  };
}

function messageJson(message: FakeSlackMessage): Record<string, unknown> {
  return {
    type: 'message',
    user: message.user,
    bot_id: 'B0AGENTRY1',
    text: message.text,
    ts: message.ts,
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.blocks ? { blocks: message.blocks } : {}),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
