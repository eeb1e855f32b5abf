import type { Context } from 'hono';
import { z } from 'zod';
import { matchGithubDelivery } from '../../triggers/index.js';
import { deliveryIdFrom, parseJson, parsePayload, rawBody } from './delivery-body.js';
import { malformed, notConfigured, secretMissing, signatureInvalid, signatureMissing } from './errors.js';
import { verifyGithubSignature } from './signatures.js';
import { startMatches } from './start-matches.js';
import type { WebhookContext } from './webhook-context.js';

/** The fields a GitHub delivery's matching and default message rely on; the rest passes through. */
const githubPayloadSchema = z.looseObject({
  action: z.string().optional(),
  repository: z.looseObject({ full_name: z.string() }).optional(),
  pull_request: z
    .looseObject({
      number: z.number(),
      base: z.looseObject({ ref: z.string() }),
    })
    .optional(),
  ref: z.string().optional(),
});

/**
 * `POST /webhooks/github`. Verifies `X-Hub-Signature-256` over the raw body with the secret in
 * `integrations.github.webhook_secret_env`, then starts one run per agent whose
 * `triggers: - github:` matches `X-GitHub-Event` (and `action`) and its branch filter, keyed by
 * `X-GitHub-Delivery`, so a redelivery — even days later — starts nothing new (200, `created: false`).
 * A pull request's runs start from its head commit (its merge commit once merged).
 */
export async function githubWebhook(context: Context, webhook: WebhookContext): Promise<Response> {
  const envName = webhook.project.config.integrations.github?.webhook_secret_env;
  if (envName === undefined) {
    throw notConfigured('GitHub', 'set integrations.github.webhook_secret_env in .agentry/config.yml');
  }
  const secret = webhook.env[envName];
  if (!secret) throw secretMissing(envName);

  const body = await rawBody(context);
  const signature = context.req.header('X-Hub-Signature-256');
  if (signature === undefined) throw signatureMissing('X-Hub-Signature-256');
  if (!verifyGithubSignature(secret, body, signature)) throw signatureInvalid('X-Hub-Signature-256');

  const event = context.req.header('X-GitHub-Event');
  if (!event || !/^[a-z_]{1,100}$/.test(event))
    throw malformed('X-GitHub-Event is missing or not an event name');
  const deliveryId = deliveryIdFrom(context.req.header('X-GitHub-Delivery'), 'X-GitHub-Delivery');
  if (deliveryId === undefined)
    throw malformed('X-GitHub-Delivery is missing: GitHub sends one with every delivery');

  const payload = parsePayload(githubPayloadSchema, githubJson(context, body), 'GitHub');
  const matches = matchGithubDelivery(webhook.project.agents.values(), { event, deliveryId, payload });
  return startMatches(context, webhook, matches, { kind: 'github', deliveryId, source: 'github' });
}

/** GitHub sends JSON, or with content type `application/x-www-form-urlencoded` the JSON in a `payload` field. */
function githubJson(context: Context, body: Uint8Array): unknown {
  const contentType = context.req.header('Content-Type') ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded')) return parseJson(body, 'GitHub');
  const payload = new URLSearchParams(Buffer.from(body).toString('utf8')).get('payload');
  if (payload === null)
    throw malformed('a form-encoded GitHub delivery must carry its JSON in the payload field');
  return parseJson(Buffer.from(payload, 'utf8'), 'GitHub');
}
