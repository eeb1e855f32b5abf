import type { Context } from 'hono';
import type { z } from 'zod';
import { invalid, malformed } from './errors.js';

/** The body exactly as sent: signatures cover these bytes, not a re-serialised object. */
export async function rawBody(context: Context): Promise<Uint8Array> {
  return new Uint8Array(await context.req.arrayBuffer());
}

/** Parse a verified body as JSON: 400 when it is not. An empty body is `{}`. */
export function parseJson(body: Uint8Array, what: string): unknown {
  const text = Buffer.from(body).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw malformed(`the ${what} body is not valid JSON: send it with Content-Type: application/json`);
  }
}

/** Check a parsed payload against what a source's deliveries always carry: 422 naming the first field at fault. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  throw invalid(
    `the ${what} payload's ${field} ${issue?.message ?? 'is invalid'}: is this a ${what} delivery?`,
    field,
  );
}

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/** A delivery-id header's value, checked (it becomes an idempotency key): 400 when unusable. */
export function deliveryIdFrom(value: string | undefined, header: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!DELIVERY_ID.test(value)) {
    throw malformed(`${header} must be 1 to 200 letters, digits, '.', '_', ':' or '-'`);
  }
  return value;
}
