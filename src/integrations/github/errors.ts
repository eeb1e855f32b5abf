import { AgentryError } from '../../errors.js';

/** Stable codes of {@link GitHubError}. */
export type GitHubErrorCode =
  /** `integrations.github` lacks what the call needs (a token, a repository). */
  | 'github.not-configured'
  /** GitHub refused the token (401). */
  | 'github.bad-credentials'
  /** The token may not do this (403 without a rate limit). */
  | 'github.forbidden'
  /** The repository or pull request does not exist, or the token cannot see it (404). */
  | 'github.not-found'
  /** GitHub refused the request's content (422); its own messages say why. */
  | 'github.validation-failed'
  /** The token's rate limit is used up (403/429). */
  | 'github.rate-limited'
  /** GitHub did not answer in time. */
  | 'github.timeout'
  /** GitHub answered 5xx or could not be reached. */
  | 'github.unavailable'
  /** The push remote cannot be used (unknown name, not a GitHub URL, token over plain http). */
  | 'github.bad-remote'
  /** git could not fetch from or push to the remote. */
  | 'github.push-failed';

/**
 * A GitHub call or a push failed. The message says what to do: which env var holds a bad token,
 * which repository name to check, GitHub's own validation messages.
 */
export class GitHubError extends AgentryError {
  readonly code: GitHubErrorCode;
  readonly kind: 'user' | 'system';
  override readonly retryable: boolean;
  /** GitHub's HTTP status, when it answered. */
  readonly status: number | undefined;

  constructor(
    code: GitHubErrorCode,
    message: string,
    options: { status?: number; kind?: 'user' | 'system'; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.kind = options.kind ?? 'user';
    this.retryable = options.retryable ?? false;
  }
}
