import { createHash } from 'node:crypto';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { monotonicFactory } from 'ulid';
import { isAgentryError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import type { DeliveryRecord, DeliveryRun, DeliveryStore } from './delivery-store.js';
import { DuplicateRunError, RunNotFoundError, StoreError, sqliteErrorCode } from './errors.js';
import { computeEventHashOfText, computeMessageHashOfText, GENESIS_HASH } from './hash-chain.js';
import type { ApiKeyRecord, KeyStore, NewApiKey } from './key-store.js';
import type { LedgerEntry, LedgerHead } from './ledger.js';
import type { RunStore } from './run-store.js';
import {
  appendLedgerEntry,
  ledgerEntryFromRow,
  type MessageRow,
  messageFromRow,
  type RunRow,
  readLedgerHead,
  runFromRow,
} from './sqlite-audit.js';
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
  type RunWriteBatch,
  type RunWriteResult,
  TERMINAL_EVENT_TYPES,
  TERMINAL_STATUSES,
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
export class SqliteRunStore implements RunStore, KeyStore, DeliveryStore {
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
      if (key === undefined) {
        return this.#immediate(() => this.#created(this.#insertRun(record, null)));
      }
      // The claim check and the insert hold the write lock together; the UNIQUE index backs it
      // across processes.
      return this.#immediate(() => {
        const windowMs = input.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
        const expired = new Date(Date.parse(record.createdAt) - windowMs).toISOString();
        this.#statement(
          'UPDATE runs SET idempotency_key = NULL WHERE agent = ? AND idempotency_key = ? AND created_at < ?',
        ).run(record.agent, key, expired);
        return this.#created(this.#insertRun(record, key));
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
      const update = () => {
        const assignments = patchAssignments(patch);
        const updated =
          from.length === 0
            ? undefined
            : this.#statement(
                `UPDATE runs SET ${assignments.sql} WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})
                 RETURNING *`,
              ).get(...assignments.values, id, ...from);
        if (updated === undefined) {
          if (this.#readRun(id) === undefined) throw new RunNotFoundError(id);
          return undefined;
        }
        // A turn ended: the ledger seals what a reader will see, in the same transaction.
        if (endsTurn(patch)) appendLedgerEntry(this.#prepare, id, 'sealed');
        return runFromRow(updated as unknown as RunRow);
      };
      return endsTurn(patch) ? this.#immediate(update) : update();
    });
  }

  async record(runId: string, batch: RunWriteBatch): Promise<RunWriteResult> {
    return this.#guard('record a step', () => this.#immediate(() => this.#write(runId, batch)));
  }

  async appendEvent(runId: string, type: RunEventType, payload: Record<string, unknown>): Promise<RunEvent> {
    return this.#guard('append an event', () =>
      this.#immediate(() => this.#write(runId, { events: [{ type, payload }] }).events[0]!),
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
    return this.#guard('append messages', () => {
      this.#immediate(() =>
        this.#write(runId, { messages: messages.map((message) => ({ turn, ...message })) }),
      );
    });
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

  async findDelivery(source: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    return this.#guard('read a webhook delivery', () => {
      const row = this.#statement(
        'SELECT * FROM webhook_deliveries WHERE source = ? AND delivery_id = ?',
      ).get(source, deliveryId);
      return row === undefined ? undefined : deliveryFromRow(row as unknown as DeliveryRow);
    });
  }

  async recordDelivery(
    source: string,
    deliveryId: string,
    runs: readonly DeliveryRun[],
  ): Promise<DeliveryRecord> {
    return this.#guard('record a webhook delivery', () =>
      this.#immediate(() => {
        const row = this.#statement(
          'SELECT * FROM webhook_deliveries WHERE source = ? AND delivery_id = ?',
        ).get(source, deliveryId);
        const record: DeliveryRecord =
          row === undefined
            ? { source, deliveryId, receivedAt: new Date().toISOString(), runs: [] }
            : deliveryFromRow(row as unknown as DeliveryRow);
        const known = new Set(record.runs.map((run) => run.agent));
        for (const run of runs) {
          if (known.has(run.agent)) continue;
          known.add(run.agent);
          record.runs.push({ agent: run.agent, triggerIndex: run.triggerIndex, runId: run.runId });
        }
        this.#statement(
          `INSERT INTO webhook_deliveries (source, delivery_id, received_at, runs) VALUES (?, ?, ?, ?)
           ON CONFLICT (source, delivery_id) DO UPDATE SET runs = excluded.runs`,
        ).run(source, deliveryId, record.receivedAt, JSON.stringify(record.runs));
        return record;
      }),
    );
  }

  async pruneDeliveries(before: string): Promise<number> {
    return this.#guard('prune webhook deliveries', () =>
      Number(this.#statement('DELETE FROM webhook_deliveries WHERE received_at < ?').run(before).changes),
    );
  }

  async listLedger(
    options: { runId?: string; afterSeq?: number; limit?: number } = {},
  ): Promise<LedgerEntry[]> {
    return this.#guard('read the run ledger', () => {
      const limit = options.limit === undefined ? -1 : Math.max(0, Math.floor(options.limit));
      const rows =
        options.runId === undefined
          ? this.#statement('SELECT * FROM run_ledger WHERE seq > ? ORDER BY seq LIMIT ?').all(
              options.afterSeq ?? 0,
              limit,
            )
          : this.#statement('SELECT * FROM run_ledger WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(
              options.runId,
              options.afterSeq ?? 0,
              limit,
            );
      return rows.map((row) => ledgerEntryFromRow(row as never));
    });
  }

  async getLedgerHead(): Promise<LedgerHead> {
    return this.#guard('read the run ledger', () => readLedgerHead(this.#prepare));
  }

  /** Close the connection. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#db.isOpen) return;
    this.#statements.clear();
    this.#db.close();
  }

  readonly #prepare = (sql: string): StatementSync => this.#statement(sql);

  /** The ledger's `created` entry for a run just inserted, in the same transaction. */
  #created(record: RunRecord): RunRecord {
    appendLedgerEntry(this.#prepare, record.id, 'created', record.createdAt);
    return record;
  }

  /**
   * Write a batch inside the caller's transaction: the update (a compare-and-set), then messages
   * and events, each payload serialized once and hashed as that text; one update of the run's
   * heads; and a ledger seal when the batch ends a turn.
   */
  #write(runId: string, batch: RunWriteBatch): RunWriteResult {
    const head = this.#statement(
      'SELECT event_count, head_hash, message_count, message_head FROM runs WHERE id = ?',
    ).get(runId) as
      | { event_count: number; head_hash: string; message_count: number; message_head: string }
      | undefined;
    if (head === undefined) throw new RunNotFoundError(runId);
    let seal = false;
    let updated = false;
    if (batch.update !== undefined) {
      const { from, patch, required } = batch.update;
      if (from.length > 0) {
        const assignments = patchAssignments(patch);
        const result = this.#statement(
          `UPDATE runs SET ${assignments.sql} WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`,
        ).run(...assignments.values, runId, ...from);
        updated = Number(result.changes) > 0;
      }
      if (!updated && required) return { events: [], updated };
      seal = updated && endsTurn(patch);
    }

    let messageCount = head.message_count;
    let messageHead = head.message_head;
    if (batch.messages !== undefined && batch.messages.length > 0) {
      const createdAt = new Date().toISOString();
      const insert = this.#statement(
        'INSERT INTO messages (run_id, seq, turn, role, content, created_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const message of batch.messages) {
        const seq = messageCount + 1;
        const contentText = canonicalJson(message.content ?? null);
        const fields = { runId, seq, turn: message.turn, role: message.role, createdAt };
        messageHead = computeMessageHashOfText(messageHead, fields, contentText);
        insert.run(runId, seq, message.turn, message.role, contentText, createdAt, messageHead);
        messageCount = seq;
      }
    }

    let eventCount = head.event_count;
    let eventHead = head.head_hash;
    const events: RunEvent[] = [];
    if (batch.events !== undefined && batch.events.length > 0) {
      const insert = this.#statement(
        'INSERT INTO events (run_id, seq, time, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      for (const { type, payload } of batch.events) {
        // Hash what will be read back: the payload as JSON sees it, not as the caller holds it.
        const payloadText = canonicalJson(payload);
        const fields = { runId, seq: eventCount + 1, time: new Date().toISOString(), type };
        const hash = computeEventHashOfText(eventHead, fields, payloadText);
        insert.run(runId, fields.seq, fields.time, type, payloadText, eventHead, hash);
        events.push({
          ...fields,
          payload: JSON.parse(payloadText) as Record<string, unknown>,
          prevHash: eventHead,
          hash,
        });
        eventCount = fields.seq;
        eventHead = hash;
        if ((TERMINAL_EVENT_TYPES as readonly string[]).includes(type)) seal = true;
      }
    }

    if (messageCount !== head.message_count || eventCount !== head.event_count) {
      this.#statement(
        'UPDATE runs SET event_count = ?, head_hash = ?, message_count = ?, message_head = ? WHERE id = ?',
      ).run(eventCount, eventHead, messageCount, messageHead, runId);
    }
    if (seal) appendLedgerEntry(this.#prepare, runId, 'sealed');
    return { events, updated };
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
    messageCount: 0,
    messageHead: GENESIS_HASH,
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

/** Whether a patch moves a run to a terminal status: the end of a turn, which the ledger seals. */
function endsTurn(patch: RunPatch): boolean {
  return patch.status !== undefined && TERMINAL_STATUSES.includes(patch.status);
}

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

interface DeliveryRow {
  source: string;
  delivery_id: string;
  received_at: string;
  runs: string;
}

function deliveryFromRow(row: DeliveryRow): DeliveryRecord {
  return {
    source: row.source,
    deliveryId: row.delivery_id,
    receivedAt: row.received_at,
    runs: JSON.parse(row.runs),
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
