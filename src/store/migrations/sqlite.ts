/** One step of the SQLite schema. Applied in `version` order, each in its own transaction. */
export interface Migration {
  /** 1, 2, 3, …: never renumber or edit a released migration; add the next one. */
  version: number;
  name: string;
  sql: string;
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
];
