import type { MiddlewareHandler } from 'hono';
import type { ApiKeyRecord, ApiKeyScope, KeyStore } from '../store/key-store.js';
import { grants, hashApiKey } from './api-keys.js';
import { ApiError } from './errors.js';

/** Hono variables our routes read: the key that authenticated the request (null with `--no-auth`). */
export type AppEnv = { Variables: { apiKey: ApiKeyRecord | null } };

/** Writing `last_used_at` on every request would make every read a write: once a minute is enough. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Checks `Authorization: Bearer <key>` against the store's hashed keys, on every request, so a
 * key revoked with `agentry keys revoke` stops working at once. With no key store (`--no-auth`)
 * every request passes.
 */
export class Authenticator {
  readonly #keys: KeyStore | null;
  readonly #touchedAt = new Map<string, number>();

  constructor(keys: KeyStore | null) {
    this.#keys = keys;
  }

  get enabled(): boolean {
    return this.#keys !== null;
  }

  /** The key behind the header; throws a 401 `ApiError` when there is none that works. */
  async authenticate(header: string | undefined): Promise<ApiKeyRecord | null> {
    if (this.#keys === null) return null;
    const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match) {
      throw new ApiError(
        401,
        'auth.missing-key',
        "no API key: send 'Authorization: Bearer <key>' (make one with 'agentry keys create --scope runs:trigger')",
      );
    }
    const key = await this.#keys.findApiKeyByHash(hashApiKey(match[1]!));
    if (!key || key.revokedAt !== null) {
      throw new ApiError(
        401,
        'auth.invalid-key',
        'the API key is unknown or revoked: check it, or make a new one',
      );
    }
    await this.#touch(key);
    return key;
  }

  async #touch(key: ApiKeyRecord): Promise<void> {
    const now = Date.now();
    if (now - (this.#touchedAt.get(key.id) ?? 0) < TOUCH_EVERY_MS) return;
    this.#touchedAt.set(key.id, now);
    await this.#keys?.touchApiKey(key.id, new Date(now).toISOString()).catch(() => undefined);
  }
}

/**
 * Middleware: 401 without a working key, 403 when the key lacks `scope`. Runs before the body is
 * read, so a refused request creates nothing.
 */
export function requireScope(auth: Authenticator, scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async (context, next) => {
    const key = await auth.authenticate(context.req.header('Authorization'));
    if (key && !grants(key.scopes, scope)) {
      throw new ApiError(
        403,
        'auth.forbidden',
        `this API key (${key.name ?? key.prefix}) lacks the ${scope} scope: make a key with --scope ${scope}`,
      );
    }
    context.set('apiKey', key);
    await next();
  };
}
