/** What an API key may do. `admin` may do everything. */
export type ApiKeyScope = 'runs:trigger' | 'runs:read' | 'admin';

/** Every scope, for validation and help text. */
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['runs:trigger', 'runs:read', 'admin'];

/** One API key as stored: never the key itself, only its sha256. */
export interface ApiKeyRecord {
  /** Time-sortable (ULID); what `agentry keys revoke` takes. */
  id: string;
  /** A label for people: `airflow-prod`, `ci`. */
  name: string | null;
  /** The key's first characters, so a person can tell keys apart without the key. */
  prefix: string;
  /** sha256 (hex) of the whole key. */
  hash: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  /** Set once revoked; a revoked key authenticates nothing. */
  revokedAt: string | null;
}

/** What a caller gives to store a new key (made and hashed by the caller). */
export interface NewApiKey {
  name?: string | null;
  prefix: string;
  hash: string;
  scopes: readonly ApiKeyScope[];
}

/**
 * Where API keys live: beside the runs, in the same store (the SQLite adapter implements both
 * ports on one file), so `agentry keys create` in a terminal is seen at once by `agentry serve`.
 */
export interface KeyStore {
  createApiKey(input: NewApiKey): Promise<ApiKeyRecord>;
  /** The key with this hash, revoked or not; undefined when none. */
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, oldest first, revoked ones included. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revoke the key; returns it, or undefined when no key has this id. Revoking twice keeps the first time. */
  revokeApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** Record that the key was just used. */
  touchApiKey(id: string, at: string): Promise<void>;
}
