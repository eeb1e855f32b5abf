/**
 * The root of every error Agentry raises on purpose.
 *
 * `kind` separates the user's mistakes (bad YAML, unknown agent, denied tool), which say in one
 * line what to do, from the system's (store down, sandbox failed), which may be retried.
 * `code` is stable: it is stored with failed runs, returned by the API and matched by alerts.
 */
export abstract class AgentryError extends Error {
  abstract readonly code: string;
  abstract readonly kind: 'user' | 'system';
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when `error` is one of ours, so its message is fit to show as it is. */
export function isAgentryError(error: unknown): error is AgentryError {
  return error instanceof AgentryError;
}

/** A one-line description of any thrown value, for logs and stored failures. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
