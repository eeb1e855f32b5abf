import { AgentryError } from '../../errors.js';

/** Stable codes of {@link LinearError}. */
export type LinearErrorCode =
  | 'linear.not-configured'
  | 'linear.token-missing'
  | 'linear.auth-failed'
  | 'linear.forbidden'
  | 'linear.not-found'
  | 'linear.unknown-team'
  | 'linear.unknown-label'
  | 'linear.invalid-input'
  | 'linear.rate-limited'
  | 'linear.unreachable'
  | 'linear.bad-request'
  | 'linear.bad-response'
  | 'linear.request-failed';

const SYSTEM_CODES = new Set<LinearErrorCode>([
  'linear.rate-limited',
  'linear.unreachable',
  'linear.bad-request',
  'linear.bad-response',
  'linear.request-failed',
]);

/**
 * A call to Linear's API failed. `kind` is `user` when the fix is in config.yml, the worker's
 * environment or the arguments (a bad key, an unknown team), `system` when Linear did not answer
 * as it should; `retryable` when trying later may work (rate limit, Linear unreachable).
 * Messages never hold the API key.
 */
export class LinearError extends AgentryError {
  readonly code: LinearErrorCode;
  readonly kind: 'user' | 'system';
  override readonly retryable: boolean;

  constructor(code: LinearErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.kind = SYSTEM_CODES.has(code) ? 'system' : 'user';
    this.retryable = code === 'linear.rate-limited' || code === 'linear.unreachable';
  }
}
