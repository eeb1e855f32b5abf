import type { DatabaseSync } from 'node:sqlite';
import { adoptExistingRuns } from '../sqlite-audit.js';

/** One step of the SQLite schema. Applied in `version` order, each in its own transaction. */
export interface Migration {
  /** 1, 2, 3, …: never renumber or edit a released migration; add the next one. */
  version: number;
  name: string;
  sql: string;
  /** Work SQL cannot do (hashing existing rows), run after `sql` in the same transaction. */
  run?: (db: DatabaseSync) => void;
}

/**
 * The SQLite schema, oldest first. Kept in TypeScript so the build copies it to `dist`.
 * JSON columns hold TEXT written by `JSON.stringify`; times are ISO-8601 strings with milliseconds.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, events, messages, artifacts',
    sql: `
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  agent_hash TEXT NOT NULL,
  repo_commit TEXT,
  base_ref TEXT,
  trigger TEXT NOT NULL,
  parent_run_id TEXT REFERENCES runs (id),
  status TEXT NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
  failure_reason TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  ended_at TEXT,
  usage TEXT NOT NULL,
  output TEXT,
  turns INTEGER NOT NULL DEFAULT 0,
  owner TEXT,
  heartbeat_at TEXT,
  cancel_requested_at TEXT,
  event_count INTEGER NOT NULL DEFAULT 0,
  head_hash TEXT NOT NULL DEFAULT '${'0'.repeat(64)}'
);
CREATE INDEX runs_agent_id ON runs (agent, id);
CREATE INDEX runs_status_id ON runs (status, id);
CREATE INDEX runs_parent_run_id ON runs (parent_run_id);

CREATE TABLE events (
  run_id TEXT NOT NULL REFERENCES runs (id),
  seq INTEGER NOT NULL,
  time TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- The trail is append-only. These stop mistakes, not an attacker (who can drop them):
-- the hash chain and the head kept on the run row are what detect tampering.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be updated'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be deleted'); END;

CREATE TABLE messages (
  run_id TEXT NOT NULL REFERENCES runs (id),
  seq INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE artifacts (
  run_id TEXT NOT NULL REFERENCES runs (id),
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  content BLOB NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, name)
);
`,
  },
  {
    version: 2,
    name: 'run message and idempotency key',
    // idempotency_key is the claim the UNIQUE index enforces: one run per (agent, key) across every
    // process sharing the file. A claim past its window is cleared when the key is used again; the
    // key itself stays in the trigger JSON. Older runs get no claim (they predate the window anyway).
    sql: `
ALTER TABLE runs ADD COLUMN message TEXT;
ALTER TABLE runs ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX runs_agent_idempotency_key ON runs (agent, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'api keys',
    // Only the sha256 of a key is kept: the key is shown once, when it is made.
    sql: `
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
`,
  },
  {
    version: 4,
    name: 'webhook deliveries',
    // A delivery id outlives its runs' 24-hour idempotency claim: GitHub lets operators redeliver
    // for days. runs is JSON [{agent, triggerIndex, runId}].
    sql: `
CREATE TABLE webhook_deliveries (
  source TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  runs TEXT NOT NULL,
  PRIMARY KEY (source, delivery_id)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);
`,
  },
  {
    version: 5,
    name: 'audit format 2: message chain, run ledger',
    // Messages get a hash chain per run, anchored on the run row like events. run_ledger is a hash
    // chain over the whole store: an entry when a run is created and whenever a turn ends, holding
    // what a reader sees of the run (its fields, its event and message heads, its artifacts).
    // run_id has no foreign key on purpose: a deleted run's entries must stay to tell of it.
    // The guards stop mistakes, not an attacker; the chains are what detect tampering. A message
    // may have its hash set once (the upgrade hashes the messages already there).
    sql: `
ALTER TABLE runs ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN message_head TEXT NOT NULL DEFAULT '${'0'.repeat(64)}';
ALTER TABLE messages ADD COLUMN hash TEXT;

CREATE TABLE run_ledger (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('created', 'sealed', 'adopted')),
  time TEXT NOT NULL,
  state TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX run_ledger_run_id ON run_ledger (run_id, seq);
CREATE TABLE ledger_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  count INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO ledger_head (id, count, hash) VALUES (1, 0, '${'0'.repeat(64)}');

CREATE TRIGGER run_ledger_no_update BEFORE UPDATE ON run_ledger
BEGIN SELECT RAISE(ABORT, 'the run ledger is append-only: entries cannot be updated'); END;
CREATE TRIGGER run_ledger_no_delete BEFORE DELETE ON run_ledger
BEGIN SELECT RAISE(ABORT, 'the run ledger is append-only: entries cannot be deleted'); END;
CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'conversation messages are append-only: they cannot be updated'); END;
CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'conversation messages are append-only: they cannot be deleted'); END;
CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs
BEGIN SELECT RAISE(ABORT, 'runs are kept for their audit trail: they cannot be deleted'); END;
`,
    run: adoptExistingRuns,
  },
];
