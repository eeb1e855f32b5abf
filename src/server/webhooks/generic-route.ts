import type { Context } from 'hono';
import { matchGenericDelivery, webhookTriggerIndexes } from '../../triggers/index.js';
import { ApiError } from '../errors.js';
import { deliveryIdFrom, parseJson, rawBody } from './delivery-body.js';
import { malformed, secretMissing, signatureInvalid, signatureMissing, stale } from './errors.js';
import {
  AGENTRY_DELIVERY_HEADER,
  AGENTRY_SIGNATURE_HEADER,
  AGENTRY_SIGNATURE_TOLERANCE_MS,
  AGENTRY_TIMESTAMP_HEADER,
  verifyAgentrySignature,
} from './signatures.js';
import { startMatches } from './start-matches.js';
import type { WebhookContext } from './webhook-context.js';

/**
 * `POST /webhooks/{agent}`: Agentry's own signed webhook, for anything that can compute an HMAC
 * (a script, a dbt Cloud job, a monitoring tool). The sender sets `X-Agentry-Timestamp` (Unix
 * seconds) and `X-Agentry-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` under
 * the secret in the agent's `triggers: - webhook: {secret_env}`; a timestamp more than 5 minutes
 * off is refused. `X-Agentry-Delivery` (else the signature) keys the run, so a replay within
 * the retention of seen deliveries starts nothing (200, `created: false`).
 */
export async function genericWebhook(context: Context, webhook: WebhookContext): Promise<Response> {
  const name = context.req.param('agent') ?? '';
  const agent = webhook.project.agents.get(name);
  const indexes = agent === undefined ? [] : webhookTriggerIndexes(agent);
  // The same answer for an unknown agent and one without a webhook trigger: an unsigned caller learns no agent names.
  if (agent === undefined || indexes.length === 0) {
    throw new ApiError(
      404,
      'webhook.not-configured',
      `no agent '${name}' with a webhook trigger: add 'triggers: - webhook: { secret_env: NAME }' to .agentry/agents/${name}.yml`,
    );
  }

  const body = await rawBody(context);
  const signature = context.req.header(AGENTRY_SIGNATURE_HEADER);
  const timestamp = context.req.header(AGENTRY_TIMESTAMP_HEADER);
  if (signature === undefined) throw signatureMissing(AGENTRY_SIGNATURE_HEADER);
  if (timestamp === undefined) throw signatureMissing(AGENTRY_TIMESTAMP_HEADER);
  if (!/^\d{1,12}$/.test(timestamp))
    throw malformed(`${AGENTRY_TIMESTAMP_HEADER} must be Unix time in seconds`);

  const secrets = indexes.flatMap((index) => {
    const envName = agent.spec.triggers[index]!.webhook!.secret_env;
    const secret = webhook.env[envName];
    return secret ? [{ index, secret }] : [];
  });
  if (secrets.length === 0) throw secretMissing(agent.spec.triggers[indexes[0]!]!.webhook!.secret_env);
  const signed = secrets.find(({ secret }) => verifyAgentrySignature(secret, timestamp, body, signature));
  if (!signed) throw signatureInvalid(AGENTRY_SIGNATURE_HEADER);
  if (Math.abs(webhook.now() - Number(timestamp) * 1000) > AGENTRY_SIGNATURE_TOLERANCE_MS) {
    throw stale(AGENTRY_TIMESTAMP_HEADER, AGENTRY_SIGNATURE_TOLERANCE_MS / 1000);
  }

  const deliveryId =
    deliveryIdFrom(context.req.header(AGENTRY_DELIVERY_HEADER), AGENTRY_DELIVERY_HEADER) ??
    `sig-${signature.slice('sha256='.length).trim().toLowerCase().slice(0, 64)}`;
  const payload = parseJson(body, 'webhook');
  const match = matchGenericDelivery(agent, signed.index, { deliveryId, payload });
  return startMatches(context, webhook, [match], {
    kind: 'webhook',
    deliveryId,
    source: `webhook:${agent.name}`,
  });
}
