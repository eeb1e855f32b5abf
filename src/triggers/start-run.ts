import type { RunRecord, RunTrigger } from '../store/types.js';

/** What a system trigger (webhook, cron) asks of the dispatcher for one run. */
export interface StartRunRequest {
  agent: string;
  /** The first turn's message. */
  message: string;
  /** Kind, source, idempotency key and metadata; the key makes a repeated delivery or tick a no-op. */
  trigger: RunTrigger;
  /** The commit, branch or tag the workspace is made from; HEAD when absent. */
  baseRef?: string;
}

/** The run a trigger got: a new one (`created`), or the one that already held its idempotency key. */
export interface StartedRun {
  run: RunRecord;
  created: boolean;
}

/**
 * Starts a run the way `POST /api/v1/runs` does: create it (once per idempotency key within the
 * server's window), then queue it under the agent's concurrency rules. `agentry serve` passes
 * its dispatcher's `trigger`; webhooks and cron only decide which agent gets which message.
 * Throws the engine's errors (unknown agent, a model without its key, a server shutting down).
 */
export type StartRun = (request: StartRunRequest) => Promise<StartedRun>;
