/** What a trigger does while its concurrency group has a run waiting or running. */
export type OnConflict = 'queue' | 'cancel-previous' | 'skip';

/** One turn of one run to execute: the first (the run is PENDING) or a follow-up. */
export interface QueueJob {
  runId: string;
  agent: string;
  /** The rendered concurrency group; jobs of one group run one at a time. Null for none. */
  group: string | null;
  onConflict: OnConflict;
  /** At most this many jobs of `agent` at once; only the queue's own limit when absent. */
  agentLimit?: number;
  /** A follow-up turn's message. Absent for the first turn: the run holds its message. */
  followUp?: string;
}

/** What `enqueue` did with a job. */
export type EnqueueResult =
  /** Waiting or running. `superseded`: jobs of the group it cancelled (`cancel-previous`). */
  | { status: 'queued'; superseded: string[] }
  /** Not queued: the group has a job (`skip`); `busyWith` is that job's run. */
  | { status: 'skipped'; busyWith: string };

/**
 * Executes one job to its end. The signal aborts with a string reason when the job is cancelled
 * (by a person, by `cancel-previous`, by shutdown). Must not throw for a failed run: a failed run
 * is a result.
 */
export type JobHandler = (job: QueueJob, signal: AbortSignal) => Promise<void>;

/** Where a job was when it was cancelled. */
export type CancelOutcome = 'waiting' | 'running' | undefined;

/**
 * Dispatch: accepts jobs for runs already in the store and executes them with bounded
 * concurrency — a global limit, a per-agent limit and concurrency groups. Adapters: in-process
 * (embedded, `InProcessQueue`); a Postgres job queue for several workers later.
 */
export interface Queue {
  /** Start executing jobs with `handler`. Call once, before or after the first `enqueue`. */
  start(handler: JobHandler): void;
  /**
   * Accept a job. With a group that has a job: `queue` waits its turn, `skip` returns `skipped`
   * without queueing, `cancel-previous` withdraws the group's waiting jobs and aborts its running
   * ones (they are listed in `superseded`) and then waits its turn. A run already queued is not
   * queued twice.
   */
  enqueue(job: QueueJob): Promise<EnqueueResult>;
  /** Withdraw the run's waiting job or abort its running one with `reason`. */
  cancel(runId: string, reason: string): CancelOutcome;
  /** Whether the run has a job waiting or running here. */
  has(runId: string): boolean;
  stats(): QueueStats;
  /**
   * Stop starting jobs. Running ones get `graceMs` to finish, then are aborted with reason
   * `server shutting down`; resolves once every handler has returned. Waiting jobs are dropped
   * (their runs stay PENDING in the store for the next start to pick up).
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface QueueStats {
  waiting: number;
  running: number;
  /** The global limit. */
  concurrency: number;
}
