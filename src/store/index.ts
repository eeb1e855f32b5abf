export {
  type AuditPart,
  type MissingRun,
  type RunAuditVerdict,
  type StoreAuditReport,
  verifyRunAudit,
  verifyStoreAudit,
} from './audit.js';
export { canonicalJson } from './canonical-json.js';
export {
  DEFAULT_DELIVERY_RETENTION_MS,
  type DeliveryRecord,
  type DeliveryRun,
  type DeliveryStore,
} from './delivery-store.js';
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
  computeMessageHash,
  GENESIS_HASH,
  type HashedEventFields,
  type HashedMessageFields,
  type MessageChainVerdict,
  verifyChain,
  verifyMessageChain,
} from './hash-chain.js';
export {
  API_KEY_SCOPES,
  type ApiKeyRecord,
  type ApiKeyScope,
  type KeyStore,
  type NewApiKey,
} from './key-store.js';
export {
  computeLedgerHash,
  EMPTY_LEDGER_HEAD,
  type LedgerEntry,
  type LedgerEntryKind,
  type LedgerHead,
  type LedgerState,
  type LedgerVerdict,
  SEALED_RUN_FIELDS,
  type SealedArtifact,
  type SealedRunFields,
  sealedRunFields,
  verifyLedger,
} from './ledger.js';
export { type Migration, SQLITE_MIGRATIONS } from './migrations/sqlite.js';
export { openStore } from './open-store.js';
export type { RunStore } from './run-store.js';
export { loadRunTree, type RunTree } from './run-tree.js';
export { SqliteRunStore, type SqliteRunStoreOptions } from './sqlite.js';
export * from './types.js';
