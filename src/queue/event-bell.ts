/**
 * A stream's standing interest in one run's events: rings that come while the stream is busy
 * (reading the store, writing to its client) are kept, so none is missed between two waits.
 */
export interface RunEventSubscription {
  /**
   * Resolves `true` at once if the run rang since the last call, else at its next ring; `false`
   * after `timeoutMs` or when `signal` aborts.
   */
  next(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Stop listening; the subscription is then inert. */
  close(): void;
}

interface Listener {
  rang: boolean;
  wake: (() => void) | undefined;
}

/**
 * Wakes whoever waits for a run's next event (an SSE stream) as soon as one is recorded in this
 * process: the engine rings it for every event it appends, the dispatcher when a run leaves the
 * queue. Waiting costs nothing while nothing happens; events written by another process are not
 * rung here, so a stream of such a run also looks at a timeout.
 */
export class RunEventBell {
  readonly #listeners = new Map<string, Set<Listener>>();

  /** Wake everyone waiting on `runId`. */
  ring(runId: string): void {
    const listeners = this.#listeners.get(runId);
    if (!listeners) return;
    for (const listener of listeners) {
      listener.rang = true;
      listener.wake?.();
    }
  }

  /** Listen to `runId` until `close()`; see {@link RunEventSubscription}. */
  subscribe(runId: string): RunEventSubscription {
    const listener: Listener = { rang: false, wake: undefined };
    let listeners = this.#listeners.get(runId);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(runId, listeners);
    }
    listeners.add(listener);
    let closed = false;
    return {
      next: (timeoutMs, signal) =>
        new Promise<boolean>((resolve) => {
          if (closed || signal?.aborted) return resolve(false);
          if (listener.rang) {
            listener.rang = false;
            return resolve(true);
          }
          const settle = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', settle);
            listener.wake = undefined;
            const rang = listener.rang;
            listener.rang = false;
            resolve(rang);
          };
          const timer = setTimeout(settle, timeoutMs);
          signal?.addEventListener('abort', settle, { once: true });
          listener.wake = settle;
        }),
      close: () => {
        if (closed) return;
        closed = true;
        listener.wake?.();
        const current = this.#listeners.get(runId);
        current?.delete(listener);
        if (current?.size === 0) this.#listeners.delete(runId);
      },
    };
  }

  /** Resolves at the run's next ring, after `timeoutMs`, or when `signal` aborts. */
  async wait(runId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const subscription = this.subscribe(runId);
    try {
      await subscription.next(timeoutMs, signal);
    } finally {
      subscription.close();
    }
  }

  /** How many listeners there are, for checks that nothing leaked. */
  get size(): number {
    let total = 0;
    for (const listeners of this.#listeners.values()) total += listeners.size;
    return total;
  }
}
