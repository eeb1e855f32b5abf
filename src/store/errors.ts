import { AgentryError } from '../errors.js';
import type { RunRecord } from './types.js';

/** What to do about a SQLite failure, by primary result code (the low byte of an extended one). */
const HINTS = new Map<number, string>([
  [3, 'check the file permissions'], // PERM
  [5, 'another process held the database too long, try again'], // BUSY
  [6, 'another process held the database too long, try again'], // LOCKED
  [8, 'check that the file and its directory are writable'], // READONLY
  [10, 'check the disk the file is on'], // IOERR
  [11, 'the file is damaged: restore it from a backup or point store at a new file'], // CORRUPT
  [13, 'the disk is full: free some space'], // FULL
  [14, 'check that the directory exists and is writable'], // CANTOPEN
  [26, 'point store in .agentry/config.yml at a SQLite file'], // NOTADB
]);
const RETRYABLE = new Set([5, 6]);

/** The store failed: the file cannot be opened, the disk is full, the database is locked for too long. */
export class StoreError extends AgentryError {
  readonly code = 'store.failed';
  readonly kind = 'system' as const;
  override readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
  }

  /** Wrap a failure of the database at `location` while doing `operation`. */
  static wrap(location: string, operation: string, cause: unknown): StoreError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const primaryCode = sqliteErrorCode(cause) & 0xff;
    const retryable = RETRYABLE.has(primaryCode);
    const hint = HINTS.has(primaryCode) ? `: ${HINTS.get(primaryCode)}` : '';
    return new StoreError(`store ${location} failed to ${operation} (${detail})${hint}`, {
      cause,
      retryable,
    });
  }
}

/** The store URL names a backend this version cannot open. */
export class StoreUnsupportedError extends AgentryError {
  readonly code = 'store.unsupported';
  readonly kind = 'user' as const;
}

/** The database was written by a newer Agentry: this one does not know its schema. */
export class StoreSchemaTooNewError extends AgentryError {
  readonly code = 'store.schema-too-new';
  readonly kind = 'user' as const;

  constructor(
    readonly location: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `store ${location} has schema version ${found} but this agentry knows up to ${known}: upgrade agentry`,
    );
  }
}

/** No run has this id. */
export class RunNotFoundError extends AgentryError {
  readonly code = 'run.not-found';
  readonly kind = 'user' as const;

  constructor(readonly runId: string) {
    super(`no run ${runId}: list runs with 'agentry runs list'`);
  }
}

/** The extended SQLite result code node:sqlite attaches to its errors, or 0. */
export function sqliteErrorCode(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 0;
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' ? code : 0;
}

/**
 * Another run of the agent holds the trigger's idempotency key within its window. Carries that
 * run, which is the answer an idempotent trigger returns.
 */
export class DuplicateRunError extends AgentryError {
  readonly code = 'run.duplicate';
  readonly kind = 'user' as const;

  constructor(readonly existing: RunRecord) {
    super(
      `run ${existing.id} of ${existing.agent} already holds idempotency key '${existing.trigger.idempotencyKey}': use another key for a new run`,
    );
  }
}
