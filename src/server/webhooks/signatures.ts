import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `message` under `secret`, as lower-case hex. */
export function hmacSha256Hex(secret: string, message: Uint8Array | string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

/** Compare two hex digests in constant time (for equal lengths); case-insensitive. */
export function hexDigestsEqual(expected: string, received: string): boolean {
  if (!/^[0-9a-f]+$/i.test(received)) return false;
  const left = Buffer.from(expected.toLowerCase(), 'utf8');
  const right = Buffer.from(received.toLowerCase(), 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * GitHub's `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body under the webhook
 * secret. True only for a header of that form whose digest matches.
 */
export function verifyGithubSignature(
  secret: string,
  rawBody: Uint8Array,
  header: string | undefined,
): boolean {
  if (header === undefined || !header.startsWith('sha256=')) return false;
  return hexDigestsEqual(hmacSha256Hex(secret, rawBody), header.slice('sha256='.length).trim());
}

/** Linear's `Linear-Signature: <hex>` (no prefix): HMAC-SHA256 of the raw body under the signing secret. */
export function verifyLinearSignature(
  secret: string,
  rawBody: Uint8Array,
  header: string | undefined,
): boolean {
  if (header === undefined) return false;
  return hexDigestsEqual(hmacSha256Hex(secret, rawBody), header.trim());
}

/** The headers of Agentry's generic webhook scheme (`POST /webhooks/{agent}`). */
export const AGENTRY_SIGNATURE_HEADER = 'X-Agentry-Signature';
export const AGENTRY_TIMESTAMP_HEADER = 'X-Agentry-Timestamp';
export const AGENTRY_DELIVERY_HEADER = 'X-Agentry-Delivery';

/** How far a generic webhook's timestamp may be from the server's clock. */
export const AGENTRY_SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * The generic scheme's digest: HMAC-SHA256, under the trigger's secret, of
 * `<X-Agentry-Timestamp>.<raw body>` — the timestamp (Unix seconds) is signed with the body, so
 * an old delivery cannot be sent again with a fresh one.
 */
export function agentrySignature(secret: string, timestamp: string, rawBody: Uint8Array | string): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]));
}

/**
 * The headers a sender adds to call `POST /webhooks/{agent}`: the signature, the timestamp and,
 * when given, a delivery id (the same id twice starts one run).
 */
export function signAgentryWebhook(
  secret: string,
  rawBody: Uint8Array | string,
  options: { timestampSeconds?: number; deliveryId?: string } = {},
): Record<string, string> {
  const timestamp = String(options.timestampSeconds ?? Math.floor(Date.now() / 1000));
  return {
    [AGENTRY_TIMESTAMP_HEADER]: timestamp,
    [AGENTRY_SIGNATURE_HEADER]: `sha256=${agentrySignature(secret, timestamp, rawBody)}`,
    ...(options.deliveryId === undefined ? {} : { [AGENTRY_DELIVERY_HEADER]: options.deliveryId }),
  };
}

/** Whether `X-Agentry-Signature` is `sha256=<hex>` of `<timestamp>.<body>` under `secret`. */
export function verifyAgentrySignature(
  secret: string,
  timestamp: string,
  rawBody: Uint8Array,
  header: string | undefined,
): boolean {
  if (header === undefined || !header.startsWith('sha256=')) return false;
  return hexDigestsEqual(agentrySignature(secret, timestamp, rawBody), header.slice('sha256='.length).trim());
}
