import type { Context } from 'hono';
import { z } from 'zod';
import { describeError, isAgentryError } from '../../errors.js';
import type { TriggerKind } from '../../store/types.js';
import type { StartRun, TriggerMatch } from '../../triggers/index.js';

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

/** The answer to an accepted delivery (202), or to a replayed one (409, with `error`). */
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
}

/**
 * Start one run per match and answer the sender: 202 with the runs; 409 `webhook.replayed` when
 * every match had already been started by this delivery id (nothing new was started); 503 or 500
 * when no run could be started (the sender retries). An agent whose run fails to start does not
 * stop the others.
 */
export async function startMatches(
  context: Context,
  startRun: StartRun,
  matches: readonly TriggerMatch[],
  facts: DeliveryFacts,
  log: (line: string) => void,
): Promise<Response> {
  const body: WebhookResponse = { delivery: facts.deliveryId, matched: [] };
  const failed: z.infer<typeof webhookFailureSchema>[] = [];
  let retryable = false;
  const results = await Promise.allSettled(
    matches.map((match) =>
      startRun({
        agent: match.agent,
        message: match.message,
        trigger: {
          kind: facts.kind,
          source: match.source,
          idempotencyKey: `${facts.kind}:${facts.deliveryId}`,
          metadata: { ...match.metadata, trigger_index: match.triggerIndex },
        },
      }),
    ),
  );
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

  if (body.matched.length === 0 && failed.length > 0) {
    body.error = {
      code: 'webhook.trigger-failed',
      message: `no run could be started (${failed.map((failure) => failure.agent).join(', ')}): see failed, and the server log`,
    };
    return context.json(body, retryable ? 503 : 500);
  }
  if (body.matched.length > 0 && failed.length === 0 && body.matched.every((match) => !match.created)) {
    body.error = {
      code: 'webhook.replayed',
      message: `delivery ${facts.deliveryId} was already received and started its runs: nothing new was started`,
    };
    return context.json(body, 409);
  }
  return context.json(body, 202);
}
