import { QueueClosedError } from './errors.js';
import type { CancelOutcome, EnqueueResult, JobHandler, Queue, QueueJob, QueueStats } from './queue.js';

/** Options of {@link InProcessQueue}. */
export interface InProcessQueueOptions {
  /** Jobs executing at once, over every agent (`agentry serve --concurrency`). Default 4. */
  concurrency?: number;
  /** Told when a handler throws, which a handler should not do. */
  onError?: (error: unknown, job: QueueJob) => void;
}

interface RunningJob {
  job: QueueJob;
  controller: AbortController;
  done: Promise<void>;
}

/** The reason running jobs are aborted with when the queue closes. */
export const SHUTDOWN_REASON = 'server shutting down';

/**
 * The embedded queue: a worker pool in this process. Waiting jobs are kept in memory in arrival
 * order; the first one whose agent and group have room starts, so a blocked job does not hold up
 * the others. The runs themselves are in the store, which is what survives a crash.
 */
export class InProcessQueue implements Queue {
  readonly #concurrency: number;
  readonly #onError: (error: unknown, job: QueueJob) => void;
  /** Waiting jobs by run id, in arrival order (a Map keeps insertion order). */
  readonly #waiting = new Map<string, QueueJob>();
  readonly #running = new Map<string, RunningJob>();
  #handler: JobHandler | undefined;
  #closed = false;

  constructor(options: InProcessQueueOptions = {}) {
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
    }
    this.#concurrency = concurrency;
    this.#onError = options.onError ?? (() => undefined);
  }

  start(handler: JobHandler): void {
    if (this.#handler) throw new Error('InProcessQueue.start was called twice');
    this.#handler = handler;
    this.#pump();
  }

  async enqueue(job: QueueJob): Promise<EnqueueResult> {
    if (this.#closed) throw new QueueClosedError();
    if (this.has(job.runId)) return { status: 'queued', superseded: [] };
    const superseded: string[] = [];
    const holders = job.group === null ? [] : this.#groupRunIds(job.group);
    if (holders.length > 0 && job.onConflict === 'skip') return { status: 'skipped', busyWith: holders[0]! };
    if (job.onConflict === 'cancel-previous') {
      for (const runId of holders) {
        this.cancel(runId, `superseded by run ${job.runId} (concurrency group '${job.group}')`);
        superseded.push(runId);
      }
    }
    this.#waiting.set(job.runId, job);
    this.#pump();
    return { status: 'queued', superseded };
  }

  cancel(runId: string, reason: string): CancelOutcome {
    if (this.#waiting.delete(runId)) return 'waiting';
    const running = this.#running.get(runId);
    if (!running) return undefined;
    running.controller.abort(reason);
    return 'running';
  }

  has(runId: string): boolean {
    return this.#running.has(runId) || this.#waiting.has(runId);
  }

  stats(): QueueStats {
    return { waiting: this.#waiting.size, running: this.#running.size, concurrency: this.#concurrency };
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closed = true;
    this.#waiting.clear();
    const running = [...this.#running.values()];
    if (running.length === 0) return;
    const abortAll = () => {
      for (const entry of running) entry.controller.abort(SHUTDOWN_REASON);
    };
    const graceMs = options.graceMs ?? 0;
    const timer = graceMs > 0 ? setTimeout(abortAll, graceMs) : undefined;
    if (graceMs <= 0) abortAll();
    await Promise.allSettled(running.map((entry) => entry.done));
    clearTimeout(timer);
  }

  /** Running holders first (they are the older), then waiting ones in arrival order. */
  #groupRunIds(group: string): string[] {
    const running = [...this.#running.values()].filter((entry) => entry.job.group === group);
    const waiting = [...this.#waiting.values()].filter((job) => job.group === group);
    return [...running.map((entry) => entry.job.runId), ...waiting.map((job) => job.runId)];
  }

  #pump(): void {
    if (!this.#handler || this.#closed) return;
    for (const job of this.#waiting.values()) {
      if (this.#running.size >= this.#concurrency) return;
      if (!this.#hasRoom(job)) continue;
      this.#waiting.delete(job.runId);
      this.#launch(job, this.#handler);
    }
  }

  #hasRoom(job: QueueJob): boolean {
    let sameAgent = 0;
    for (const { job: running } of this.#running.values()) {
      if (job.group !== null && running.group === job.group) return false;
      if (running.agent === job.agent) sameAgent++;
    }
    return job.agentLimit === undefined || sameAgent < job.agentLimit;
  }

  #launch(job: QueueJob, handler: JobHandler): void {
    const controller = new AbortController();
    const entry = { job, controller } as RunningJob;
    this.#running.set(job.runId, entry);
    entry.done = (async () => {
      try {
        await handler(job, controller.signal);
      } catch (error) {
        this.#onError(error, job);
      } finally {
        this.#running.delete(job.runId);
        this.#pump();
      }
    })();
  }
}
