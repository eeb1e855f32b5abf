import type { Context } from 'hono';
import { z } from 'zod';
import { describeError, isAgentryError } from '../../errors.js';
import type { DeliveryRun } from '../../store/delivery-store.js';
import type { RunRecord, TriggerKind } from '../../store/types.js';
import type { TriggerMatch } from '../../triggers/index.js';
import type { WebhookContext } from './webhook-context.js';

/** One agent a delivery matched, and the run it got. */
export const webhookMatchSchema = z.object({
  agent: z.string(),
  trigger_index: z.number().int().describe("The matching entry of the agent's triggers: list."),
  run_id: z.string(),
  status: z
    .string()
    .describe("The run's status: PENDING when queued, CANCELLED when its concurrency group skipped it."),
  created: z.boolean().describe('False when this delivery had already started the run (a redelivery).'),
});

/** An agent a delivery matched whose run could not be started. */
export const webhookFailureSchema = z.object({
  agent: z.string(),
  code: z.string(),
  message: z.string(),
});

/** The answer to a delivery: accepted (202), or a redelivery that started nothing new (200). */
export const webhookResponseSchema = z
  .object({
    delivery: z.string().describe('The delivery id: the idempotency key of its runs.'),
    matched: z.array(webhookMatchSchema).describe('Empty when no agent listens for this event.'),
    failed: z.array(webhookFailureSchema).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .describe('The runs a webhook delivery started.');

export type WebhookResponse = z.infer<typeof webhookResponseSchema>;

/** What the runs of one delivery share. */
export interface DeliveryFacts {
  kind: Extract<TriggerKind, 'github' | 'linear' | 'webhook'>;
  /** The delivery id; each run's idempotency key is `<kind>:<delivery id>`. */
  deliveryId: string;
  /** Where the delivery is recorded as seen: `github`, `linear`, `webhook:<agent>`. */
  source: string;
}

/** The run a match got: new, or the one this delivery started before. */
type Outcome = { run: RunRecord | StoredRun; created: boolean };

/** A run a recorded delivery points at that the store no longer has. */
interface StoredRun {
  id: string;
  status: string;
}

/**
 * Start one run per match and answer the sender: 202 with the runs; 200 when every match had
 * already been started by this delivery id (a redelivery: `created: false`, the first runs'
 * ids, nothing new started — GitHub shows anything but 2xx as a failed delivery, and operators
 * would redeliver again); 503 or 500 when no run could be started (the sender retries). An
 * agent whose run fails to start does not stop the others. The delivery is recorded in the
 * ledger with its runs, so a redelivery after the 24-hour idempotency window still starts nothing.
 */
export async function startMatches(
  context: Context,
  webhook: Pick<WebhookContext, 'startRun' | 'deliveries' | 'log'>,
  matches: readonly TriggerMatch[],
  facts: DeliveryFacts,
): Promise<Response> {
  const { startRun, deliveries, log } = webhook;
  const body: WebhookResponse = { delivery: facts.deliveryId, matched: [] };
  const failed: z.infer<typeof webhookFailureSchema>[] = [];
  let retryable = false;
  const seen = matches.length > 0 ? await deliveries.find(facts.source, facts.deliveryId) : undefined;
  const earlier = new Map(seen?.runs.map((run) => [run.agent, run.runId]));
  const results = await Promise.allSettled(
    matches.map(async (match): Promise<Outcome> => {
      const runId = earlier.get(match.agent);
      if (runId !== undefined) {
        return { run: (await deliveries.run(runId)) ?? { id: runId, status: 'UNKNOWN' }, created: false };
      }
      return startRun({
        agent: match.agent,
        message: match.message,
        ...(match.baseRef === undefined ? {} : { baseRef: match.baseRef }),
        trigger: {
          kind: facts.kind,
          source: match.source,
          idempotencyKey: `${facts.kind}:${facts.deliveryId}`,
          metadata: { ...match.metadata, trigger_index: match.triggerIndex },
        },
      });
    }),
  );
  const toRecord: DeliveryRun[] = [];
  results.forEach((result, index) => {
    const match = matches[index]!;
    if (result.status === 'fulfilled') {
      const { run, created } = result.value;
      body.matched.push({
        agent: match.agent,
        trigger_index: match.triggerIndex,
        run_id: run.id,
        status: run.status,
        created,
      });
      if (!earlier.has(match.agent))
        toRecord.push({ agent: match.agent, triggerIndex: match.triggerIndex, runId: run.id });
      return;
    }
    const error = result.reason;
    retryable ||= isAgentryError(error) && error.retryable;
    const code = isAgentryError(error) ? error.code : 'internal';
    failed.push({ agent: match.agent, code, message: describeError(error) });
    log(
      `${facts.kind} delivery ${facts.deliveryId}: could not start ${match.agent}: ${describeError(error)}`,
    );
  });
  if (failed.length > 0) body.failed = failed;
  if (toRecord.length > 0) {
    try {
      await deliveries.record(facts.source, facts.deliveryId, toRecord);
    } catch (error) {
      // The runs exist; within 24 hours their idempotency key still catches a redelivery.
      log(`${facts.kind} delivery ${facts.deliveryId}: could not record it as seen: ${describeError(error)}`);
    }
  }

  if (body.matched.length === 0 && failed.length > 0) {
    body.error = {
      code: 'webhook.trigger-failed',
      message: `no run could be started (${failed.map((failure) => failure.agent).join(', ')}): see failed, and the server log`,
    };
    return context.json(body, retryable ? 503 : 500);
  }
  const redelivery =
    body.matched.length > 0 && failed.length === 0 && body.matched.every((match) => !match.created);
  return context.json(body, redelivery ? 200 : 202);
}
