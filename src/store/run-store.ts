import type { LedgerEntry, LedgerHead } from './ledger.js';
import type {
  Artifact,
  NewRun,
  RunEvent,
  RunEventType,
  RunFilter,
  RunMessage,
  RunPatch,
  RunRecord,
  RunStatus,
  RunWriteBatch,
  RunWriteResult,
} from './types.js';

/**
 * Where runs, their messages, events and artifacts live. Adapters: SQLite (embedded), Postgres
 * (scale-out). Every adapter passes the same contract suite in `test/store/contract.ts`.
 */
export interface RunStore {
  /** Create or upgrade the schema; safe when two processes start at once. */
  migrate(): Promise<void>;

  /**
   * Insert a PENDING run with a new time-sortable id, no events (`eventCount` 0, `headHash` the
   * genesis hash), no messages and zero usage, and its `created` ledger entry. Throws `RunNotFoundError` when `parentRunId` names no run.
   * When `trigger.idempotencyKey` is set and a run of the same agent created within
   * `idempotencyWindowMs` holds it, creates nothing and throws `DuplicateRunError` carrying that
   * run — atomically, so concurrent identical triggers from any number of processes make one run.
   */
  createRun(input: NewRun): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /**
   * Apply `patch` only if the run's status is one of `from`: a compare-and-set, so two
   * processes cannot both finish or both start a run. Returns the new record, or undefined
   * when the run was not in `from`; throws `RunNotFoundError` when there is no such run.
   * Fields absent from `patch` are left alone; `null` clears a field. A move to a terminal status
   * seals the run in the ledger in the same transaction.
   */
  updateRun(id: string, from: readonly RunStatus[], patch: RunPatch): Promise<RunRecord | undefined>;

  /**
   * Append to the run's audit trail. The store assigns `seq`, `time`, `prevHash` and `hash`
   * atomically, so concurrent appends still form one chain, and moves the run's `eventCount` and
   * `headHash` in the same transaction. The payload must already be redacted; the returned event
   * holds it as it reads back (JSON), which is what its hash covers. Throws `RunNotFoundError`.
   */
  appendEvent(runId: string, type: RunEventType, payload: Record<string, unknown>): Promise<RunEvent>;
  /**
   * Write one step's records in one transaction: `update` (a compare-and-set like `updateRun`,
   * skipped when the status does not match), then `messages` and `events` as `appendMessages` and
   * `appendEvent` would. What the engine calls once per step instead of once per write. Throws
   * `RunNotFoundError`; on any failure nothing of the batch is written.
   */
  record(runId: string, batch: RunWriteBatch): Promise<RunWriteResult>;

  /** Events in order, optionally only those after `afterSeq`. */
  listEvents(runId: string, options?: { afterSeq?: number }): Promise<RunEvent[]>;

  /**
   * Append conversation messages of `turn`, in order, after the run's earlier ones, each hashed into
   * the run's message chain (`messageCount`, `messageHead`). Throws `RunNotFoundError`.
   */
  appendMessages(
    runId: string,
    turn: number,
    messages: readonly { role: RunMessage['role']; content: unknown }[],
  ): Promise<void>;
  listMessages(runId: string): Promise<RunMessage[]>;

  /** Keep a file from the run; one of the same name is replaced. Throws `RunNotFoundError`. */
  putArtifact(runId: string, name: string, mediaType: string, content: Uint8Array): Promise<Artifact>;
  listArtifacts(runId: string): Promise<Artifact[]>;
  getArtifactContent(runId: string, name: string): Promise<Uint8Array | undefined>;

  /**
   * The store-wide ledger, oldest first: an entry when a run is created and whenever a turn ends
   * (a terminal status or event), written by the store in the same transaction. `runId` narrows
   * it to one run's entries.
   */
  listLedger(options?: { runId?: string; afterSeq?: number; limit?: number }): Promise<LedgerEntry[]>;
  /** Where the ledger ends: its length and last hash, kept apart from the entries. */
  getLedgerHead(): Promise<LedgerHead>;

  /** Release the connection; safe to call twice. */
  close(): Promise<void>;
}
