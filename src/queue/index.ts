/**
 * The `queue` module: dispatch. A `Queue` port with the in-process worker pool, and the
 * `Dispatcher` every system trigger (REST, webhooks, cron, Airflow) goes through: idempotency
 * keys, concurrency limits and groups, and start-up recovery of runs a crash left behind.
 */
export { BaseCommitError, type EnsureBaseCommitOptions, ensureBaseCommit } from './base-commit.js';
export { concurrencyOf, type GroupContext, renderConcurrencyGroup } from './concurrency-group.js';
export {
  Dispatcher,
  type DispatcherOptions,
  type DispatchRequest,
  type DispatchResult,
  type RecoveryReport,
} from './dispatcher.js';
export { QueueClosedError } from './errors.js';
export { RunEventBell, type RunEventSubscription } from './event-bell.js';
export { InProcessQueue, type InProcessQueueOptions, SHUTDOWN_REASON } from './in-process.js';
export type {
  CancelOutcome,
  EnqueueResult,
  JobHandler,
  OnConflict,
  Queue,
  QueueJob,
  QueueStats,
} from './queue.js';
