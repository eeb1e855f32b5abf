import {
  type Logger,
  LogLevel,
  type RetryOptions,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import type { AgentryConfig } from '../../spec/config.js';
import type { SlackBlock } from './block-kit.js';
import { SlackError, type SlackErrorCode } from './errors.js';

/** Slack's own Web API; `integrations.slack.api_url` replaces it (a test server, a proxy). */
export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** How a {@link SlackClient} talks to Slack. Defaults keep one call under about half a minute. */
export interface SlackClientOptions {
  /** The bot token (`xoxb-…`). Never logged, never stored. */
  token: string;
  /** The Web API base URL, ending in `/api/`. Default: Slack's. */
  apiUrl?: string;
  /** The variable the token came from, named in error messages (`SLACK_BOT_TOKEN`). */
  tokenEnv?: string;
  /** One HTTP request's timeout. Default 10 s. */
  timeoutMs?: number;
  /** Retries of a failed request (a refused connection, HTTP 5xx, a 429). Default 2. */
  retries?: number;
  /** Wait before the first retry, doubling after. Default 300 ms. */
  minRetryDelayMs?: number;
  /**
   * The longest `Retry-After` honoured. A 429 asking for longer fails at once with
   * `slack.rate-limited`: a run must not sit for minutes behind a notification. Default 20 s.
   */
  maxRetryAfterSec?: number;
}

/** A channel the bot can see. */
export interface SlackChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  isMember: boolean;
  isArchived: boolean;
}

/** Where a message went. */
export interface PostedMessage {
  channelId: string;
  ts: string;
}

/** Channels listed per `conversations.list` page; Slack advises at most 200. */
const PAGE_SIZE = 200;
/** Pages read at most: 10,000 channels. A workspace with more should configure ids. */
const MAX_PAGES = 50;
/** A Slack channel, group or DM id: `C0123ABC`, `G…`, `D…`. Names are lowercase. */
const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** WebClient logs retries and bodies to the console; a run's output is not the place. */
const SILENT_LOGGER: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

/**
 * A small client over `@slack/web-api`'s WebClient: channels by name or id, messages posted and
 * updated, users by email. Every failure is a {@link SlackError} with a stable code and a message
 * that says what to fix. Channel and user look-ups are cached for the client's life.
 */
export class SlackClient {
  /** For reads and edits: any failure may be retried. */
  private readonly web: WebClient;
  /** For posts: a timed-out post may have landed, so it is not retried (no report twice in a thread). */
  private readonly posts: WebClient;
  private readonly tokenEnv: string;
  private channelList: Promise<Map<string, SlackChannel>> | undefined;
  private readonly users = new Map<string, Promise<string | undefined>>();

  constructor(options: SlackClientOptions) {
    this.tokenEnv = options.tokenEnv ?? 'the Slack token variable';
    const retryConfig: RetryOptions = {
      retries: options.retries ?? 2,
      factor: 2,
      minTimeout: options.minRetryDelayMs ?? 300,
      maxTimeout: 5000,
      randomize: true,
    };
    const clientOptions = {
      slackApiUrl: options.apiUrl ?? DEFAULT_SLACK_API_URL,
      rejectRateLimitedCalls: false,
      timeout: options.timeoutMs ?? 10_000,
      logger: SILENT_LOGGER,
      fetch: capRetryAfter(options.maxRetryAfterSec ?? 20),
    };
    this.web = new WebClient(options.token, { ...clientOptions, retryConfig });
    const postRetryConfig = {
      ...retryConfig,
      // p-retry calls this between attempts; throwing ends the retries with that error.
      onFailedAttempt(error: unknown) {
        if (isTimeout(error)) throw error;
      },
    } as RetryOptions;
    this.posts = new WebClient(options.token, { ...clientOptions, retryConfig: postRetryConfig });
  }

  /**
   * The id of `channel` given as an id (`C…`, `G…`, used as it is), `#name` or `name` (looked up
   * with `conversations.list`, public and private, once per client). Throws `slack.channel-not-found`
   * or `slack.not-in-channel`.
   */
  async resolveChannel(channel: string): Promise<string> {
    const trimmed = channel.trim();
    if (CHANNEL_ID.test(trimmed)) return trimmed;
    const name = trimmed.replace(/^#/, '').toLowerCase();
    const found = (await this.listChannels()).get(name);
    if (!found) {
      throw new SlackError(
        'slack.channel-not-found',
        `the Slack bot sees no live channel #${name}: check the name (slack.channel in the agent's YAML); ` +
          'for a private channel, invite the bot and give the app the groups:read scope',
        { method: 'conversations.list' },
      );
    }
    if (!found.isMember) {
      throw new SlackError(
        'slack.not-in-channel',
        `the Slack bot is not in #${name}: invite it there (/invite @your-bot) so it can post`,
        { method: 'conversations.list', slackError: 'not_in_channel' },
      );
    }
    return found.id;
  }

  /** Posts a message, as a reply when `threadTs` is given. Returns the channel id and the message's ts. */
  async postMessage(message: {
    channel: string;
    text: string;
    blocks?: readonly SlackBlock[];
    threadTs?: string;
  }): Promise<PostedMessage> {
    const channelId = await this.resolveChannel(message.channel);
    const result = await this.call(this.posts, 'chat.postMessage', {
      channel: channelId,
      text: message.text,
      blocks: message.blocks,
      thread_ts: message.threadTs,
      // Model text must never ping anyone or fetch link previews from a URL it chose.
      link_names: false,
      parse: 'none',
      unfurl_links: false,
      unfurl_media: false,
    });
    return { channelId: String(result.channel ?? channelId), ts: String(result.ts) };
  }

  /** Replaces the text and blocks of a message the bot posted. */
  async updateMessage(message: {
    channelId: string;
    ts: string;
    text: string;
    blocks?: readonly SlackBlock[];
  }): Promise<void> {
    await this.call(this.web, 'chat.update', {
      channel: message.channelId,
      ts: message.ts,
      text: message.text,
      blocks: message.blocks,
      link_names: false,
      parse: 'none',
    });
  }

  /**
   * The Slack user id of `email`, or undefined when no user has it (or it is not an email).
   * Needs the `users:read.email` scope; other failures throw.
   */
  userIdByEmail(email: string): Promise<string | undefined> {
    const key = email.trim().toLowerCase();
    if (!EMAIL.test(key)) return Promise.resolve(undefined);
    let found = this.users.get(key);
    if (!found) {
      found = this.call(this.web, 'users.lookupByEmail', { email: key }).then(
        (result) => {
          const id = (result.user as { id?: unknown } | undefined)?.id;
          return typeof id === 'string' ? id : undefined;
        },
        (error: unknown) => {
          if (error instanceof SlackError && error.slackError === 'users_not_found') return undefined;
          throw error;
        },
      );
      // A failure is not cached: the next report tries again.
      found.catch(() => this.users.delete(key));
      this.users.set(key, found);
    }
    return found;
  }

  /** Who the token belongs to (`auth.test`): checks the token and the URL in one call. */
  async authTest(): Promise<{ userId: string; team: string | undefined; botId: string | undefined }> {
    const result = await this.call(this.web, 'auth.test', {});
    return {
      userId: String(result.user_id),
      team: typeof result.team === 'string' ? result.team : undefined,
      botId: typeof result.bot_id === 'string' ? result.bot_id : undefined,
    };
  }

  private listChannels(): Promise<Map<string, SlackChannel>> {
    if (!this.channelList) {
      this.channelList = this.fetchChannels();
      this.channelList.catch(() => {
        this.channelList = undefined;
      });
    }
    return this.channelList;
  }

  private async fetchChannels(): Promise<Map<string, SlackChannel>> {
    const channels = new Map<string, SlackChannel>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.call(this.web, 'conversations.list', {
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: PAGE_SIZE,
        cursor,
      });
      for (const raw of Array.isArray(result.channels) ? result.channels : []) {
        const channel = readChannel(raw);
        if (channel && !channels.has(channel.name)) channels.set(channel.name, channel);
      }
      const next = (result.response_metadata as { next_cursor?: unknown } | undefined)?.next_cursor;
      if (typeof next !== 'string' || next === '') break;
      cursor = next;
    }
    return channels;
  }

  private async call(
    web: WebClient,
    method: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    try {
      return (await web.apiCall(method, args)) as unknown as Record<string, unknown>;
    } catch (error) {
      throw this.describe(error, method, args);
    }
  }

  private describe(error: unknown, method: string, args: Record<string, unknown>): SlackError {
    const where = typeof args.channel === 'string' ? ` in ${args.channel}` : '';
    if (error instanceof WebAPIPlatformError) {
      const name = error.data.error;
      const [code, message] = platformError(
        name,
        method,
        where,
        this.tokenEnv,
        error.data as unknown as Record<string, unknown>,
      );
      return new SlackError(code, message, { method, slackError: name, cause: error });
    }
    if (error instanceof WebAPIRateLimitedError) {
      return new SlackError(
        'slack.rate-limited',
        `Slack rate-limited ${method} (retry after ${error.retryAfter}s): the message was not sent`,
        { method, slackError: 'ratelimited', cause: error },
      );
    }
    if (error instanceof WebAPIHTTPError) {
      return new SlackError(
        'slack.unavailable',
        `Slack answered ${method} with HTTP ${error.statusCode} after retries: Slack may be down (https://slack-status.com)`,
        { method, cause: error },
      );
    }
    if (error instanceof WebAPIRequestError) {
      const cause = error.original;
      if (isTimeout(error)) {
        return new SlackError(
          'slack.unreachable',
          method === 'chat.postMessage'
            ? `Slack did not answer ${method} in time; it was not retried, as the message may have been posted`
            : `Slack did not answer ${method} in time, after retries: check integrations.slack.api_url and the network`,
          { method, cause: error },
        );
      }
      // WebClient gives up on a 429 it kept honouring with a plain Error wrapped as a request error.
      if (cause.message.startsWith('A rate limit was exceeded')) {
        return new SlackError(
          'slack.rate-limited',
          `Slack kept rate-limiting ${method} through every retry: the message was not sent`,
          { method, slackError: 'ratelimited', cause: error },
        );
      }
      return new SlackError(
        'slack.unreachable',
        `cannot reach Slack for ${method} (${describeCause(cause)}): check integrations.slack.api_url and the network`,
        { method, cause: error },
      );
    }
    const text = error instanceof Error ? error.message : String(error);
    return new SlackError('slack.unreachable', `Slack call ${method} failed: ${text}`, {
      method,
      cause: error,
    });
  }
}

function platformError(
  name: string,
  method: string,
  where: string,
  tokenEnv: string,
  data: Record<string, unknown>,
): [SlackErrorCode, string] {
  switch (name) {
    case 'channel_not_found':
      return [
        'slack.channel-not-found',
        `Slack knows no channel${where} the bot can see: check slack.channel, and invite the bot to private channels`,
      ];
    case 'not_in_channel':
      return [
        'slack.not-in-channel',
        `the Slack bot is not in the channel${where}: invite it there (/invite @your-bot)`,
      ];
    case 'is_archived':
      return [
        'slack.channel-not-found',
        `the channel${where} is archived: point slack.channel at a live channel`,
      ];
    case 'not_authed':
    case 'invalid_auth':
    case 'account_inactive':
    case 'token_revoked':
    case 'token_expired':
      return [
        'slack.auth-failed',
        `Slack refused the token in ${tokenEnv} (${name}): set it to the app's bot token (xoxb-…) from api.slack.com/apps`,
      ];
    case 'missing_scope': {
      const needed = typeof data.needed === 'string' ? data.needed : 'another scope';
      return [
        'slack.missing-scope',
        `the Slack app lacks the ${needed} scope for ${method}: add it under OAuth & Permissions and reinstall the app`,
      ];
    }
    case 'ratelimited':
    case 'rate_limited':
      return [
        'slack.rate-limited',
        `Slack rate-limited ${method} for longer than Agentry waits: the message was not sent`,
      ];
    case 'msg_too_long':
    case 'invalid_blocks':
    case 'invalid_blocks_format':
    case 'no_text':
    case 'too_many_attachments': {
      const details = (data.response_metadata as { messages?: unknown } | undefined)?.messages;
      const detail = Array.isArray(details) && details.length > 0 ? `: ${String(details[0])}` : '';
      return [
        'slack.invalid-message',
        `Slack refused the message Agentry built (${name}${detail}): please report this`,
      ];
    }
    default:
      return ['slack.api-error', `Slack refused ${method}${where}: ${name}`];
  }
}

function readChannel(raw: unknown): SlackChannel | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const channel = raw as Record<string, unknown>;
  if (typeof channel.id !== 'string' || typeof channel.name !== 'string') return undefined;
  return {
    id: channel.id,
    name: channel.name.toLowerCase(),
    isPrivate: channel.is_private === true,
    isMember: channel.is_member === true,
    isArchived: channel.is_archived === true,
  };
}

/** The request timed out: Slack may have done the work without answering. */
function isTimeout(error: unknown): boolean {
  if (!(error instanceof WebAPIRequestError)) return false;
  return error.original.name === 'TimeoutError' || error.original.name === 'AbortError';
}

function describeCause(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return (cause as { code?: string }).code ?? cause.message;
  return error.message;
}

/**
 * WebClient sleeps for whatever `Retry-After` a 429 asks. Past `maxSeconds`, answer as Slack does
 * to a call it refuses (`ratelimited`) so the call fails at once instead of holding the run.
 */
function capRetryAfter(maxSeconds: number): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.status !== 429) return response;
    const seconds = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
    if (Number.isNaN(seconds) || seconds <= maxSeconds) return response;
    await response.body?.cancel();
    return new Response(JSON.stringify({ ok: false, error: 'ratelimited', retry_after: seconds }), {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  };
}

/** How a run reaches Slack: a client, or the local outbox when no token is configured. */
export type SlackSetup =
  | { mode: 'slack'; client: SlackClient; tokenEnv: string }
  | { mode: 'outbox'; reason: string };

/**
 * A client from `integrations.slack` of config.yml (`token_env`, `api_url`) and the worker's
 * environment, or the outbox when there is no token to use. `options` tune timeouts and retries.
 */
export function slackSetup(
  config: AgentryConfig,
  env: NodeJS.ProcessEnv,
  options: Omit<SlackClientOptions, 'token' | 'apiUrl' | 'tokenEnv'> = {},
): SlackSetup {
  const slack = config.integrations.slack;
  const tokenEnv = slack?.token_env;
  if (!tokenEnv) {
    return { mode: 'outbox', reason: 'integrations.slack.token_env is not set in .agentry/config.yml' };
  }
  const token = env[tokenEnv];
  if (!token) return { mode: 'outbox', reason: `${tokenEnv} is not set in the worker's environment` };
  return {
    mode: 'slack',
    client: new SlackClient({ ...options, token, tokenEnv, apiUrl: slack.api_url }),
    tokenEnv,
  };
}
