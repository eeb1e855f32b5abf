export { verifyRunAudit } from './audit.js';
export { canonicalJson } from './canonical-json.js';
export {
  DuplicateRunError,
  RunNotFoundError,
  StoreError,
  StoreSchemaTooNewError,
  StoreUnsupportedError,
} from './errors.js';
export {
  type ChainHead,
  type ChainVerdict,
  chainHead,
  computeEventHash,
  GENESIS_HASH,
  type HashedEventFields,
  verifyChain,
} from './hash-chain.js';
export {
  API_KEY_SCOPES,
  type ApiKeyRecord,
  type ApiKeyScope,
  type KeyStore,
  type NewApiKey,
} from './key-store.js';
export { type Migration, SQLITE_MIGRATIONS } from './migrations/sqlite.js';
export { openStore } from './open-store.js';
export type { RunStore } from './run-store.js';
export { loadRunTree, type RunTree } from './run-tree.js';
export { SqliteRunStore, type SqliteRunStoreOptions } from './sqlite.js';
export * from './types.js';
