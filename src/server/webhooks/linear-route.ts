import type { Context } from 'hono';
import { z } from 'zod';
import { matchLinearDelivery } from '../../triggers/index.js';
import { deliveryIdFrom, parseJson, parsePayload, rawBody } from './delivery-body.js';
import { notConfigured, secretMissing, signatureInvalid, signatureMissing, stale } from './errors.js';
import { verifyLinearSignature } from './signatures.js';
import { startMatches } from './start-matches.js';
import type { WebhookContext } from './webhook-context.js';

/** How far `webhookTimestamp` may be from the server's clock, as Linear's own SDK checks. */
export const LINEAR_TIMESTAMP_TOLERANCE_MS = 60_000;

/** Every Linear delivery's envelope; the entity in `data` passes through. */
const linearPayloadSchema = z.looseObject({
  action: z.string(),
  type: z.string(),
  data: z.looseObject({}),
  url: z.string().optional(),
  webhookTimestamp: z.number().describe('Unix epoch milliseconds'),
});

/**
 * `POST /webhooks/linear`. Verifies `Linear-Signature` (hex HMAC-SHA256 of the raw body) with
 * the secret in `integrations.linear.webhook_secret_env`, refuses a `webhookTimestamp` more than
 * 60 s from the server's clock, then starts one run per agent whose `triggers: - linear:` the
 * issue now passes. `Linear-Delivery` (or, without it, the signature) keys the runs.
 */
export async function linearWebhook(context: Context, webhook: WebhookContext): Promise<Response> {
  const envName = webhook.project.config.integrations.linear?.webhook_secret_env;
  if (envName === undefined) {
    throw notConfigured('Linear', 'set integrations.linear.webhook_secret_env in .agentry/config.yml');
  }
  const secret = webhook.env[envName];
  if (!secret) throw secretMissing(envName);

  const body = await rawBody(context);
  const signature = context.req.header('Linear-Signature');
  if (signature === undefined) throw signatureMissing('Linear-Signature');
  if (!verifyLinearSignature(secret, body, signature)) throw signatureInvalid('Linear-Signature');

  const payload = parsePayload(linearPayloadSchema, parseJson(body, 'Linear'), 'Linear');
  if (Math.abs(webhook.now() - payload.webhookTimestamp) > LINEAR_TIMESTAMP_TOLERANCE_MS) {
    throw stale('webhookTimestamp', LINEAR_TIMESTAMP_TOLERANCE_MS / 1000);
  }
  // The same body always has the same signature, so without a delivery header an exact replay still collides.
  const deliveryId =
    deliveryIdFrom(context.req.header('Linear-Delivery'), 'Linear-Delivery') ??
    `sig-${signature.trim().toLowerCase().slice(0, 64)}`;
  const matches = matchLinearDelivery(webhook.project.agents.values(), { deliveryId, payload });
  return startMatches(context, webhook, matches, { kind: 'linear', deliveryId, source: 'linear' });
}
