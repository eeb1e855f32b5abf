/**
 * The `triggers` module: which agents a system event starts and what they are told — GitHub and
 * Linear deliveries, generic webhooks, cron ticks — and the cron scheduler `agentry serve` runs.
 * Starting the run itself is the server's (`StartRun`).
 */
export { branchMatches, globToRegExp } from './branch-glob.js';
export { type Clock, type ClockTimer, FakeClock, systemClock } from './clock.js';
export {
  type CronFire,
  type CronHistory,
  CronScheduler,
  type CronSchedulerOptions,
  type CronTrigger,
  cronIdempotencyKey,
  cronMessage,
  cronTriggersOf,
  type FiredTick,
  nextFireTimes,
  parseCronTrigger,
  runStoreCronHistory,
} from './cron.js';
export { type CronServiceOptions, startCronService } from './cron-service.js';
export { CronTriggerError } from './errors.js';
export {
  defaultWebhookMessage,
  type GenericDelivery,
  matchGenericDelivery,
  webhookTriggerIndexes,
} from './generic-webhook.js';
export {
  defaultGithubMessage,
  type GithubDelivery,
  githubBranch,
  githubEventMatches,
  matchGithubDelivery,
  type PullRequestCommit,
  pullRequestCommit,
} from './github.js';
export { defaultLinearMessage, issueIdentifier, type LinearDelivery, matchLinearDelivery } from './linear.js';
export type { StartedRun, StartRun, StartRunRequest } from './start-run.js';
export { formatValue, lookupPath, MAX_RENDERED_MESSAGE_CHARS, renderTemplate, truncate } from './template.js';
export type { TriggerMatch, TriggerMetadata } from './trigger-match.js';
