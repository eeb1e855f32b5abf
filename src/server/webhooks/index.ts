/**
 * Webhooks of `agentry serve`: GitHub, Linear and Agentry's own signed webhook, mounted at
 * `/webhooks` through `webhookRoutes`. Which agents a delivery starts is the `triggers` module's.
 */
export { DeliveryLedger, type DeliveryLedgerStore } from './delivery-ledger.js';
export { LINEAR_TIMESTAMP_TOLERANCE_MS } from './linear-route.js';
export { type WebhookRoutesOptions, webhookOpenApiPaths, webhookRoutes } from './routes.js';
export {
  AGENTRY_DELIVERY_HEADER,
  AGENTRY_SIGNATURE_HEADER,
  AGENTRY_SIGNATURE_TOLERANCE_MS,
  AGENTRY_TIMESTAMP_HEADER,
  agentrySignature,
  hexDigestsEqual,
  hmacSha256Hex,
  signAgentryWebhook,
  verifyAgentrySignature,
  verifyGithubSignature,
  verifyLinearSignature,
} from './signatures.js';
export { type WebhookResponse, webhookResponseSchema } from './start-matches.js';
