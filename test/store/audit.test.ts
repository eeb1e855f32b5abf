import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyRunAudit, verifyStoreAudit } from '../../src/store/audit.js';
import { canonicalJson } from '../../src/store/canonical-json.js';
import { computeMessageHash, GENESIS_HASH } from '../../src/store/hash-chain.js';
import { computeLedgerHash, type LedgerEntry } from '../../src/store/ledger.js';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/sqlite.js';
import { SqliteRunStore } from '../../src/store/sqlite.js';
import type { RunRecord } from '../../src/store/types.js';

/**
 * What a person with write access to the database file can do, and what `audit verify` must then
 * say. The attacker drops the append-only guards first, as anyone can.
 */

const AGENT = { agent: 'test-maintainer', agentHash: 'a'.repeat(64), trigger: { kind: 'cli' as const } };

/** A run recorded the way the engine records one: two steps, a tool call, an artifact, an answer. */
async function recordRun(store: SqliteRunStore, answer = 'Added 3 tests to orders.'): Promise<RunRecord> {
  const run = await store.createRun({ ...AGENT, baseRef: 'main', message: 'Add missing tests' });
  await store.appendEvent(run.id, 'run.created', {
    agent: AGENT.agent,
    agentHash: AGENT.agentHash,
    agentVersion: 1,
    trigger: AGENT.trigger,
    baseRef: 'main',
    parentRunId: null,
  });
  const startedAt = new Date().toISOString();
  await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING', startedAt, turns: 1, owner: 'host:1' });
  await store.record(run.id, {
    update: { from: ['RUNNING'], patch: { repoCommit: 'c0ffee' } },
    events: [
      { type: 'run.started', payload: { agent: AGENT.agent } },
      { type: 'turn.started', payload: { turn: 1, message: 'Add missing tests' } },
      { type: 'sandbox.provisioned', payload: { baseCommit: 'c0ffee', durationMs: 3 } },
    ],
  });
  await store.record(run.id, {
    messages: [
      { turn: 1, role: 'system', content: 'You add dbt tests.' },
      { turn: 1, role: 'user', content: 'Add missing tests' },
    ],
    events: [{ type: 'model.request', payload: { turn: 1, step: 1 } }],
  });
  const call = {
    type: 'tool-call',
    toolCallId: 'call_1',
    toolName: 'read_file',
    input: { path: 'models/orders.sql' },
  };
  await store.record(run.id, {
    update: { from: ['RUNNING'], patch: { usage: { inputTokens: 120, outputTokens: 14, costUsd: 0.0001 } } },
    messages: [{ turn: 1, role: 'assistant', content: [call] }],
    events: [
      { type: 'model.response', payload: { turn: 1, step: 1, text: '', toolCalls: [call] } },
      { type: 'tool-call.started', payload: { step: 1, callId: 'call_1', tool: 'read_file' } },
    ],
  });
  await store.record(run.id, {
    messages: [
      {
        turn: 1,
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 'call_1', output: { type: 'text', value: 'select 1' } }],
      },
    ],
    events: [
      { type: 'tool-call.completed', payload: { step: 1, callId: 'call_1', output: 'select 1' } },
      { type: 'model.request', payload: { turn: 1, step: 2 } },
    ],
  });
  const usage = { inputTokens: 300, outputTokens: 40, costUsd: 0.0003 };
  await store.record(run.id, {
    update: { from: ['RUNNING'], patch: { usage } },
    messages: [{ turn: 1, role: 'assistant', content: [{ type: 'text', text: answer }] }],
    events: [{ type: 'model.response', payload: { turn: 1, step: 2, text: answer, toolCalls: [] } }],
  });
  const diff = new TextEncoder().encode('--- a/models/orders.yml\n+++ b/models/orders.yml\n');
  const artifact = await store.putArtifact(run.id, 'workspace.diff', 'text/x-diff', diff);
  await store.appendEvent(run.id, 'artifact.created', { ...artifact });
  await store.appendEvent(run.id, 'sandbox.destroyed', { durationMs: 2 });
  const output = { text: answer };
  const ended = await store.record(run.id, {
    update: {
      from: ['RUNNING'],
      patch: {
        status: 'COMPLETED',
        failureReason: null,
        error: null,
        endedAt: new Date().toISOString(),
        usage,
        output,
        owner: null,
        heartbeatAt: null,
      },
      required: true,
    },
    events: [{ type: 'run.completed', payload: { turn: 1, steps: 2, usage, output } }],
  });
  expect(ended.updated).toBe(true);
  return (await store.getRun(run.id))!;
}

describe('audit verify covers what a reader sees', () => {
  let directory: string;
  let store: SqliteRunStore;
  let raw: DatabaseSync;
  let run: RunRecord;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'agentry-audit-'));
    const path = join(directory, 'agentry.db');
    store = new SqliteRunStore(path);
    await store.migrate();
    run = await recordRun(store);
    raw = new DatabaseSync(path);
  });
  afterEach(async () => {
    raw.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const dropGuards = () => {
    for (const trigger of [
      'events_no_update',
      'events_no_delete',
      'messages_no_update',
      'messages_no_delete',
      'runs_no_delete',
      'run_ledger_no_update',
      'run_ledger_no_delete',
    ]) {
      raw.exec(`DROP TRIGGER ${trigger}`);
    }
  };

  it('starts out verified, with the run in the ledger: created, then sealed when it ended', async () => {
    expect(await verifyRunAudit(store, run.id)).toEqual({ ok: true, count: run.eventCount });
    const entries = await store.listLedger({ runId: run.id });
    expect(entries.map((entry) => entry.kind)).toEqual(['created', 'sealed']);
    expect(entries[1]!.state.events).toEqual({ count: run.eventCount, head: run.headHash });
    expect(entries[1]!.state.messages).toEqual({ count: 5, head: run.messageHead });
    expect(run.messageCount).toBe(5);
    const report = await verifyStoreAudit(store);
    expect(report).toMatchObject({ ok: true, runs: 1, failed: 0, missing: [] });
    expect(report.head).toEqual(await store.getLedgerHead());
  });

  it('refuses to update or delete messages, ledger entries and runs while the guards are in place', () => {
    expect(() => raw.exec(`UPDATE messages SET content = '"x"'`)).toThrow(/append-only/);
    expect(() => raw.exec('DELETE FROM messages')).toThrow(/append-only/);
    expect(() => raw.exec(`UPDATE run_ledger SET kind = 'adopted'`)).toThrow(/append-only/);
    expect(() => raw.exec('DELETE FROM run_ledger')).toThrow(/append-only/);
    expect(() => raw.exec('DELETE FROM runs')).toThrow(/cannot be deleted/);
  });

  it('finds a forged final answer in runs.output, naming the field and what contradicts it', async () => {
    dropGuards();
    raw
      .prepare('UPDATE runs SET output = ? WHERE id = ?')
      .run(JSON.stringify({ text: 'All models are tested; nothing to do.' }), run.id);
    const verdict = await verifyRunAudit(store, run.id);
    expect(verdict).toMatchObject({ ok: false, part: 'run', fields: ['output'] });
    expect(verdict.ok === false && verdict.reason).toMatch(/output was changed/);
    expect(verdict.ok === false && verdict.reason).toMatch(/ledger entry \d+ sealed/);
    expect(verdict.ok === false && verdict.reason).toMatch(/its run\.completed event \(event \d+\)/);
  });

  it('finds a forged answer even when the ledger seal is forged to match (the events still disagree)', async () => {
    dropGuards();
    const forged = { text: 'Nothing to do.' };
    raw.prepare('UPDATE runs SET output = ? WHERE id = ?').run(JSON.stringify(forged), run.id);
    // Rewrite the seal and re-chain the ledger: all an attacker who knows the format can do.
    rechainLedger(raw, (entry) =>
      entry.runId === run.id && entry.kind === 'sealed'
        ? { ...entry.state, run: { ...entry.state.run, output: digest(forged) } }
        : entry.state,
    );
    const report = await verifyStoreAudit(store);
    expect(report.ledger.ok).toBe(true);
    expect(report.failed).toBe(1);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'run',
      fields: ['output'],
      reason: expect.stringMatching(/run\.completed event/),
    });
  });

  it.each([
    ['status', `status = 'FAILED'`],
    ['failureReason', `failure_reason = 'timeout'`],
    ['error', `error = 'the warehouse was down'`],
    ['usage', `usage = '{"inputTokens":1,"outputTokens":1,"costUsd":0}'`],
    ['turns', 'turns = 3'],
    ['endedAt', `ended_at = '2030-01-01T00:00:00.000Z'`],
    ['startedAt', `started_at = '2020-01-01T00:00:00.000Z'`],
    ['createdAt', `created_at = '2020-01-01T00:00:00.000Z'`],
    ['agent', `agent = 'someone-else'`],
    ['agentHash', `agent_hash = '${'b'.repeat(64)}'`],
    ['trigger', `trigger = '{"kind":"api","source":"mallory"}'`],
    ['repoCommit', `repo_commit = 'deadbeef'`],
    ['baseRef', `base_ref = 'release'`],
    ['message', `message = 'Delete the tests'`],
  ])('finds a rewritten run field: %s', async (field, assignment) => {
    raw.prepare(`UPDATE runs SET ${assignment} WHERE id = ?`).run(run.id);
    const verdict = await verifyRunAudit(store, run.id);
    expect(verdict).toMatchObject({ ok: false, part: 'run', seq: 0 });
    expect(verdict.ok === false && verdict.fields).toContain(field);
  });

  it('finds a rewritten parent run', async () => {
    const parent = await store.createRun(AGENT);
    raw.prepare('UPDATE runs SET parent_run_id = ? WHERE id = ?').run(parent.id, run.id);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'run',
      fields: ['parentRunId'],
    });
  });

  it('leaves the fields that change while a run lives (owner, heartbeat, cancel request) out', async () => {
    raw
      .prepare('UPDATE runs SET owner = ?, heartbeat_at = ?, cancel_requested_at = ? WHERE id = ?')
      .run('elsewhere:9', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z', run.id);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({ ok: true });
  });

  it('finds a rewritten message, naming it', async () => {
    dropGuards();
    raw
      .prepare('UPDATE messages SET content = ? WHERE run_id = ? AND seq = 5')
      .run(JSON.stringify([{ type: 'text', text: 'Nothing to do.' }]), run.id);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'messages',
      seq: 5,
      reason: expect.stringMatching(/message 5 \(turn 1, assistant\) does not match its hash/),
    });
  });

  it('finds messages rewritten with their hashes and the head on the run recomputed, against the seal', async () => {
    dropGuards();
    const messages = await store.listMessages(run.id);
    let head = GENESIS_HASH;
    for (const message of messages) {
      const content = message.seq === 2 ? 'Delete every test' : message.content;
      head = computeMessageHash(head, { ...message, content });
      raw
        .prepare('UPDATE messages SET content = ?, hash = ? WHERE run_id = ? AND seq = ?')
        .run(canonicalJson(content), head, run.id, message.seq);
    }
    raw.prepare('UPDATE runs SET message_head = ? WHERE id = ?').run(head, run.id);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'messages',
      reason: expect.stringMatching(/no longer match the 5 messages that ledger entry \d+ sealed/),
    });
  });

  it('finds a deleted last message and a message added behind the store', async () => {
    dropGuards();
    raw.prepare('DELETE FROM messages WHERE run_id = ? AND seq = 5').run(run.id);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'messages',
      reason: expect.stringMatching(/recorded 5 messages but 4 remain/),
    });
    // Put it back, then add a sixth that chains correctly: the head on the run still tells.
    const last = {
      runId: run.id,
      seq: 5,
      turn: 1,
      role: 'assistant' as const,
      content: 'x',
      createdAt: run.createdAt,
    };
    const previous = (await store.listMessages(run.id)).at(-1)!;
    for (const [message, prevHash] of [
      [last, previous.hash],
      [{ ...last, seq: 6 }, computeMessageHash(previous.hash, last)],
    ] as const) {
      raw
        .prepare(
          'INSERT INTO messages (run_id, seq, turn, role, content, created_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          run.id,
          message.seq,
          1,
          'assistant',
          '"x"',
          message.createdAt,
          computeMessageHash(prevHash, message),
        );
    }
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'messages',
      reason: expect.stringMatching(/recorded 5 messages but 6 exist/),
    });
  });

  it('finds an event appended after the run ended, even with the head on the run moved', async () => {
    const event = await store.appendEvent(run.id, 'tool-call.completed', { forged: true });
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'events',
      seq: event.seq,
      reason: expect.stringMatching(/added after the run ended/),
    });
  });

  it('finds altered artifact bytes and a replaced artifact', async () => {
    raw
      .prepare('UPDATE artifacts SET content = ? WHERE run_id = ?')
      .run(new TextEncoder().encode('rm -rf models/'), run.id);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'artifacts',
      fields: ['workspace.diff'],
      reason: expect.stringMatching(/bytes were altered/),
    });
    await store.putArtifact(
      run.id,
      'workspace.diff',
      'text/x-diff',
      new TextEncoder().encode('rm -rf models/'),
    );
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'artifacts',
      reason: expect.stringMatching(/no longer matches what ledger entry \d+ sealed/),
    });
  });

  it('finds a deleted run: verify --all names it from the ledger', async () => {
    const other = await recordRun(store, 'Second answer.');
    dropGuards();
    for (const table of ['events', 'messages', 'artifacts']) {
      raw.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(run.id);
    }
    raw.prepare('DELETE FROM runs WHERE id = ?').run(run.id);
    const report = await verifyStoreAudit(store);
    expect(report).toMatchObject({
      ok: false,
      runs: 1,
      failed: 0,
      missing: [{ runId: run.id, agent: AGENT.agent, createdAt: run.createdAt, ledgerSeq: 1 }],
    });
    expect(report.ledger.ok).toBe(true);
    expect(await verifyRunAudit(store, other.id)).toMatchObject({ ok: true });
  });

  it('finds a deleted run whose ledger entries were deleted too: the chain breaks, or the head does', async () => {
    await recordRun(store, 'Second answer.');
    dropGuards();
    raw.prepare('DELETE FROM run_ledger WHERE run_id = ?').run(run.id);
    for (const table of ['events', 'messages', 'artifacts']) {
      raw.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(run.id);
    }
    raw.prepare('DELETE FROM runs WHERE id = ?').run(run.id);
    expect((await verifyStoreAudit(store)).ledger).toMatchObject({
      ok: false,
      seq: 1,
      reason: expect.stringMatching(/expected ledger entry 1 but found entry 3/),
    });
  });

  it('finds the newest run deleted with its ledger entries, against the ledger head', async () => {
    const newest = await recordRun(store, 'Second answer.');
    dropGuards();
    raw.prepare('DELETE FROM run_ledger WHERE run_id = ?').run(newest.id);
    for (const table of ['events', 'messages', 'artifacts']) {
      raw.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(newest.id);
    }
    raw.prepare('DELETE FROM runs WHERE id = ?').run(newest.id);
    expect((await verifyStoreAudit(store)).ledger).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/recorded 4 ledger entries but 2 remain/),
    });
  });

  it('finds a run inserted behind the store: it is not in the ledger', async () => {
    raw
      .prepare(
        `INSERT INTO runs (id, agent, agent_hash, trigger, status, created_at, usage)
         VALUES ('01J00000000000000000000000', 'x', 'y', '{"kind":"cli"}', 'COMPLETED', '2025-01-01T00:00:00.000Z', '{}')`,
      )
      .run();
    expect(await verifyRunAudit(store, '01J00000000000000000000000')).toMatchObject({
      ok: false,
      part: 'ledger',
      reason: expect.stringMatching(/not in the store's ledger/),
    });
  });

  it("finds a rewritten ledger entry at the next entry's link", async () => {
    await recordRun(store, 'Second answer.');
    dropGuards();
    const [created] = await store.listLedger({ runId: run.id });
    const state = { ...created!.state, run: { ...created!.state.run, agent: 'someone-else' } };
    const hash = computeLedgerHash(created!.prevHash, { ...created!, state });
    raw
      .prepare('UPDATE run_ledger SET state = ?, hash = ? WHERE seq = ?')
      .run(canonicalJson(state), hash, created!.seq);
    expect(await verifyRunAudit(store, run.id)).toMatchObject({
      ok: false,
      part: 'ledger',
      seq: created!.seq,
      reason: expect.stringMatching(/no longer links to the entry after it/),
    });
    expect((await verifyStoreAudit(store)).ledger).toMatchObject({ ok: false, seq: created!.seq + 1 });
  });

  it('catches a store rewritten wholesale only against an anchor kept outside it', async () => {
    const before = await verifyStoreAudit(store);
    expect(before.ok).toBe(true);
    dropGuards();
    const forged = { text: 'Nothing to do.' };
    raw.prepare('UPDATE runs SET output = ? WHERE id = ?').run(JSON.stringify(forged), run.id);
    // Forge everything the store holds: the seal, the ledger chain and head. (The run.completed
    // event still disagrees, so the run itself fails; the anchor check stands on its own.)
    rechainLedger(raw, (entry) =>
      entry.kind === 'sealed'
        ? { ...entry.state, run: { ...entry.state.run, output: digest(forged) } }
        : entry.state,
    );
    const without = await verifyStoreAudit(store);
    expect(without.ledger.ok).toBe(true);
    expect(without.anchor).toBeUndefined();
    const anchored = await verifyStoreAudit(store, { anchor: before.head });
    expect(anchored.anchor).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/was rewritten since the anchor/),
    });
    expect(anchored.ok).toBe(false);
    // An anchor taken later than the store now reaches names the truncation.
    const ahead = await verifyStoreAudit(store, {
      anchor: { count: before.head.count + 5, hash: before.head.hash },
    });
    expect(ahead.anchor).toMatchObject({ ok: false, reason: expect.stringMatching(/truncated/) });
  });

  it('checks only the fixed fields of a run that is still running', async () => {
    const live = await store.createRun(AGENT);
    await store.updateRun(live.id, ['PENDING'], {
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      turns: 1,
    });
    await store.record(live.id, {
      update: { from: ['RUNNING'], patch: { usage: { inputTokens: 5, outputTokens: 5, costUsd: 0 } } },
      events: [{ type: 'model.request', payload: {} }],
    });
    expect(await verifyRunAudit(store, live.id)).toEqual({ ok: true, count: 1 });
    raw.prepare(`UPDATE runs SET agent = 'someone-else' WHERE id = ?`).run(live.id);
    expect(await verifyRunAudit(store, live.id)).toMatchObject({ ok: false, part: 'run', fields: ['agent'] });
  });
});

describe('a store written before audit format 2 (fixed corpus)', () => {
  let directory: string;
  let path: string;
  const corpus = readFileSync(new URL('../fixtures/store/store-v3.sql', import.meta.url), 'utf8');

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'agentry-legacy-'));
    path = join(directory, 'agentry.db');
    const raw = new DatabaseSync(path);
    raw.exec(corpus);
    raw.close();
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  const open = async () => {
    const store = new SqliteRunStore(path);
    await store.migrate();
    return store;
  };

  it('upgrades, keeps every run readable, and verifies each as adopted at the upgrade', async () => {
    const before = new DatabaseSync(path);
    const oldMessages = before
      .prepare('SELECT run_id, seq, content FROM messages ORDER BY run_id, seq')
      .all();
    before.close();
    const store = await open();
    try {
      const runs = await store.listRuns();
      expect(runs.map((run) => [run.agent, run.status])).toEqual([
        ['summarizer', 'COMPLETED'],
        ['analyst', 'CANCELLED'],
        ['analyst', 'FAILED'],
        ['analyst', 'COMPLETED'],
      ]);
      expect(runs.at(-1)!.output).toEqual({ text: 'Nothing else: it has one model.' });
      for (const run of runs) {
        const verdict = await verifyRunAudit(store, run.id);
        expect(verdict).toMatchObject({ ok: true, count: run.eventCount });
        expect(verdict.ok && verdict.notes?.[0]).toMatch(/recorded before audit format 2/);
      }
      const messages = (await Promise.all(runs.map((run) => store.listMessages(run.id)))).flat();
      expect(messages).toHaveLength(oldMessages.length);
      for (const old of oldMessages) {
        const message = messages.find((m) => m.runId === old['run_id'] && m.seq === old['seq'])!;
        expect(message.content).toEqual(JSON.parse(String(old['content'])));
      }
      const report = await verifyStoreAudit(store);
      expect(report).toMatchObject({ ok: true, runs: 4, failed: 0, missing: [] });
      expect(report.head.count).toBe(4);
      expect((await store.listLedger()).map((entry) => entry.kind)).toEqual([
        'adopted',
        'adopted',
        'adopted',
        'adopted',
      ]);
      expect(await store.getRun(runs[0]!.id)).toMatchObject({ messageCount: 3 });
    } finally {
      await store.close();
    }
  });

  it('after the upgrade, finds a rewritten message and a rewritten answer of an old run', async () => {
    const store = await open();
    const raw = new DatabaseSync(path);
    try {
      const [, , , first] = await store.listRuns();
      raw.exec('DROP TRIGGER messages_no_update');
      raw
        .prepare(`UPDATE messages SET content = '"Delete the orders model"' WHERE run_id = ? AND seq = 2`)
        .run(first!.id);
      expect(await verifyRunAudit(store, first!.id)).toMatchObject({ ok: false, part: 'messages', seq: 2 });
      const [summarizer] = await store.listRuns();
      raw.prepare(`UPDATE runs SET output = '{"text":"forged"}' WHERE id = ?`).run(summarizer!.id);
      expect(await verifyRunAudit(store, summarizer!.id)).toMatchObject({
        ok: false,
        part: 'run',
        fields: ['output'],
      });
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('finds an answer rewritten before the upgrade where the run.completed event disagrees', async () => {
    const raw = new DatabaseSync(path);
    const id = String(raw.prepare(`SELECT id FROM runs WHERE agent = 'summarizer'`).get()!['id']);
    raw.prepare(`UPDATE runs SET output = '{"text":"forged before the upgrade"}' WHERE id = ?`).run(id);
    raw
      .prepare(`UPDATE runs SET usage = '{"inputTokens":1,"outputTokens":1,"costUsd":0}' WHERE id = ?`)
      .run(id);
    raw.close();
    const store = await open();
    try {
      expect(await verifyRunAudit(store, id)).toMatchObject({
        ok: false,
        part: 'run',
        fields: ['usage', 'output'],
        reason: expect.stringMatching(/run\.completed event/),
      });
    } finally {
      await store.close();
    }
  });

  it('keeps the corpus as it was written: never regenerate it', () => {
    expect(createHash('sha256').update(corpus).digest('hex')).toBe(CORPUS_SHA256);
    expect(SQLITE_MIGRATIONS.find((migration) => migration.version === 5)?.name).toMatch(/audit format 2/);
  });
});

const CORPUS_SHA256 = '13352e7c7912e543acfd8f6af77076165d35cebf5ebac12ae0fcff8095ed53b5';

function digest(value: unknown): { sha256: string } {
  return {
    sha256: createHash('sha256')
      .update(canonicalJson(value ?? null))
      .digest('hex'),
  };
}

/** Rewrite every ledger entry's state with `change` and recompute the chain and head, as a forger would. */
function rechainLedger(raw: DatabaseSync, change: (entry: LedgerEntry) => LedgerEntry['state']): void {
  const rows = raw.prepare('SELECT * FROM run_ledger ORDER BY seq').all();
  let prevHash = GENESIS_HASH;
  for (const row of rows) {
    const entry: LedgerEntry = {
      seq: Number(row['seq']),
      runId: String(row['run_id']),
      kind: row['kind'] as LedgerEntry['kind'],
      time: String(row['time']),
      state: JSON.parse(String(row['state'])),
      prevHash: String(row['prev_hash']),
      hash: String(row['hash']),
    };
    const state = change(entry);
    const hash = computeLedgerHash(prevHash, { ...entry, state });
    raw
      .prepare('UPDATE run_ledger SET state = ?, prev_hash = ?, hash = ? WHERE seq = ?')
      .run(canonicalJson(state), prevHash, hash, entry.seq);
    prevHash = hash;
  }
  raw.prepare('UPDATE ledger_head SET hash = ? WHERE id = 1').run(prevHash);
}
