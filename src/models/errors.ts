import { AgentryError } from '../errors.js';

/** The model cannot be built from the config: unknown name, missing key, missing base_url. */
export class ModelConfigError extends AgentryError {
  readonly code = 'model.config';
  readonly kind = 'user' as const;
}

/** The model's endpoint did not answer (connection refused, DNS, TLS). */
export class ModelUnreachableError extends AgentryError {
  readonly code = 'model.unreachable';
  readonly kind = 'user' as const;
  override readonly retryable = true;
}

/** The endpoint answered with an error (bad key, rate limit, server error). */
export class ModelCallError extends AgentryError {
  readonly code = 'model.failed';
  readonly kind = 'system' as const;
  constructor(
    message: string,
    readonly status: number | undefined,
    override readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
