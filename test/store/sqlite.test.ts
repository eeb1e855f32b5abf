import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyRunAudit } from '../../src/store/audit.js';
import { StoreError, StoreSchemaTooNewError } from '../../src/store/errors.js';
import { computeEventHash } from '../../src/store/hash-chain.js';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/sqlite.js';
import { openStore } from '../../src/store/open-store.js';
import type { RunStore } from '../../src/store/run-store.js';
import { SqliteRunStore } from '../../src/store/sqlite.js';
import { applyMigration, applySqliteMigrations } from '../../src/store/sqlite-migrate.js';
import type { RunEvent } from '../../src/store/types.js';
import { runStoreContract } from './contract.js';
import { runWorkersTogether } from './processes/start-workers.js';

runStoreContract('sqlite file', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'agentry-store-'));
  const store = new SqliteRunStore(join(directory, 'agentry.db'));
  await store.migrate();
  return Object.assign(store, {
    cleanup: async () => {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  });
});

runStoreContract('sqlite :memory:', async () => {
  const store = new SqliteRunStore(':memory:');
  await store.migrate();
  return Object.assign(store, { cleanup: () => store.close() });
});

const newRun = {
  agent: 'incident-commander',
  agentHash: 'b'.repeat(64),
  trigger: { kind: 'airflow' as const },
};

describe('SqliteRunStore on a shared file', () => {
  let directory: string;
  let path: string;
  const opened: RunStore[] = [];

  const open = async (): Promise<SqliteRunStore> => {
    const store = new SqliteRunStore(path);
    opened.push(store);
    await store.migrate();
    return store;
  };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'agentry-store-'));
    path = join(directory, 'agentry.db');
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('uses WAL and fails retryably once another writer holds the lock past the busy timeout', async () => {
    const store = new SqliteRunStore(path, { busyTimeoutMs: 50 });
    opened.push(store);
    await store.migrate();
    const run = await store.createRun(newRun);
    const raw = new DatabaseSync(path);
    try {
      expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      raw.exec('BEGIN IMMEDIATE');
      await expect(store.appendEvent(run.id, 'run.created', {})).rejects.toMatchObject({
        code: 'store.failed',
        kind: 'system',
        retryable: true,
        message: expect.stringMatching(/database is locked\).*another process/),
      });
      // WAL: readers are not blocked by the writer.
      expect((await store.getRun(run.id))?.eventCount).toBe(0);
      raw.exec('ROLLBACK');
    } finally {
      raw.close();
    }
    expect(await store.appendEvent(run.id, 'run.created', {})).toMatchObject({ seq: 1 });
  });

  it('keeps one chain when two connections append to one run interleaved', async () => {
    const first = await open();
    const second = await open();
    const run = await first.createRun(newRun);
    const appends: Promise<RunEvent>[] = [];
    for (let index = 0; index < 100; index++) {
      const store = index % 2 === 0 ? first : second;
      appends.push(store.appendEvent(run.id, 'model.request', { index }));
    }
    await Promise.all(appends);
    expect(await verifyRunAudit(first, run.id)).toEqual({ ok: true, count: 100 });
    expect(await verifyRunAudit(second, run.id)).toEqual({ ok: true, count: 100 });
    expect((await second.getRun(run.id))?.eventCount).toBe(100);
  });

  it('keeps one chain when three processes append to one run at once', async () => {
    const store = await open();
    const run = await store.createRun(newRun);
    const perWriter = 150;
    const writers = ['a', 'b', 'c'];
    const exits = await runWorkersTogether(
      writers.map((writer) => [path, 'append', run.id, String(perWriter), writer]),
    );
    expect(exits).toEqual(writers.map(() => ({ code: 0, stderr: '' })));

    expect(await verifyRunAudit(store, run.id)).toEqual({ ok: true, count: perWriter * writers.length });
    const events = await store.listEvents(run.id);
    for (const writer of writers) {
      const indexes = events
        .filter((event) => event.payload['writer'] === writer)
        .map((event) => event.payload['index']);
      expect(indexes).toEqual(Array.from({ length: perWriter }, (_, index) => index));
    }
  });

  it('migrates idempotently, twice in a row and from four processes at once', async () => {
    const exits = await runWorkersTogether([1, 2, 3, 4].map(() => [path, 'migrate']));
    expect(exits).toEqual([1, 2, 3, 4].map(() => ({ code: 0, stderr: '' })));
    const store = await open();
    await store.migrate();
    const raw = new DatabaseSync(path);
    try {
      const versions = raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      expect(versions).toEqual(SQLITE_MIGRATIONS.map(({ version, name }) => ({ version, name })));
    } finally {
      raw.close();
    }
    const run = await store.createRun(newRun);
    expect(await store.getRun(run.id)).toEqual(run);
  });

  it('skips a migration another connection applied after this one looked', () => {
    const first = new DatabaseSync(path);
    const second = new DatabaseSync(path);
    try {
      applySqliteMigrations(first, path, []);
      const migration = SQLITE_MIGRATIONS[0]!;
      // Both saw version 1 missing; the second gets the lock first.
      expect(applyMigration(second, migration)).toBe(true);
      expect(applyMigration(first, migration)).toBe(false);
      expect(first.prepare('SELECT count(*) AS applied FROM schema_migrations').get()).toEqual({
        applied: 1,
      });
    } finally {
      first.close();
      second.close();
    }
  });

  it('rolls back a migration that fails half way', async () => {
    const raw = new DatabaseSync(path);
    try {
      const broken = [
        ...SQLITE_MIGRATIONS,
        {
          version: 99,
          name: 'broken',
          sql: 'CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;',
        },
      ];
      expect(() => applySqliteMigrations(raw, path, broken)).toThrow(/no_such_table/);
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
      expect(raw.prepare('SELECT max(version) AS version FROM schema_migrations').get()).toEqual({
        version: SQLITE_MIGRATIONS.at(-1)!.version,
      });
    } finally {
      raw.close();
    }
  });

  it('refuses a database migrated by a newer agentry', async () => {
    const store = await open();
    const raw = new DatabaseSync(path);
    raw.exec(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01')",
    );
    raw.close();
    const migration = store.migrate();
    await expect(migration).rejects.toBeInstanceOf(StoreSchemaTooNewError);
    await expect(migration).rejects.toThrow(`store ${path} has schema version 999`);
  });
});

describe('tampering with a stored trail', () => {
  let directory: string;
  let store: SqliteRunStore;
  let raw: DatabaseSync;
  let runId: string;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'agentry-store-'));
    const path = join(directory, 'agentry.db');
    store = new SqliteRunStore(path);
    await store.migrate();
    runId = (await store.createRun(newRun)).id;
    await store.appendEvent(runId, 'run.created', { trigger: 'airflow' });
    await store.appendEvent(runId, 'run.started', { owner: 'host:1' });
    await store.appendEvent(runId, 'tool-call.started', {
      tool: 'run_sql_query',
      input: { sql: 'select 1' },
    });
    await store.appendEvent(runId, 'tool-call.completed', { tool: 'run_sql_query', rows: 1 });
    await store.appendEvent(runId, 'run.completed', { summary: 'all good' });
    raw = new DatabaseSync(path);
  });
  afterEach(async () => {
    raw.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** The append-only triggers stop mistakes; an attacker drops them, and the chain must still tell. */
  const dropGuards = (): void => {
    raw.exec('DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;');
  };

  it('starts out verified', async () => {
    expect(await verifyRunAudit(store, runId)).toEqual({ ok: true, count: 5 });
  });

  it('refuses updates and deletes of events while the guards are in place', () => {
    expect(() => raw.exec(`UPDATE events SET payload = '{}' WHERE seq = 1`)).toThrow(/append-only/);
    expect(() => raw.exec('DELETE FROM events WHERE seq = 5')).toThrow(/append-only/);
  });

  it('finds an altered payload', async () => {
    dropGuards();
    raw
      .prepare(`UPDATE events SET payload = '{"rows":0,"tool":"run_sql_query"}' WHERE run_id = ? AND seq = 4`)
      .run(runId);
    expect(await verifyRunAudit(store, runId)).toMatchObject({
      ok: false,
      seq: 4,
      reason: expect.stringMatching(/altered/),
    });
  });

  it('finds an altered type and an altered time', async () => {
    dropGuards();
    raw.prepare(`UPDATE events SET type = 'tool-call.denied' WHERE run_id = ? AND seq = 3`).run(runId);
    expect(await verifyRunAudit(store, runId)).toMatchObject({ ok: false, seq: 3 });
    raw.prepare(`UPDATE events SET type = 'tool-call.started' WHERE run_id = ? AND seq = 3`).run(runId);
    raw
      .prepare(`UPDATE events SET time = '2020-01-01T00:00:00.000Z' WHERE run_id = ? AND seq = 2`)
      .run(runId);
    expect(await verifyRunAudit(store, runId)).toMatchObject({ ok: false, seq: 2 });
  });

  it('finds a replaced hash', async () => {
    dropGuards();
    raw.prepare(`UPDATE events SET hash = ? WHERE run_id = ? AND seq = 2`).run('f'.repeat(64), runId);
    expect(await verifyRunAudit(store, runId)).toMatchObject({ ok: false, seq: 2 });
  });

  it('finds an event whose content and hash were both rewritten, at the next link', async () => {
    dropGuards();
    const events = await store.listEvents(runId);
    const forged = { ...events[1]!, payload: { owner: 'somewhere-else' } };
    raw
      .prepare('UPDATE events SET payload = ?, hash = ? WHERE run_id = ? AND seq = 2')
      .run(JSON.stringify(forged.payload), computeEventHash(forged.prevHash, forged), runId);
    expect(await verifyRunAudit(store, runId)).toMatchObject({
      ok: false,
      seq: 3,
      reason: expect.stringMatching(/link/),
    });
  });

  it('finds a deleted event in the middle', async () => {
    dropGuards();
    raw.prepare('DELETE FROM events WHERE run_id = ? AND seq = 3').run(runId);
    expect(await verifyRunAudit(store, runId)).toMatchObject({
      ok: false,
      seq: 3,
      reason: expect.stringMatching(/expected event 3 but found event 4/),
    });
  });

  it('finds a deleted last event against the head kept on the run', async () => {
    dropGuards();
    raw.prepare('DELETE FROM events WHERE run_id = ? AND seq = 5').run(runId);
    expect(await verifyRunAudit(store, runId)).toMatchObject({
      ok: false,
      seq: 5,
      reason: expect.stringMatching(/recorded 5 events but 4 remain/),
    });
  });

  it('finds a whole trail rewritten consistently against the head kept on the run', async () => {
    dropGuards();
    const events = await store.listEvents(runId);
    let prevHash = events[0]!.prevHash;
    for (const event of events) {
      const forged = { ...event, prevHash, payload: { ...event.payload, forged: true } };
      const hash = computeEventHash(prevHash, forged);
      raw
        .prepare('UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE run_id = ? AND seq = ?')
        .run(JSON.stringify(forged.payload), prevHash, hash, runId, event.seq);
      prevHash = hash;
    }
    expect(await verifyRunAudit(store, runId)).toMatchObject({
      ok: false,
      seq: 5,
      reason: expect.stringMatching(/rewritten/),
    });
  });

  it('finds a valid-looking event appended behind the store', async () => {
    const last = (await store.listEvents(runId)).at(-1)!;
    const extra = { runId, seq: 6, time: last.time, type: 'run.failed' as const, payload: {} };
    raw
      .prepare(
        'INSERT INTO events (run_id, seq, time, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(runId, 6, extra.time, extra.type, '{}', last.hash, computeEventHash(last.hash, extra));
    expect(await verifyRunAudit(store, runId)).toMatchObject({ ok: false, seq: 6 });
  });
});

describe('openStore', () => {
  let directory: string;
  const opened: RunStore[] = [];

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'agentry-project-'));
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('opens sqlite:PATH relative to the project root, creating its directory, migrated', async () => {
    const store = await openStore('sqlite:.agentry/state/agentry.db', directory);
    opened.push(store);
    const run = await store.createRun(newRun);
    await store.close();

    const again = await openStore(`sqlite:${join(directory, '.agentry/state/agentry.db')}`, '/elsewhere');
    opened.push(again);
    expect(await again.getRun(run.id)).toEqual(run);
  });

  it('opens sqlite::memory:', async () => {
    const store = await openStore('sqlite::memory:', directory);
    opened.push(store);
    expect(await store.listRuns()).toEqual([]);
  });

  it('refuses Postgres for now without echoing its password', async () => {
    const attempt = openStore('postgres://agentry:hunter2@127.0.0.1:5432/agentry', directory);
    await expect(attempt).rejects.toMatchObject({ code: 'store.unsupported', kind: 'user' });
    await expect(attempt).rejects.toThrow(/scale-out/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });

  it('refuses a URL it does not know', async () => {
    await expect(openStore('mysql://localhost/agentry', directory)).rejects.toMatchObject({
      code: 'store.unsupported',
    });
    await expect(openStore('sqlite:', directory)).rejects.toMatchObject({ code: 'store.unsupported' });
  });

  it('reports a file it cannot open as a StoreError naming the path', async () => {
    writeFileSync(join(directory, 'not-a-directory'), 'x');
    const attempt = openStore('sqlite:not-a-directory/agentry.db', directory);
    await expect(attempt).rejects.toBeInstanceOf(StoreError);
    await expect(attempt).rejects.toMatchObject({ code: 'store.failed', kind: 'system' });
    await expect(attempt).rejects.toThrow(join(directory, 'not-a-directory'));
  });

  it('reports a file that is not a database as a StoreError naming the path', async () => {
    const path = join(directory, 'garbage.db');
    writeFileSync(
      path,
      'this is not a sqlite database, just text that is long enough to have a header'.repeat(20),
    );
    const attempt = openStore('sqlite:garbage.db', directory);
    await expect(attempt).rejects.toMatchObject({
      code: 'store.failed',
      message: expect.stringContaining(path),
    });
  });

  it('reports use after close as a StoreError', async () => {
    const store = await openStore('sqlite:agentry.db', directory);
    await store.close();
    await store.close();
    await expect(store.listRuns()).rejects.toMatchObject({ code: 'store.failed' });
  });
});
