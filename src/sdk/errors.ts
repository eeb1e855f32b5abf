import { AgentryError } from '../errors.js';
import type { Run } from './types.js';

/** The server answered with an error: `status` and its stable `code` (`auth.forbidden`, `run.not-found`, …). */
export class AgentryApiError extends AgentryError {
  readonly kind: 'user' | 'system';
  override readonly retryable: boolean;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The field at fault, for a 422. */
    readonly field?: string,
  ) {
    super(`${message} (HTTP ${status})`);
    this.kind = status < 500 ? 'user' : 'system';
    this.retryable = status === 429 || status >= 500;
  }
}

/** The server could not be reached (refused, reset, DNS) or did not answer in time. */
export class AgentryConnectionError extends AgentryError {
  readonly code = 'sdk.connection';
  readonly kind = 'system' as const;
  override readonly retryable = true;
}

/** The run ended FAILED; `run` says why (`failure_reason`, `error`). */
export class RunFailedError extends AgentryError {
  readonly code = 'run.failed';
  readonly kind = 'user' as const;

  constructor(readonly run: Run) {
    super(
      `run ${run.id} of ${run.agent} failed (${run.failure_reason ?? 'error'}): ${run.error ?? 'no error recorded'}`,
    );
  }
}

/** The run ended CANCELLED (a person, the API, its concurrency group, a shutdown). */
export class RunCancelledError extends AgentryError {
  readonly code = 'run.cancelled';
  readonly kind = 'user' as const;

  constructor(readonly run: Run) {
    super(`run ${run.id} of ${run.agent} was cancelled${run.error ? `: ${run.error}` : ''}`);
  }
}

/** Waiting gave up before the run ended. The run goes on unless it was cancelled on timeout. */
export class RunWaitTimeoutError extends AgentryError {
  readonly code = 'run.wait-timeout';
  readonly kind = 'user' as const;

  constructor(
    readonly runId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `run ${runId} had not finished after ${timeoutMs / 1000}s: raise the timeout, or follow it with getRun`,
    );
  }
}
