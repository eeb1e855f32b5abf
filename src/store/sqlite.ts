import { createHash } from 'node:crypto';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { monotonicFactory } from 'ulid';
import { isAgentryError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { DuplicateRunError, RunNotFoundError, StoreError, sqliteErrorCode } from './errors.js';
import { computeEventHash, GENESIS_HASH } from './hash-chain.js';
import type { ApiKeyRecord, KeyStore, NewApiKey } from './key-store.js';
import type { RunStore } from './run-store.js';
import { applySqliteMigrations } from './sqlite-migrate.js';
import {
  type Artifact,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  type NewRun,
  type RunEvent,
  type RunEventType,
  type RunFilter,
  type RunMessage,
  type RunPatch,
  type RunRecord,
  type RunStatus,
} from './types.js';

const SQLITE_CONSTRAINT_FOREIGNKEY = 787;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

// One factory per process, so ids stay increasing across every store it opens.
const nextRunId = monotonicFactory();

/** Options of {@link SqliteRunStore}. */
export interface SqliteRunStoreOptions {
  /**
   * How long to wait for another process's write lock before failing, in milliseconds. Several
   * processes share one file (a CLI run in one terminal, `agentry runs cancel` in another).
   * Default 5000.
   */
  busyTimeoutMs?: number;
}

/**
 * The embedded `RunStore`: one SQLite file (or `:memory:`) through `node:sqlite`, in WAL mode so
 * readers never block the writer. Writes that read before they write (appending an event,
 * messages) run in `BEGIN IMMEDIATE` transactions, so concurrent appenders in several processes
 * still form one chain. Call `migrate()` before use (`openStore` does).
 */
export class SqliteRunStore implements RunStore, KeyStore {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  /** @param path a file path, or `:memory:` */
  constructor(
    readonly path: string,
    options: SqliteRunStoreOptions = {},
  ) {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true });
      db.exec('PRAGMA journal_mode = WAL');
      // WAL + NORMAL stays consistent after a crash; a power loss may drop the last commits, whole.
      db.exec('PRAGMA synchronous = NORMAL');
    } catch (error) {
      db?.close();
      throw StoreError.wrap(path, 'open', error);
    }
    this.#db = db;
  }

  async migrate(): Promise<void> {
    return this.#guard('migrate', () => applySqliteMigrations(this.#db, this.path));
  }

  async createRun(input: NewRun): Promise<RunRecord> {
    return this.#guard('create a run', () => {
      const record = newRunRecord(nextRunId(), input);
      const key = record.trigger.idempotencyKey;
      if (key === undefined) return this.#insertRun(record, null);
      // The claim check and the insert hold the write lock together; the UNIQUE index backs it
      // across processes.
      return this.#immediate(() => {
        const windowMs = input.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
        const expired = new Date(Date.parse(record.createdAt) - windowMs).toISOString();
        this.#statement(
          'UPDATE runs SET idempotency_key = NULL WHERE agent = ? AND idempotency_key = ? AND created_at < ?',
        ).run(record.agent, key, expired);
        return this.#insertRun(record, key);
      });
    });
  }

  #insertRun(record: RunRecord, idempotencyKey: string | null): RunRecord {
    try {
      this.#statement(
        `INSERT INTO runs (id, agent, agent_hash, repo_commit, base_ref, trigger, parent_run_id, status,
           created_at, usage, turns, owner, event_count, head_hash, message, idempotency_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        record.id,
        record.agent,
        record.agentHash,
        record.repoCommit,
        record.baseRef,
        JSON.stringify(record.trigger),
        record.parentRunId,
        record.status,
        record.createdAt,
        JSON.stringify(record.usage),
        record.turns,
        record.owner,
        record.eventCount,
        record.headHash,
        record.message,
        idempotencyKey,
      );
    } catch (error) {
      const code = sqliteErrorCode(error);
      if (record.parentRunId !== null && code === SQLITE_CONSTRAINT_FOREIGNKEY) {
        throw new RunNotFoundError(record.parentRunId);
      }
      if (idempotencyKey !== null && code === SQLITE_CONSTRAINT_UNIQUE) {
        const row = this.#statement('SELECT * FROM runs WHERE agent = ? AND idempotency_key = ?').get(
          record.agent,
          idempotencyKey,
        );
        if (row !== undefined) throw new DuplicateRunError(runFromRow(row as unknown as RunRow));
      }
      throw error;
    }
    return record;
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.#guard('read a run', () => this.#readRun(id));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#guard('list runs', () => {
      const conditions: string[] = [];
      const values: SQLInputValue[] = [];
      if (filter.agent !== undefined) {
        conditions.push('agent = ?');
        values.push(filter.agent);
      }
      if (filter.status !== undefined) {
        conditions.push('status = ?');
        values.push(filter.status);
      }
      if (filter.beforeId !== undefined) {
        conditions.push('id < ?');
        values.push(filter.beforeId);
      }
      if (filter.trigger !== undefined) {
        conditions.push("json_extract(trigger, '$.kind') = ?");
        values.push(filter.trigger);
      }
      if (filter.parentRunId !== undefined) {
        conditions.push('parent_run_id = ?');
        values.push(filter.parentRunId);
      }
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      // LIMIT -1 is SQLite for "no limit".
      values.push(filter.limit === undefined ? -1 : Math.max(0, Math.floor(filter.limit)));
      const rows = this.#statement(`SELECT * FROM runs ${where} ORDER BY id DESC LIMIT ?`).all(...values);
      return rows.map((row) => runFromRow(row as unknown as RunRow));
    });
  }

  async updateRun(id: string, from: readonly RunStatus[], patch: RunPatch): Promise<RunRecord | undefined> {
    return this.#guard('update a run', () => {
      const assignments = patchAssignments(patch);
      const updated =
        from.length === 0
          ? undefined
          : this.#db
              .prepare(
                `UPDATE runs SET ${assignments.sql} WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})
                 RETURNING *`,
              )
              .get(...assignments.values, id, ...from);
      if (updated !== undefined) return runFromRow(updated as unknown as RunRow);
      if (this.#readRun(id) === undefined) throw new RunNotFoundError(id);
      return undefined;
    });
  }

  async appendEvent(runId: string, type: RunEventType, payload: Record<string, unknown>): Promise<RunEvent> {
    return this.#guard('append an event', () =>
      this.#immediate(() => {
        const head = this.#statement('SELECT event_count, head_hash FROM runs WHERE id = ?').get(runId) as
          | { event_count: number; head_hash: string }
          | undefined;
        if (head === undefined) throw new RunNotFoundError(runId);
        // Hash what will be read back: the payload as JSON sees it, not as the caller holds it.
        const payloadText = canonicalJson(payload);
        const fields = {
          runId,
          seq: head.event_count + 1,
          time: new Date().toISOString(),
          type,
          payload: JSON.parse(payloadText) as Record<string, unknown>,
        };
        const event: RunEvent = {
          ...fields,
          prevHash: head.head_hash,
          hash: computeEventHash(head.head_hash, fields),
        };
        this.#statement(
          'INSERT INTO events (run_id, seq, time, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(runId, event.seq, event.time, type, payloadText, event.prevHash, event.hash);
        this.#statement('UPDATE runs SET event_count = ?, head_hash = ? WHERE id = ?').run(
          event.seq,
          event.hash,
          runId,
        );
        return event;
      }),
    );
  }

  async listEvents(runId: string, options: { afterSeq?: number } = {}): Promise<RunEvent[]> {
    return this.#guard('read events', () => {
      const rows = this.#statement('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq').all(
        runId,
        options.afterSeq ?? 0,
      );
      return rows.map((row) => eventFromRow(row as unknown as EventRow));
    });
  }

  async appendMessages(
    runId: string,
    turn: number,
    messages: readonly { role: RunMessage['role']; content: unknown }[],
  ): Promise<void> {
    return this.#guard('append messages', () =>
      this.#immediate(() => {
        this.#requireRun(runId);
        const last = this.#statement('SELECT max(seq) AS seq FROM messages WHERE run_id = ?').get(runId);
        const firstSeq = Number(last?.['seq'] ?? 0) + 1;
        const createdAt = new Date().toISOString();
        const insert = this.#statement(
          'INSERT INTO messages (run_id, seq, turn, role, content, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        );
        for (const [index, message] of messages.entries()) {
          insert.run(
            runId,
            firstSeq + index,
            turn,
            message.role,
            JSON.stringify(message.content ?? null),
            createdAt,
          );
        }
      }),
    );
  }

  async listMessages(runId: string): Promise<RunMessage[]> {
    return this.#guard('read messages', () => {
      const rows = this.#statement('SELECT * FROM messages WHERE run_id = ? ORDER BY seq').all(runId);
      return rows.map((row) => messageFromRow(row as unknown as MessageRow));
    });
  }

  /** Store a file kept from the run; a second artifact of the same name replaces the first. */
  async putArtifact(runId: string, name: string, mediaType: string, content: Uint8Array): Promise<Artifact> {
    return this.#guard('store an artifact', () =>
      this.#immediate(() => {
        this.#requireRun(runId);
        const artifact: Artifact = {
          runId,
          name,
          mediaType,
          size: content.byteLength,
          sha256: createHash('sha256').update(content).digest('hex'),
          createdAt: new Date().toISOString(),
        };
        this.#statement(
          `INSERT INTO artifacts (run_id, name, media_type, size, sha256, content, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id, name) DO UPDATE SET media_type = excluded.media_type, size = excluded.size,
             sha256 = excluded.sha256, content = excluded.content, created_at = excluded.created_at`,
        ).run(runId, name, mediaType, artifact.size, artifact.sha256, content, artifact.createdAt);
        return artifact;
      }),
    );
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    return this.#guard('list artifacts', () => {
      const rows = this.#statement(
        `SELECT run_id, name, media_type, size, sha256, created_at FROM artifacts
         WHERE run_id = ? ORDER BY created_at, name`,
      ).all(runId);
      return rows.map((row) => artifactFromRow(row as unknown as ArtifactRow));
    });
  }

  async getArtifactContent(runId: string, name: string): Promise<Uint8Array | undefined> {
    return this.#guard('read an artifact', () => {
      const row = this.#statement('SELECT content FROM artifacts WHERE run_id = ? AND name = ?').get(
        runId,
        name,
      );
      return row?.['content'] as Uint8Array | undefined;
    });
  }

  async createApiKey(input: NewApiKey): Promise<ApiKeyRecord> {
    return this.#guard('create an API key', () => {
      const record: ApiKeyRecord = {
        id: nextRunId(),
        name: input.name ?? null,
        prefix: input.prefix,
        hash: input.hash,
        scopes: [...input.scopes],
        createdAt: new Date().toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      };
      this.#statement(
        'INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        record.id,
        record.name,
        record.prefix,
        record.hash,
        JSON.stringify(record.scopes),
        record.createdAt,
      );
      return record;
    });
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.#guard('read an API key', () => {
      const row = this.#statement('SELECT * FROM api_keys WHERE hash = ?').get(hash);
      return row === undefined ? undefined : apiKeyFromRow(row as unknown as ApiKeyRow);
    });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.#guard('list API keys', () =>
      this.#statement('SELECT * FROM api_keys ORDER BY id')
        .all()
        .map((row) => apiKeyFromRow(row as unknown as ApiKeyRow)),
    );
  }

  async revokeApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#guard('revoke an API key', () => {
      const row = this.#statement(
        'UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *',
      ).get(new Date().toISOString(), id);
      return row === undefined ? undefined : apiKeyFromRow(row as unknown as ApiKeyRow);
    });
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    return this.#guard('record an API key use', () => {
      this.#statement('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
    });
  }

  /** Close the connection. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#db.isOpen) return;
    this.#statements.clear();
    this.#db.close();
  }

  #readRun(id: string): RunRecord | undefined {
    const row = this.#statement('SELECT * FROM runs WHERE id = ?').get(id);
    return row === undefined ? undefined : runFromRow(row as unknown as RunRow);
  }

  #requireRun(id: string): void {
    if (this.#statement('SELECT 1 FROM runs WHERE id = ?').get(id) === undefined)
      throw new RunNotFoundError(id);
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Run `work` holding the write lock from the first read, so no other writer interleaves. */
  #immediate<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Our own errors pass through; SQLite's become a `StoreError` naming the file. */
  async #guard<T>(operation: string, work: () => T): Promise<T> {
    try {
      return work();
    } catch (error) {
      if (isAgentryError(error)) throw error;
      throw StoreError.wrap(this.path, operation, error);
    }
  }
}

function newRunRecord(id: string, input: NewRun): RunRecord {
  return {
    id,
    agent: input.agent,
    agentHash: input.agentHash,
    repoCommit: null,
    baseRef: input.baseRef ?? null,
    trigger: input.trigger,
    message: input.message ?? null,
    parentRunId: input.parentRunId ?? null,
    status: 'PENDING',
    failureReason: null,
    error: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    endedAt: null,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    output: null,
    turns: 0,
    owner: input.owner ?? null,
    heartbeatAt: null,
    cancelRequestedAt: null,
    eventCount: 0,
    headHash: GENESIS_HASH,
  };
}

/** The column each patchable field lives in; JSON columns are stringified. */
const PATCH_COLUMNS: { readonly [Field in keyof Required<RunPatch>]: { column: string; json?: true } } = {
  status: { column: 'status' },
  failureReason: { column: 'failure_reason' },
  error: { column: 'error' },
  startedAt: { column: 'started_at' },
  endedAt: { column: 'ended_at' },
  usage: { column: 'usage', json: true },
  output: { column: 'output', json: true },
  turns: { column: 'turns' },
  owner: { column: 'owner' },
  heartbeatAt: { column: 'heartbeat_at' },
  cancelRequestedAt: { column: 'cancel_requested_at' },
  repoCommit: { column: 'repo_commit' },
};

function patchAssignments(patch: RunPatch): { sql: string; values: SQLInputValue[] } {
  const columns: string[] = [];
  const values: SQLInputValue[] = [];
  for (const [field, target] of Object.entries(PATCH_COLUMNS)) {
    const value = patch[field as keyof RunPatch];
    if (value === undefined) continue;
    columns.push(`${target.column} = ?`);
    values.push(target.json && value !== null ? JSON.stringify(value) : (value as SQLInputValue));
  }
  // An empty patch still has to go through the compare-and-set.
  if (columns.length === 0) return { sql: 'status = status', values };
  return { sql: columns.join(', '), values };
}

interface RunRow {
  id: string;
  agent: string;
  agent_hash: string;
  repo_commit: string | null;
  base_ref: string | null;
  trigger: string;
  message: string | null;
  parent_run_id: string | null;
  status: RunStatus;
  failure_reason: RunRecord['failureReason'];
  error: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  usage: string;
  output: string | null;
  turns: number;
  owner: string | null;
  heartbeat_at: string | null;
  cancel_requested_at: string | null;
  event_count: number;
  head_hash: string;
}

function runFromRow(row: RunRow): RunRecord {
  return {
    id: row.id,
    agent: row.agent,
    agentHash: row.agent_hash,
    repoCommit: row.repo_commit,
    baseRef: row.base_ref,
    trigger: JSON.parse(row.trigger),
    message: row.message,
    parentRunId: row.parent_run_id,
    status: row.status,
    failureReason: row.failure_reason,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    usage: JSON.parse(row.usage),
    output: row.output === null ? null : JSON.parse(row.output),
    turns: row.turns,
    owner: row.owner,
    heartbeatAt: row.heartbeat_at,
    cancelRequestedAt: row.cancel_requested_at,
    eventCount: row.event_count,
    headHash: row.head_hash,
  };
}

interface EventRow {
  run_id: string;
  seq: number;
  time: string;
  type: RunEventType;
  payload: string;
  prev_hash: string;
  hash: string;
}

function eventFromRow(row: EventRow): RunEvent {
  return {
    runId: row.run_id,
    seq: row.seq,
    time: row.time,
    type: row.type,
    payload: JSON.parse(row.payload),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

interface MessageRow {
  run_id: string;
  seq: number;
  turn: number;
  role: RunMessage['role'];
  content: string;
  created_at: string;
}

function messageFromRow(row: MessageRow): RunMessage {
  return {
    runId: row.run_id,
    seq: row.seq,
    turn: row.turn,
    role: row.role,
    content: JSON.parse(row.content),
    createdAt: row.created_at,
  };
}

interface ArtifactRow {
  run_id: string;
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  created_at: string;
}

function artifactFromRow(row: ArtifactRow): Artifact {
  return {
    runId: row.run_id,
    name: row.name,
    mediaType: row.media_type,
    size: row.size,
    sha256: row.sha256,
    createdAt: row.created_at,
  };
}

interface ApiKeyRow {
  id: string;
  name: string | null;
  prefix: string;
  hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    scopes: JSON.parse(row.scopes),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
