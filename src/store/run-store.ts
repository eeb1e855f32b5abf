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
} from './types.js';

/**
 * Where runs, their messages, events and artifacts live. Adapters: SQLite (embedded), Postgres
 * (scale-out). Every adapter passes the same contract suite in `test/store/contract.ts`.
 */
export interface RunStore {
  /** Create or upgrade the schema; safe when two processes start at once. */
  migrate(): Promise<void>;

  /** Insert a PENDING run with a new time-sortable id. */
  createRun(input: NewRun): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /**
   * Apply `patch` only if the run's status is one of `from`: a compare-and-set, so two
   * processes cannot both finish or both start a run. Returns the new record, or undefined
   * when the run was not in `from`.
   */
  updateRun(id: string, from: readonly RunStatus[], patch: RunPatch): Promise<RunRecord | undefined>;

  /**
   * Append to the run's audit trail. The store assigns `seq`, `time`, `prevHash` and `hash`
   * atomically, so concurrent appends still form one chain. The payload must already be redacted.
   */
  appendEvent(runId: string, type: RunEventType, payload: Record<string, unknown>): Promise<RunEvent>;
  /** Events in order, optionally only those after `afterSeq`. */
  listEvents(runId: string, options?: { afterSeq?: number }): Promise<RunEvent[]>;

  /** Append conversation messages of `turn`, in order. */
  appendMessages(runId: string, turn: number, messages: readonly { role: RunMessage['role']; content: unknown }[]): Promise<void>;
  listMessages(runId: string): Promise<RunMessage[]>;

  putArtifact(runId: string, name: string, mediaType: string, content: Uint8Array): Promise<Artifact>;
  listArtifacts(runId: string): Promise<Artifact[]>;
  getArtifactContent(runId: string, name: string): Promise<Uint8Array | undefined>;

  close(): Promise<void>;
}
