/**
 * Wakes whoever waits for a run's next event (an SSE stream) as soon as one is recorded in this
 * process. Waiters also wake after a timeout, so events written by another process are still
 * seen, by polling.
 */
export class RunEventBell {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Wake everyone waiting on `runId`. */
  ring(runId: string): void {
    const waiters = this.#waiters.get(runId);
    if (!waiters) return;
    this.#waiters.delete(runId);
    for (const wake of waiters) wake();
  }

  /** Resolves at the run's next ring, after `timeoutMs`, or when `signal` aborts. */
  wait(runId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters.get(runId)?.delete(done);
        if (this.#waiters.get(runId)?.size === 0) this.#waiters.delete(runId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      let waiters = this.#waiters.get(runId);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(runId, waiters);
      }
      waiters.add(done);
    });
  }

  /** How many waiters there are, for checks that nothing leaked. */
  get size(): number {
    let total = 0;
    for (const waiters of this.#waiters.values()) total += waiters.size;
    return total;
  }
}
