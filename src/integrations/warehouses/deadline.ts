import { QueryCancelledError, QueryTimeoutError } from './errors.js';

/** What stopped a query from our side. */
export interface Stopper {
  /** Why it was stopped, once it was. */
  readonly reason: 'timeout' | 'cancelled' | undefined;
}

/**
 * Runs `work` and calls `cancel` when the timeout passes or `signal` aborts. Whatever error the
 * cancelled statement ends with becomes a `QueryTimeoutError` or `QueryCancelledError`, so the
 * model reads why it stopped rather than a driver's message. The warehouse's own statement
 * timeout is set too where it has one; this is the wall that holds when it has none (DuckDB).
 */
export async function withDeadline<T>(
  warehouse: string,
  options: { timeoutMs: number; signal?: AbortSignal; graceMs?: number },
  cancel: () => unknown,
  work: (stopper: Stopper) => Promise<T>,
): Promise<T> {
  const state: { reason: 'timeout' | 'cancelled' | undefined } = { reason: undefined };
  const stop = (reason: 'timeout' | 'cancelled') => {
    if (state.reason) return;
    state.reason = reason;
    Promise.resolve()
      .then(cancel)
      .catch(() => {
        // Cancelling is best effort: the connection is closed at run end either way.
      });
  };
  if (options.signal?.aborted) throw new QueryCancelledError(warehouse);
  // Where the warehouse enforces the timeout itself, ours waits a little longer as a backstop.
  const timer = setTimeout(() => stop('timeout'), options.timeoutMs + (options.graceMs ?? 0));
  const onAbort = () => stop('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await work(state);
    if (state.reason) throw stoppedError(warehouse, state.reason, options.timeoutMs);
    return result;
  } catch (error) {
    if (state.reason) throw stoppedError(warehouse, state.reason, options.timeoutMs);
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function stoppedError(warehouse: string, reason: 'timeout' | 'cancelled', timeoutMs: number): Error {
  return reason === 'timeout'
    ? new QueryTimeoutError(warehouse, timeoutMs)
    : new QueryCancelledError(warehouse);
}
