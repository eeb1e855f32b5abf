import { ApiError } from '../errors.js';

/*
 * Why a delivery was refused. Every refusal starts nothing and says, in one line, what to fix.
 * Stable codes: webhook.not-configured (404), webhook.secret-missing (503),
 * webhook.signature-missing / webhook.signature-invalid / webhook.stale (401),
 * webhook.malformed (400), webhook.invalid (422). A redelivery is not refused: it is answered 200.
 */

/** The source has no secret configured, so nothing it sends can be verified. */
export function notConfigured(what: string, fix: string): ApiError {
  return new ApiError(404, 'webhook.not-configured', `${what} webhooks are not enabled: ${fix}`);
}

/** The configured secret's environment variable is empty on the server. */
export function secretMissing(envName: string): ApiError {
  return new ApiError(
    503,
    'webhook.secret-missing',
    `the webhook secret variable ${envName} is not set in the server's environment: set it and restart agentry serve`,
  );
}

export function signatureMissing(header: string): ApiError {
  return new ApiError(
    401,
    'webhook.signature-missing',
    `no ${header} header: sign the delivery with the webhook secret`,
  );
}

export function signatureInvalid(header: string): ApiError {
  return new ApiError(
    401,
    'webhook.signature-invalid',
    `${header} does not match the body: check that sender and server use the same secret, and that nothing rewrites the body`,
  );
}

export function stale(what: string, toleranceSeconds: number): ApiError {
  return new ApiError(
    401,
    'webhook.stale',
    `${what} is more than ${toleranceSeconds} s away from the server's clock: a replayed delivery, or a clock to fix (NTP)`,
  );
}

export function malformed(problem: string): ApiError {
  return new ApiError(400, 'webhook.malformed', problem);
}

export function invalid(problem: string, field?: string): ApiError {
  return new ApiError(422, 'webhook.invalid', problem, field === undefined ? {} : { field });
}
