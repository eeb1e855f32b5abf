import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { canonicalJson } from './canonical-json.js';
import { computeMessageHash, GENESIS_HASH } from './hash-chain.js';
import {
  computeLedgerHashOfText,
  type LedgerEntry,
  type LedgerEntryKind,
  type LedgerHead,
  type LedgerState,
  type SealedArtifact,
  sealedRunFields,
} from './ledger.js';
import type { RunMessage, RunRecord, RunStatus } from './types.js';

/** Prepares (and may cache) a statement on the connection the caller holds. */
export type Prepare = (sql: string) => StatementSync;

/** A `runs` row as SQLite returns it. */
export interface RunRow {
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
  message_count: number;
  message_head: string;
}

export function runFromRow(row: RunRow): RunRecord {
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
    messageCount: row.message_count ?? 0,
    messageHead: row.message_head ?? GENESIS_HASH,
  };
}

/** A `messages` row as SQLite returns it. */
export interface MessageRow {
  run_id: string;
  seq: number;
  turn: number;
  role: RunMessage['role'];
  content: string;
  created_at: string;
  hash: string | null;
}

export function messageFromRow(row: MessageRow): RunMessage {
  return {
    runId: row.run_id,
    seq: row.seq,
    turn: row.turn,
    role: row.role,
    content: JSON.parse(row.content),
    createdAt: row.created_at,
    // A missing hash never matches: the verifier names the message.
    hash: row.hash ?? '',
  };
}

interface LedgerRow {
  seq: number;
  run_id: string;
  kind: LedgerEntryKind;
  time: string;
  state: string;
  prev_hash: string;
  hash: string;
}

export function ledgerEntryFromRow(row: LedgerRow): LedgerEntry {
  return {
    seq: row.seq,
    runId: row.run_id,
    kind: row.kind,
    time: row.time,
    state: JSON.parse(row.state),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The run's state as a ledger entry records it, read inside the caller's transaction. */
export function readLedgerState(prepare: Prepare, runId: string): LedgerState | undefined {
  const row = prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
  if (row === undefined) return undefined;
  const run = runFromRow(row);
  const artifacts = prepare(
    'SELECT name, media_type, size, sha256 FROM artifacts WHERE run_id = ? ORDER BY name',
  ).all(runId) as unknown as { name: string; media_type: string; size: number; sha256: string }[];
  return {
    run: sealedRunFields(run),
    events: { count: run.eventCount, head: run.headHash },
    messages: { count: run.messageCount, head: run.messageHead },
    artifacts: artifacts.map(
      (artifact): SealedArtifact => ({
        name: artifact.name,
        mediaType: artifact.media_type,
        size: artifact.size,
        sha256: artifact.sha256,
      }),
    ),
  };
}

/**
 * Append a ledger entry for `runId` and move the ledger head. Must run inside the caller's write
 * transaction (the head is read, then written). Returns undefined when there is no such run.
 */
export function appendLedgerEntry(
  prepare: Prepare,
  runId: string,
  kind: LedgerEntryKind,
  time = new Date().toISOString(),
): LedgerEntry | undefined {
  const state = readLedgerState(prepare, runId);
  if (state === undefined) return undefined;
  const head = readLedgerHead(prepare);
  const stateText = canonicalJson(state);
  const fields = { seq: head.count + 1, runId, kind, time };
  const hash = computeLedgerHashOfText(head.hash, fields, stateText);
  prepare(
    'INSERT INTO run_ledger (seq, run_id, kind, time, state, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(fields.seq, runId, kind, time, stateText, head.hash, hash);
  prepare('UPDATE ledger_head SET count = ?, hash = ? WHERE id = 1').run(fields.seq, hash);
  return { ...fields, state, prevHash: head.hash, hash };
}

export function readLedgerHead(prepare: Prepare): LedgerHead {
  const row = prepare('SELECT count, hash FROM ledger_head WHERE id = 1').get() as
    | { count: number; hash: string }
    | undefined;
  return row === undefined ? { count: 0, hash: GENESIS_HASH } : { count: row.count, hash: row.hash };
}

/**
 * The code half of migration 5 (audit format 2), run in its transaction: hash the messages of every
 * run that exists, in order, then write one `adopted` ledger entry per run. From here on a stored
 * run is anchored as it was at the upgrade; what was changed before it is caught only where the
 * run's events say otherwise (`auditRun` compares status, output, usage, error with them).
 */
export function adoptExistingRuns(db: DatabaseSync): void {
  const statements = new Map<string, StatementSync>();
  const prepare: Prepare = (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const time = new Date().toISOString();
  const runIds = prepare('SELECT id FROM runs ORDER BY id').all() as unknown as { id: string }[];
  for (const { id } of runIds) {
    const rows = prepare('SELECT * FROM messages WHERE run_id = ? ORDER BY seq').all(
      id,
    ) as unknown as MessageRow[];
    let head = GENESIS_HASH;
    for (const row of rows) {
      head = computeMessageHash(head, { ...messageFromRow(row), runId: id });
      prepare('UPDATE messages SET hash = ? WHERE run_id = ? AND seq = ?').run(head, id, row.seq);
    }
    prepare('UPDATE runs SET message_count = ?, message_head = ? WHERE id = ?').run(rows.length, head, id);
    appendLedgerEntry(prepare, id, 'adopted', time);
  }
}
