import { describeError } from '../../errors.js';
import {
  DEFAULT_DELIVERY_RETENTION_MS,
  type DeliveryRecord,
  type DeliveryRun,
  type DeliveryStore,
} from '../../store/delivery-store.js';
import type { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/types.js';

/** What the ledger reads and writes: seen deliveries, and the runs they point at. */
export type DeliveryLedgerStore = DeliveryStore & Pick<RunStore, 'getRun'>;

/** How often old deliveries are pruned, at most: pruning rides on recording, no timer. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * The webhook deliveries this server has seen, kept `retentionMs` (30 days by default) — past
 * the runs' 24-hour idempotency window, so an operator's redelivery days later is answered with
 * the runs it started the first time and starts nothing.
 */
export class DeliveryLedger {
  readonly #store: DeliveryLedgerStore;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    store: DeliveryLedgerStore,
    options: { retentionMs?: number; now?: () => number; log?: (line: string) => void } = {},
  ) {
    this.#store = store;
    this.#retentionMs = options.retentionMs ?? DEFAULT_DELIVERY_RETENTION_MS;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => undefined);
  }

  /** The delivery as first recorded, or undefined when it is new (or older than the retention). */
  find(source: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    return this.#store.findDelivery(source, deliveryId);
  }

  /** The run a recorded delivery points at, as it is now; undefined if it is gone. */
  run(runId: string): Promise<RunRecord | undefined> {
    return this.#store.getRun(runId);
  }

  /** Record the runs a delivery got (first run per agent wins), then prune old deliveries now and then. */
  async record(source: string, deliveryId: string, runs: readonly DeliveryRun[]): Promise<void> {
    await this.#store.recordDelivery(source, deliveryId, runs);
    const now = this.#now();
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    try {
      await this.#store.pruneDeliveries(new Date(now - this.#retentionMs).toISOString());
    } catch (error) {
      // Pruning is housekeeping: a failure only keeps rows a little longer.
      this.#log(`webhook deliveries: could not prune old ones: ${describeError(error)}`);
    }
  }
}
