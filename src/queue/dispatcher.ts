import { AgentNotFoundError } from '../engine/errors.js';
import { type Engine, RunStateError } from '../engine/index.js';
import { DEFAULT_STALE_AFTER_MS, recoverLostRuns } from '../engine/lost-runs.js';
import { isOwnerAlive } from '../engine/owner.js';
import { describeError } from '../errors.js';
import type { SandboxDriver } from '../sandbox/driver.js';
import type { LoadedAgent, Project } from '../spec/index.js';
import { RunNotFoundError } from '../store/errors.js';
import type { RunStore } from '../store/run-store.js';
import { type RunRecord, type RunTrigger, TERMINAL_STATUSES, type TriggerKind } from '../store/types.js';
import { type EnsureBaseCommitOptions, ensureBaseCommit } from './base-commit.js';
import { concurrencyOf } from './concurrency-group.js';
import { QueueClosedError } from './errors.js';
import { RunEventBell, type RunEventSubscription } from './event-bell.js';
import type { Queue, QueueJob } from './queue.js';

/** What any system trigger (REST, webhook, cron, Airflow) asks for. */
export interface DispatchRequest {
  agent: string;
  message: string;
  /** Kind, source, idempotency key, metadata and Slack thread of the trigger. */
  trigger: RunTrigger;
  /** The commit-ish the workspace is made from; `HEAD` when absent. */
  baseRef?: string;
}

/** What a trigger got. */
export interface DispatchResult {
  /** The run as it is now: PENDING (queued), RUNNING, or CANCELLED when skipped. */
  run: RunRecord;
  /** False when the idempotency key named a run that already existed; nothing new was queued. */
  created: boolean;
}

/** What start-up recovery did with runs a dead process left behind. */
export interface RecoveryReport {
  /** RUNNING runs whose process died: now FAILED (`worker-lost`). */
  lost: string[];
  /** PENDING runs a dead server had accepted: queued again here, oldest first. */
  requeued: string[];
  /** PENDING runs that cannot be started again (made by a CLI or a parent run, or no message): FAILED (`worker-lost`). */
  failed: string[];
}

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  engine: Engine;
  store: RunStore;
  project: Project;
  queue: Queue;
  /** `host:pid` of this process: the owner the engine writes on the runs it creates. */
  owner: string;
  /** Lets recovery remove workspaces of lost runs. */
  sandbox?: SandboxDriver;
  /** How long an idempotency key holds; 24 hours when absent. */
  idempotencyWindowMs?: number;
  /** A process silent this long is taken as dead; see `recoverLostRuns`. */
  staleAfterMs?: number;
  /** Where to say what happened to runs the API caller no longer waits for. */
  log?: (line: string) => void;
  /**
   * How a run whose base ref is a commit missing from the repository gets it (a pull request's
   * head, from a webhook): the remote and the fetch deadline. See `ensureBaseCommit`.
   */
  baseCommit?: EnsureBaseCommitOptions;
}

/** Trigger kinds whose PENDING runs are started again after a crash: someone outside is waiting for them. */
const RESUMABLE_KINDS: ReadonlySet<TriggerKind> = new Set([
  'api',
  'sdk',
  'cron',
  'github',
  'linear',
  'airflow',
  'webhook',
]);

/**
 * The one door for system triggers: makes the run (once per idempotency key), applies the
 * agent's concurrency rules and hands it to the queue, whose workers execute it with the engine.
 * The REST API, webhooks and cron all call `trigger`.
 */
export class Dispatcher {
  readonly #engine: Engine;
  readonly #store: RunStore;
  readonly #project: Project;
  readonly #queue: Queue;
  readonly #owner: string;
  readonly #sandbox: SandboxDriver | undefined;
  readonly #idempotencyWindowMs: number | undefined;
  readonly #staleAfterMs: number;
  readonly #log: (line: string) => void;
  readonly #baseCommit: EnsureBaseCommitOptions;
  readonly #bell = new RunEventBell();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#engine = options.engine;
    this.#store = options.store;
    this.#project = options.project;
    this.#queue = options.queue;
    this.#owner = options.owner;
    this.#sandbox = options.sandbox;
    this.#idempotencyWindowMs = options.idempotencyWindowMs;
    this.#staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#log = options.log ?? (() => undefined);
    this.#baseCommit = options.baseCommit ?? {};
    this.#unsubscribe = this.#engine.on((event) => this.#bell.ring(event.runId));
    this.#queue.start((job, signal) => this.#execute(job, signal));
  }

  /** The project whose agents this dispatcher runs. */
  get project(): Project {
    return this.#project;
  }

  /**
   * Make a run and queue it. The same `trigger.idempotencyKey` for the same agent within the
   * window returns the first run (`created: false`) and queues nothing. Throws
   * `AgentNotFoundError` for an unknown agent and the model's error when it cannot be built,
   * before anything is stored.
   */
  async trigger(request: DispatchRequest): Promise<DispatchResult> {
    // Refused before anything is stored, so a retry after the restart makes the only run.
    if (this.#closed) throw new QueueClosedError();
    const agent = this.#agent(request.agent);
    const { run, created } = await this.#engine.createRunOnce(agent.name, {
      trigger: request.trigger,
      baseRef: request.baseRef,
      message: request.message,
      idempotencyWindowMs: this.#idempotencyWindowMs,
    });
    if (!created) return { run, created };
    await this.#dispatch(run, agent, this.#jobFor(run, agent));
    return { run: (await this.#store.getRun(run.id)) ?? run, created };
  }

  /**
   * Queue a follow-up turn of a finished run. Throws `RunStateError` while the run is still going
   * or already has a follow-up waiting.
   */
  async reply(runId: string, message: string): Promise<RunRecord> {
    const run = await this.#requireRun(runId);
    const agent = this.#agent(run.agent);
    // Checked and queued with no await between: two follow-ups cannot both get in.
    if (!TERMINAL_STATUSES.includes(run.status) || this.#queue.has(runId)) {
      throw new RunStateError(
        `run ${runId} is ${this.#queue.has(runId) ? 'about to take a follow-up' : run.status}: send the follow-up once it has finished`,
      );
    }
    // A follow-up keeps its run's group but never skips or cancels anything: it waits its turn.
    const job = { ...this.#jobFor(run, agent), onConflict: 'queue' as const, followUp: message };
    await this.#queue.enqueue(job);
    return run;
  }

  /**
   * Cancel a run: a queued one at once, a running one as soon as its turn notices (here: at
   * once). Throws `RunStateError` when it has already ended.
   */
  async cancel(runId: string): Promise<RunRecord> {
    const run = await this.#requireRun(runId);
    const queued = this.#queue.has(runId);
    if (TERMINAL_STATUSES.includes(run.status) && !queued) {
      throw new RunStateError(`run ${runId} has already ended: ${run.status}`);
    }
    if (!TERMINAL_STATUSES.includes(run.status)) await this.#engine.requestCancel(runId, { by: 'api' });
    this.#queue.cancel(runId, 'request');
    this.#bell.ring(runId);
    return this.#requireRun(runId);
  }

  /** Whether a turn of the run is waiting or running here, so more events are coming. */
  isActive(runId: string): boolean {
    return this.#queue.has(runId);
  }

  /** Resolves at the run's next event recorded here, after `timeoutMs`, or when `signal` aborts. */
  waitForEvent(runId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.#bell.wait(runId, timeoutMs, signal);
  }

  /** Listen to the run's events recorded here (an SSE stream does, for its whole life). */
  subscribeEvents(runId: string): RunEventSubscription {
    return this.#bell.subscribe(runId);
  }

  /**
   * Whether this process records the run's next events — it is queued or running here, or owned
   * by this process (a child run) — so its subscription rings for them and nobody need poll.
   */
  recordsHere(run: Pick<RunRecord, 'id' | 'owner'>): boolean {
    return this.#queue.has(run.id) || run.owner === this.#owner;
  }

  /**
   * Resolve what a dead process left behind; call once at start-up, before taking triggers.
   * RUNNING runs whose process died fail as `worker-lost`. PENDING runs a dead server had
   * accepted (API, SDK, webhook, cron, Airflow triggers) are queued again, oldest first — the
   * caller was told they would run. PENDING runs of a dead CLI or parent run, and any without a
   * stored message, fail as `worker-lost`.
   */
  async recover(): Promise<RecoveryReport> {
    const lost = await recoverLostRuns(this.#store, {
      sandbox: this.#sandbox,
      repoRoot: this.#project.root,
      staleAfterMs: this.#staleAfterMs,
    });
    const report: RecoveryReport = { lost, requeued: [], failed: [] };
    const pending = await this.#store.listRuns({ status: 'PENDING', limit: 100_000 });
    for (const run of pending.reverse()) {
      if (!this.#isOrphaned(run)) continue;
      const agent = this.#project.agents.get(run.agent);
      if (!agent || run.message === null || !RESUMABLE_KINDS.has(run.trigger.kind)) {
        const why = !agent
          ? `agent ${run.agent} no longer loads`
          : run.message === null
            ? 'it has no stored message'
            : `a ${run.trigger.kind} run is only started by the process that made it`;
        if (
          await this.#failPending(
            run,
            `the process that accepted it (${run.owner ?? 'unknown'}) stopped before it started, and ${why}`,
          )
        ) {
          report.failed.push(run.id);
        }
        continue;
      }
      const claimed = await this.#store.updateRun(run.id, ['PENDING'], { owner: this.#owner });
      if (!claimed) continue;
      // Its conflict rule was applied when it was accepted: now it only waits its turn.
      await this.#queue.enqueue({ ...this.#jobFor(run, agent), onConflict: 'queue' });
      report.requeued.push(run.id);
    }
    return report;
  }

  /**
   * Stop taking runs; running turns get `graceMs` to finish, then are cancelled. Queued runs stay
   * PENDING in the store, and the next start queues them again.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closed = true;
    await this.#queue.close(options);
    this.#unsubscribe();
  }

  #agent(name: string): LoadedAgent {
    const agent = this.#project.agents.get(name);
    if (!agent) throw new AgentNotFoundError(name, [...this.#project.agents.keys()].sort());
    return agent;
  }

  async #requireRun(runId: string): Promise<RunRecord> {
    const run = await this.#store.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    return run;
  }

  #jobFor(run: RunRecord, agent: LoadedAgent): QueueJob {
    return {
      runId: run.id,
      agent: run.agent,
      ...concurrencyOf(agent.spec.concurrency, { agent: run.agent, trigger: run.trigger }),
    };
  }

  async #dispatch(run: RunRecord, agent: LoadedAgent, job: QueueJob): Promise<void> {
    const result = await this.#queue.enqueue(job);
    if (result.status === 'skipped') {
      await this.#engine.requestCancel(run.id, {
        by: 'concurrency',
        reason: `skipped: concurrency group '${job.group}' of ${agent.name} is busy with run ${result.busyWith}`,
      });
      return;
    }
    for (const runId of result.superseded) {
      // A waiting one is cancelled here; a running one was aborted by the queue and records it itself.
      await this.#engine.requestCancel(runId, {
        by: 'concurrency',
        reason: `superseded by run ${run.id} (concurrency group '${job.group}')`,
      });
    }
  }

  /** Whether no live process will start this PENDING run. */
  #isOrphaned(run: RunRecord): boolean {
    // This process has only just started: nothing it queued before is queued now.
    if (run.owner === this.#owner) return !this.#queue.has(run.id);
    if (run.owner !== null) return !isOwnerAlive(run.owner, null, this.#staleAfterMs);
    return Date.now() - Date.parse(run.createdAt) >= this.#staleAfterMs;
  }

  async #failPending(run: RunRecord, error: string): Promise<boolean> {
    const failed = await this.#store.updateRun(run.id, ['PENDING'], {
      status: 'FAILED',
      failureReason: 'worker-lost',
      error,
      endedAt: new Date().toISOString(),
      owner: null,
    });
    if (!failed) return false;
    await this.#store.appendEvent(run.id, 'run.failed', {
      turn: run.turns,
      reason: 'worker-lost',
      error,
      usage: run.usage,
    });
    this.#bell.ring(run.id);
    return true;
  }

  /** The queue's handler: one turn with the engine. A failed run is a result, not an error. */
  async #execute(job: QueueJob, signal: AbortSignal): Promise<void> {
    try {
      if (job.followUp !== undefined) await this.#engine.reply(job.runId, job.followUp, { signal });
      else {
        await this.#ensureBaseCommit(job.runId);
        await this.#engine.executeRun(job.runId, { signal });
      }
    } catch (error) {
      await this.#failUnstarted(job, error);
    } finally {
      // Streams end once the run is terminal and its job has left the queue, which happens just
      // after this handler returns: wake them then rather than at their next poll.
      setImmediate(() => this.#bell.ring(job.runId));
    }
  }

  /** A first turn from a commit the repository lacks (a pull request's head) fetches it first, or fails saying so. */
  async #ensureBaseCommit(runId: string): Promise<void> {
    const run = await this.#store.getRun(runId);
    if (run?.status !== 'PENDING') return;
    const { fetched } = await ensureBaseCommit(this.#project.root, run, this.#baseCommit);
    if (fetched) this.#log(`run ${runId}: fetched its base commit ${run.baseRef}`);
  }

  /**
   * A turn that threw before it started (a model that can no longer be built, a run cancelled
   * while it waited) must not leave its run PENDING.
   */
  async #failUnstarted(job: QueueJob, error: unknown): Promise<void> {
    const message = describeError(error);
    try {
      const run = await this.#store.getRun(job.runId);
      if (run?.status !== 'PENDING') {
        if (!(error instanceof RunStateError)) this.#log(`run ${job.runId}: ${message}`);
        return;
      }
      const failed = await this.#store.updateRun(job.runId, ['PENDING'], {
        status: 'FAILED',
        failureReason: 'error',
        error: message,
        endedAt: new Date().toISOString(),
        owner: null,
      });
      if (!failed) return;
      await this.#store.appendEvent(job.runId, 'run.failed', {
        turn: 0,
        reason: 'error',
        error: message,
        usage: run.usage,
      });
      this.#bell.ring(job.runId);
      this.#log(`run ${job.runId} could not start: ${message}`);
    } catch (storeError) {
      this.#log(
        `run ${job.runId} could not start (${message}) and could not be marked FAILED: ${describeError(storeError)}`,
      );
    }
  }
}
