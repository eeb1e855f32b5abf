import { createHash, randomBytes } from 'node:crypto';
import { AgentryError } from '../errors.js';
import { API_KEY_SCOPES, type ApiKeyRecord, type ApiKeyScope, type KeyStore } from '../store/key-store.js';

/** Every key starts with this, so secret scanners and people can recognise one. */
export const API_KEY_MARKER = 'agk_';

/** A scope name that is not one of `runs:trigger`, `runs:read`, `admin`. */
export class InvalidScopeError extends AgentryError {
  readonly code = 'auth.invalid-scope';
  readonly kind = 'user' as const;

  constructor(readonly scope: string) {
    super(`unknown scope '${scope}': use ${API_KEY_SCOPES.join(', ')} (comma-separated for several)`);
  }
}

/** sha256 (hex) of a key: what the store keeps and looks keys up by. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key: 256 random bits, so a sha256 of it cannot be reversed by guessing. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_MARKER + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, API_KEY_MARKER.length + 8), hash: hashApiKey(key) };
}

/** Scopes from `--scope a,b --scope c`: validated, de-duplicated, in canonical order. */
export function parseScopes(values: string | readonly string[]): ApiKeyScope[] {
  const names = (typeof values === 'string' ? [values] : values)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
  for (const name of names) {
    if (!API_KEY_SCOPES.includes(name as ApiKeyScope)) throw new InvalidScopeError(name);
  }
  return API_KEY_SCOPES.filter((scope) => names.includes(scope));
}

/** Whether a key with `scopes` may do what `needed` allows; `admin` may do everything. */
export function grants(scopes: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

/** Make a key, store its hash, and return the key itself: the only time it is seen. */
export async function createApiKey(
  keys: KeyStore,
  options: { name?: string | null; scopes: readonly ApiKeyScope[] },
): Promise<{ key: string; record: ApiKeyRecord }> {
  if (options.scopes.length === 0) {
    throw new InvalidScopeError('(none)');
  }
  const { key, prefix, hash } = generateApiKey();
  const record = await keys.createApiKey({
    name: options.name ?? null,
    prefix,
    hash,
    scopes: options.scopes,
  });
  return { key, record };
}
