import { AgentryError } from '../../errors.js';

/**
 * A statement was not run: several statements, a write without a grant, something that never runs
 * through a tool (COPY, ATTACH, SET …), or SQL the parser could not read. Nothing reached the data.
 */
export class StatementRefusedError extends AgentryError {
  readonly code: string;
  readonly kind = 'user' as const;
  constructor(
    code: 'warehouse.statement-refused' | 'warehouse.write-refused' | 'warehouse.unparsable-sql',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
  }
}

/** The warehouse rejected or failed the query (syntax, unknown table, permission …). */
export class WarehouseQueryError extends AgentryError {
  readonly code = 'warehouse.query-failed';
  readonly kind = 'user' as const;
  constructor(
    readonly warehouse: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${warehouse}: ${message}`, options);
  }
}

/** The statement ran past its timeout and was cancelled. */
export class QueryTimeoutError extends AgentryError {
  readonly code = 'warehouse.timeout';
  readonly kind = 'user' as const;
  constructor(
    readonly warehouse: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${warehouse}: the query ran longer than the ${formatSeconds(timeoutMs)} statement timeout and was cancelled: filter earlier, aggregate, or query fewer columns`,
    );
  }
}

/** The run was cancelled while the statement ran; the statement was cancelled with it. */
export class QueryCancelledError extends AgentryError {
  readonly code = 'warehouse.cancelled';
  readonly kind = 'user' as const;
  constructor(readonly warehouse: string) {
    super(`${warehouse}: the query was cancelled because the run was cancelled or timed out`);
  }
}

/** The warehouse is missing from config.yml, misconfigured, or its credentials are absent. */
export class WarehouseConfigError extends AgentryError {
  readonly code: string;
  readonly kind = 'user' as const;
  constructor(
    code: 'warehouse.unknown' | 'warehouse.not-chosen' | 'warehouse.misconfigured',
    message: string,
  ) {
    super(message);
    this.code = code;
  }
}

/** The warehouse could not be reached or opened. Worth retrying once the warehouse is back. */
export class WarehouseConnectionError extends AgentryError {
  readonly code = 'warehouse.connection-failed';
  readonly kind = 'system' as const;
  override readonly retryable = true;
  constructor(
    readonly warehouse: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${warehouse}: cannot connect: ${message}`, options);
  }
}

/** The warehouse has no such feature (e.g. DuckDB keeps no query history). */
export class WarehouseUnsupportedError extends AgentryError {
  readonly code = 'warehouse.unsupported';
  readonly kind = 'user' as const;
}

/** A table named in a tool call does not exist or is ambiguous. */
export class TableNotFoundError extends AgentryError {
  readonly code = 'warehouse.table-not-found';
  readonly kind = 'user' as const;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
