import { AgentryError } from '../errors.js';

/** SQLite primary result codes (the low byte of an extended one) that call for a hint. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const FILE_PROBLEMS = new Set([
  3, // PERM
  8, // READONLY
  10, // IOERR
  11, // CORRUPT
  13, // FULL
  14, // CANTOPEN
  26, // NOTADB
]);

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
    const retryable = primaryCode === SQLITE_BUSY || primaryCode === SQLITE_LOCKED;
    let hint = '';
    if (retryable) hint = ': another process held the database too long, try again';
    else if (FILE_PROBLEMS.has(primaryCode)) hint = ': check that it is a readable, writable SQLite file with disk space';
    return new StoreError(`store ${location} failed to ${operation} (${detail})${hint}`, { cause, retryable });
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
