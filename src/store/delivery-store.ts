/** One run a webhook delivery started: which agent, through which trigger entry. */
export interface DeliveryRun {
  agent: string;
  /** The matching entry of the agent's `triggers:` list. */
  triggerIndex: number;
  runId: string;
}

/** A webhook delivery the server has seen, and the runs it started. */
export interface DeliveryRecord {
  /** Where it came from: `github`, `linear`, or `webhook:<agent>` for the generic route. */
  source: string;
  /** The sender's delivery id (`X-GitHub-Delivery`, `Linear-Delivery`, `X-Agentry-Delivery`, or a signature). */
  deliveryId: string;
  /** When it was first recorded (ISO-8601). */
  receivedAt: string;
  /** One entry per agent, in the order they were recorded. */
  runs: DeliveryRun[];
}

/** How long seen deliveries are kept by default: 30 days, well past GitHub's 3-day redelivery limit. */
export const DEFAULT_DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Webhook deliveries seen, kept beyond the 24-hour idempotency window of runs, so a redelivery
 * a day (or a week) later starts nothing new. The SQLite adapter keeps them in the same file as
 * the runs.
 */
export interface DeliveryStore {
  /** The delivery as recorded, or undefined when this source never sent this id (or it was pruned). */
  findDelivery(source: string, deliveryId: string): Promise<DeliveryRecord | undefined>;
  /**
   * Record the runs a delivery started, atomically: an agent already recorded for it keeps its
   * first run (two deliveries racing record one run per agent). Returns the record as it now is.
   */
  recordDelivery(source: string, deliveryId: string, runs: readonly DeliveryRun[]): Promise<DeliveryRecord>;
  /** Forget deliveries first recorded before `before` (ISO-8601). Returns how many went. */
  pruneDeliveries(before: string): Promise<number>;
}
