import { Hono } from 'hono';
import { z } from 'zod';
import type { Project } from '../../spec/index.js';
import type { StartRun } from '../../triggers/index.js';
import type { RouteGroup } from '../app.js';
import type { AppEnv } from '../auth.js';
import { DeliveryLedger, type DeliveryLedgerStore } from './delivery-ledger.js';
import { genericWebhook } from './generic-route.js';
import { githubWebhook } from './github-route.js';
import { linearWebhook } from './linear-route.js';
import { webhookResponseSchema } from './start-matches.js';
import type { WebhookContext } from './webhook-context.js';

/** Options of {@link webhookRoutes}. */
export interface WebhookRoutesOptions {
  project: Project;
  /** The dispatcher's `trigger`: creates each run once per delivery id and queues it. */
  startRun: StartRun;
  /**
   * Where seen deliveries are kept (the server's store), so a redelivery after the 24-hour
   * idempotency window still starts nothing.
   */
  deliveries: DeliveryLedgerStore;
  /** How long a seen delivery is remembered. Default 30 days (GitHub redelivers up to 3 days back). */
  deliveryRetentionMs?: number;
  /** Where webhook secrets are read; `process.env` when absent. */
  env?: NodeJS.ProcessEnv;
  /** The clock stale timestamps are judged by; `Date.now` when absent. */
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * The webhook routes, mounted at `/webhooks` beside the API: `POST /webhooks/github`,
 * `POST /webhooks/linear` and `POST /webhooks/{agent}`. They take no API key — each delivery
 * proves itself with its signature — and answer 202 `{ delivery, matched: [...] }` (empty when no
 * agent listens), 200 with the earlier runs (`created: false`) for a delivery already received,
 * 401 for a missing, forged or stale signature, 400/422 for a malformed body, 404 when the
 * source is not configured.
 */
export function webhookRoutes(options: WebhookRoutesOptions): RouteGroup {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const webhook: WebhookContext = {
    project: options.project,
    startRun: options.startRun,
    deliveries: new DeliveryLedger(options.deliveries, {
      retentionMs: options.deliveryRetentionMs,
      now,
      log,
    }),
    env: options.env ?? process.env,
    now,
    log,
  };
  const routes = new Hono<AppEnv>();
  routes.post('/github', (context) => githubWebhook(context, webhook));
  routes.post('/linear', (context) => linearWebhook(context, webhook));
  routes.post('/:agent', (context) => genericWebhook(context, webhook));
  return { basePath: '/webhooks', routes, openapiPaths: webhookOpenApiPaths() };
}

/** The webhook paths for the OpenAPI document. */
export function webhookOpenApiPaths(): Record<string, unknown> {
  const { $schema: _schema, ...response } = z.toJSONSchema(webhookResponseSchema, {
    target: 'draft-2020-12',
    io: 'output',
  }) as Record<string, unknown>;
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const responses = {
    '200': {
      description:
        'A redelivery: every matching agent already has its run for this delivery id (created: false); nothing new started.',
      content: { 'application/json': { schema: response } },
    },
    '202': {
      description: 'Accepted: the runs started (matched is empty when no agent listens).',
      content: { 'application/json': { schema: response } },
    },
    '400': error('The body is not JSON, or a required header is malformed.'),
    '401': error('The signature is missing or does not match, or the timestamp is stale.'),
    '404': error('This webhook source is not configured.'),
    '422': error("The payload lacks a field this source's deliveries always carry."),
    '503': error(
      "The webhook secret is not set in the server's environment, or the server is shutting down.",
    ),
  };
  const operation = (summary: string, description: string, parameters: unknown[] = []) => ({
    post: {
      tags: ['webhooks'],
      summary,
      description,
      security: [],
      parameters,
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses,
    },
  });
  return {
    '/webhooks/github': operation(
      'GitHub webhook',
      'Signed with X-Hub-Signature-256; X-GitHub-Delivery is the idempotency key; matches triggers: - github: {events, branches}.',
    ),
    '/webhooks/linear': operation(
      'Linear webhook',
      'Signed with Linear-Signature; webhookTimestamp must be within 60 s; matches triggers: - linear: {labels, teams}.',
    ),
    '/webhooks/{agent}': operation(
      'Generic signed webhook',
      'X-Agentry-Timestamp (Unix seconds) and X-Agentry-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>") within 5 minutes; X-Agentry-Delivery (optional) is the idempotency key.',
      [{ name: 'agent', in: 'path', required: true, schema: { type: 'string' } }],
    ),
  };
}
