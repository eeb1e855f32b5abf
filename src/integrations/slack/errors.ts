import { AgentryError } from '../../errors.js';

/** Stable codes of {@link SlackError}. */
export type SlackErrorCode =
  | 'slack.channel-not-found'
  | 'slack.not-in-channel'
  | 'slack.auth-failed'
  | 'slack.missing-scope'
  | 'slack.rate-limited'
  | 'slack.unreachable'
  | 'slack.unavailable'
  | 'slack.invalid-message'
  | 'slack.api-error';

const USER_CODES: ReadonlySet<SlackErrorCode> = new Set([
  'slack.channel-not-found',
  'slack.not-in-channel',
  'slack.auth-failed',
  'slack.missing-scope',
]);
const RETRYABLE_CODES: ReadonlySet<SlackErrorCode> = new Set([
  'slack.rate-limited',
  'slack.unreachable',
  'slack.unavailable',
]);

/**
 * A Slack call failed. `kind` is `user` when the fix is in the Slack app or the YAML (a channel the
 * bot cannot see, a revoked token, a missing scope); `system` when Slack did not answer or refused
 * a message we built (those are bugs or outages). `slackError` is Slack's own error name
 * (`channel_not_found`, `ratelimited`, …) when Slack gave one.
 */
export class SlackError extends AgentryError {
  readonly code: SlackErrorCode;
  readonly kind: 'user' | 'system';
  override readonly retryable: boolean;
  /** The Web API method that failed, e.g. `chat.postMessage`. */
  readonly method: string;
  /** Slack's error name, when it answered with one. */
  readonly slackError: string | undefined;

  constructor(
    code: SlackErrorCode,
    message: string,
    options: { method: string; slackError?: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.kind = USER_CODES.has(code) ? 'user' : 'system';
    this.retryable = RETRYABLE_CODES.has(code);
    this.method = options.method;
    this.slackError = options.slackError;
  }
}
