import { AgentryError } from '../errors.js';

/** A job was offered to a queue that is shutting down. */
export class QueueClosedError extends AgentryError {
  readonly code = 'queue.closed';
  readonly kind = 'system' as const;
  override readonly retryable = true;

  constructor() {
    super('the server is shutting down and takes no new runs: try again once it is back');
  }
}
