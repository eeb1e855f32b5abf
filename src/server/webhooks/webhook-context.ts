import type { Project } from '../../spec/index.js';
import type { StartRun } from '../../triggers/index.js';
import type { DeliveryLedger } from './delivery-ledger.js';

/** What the webhook routes work with, resolved once from `WebhookRoutesOptions`. */
export interface WebhookContext {
  project: Project;
  startRun: StartRun;
  /** Deliveries seen, kept past the idempotency window: a redelivery starts nothing. */
  deliveries: DeliveryLedger;
  /** Where webhook secrets are read from (the server's environment). */
  env: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch; tests pin it. */
  now: () => number;
  log: (line: string) => void;
}
