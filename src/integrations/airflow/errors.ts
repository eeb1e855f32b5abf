import { AgentryError } from '../../errors.js';

/** Stable codes of {@link AirflowError}. */
export type AirflowErrorCode =
  | 'airflow.not-configured'
  | 'airflow.bad-task-ref'
  | 'airflow.log-not-found'
  | 'airflow.auth-failed'
  | 'airflow.unreachable'
  | 'airflow.bad-response';

/**
 * Reading a task log from Airflow failed. `kind` is `user` when the fix is in config.yml or in the
 * ids asked for, `system` when Airflow itself did not answer (those are `retryable`).
 */
export class AirflowError extends AgentryError {
  readonly code: AirflowErrorCode;
  readonly kind: 'user' | 'system';
  override readonly retryable: boolean;

  constructor(code: AirflowErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.kind = code === 'airflow.unreachable' || code === 'airflow.bad-response' ? 'system' : 'user';
    this.retryable = code === 'airflow.unreachable';
  }
}
