import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyRunAudit } from '../../src/store/audit.js';
import { RunNotFoundError } from '../../src/store/errors.js';
import { GENESIS_HASH, verifyChain, verifyMessageChain } from '../../src/store/hash-chain.js';
import { sealedRunFields, verifyLedger } from '../../src/store/ledger.js';
import type { RunStore } from '../../src/store/run-store.js';
import type { NewRun } from '../../src/store/types.js';

/** A store under test, with a way to drop everything it made (connections, files, databases). */
export type StoreUnderTest = RunStore & { cleanup(): Promise<void> };

const newRun = (overrides: Partial<NewRun> = {}): NewRun => ({
  agent: 'test-maintainer',
  agentHash: 'a'.repeat(64),
  trigger: { kind: 'cli', source: 'alice' },
  ...overrides,
});

/**
 * The behaviour every `RunStore` adapter must have. Call it from the adapter's test file with a
 * factory that returns a fresh, migrated, empty store each time.
 */
export function runStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`RunStore contract: ${name}`, () => {
    let store: StoreUnderTest;

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.cleanup();
    });

    describe('runs', () => {
      it('creates a PENDING run with a time-sortable id and reads it back', async () => {
        const run = await store.createRun(
          newRun({ baseRef: 'main', trigger: { kind: 'api', idempotencyKey: 'k1' } }),
        );
        expect(run).toMatchObject({
          agent: 'test-maintainer',
          agentHash: 'a'.repeat(64),
          baseRef: 'main',
          repoCommit: null,
          trigger: { kind: 'api', idempotencyKey: 'k1' },
          parentRunId: null,
          status: 'PENDING',
          failureReason: null,
          error: null,
          startedAt: null,
          endedAt: null,
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
          output: null,
          turns: 0,
          owner: null,
          heartbeatAt: null,
          cancelRequestedAt: null,
          eventCount: 0,
          headHash: GENESIS_HASH,
        });
        expect(run.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
        expect(run.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(await store.getRun(run.id)).toEqual(run);
      });

      it('returns undefined for an unknown run', async () => {
        expect(await store.getRun('01J00000000000000000000000')).toBeUndefined();
      });

      it('keeps the parent of a child run and refuses an unknown parent', async () => {
        const parent = await store.createRun(newRun());
        const child = await store.createRun(newRun({ agent: 'log-analyzer', parentRunId: parent.id }));
        expect((await store.getRun(child.id))?.parentRunId).toBe(parent.id);
        await expect(store.createRun(newRun({ parentRunId: 'NOPE' }))).rejects.toBeInstanceOf(
          RunNotFoundError,
        );
      });

      it('issues increasing ids even within one millisecond', async () => {
        const ids: string[] = [];
        for (let index = 0; index < 50; index++) ids.push((await store.createRun(newRun())).id);
        expect([...ids].sort()).toEqual(ids);
        expect(new Set(ids).size).toBe(50);
      });

      it('lists newest first, filtered by agent and status, in pages', async () => {
        const created: string[] = [];
        for (let index = 0; index < 7; index++) {
          const agent = index % 2 === 0 ? 'even-agent' : 'odd-agent';
          created.push((await store.createRun(newRun({ agent }))).id);
        }
        await store.updateRun(created[0]!, ['PENDING'], { status: 'RUNNING' });
        await store.updateRun(created[3]!, ['PENDING'], { status: 'RUNNING' });
        const newestFirst = [...created].reverse();

        expect((await store.listRuns()).map((run) => run.id)).toEqual(newestFirst);
        expect((await store.listRuns({ agent: 'even-agent' })).map((run) => run.id)).toEqual(
          newestFirst.filter((_, index) => index % 2 === 0),
        );
        expect((await store.listRuns({ status: 'RUNNING' })).map((run) => run.id)).toEqual([
          created[3],
          created[0],
        ]);
        expect(await store.listRuns({ agent: 'even-agent', status: 'RUNNING' })).toHaveLength(1);
        expect(await store.listRuns({ agent: 'nobody' })).toEqual([]);

        const firstPage = await store.listRuns({ limit: 3 });
        expect(firstPage.map((run) => run.id)).toEqual(newestFirst.slice(0, 3));
        const secondPage = await store.listRuns({ limit: 3, beforeId: firstPage.at(-1)!.id });
        expect(secondPage.map((run) => run.id)).toEqual(newestFirst.slice(3, 6));
        const lastPage = await store.listRuns({ limit: 3, beforeId: secondPage.at(-1)!.id });
        expect(lastPage.map((run) => run.id)).toEqual(newestFirst.slice(6));
      });
    });

    describe('updateRun', () => {
      it('applies a patch and stores every patchable field', async () => {
        const run = await store.createRun(newRun());
        const updated = await store.updateRun(run.id, ['PENDING'], {
          status: 'COMPLETED',
          failureReason: null,
          startedAt: '2025-01-02T03:04:05.006Z',
          endedAt: '2025-01-02T03:05:05.006Z',
          usage: { inputTokens: 1200, outputTokens: 340, costUsd: 0.0125 },
          output: { text: 'done', object: { summary: 'added 3 tests', models: ['orders'] } },
          turns: 2,
          owner: 'host:1234',
          heartbeatAt: '2025-01-02T03:05:00.000Z',
          cancelRequestedAt: '2025-01-02T03:05:01.000Z',
          repoCommit: 'c0ffee',
          error: 'none',
        });
        const expected = {
          ...run,
          status: 'COMPLETED',
          startedAt: '2025-01-02T03:04:05.006Z',
          endedAt: '2025-01-02T03:05:05.006Z',
          usage: { inputTokens: 1200, outputTokens: 340, costUsd: 0.0125 },
          output: { text: 'done', object: { summary: 'added 3 tests', models: ['orders'] } },
          turns: 2,
          owner: 'host:1234',
          heartbeatAt: '2025-01-02T03:05:00.000Z',
          cancelRequestedAt: '2025-01-02T03:05:01.000Z',
          repoCommit: 'c0ffee',
          error: 'none',
        };
        expect(updated).toEqual(expected);
        expect(await store.getRun(run.id)).toEqual(expected);
      });

      it('clears fields set to null and leaves absent ones alone', async () => {
        const run = await store.createRun(newRun());
        await store.updateRun(run.id, ['PENDING'], {
          status: 'RUNNING',
          owner: 'host:1',
          output: { text: 'x' },
        });
        const updated = await store.updateRun(run.id, ['RUNNING'], { owner: null, output: null });
        expect(updated).toMatchObject({ status: 'RUNNING', owner: null, output: null });
      });

      it('is a compare-and-set: a second transition from RUNNING fails', async () => {
        const run = await store.createRun(newRun());
        expect((await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING' }))?.status).toBe('RUNNING');
        const finish = await store.updateRun(run.id, ['RUNNING'], { status: 'COMPLETED' });
        expect(finish?.status).toBe('COMPLETED');
        expect(
          await store.updateRun(run.id, ['RUNNING'], { status: 'FAILED', error: 'late' }),
        ).toBeUndefined();
        expect(await store.getRun(run.id)).toMatchObject({ status: 'COMPLETED', error: null });
      });

      it('lets only one of two racing transitions win', async () => {
        const run = await store.createRun(newRun());
        await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING' });
        const results = await Promise.all([
          store.updateRun(run.id, ['RUNNING'], { status: 'COMPLETED' }),
          store.updateRun(run.id, ['RUNNING'], { status: 'CANCELLED' }),
        ]);
        expect(results.filter((result) => result !== undefined)).toHaveLength(1);
      });

      it('matches any of several from-statuses and none of an empty list', async () => {
        const run = await store.createRun(newRun());
        expect(await store.updateRun(run.id, [], { status: 'RUNNING' })).toBeUndefined();
        const cancelled = await store.updateRun(run.id, ['PENDING', 'RUNNING'], { status: 'CANCELLED' });
        expect(cancelled?.status).toBe('CANCELLED');
      });

      it('throws RunNotFoundError for an unknown run', async () => {
        const update = store.updateRun('01J00000000000000000000000', ['PENDING'], { status: 'RUNNING' });
        await expect(update).rejects.toMatchObject({
          code: 'run.not-found',
          kind: 'user',
          message: "no run 01J00000000000000000000000: list runs with 'agentry runs list'",
        });
      });
    });

    describe('events', () => {
      it('chains events from the genesis hash and keeps the head on the run', async () => {
        const run = await store.createRun(newRun());
        const first = await store.appendEvent(run.id, 'run.created', { trigger: 'cli' });
        const second = await store.appendEvent(run.id, 'run.started', { owner: 'host:1' });
        expect(first).toMatchObject({ runId: run.id, seq: 1, type: 'run.created', prevHash: GENESIS_HASH });
        expect(first.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
        expect(first.hash).toMatch(/^[0-9a-f]{64}$/);

        const events = await store.listEvents(run.id);
        expect(events).toEqual([first, second]);
        expect(verifyChain(events)).toEqual({ ok: true, count: 2 });
        expect(await store.getRun(run.id)).toMatchObject({ eventCount: 2, headHash: second.hash });
        expect(await verifyRunAudit(store, run.id)).toEqual({ ok: true, count: 2 });
      });

      it('returns the payload as it reads back, so the hash still verifies', async () => {
        const run = await store.createRun(newRun());
        const payload = {
          when: new Date('2025-01-01T00:00:00.000Z'),
          skipped: undefined,
          nested: { z: 1, a: [1, undefined] },
        };
        const event = await store.appendEvent(run.id, 'tool-call.completed', payload);
        expect(event.payload).toEqual({ when: '2025-01-01T00:00:00.000Z', nested: { a: [1, null], z: 1 } });
        expect(await store.listEvents(run.id)).toEqual([event]);
        expect(await verifyRunAudit(store, run.id)).toEqual({ ok: true, count: 1 });
      });

      it('lists only events after afterSeq', async () => {
        const run = await store.createRun(newRun());
        for (let index = 0; index < 5; index++) await store.appendEvent(run.id, 'model.request', { index });
        expect((await store.listEvents(run.id, { afterSeq: 3 })).map((event) => event.seq)).toEqual([4, 5]);
        expect(await store.listEvents(run.id, { afterSeq: 5 })).toEqual([]);
        expect(await store.listEvents('01J00000000000000000000000')).toEqual([]);
      });

      it('keeps one chain per run', async () => {
        const one = await store.createRun(newRun());
        const two = await store.createRun(newRun());
        await store.appendEvent(one.id, 'run.created', {});
        const firstOfTwo = await store.appendEvent(two.id, 'run.created', {});
        await store.appendEvent(one.id, 'run.started', {});
        expect(firstOfTwo).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
        expect(verifyChain(await store.listEvents(one.id))).toEqual({ ok: true, count: 2 });
      });

      it('forms one valid chain from 200 concurrent appends', async () => {
        const run = await store.createRun(newRun());
        const appended = await Promise.all(
          Array.from({ length: 200 }, (_, index) =>
            store.appendEvent(run.id, 'tool-call.started', { index }),
          ),
        );
        expect(new Set(appended.map((event) => event.seq)).size).toBe(200);
        const events = await store.listEvents(run.id);
        expect(events.map((event) => event.seq)).toEqual(
          Array.from({ length: 200 }, (_, index) => index + 1),
        );
        expect(verifyChain(events)).toEqual({ ok: true, count: 200 });
        expect(await verifyRunAudit(store, run.id)).toEqual({ ok: true, count: 200 });
      });

      it('throws RunNotFoundError when appending to an unknown run', async () => {
        await expect(
          store.appendEvent('01J00000000000000000000000', 'run.created', {}),
        ).rejects.toBeInstanceOf(RunNotFoundError);
      });
    });

    describe('messages', () => {
      it('keeps messages in order across turns', async () => {
        const run = await store.createRun(newRun());
        await store.appendMessages(run.id, 1, [
          { role: 'system', content: { role: 'system', content: 'You are a dbt test specialist.' } },
          { role: 'user', content: { role: 'user', content: 'Add tests to orders.' } },
        ]);
        await store.appendMessages(run.id, 1, [
          {
            role: 'assistant',
            content: { role: 'assistant', content: [{ type: 'tool-call', toolName: 'read_file' }] },
          },
          { role: 'tool', content: { role: 'tool', content: [{ type: 'tool-result', output: 'select 1' }] } },
        ]);
        await store.appendMessages(run.id, 2, [
          { role: 'user', content: { role: 'user', content: 'Also customers.' } },
        ]);
        const messages = await store.listMessages(run.id);
        expect(messages.map((message) => [message.seq, message.turn, message.role])).toEqual([
          [1, 1, 'system'],
          [2, 1, 'user'],
          [3, 1, 'assistant'],
          [4, 1, 'tool'],
          [5, 2, 'user'],
        ]);
        expect(messages[2]?.content).toEqual({
          role: 'assistant',
          content: [{ type: 'tool-call', toolName: 'read_file' }],
        });
        expect(messages.every((message) => message.runId === run.id)).toBe(true);
      });

      it('accepts an empty batch and refuses an unknown run', async () => {
        const run = await store.createRun(newRun());
        await store.appendMessages(run.id, 1, []);
        expect(await store.listMessages(run.id)).toEqual([]);
        await expect(
          store.appendMessages('01J00000000000000000000000', 1, [{ role: 'user', content: 'hi' }]),
        ).rejects.toBeInstanceOf(RunNotFoundError);
      });
    });

    describe('record: one transaction per step', () => {
      it('writes the update, messages and events of a step together', async () => {
        const run = await store.createRun(newRun());
        await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING' });
        await store.appendMessages(run.id, 1, [{ role: 'system', content: 'You add tests.' }]);
        const usage = { inputTokens: 10, outputTokens: 2, costUsd: 0.001 };
        const result = await store.record(run.id, {
          update: { from: ['RUNNING'], patch: { usage } },
          messages: [
            { turn: 1, role: 'user', content: 'Add tests.' },
            { turn: 1, role: 'assistant', content: [{ type: 'text', text: 'Reading.' }] },
          ],
          events: [
            { type: 'model.request', payload: { step: 1 } },
            { type: 'model.response', payload: { step: 1, text: 'Reading.', when: new Date(0) } },
          ],
        });
        expect(result.updated).toBe(true);
        expect(result.events.map((event) => [event.seq, event.type])).toEqual([
          [1, 'model.request'],
          [2, 'model.response'],
        ]);
        expect(result.events[1]!.payload).toEqual({
          step: 1,
          text: 'Reading.',
          when: '1970-01-01T00:00:00.000Z',
        });
        expect(await store.listEvents(run.id)).toEqual(result.events);
        const messages = await store.listMessages(run.id);
        expect(messages.map((message) => [message.seq, message.role])).toEqual([
          [1, 'system'],
          [2, 'user'],
          [3, 'assistant'],
        ]);
        const chain = verifyMessageChain(messages);
        expect(chain).toMatchObject({ ok: true, count: 3 });
        expect(await store.getRun(run.id)).toMatchObject({
          usage,
          eventCount: 2,
          headHash: result.events[1]!.hash,
          messageCount: 3,
          messageHead: chain.ok ? chain.head : 'none',
        });
        expect(await verifyRunAudit(store, run.id)).toEqual({ ok: true, count: 2 });
      });

      it('skips an update whose status does not match, and with required writes nothing at all', async () => {
        const run = await store.createRun(newRun());
        const skipped = await store.record(run.id, {
          update: { from: ['RUNNING'], patch: { turns: 9 } },
          events: [{ type: 'model.request', payload: {} }],
        });
        expect(skipped).toMatchObject({ updated: false, events: [{ seq: 1 }] });
        const refused = await store.record(run.id, {
          update: { from: ['RUNNING'], patch: { status: 'COMPLETED' }, required: true },
          messages: [{ turn: 1, role: 'user', content: 'x' }],
          events: [{ type: 'run.completed', payload: {} }],
        });
        expect(refused).toEqual({ updated: false, events: [] });
        expect(await store.getRun(run.id)).toMatchObject({
          status: 'PENDING',
          turns: 0,
          eventCount: 1,
          messageCount: 0,
        });
        expect(await store.listMessages(run.id)).toEqual([]);
      });

      it('writes nothing of a batch that fails part way', async () => {
        const run = await store.createRun(newRun());
        await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING' });
        const failing = store.record(run.id, {
          update: { from: ['RUNNING'], patch: { turns: 5 } },
          messages: [{ turn: 1, role: 'user', content: 'x' }],
          events: [
            { type: 'model.request', payload: { ok: 1 } },
            { type: 'model.response', payload: { tokens: 10n } },
          ],
        });
        await expect(failing).rejects.toThrow(/bigint/);
        expect(await store.getRun(run.id)).toMatchObject({ turns: 0, eventCount: 0, messageCount: 0 });
        expect(await store.listEvents(run.id)).toEqual([]);
        expect(await store.listMessages(run.id)).toEqual([]);
      });

      it('throws RunNotFoundError for an unknown run', async () => {
        await expect(
          store.record('01J00000000000000000000000', { events: [{ type: 'run.created', payload: {} }] }),
        ).rejects.toBeInstanceOf(RunNotFoundError);
      });
    });

    describe('the run ledger', () => {
      it('records each run when it is created and seals it when a turn ends, in one chain', async () => {
        const empty = await store.getLedgerHead();
        expect(empty).toEqual({ count: 0, hash: GENESIS_HASH });
        const first = await store.createRun(newRun());
        const second = await store.createRun(newRun({ trigger: { kind: 'api', idempotencyKey: 'k' } }));
        const [created] = await store.listLedger({ runId: first.id });
        expect(created).toMatchObject({ seq: 1, runId: first.id, kind: 'created', prevHash: GENESIS_HASH });
        expect(created!.state).toEqual({
          run: sealedRunFields(first),
          events: { count: 0, head: GENESIS_HASH },
          messages: { count: 0, head: GENESIS_HASH },
          artifacts: [],
        });

        // A terminal status seals; so does a terminal event (each in its own transaction here).
        await store.updateRun(first.id, ['PENDING'], { status: 'RUNNING' });
        await store.putArtifact(first.id, 'report.md', 'text/markdown', new TextEncoder().encode('# ok'));
        const ended = await store.updateRun(first.id, ['RUNNING'], {
          status: 'COMPLETED',
          output: { text: 'ok' },
        });
        await store.appendEvent(first.id, 'run.completed', { output: { text: 'ok' } });
        const entries = await store.listLedger({ runId: first.id });
        expect(entries.map((entry) => [entry.seq, entry.kind])).toEqual([
          [1, 'created'],
          [3, 'sealed'],
          [4, 'sealed'],
        ]);
        expect(entries[1]!.state.run).toEqual(sealedRunFields(ended!));
        expect(entries[1]!.state.artifacts).toEqual([
          expect.objectContaining({ name: 'report.md', mediaType: 'text/markdown', size: 4 }),
        ]);
        expect(entries[2]!.state.events).toEqual({
          count: 1,
          head: (await store.getRun(first.id))!.headHash,
        });

        const all = await store.listLedger();
        expect(all.map((entry) => entry.runId)).toEqual([first.id, second.id, first.id, first.id]);
        expect((await store.listLedger({ afterSeq: 2, limit: 1 })).map((entry) => entry.seq)).toEqual([3]);
        const head = await store.getLedgerHead();
        expect(head).toEqual({ count: 4, hash: all.at(-1)!.hash });
        expect(verifyLedger(all, head)).toEqual({ ok: true, head });
        expect(await verifyRunAudit(store, first.id)).toEqual({ ok: true, count: 1 });
      });

      it('does not seal on a write that ends nothing, nor on a compare-and-set that failed', async () => {
        const run = await store.createRun(newRun());
        await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING' });
        await store.record(run.id, { events: [{ type: 'model.request', payload: {} }] });
        expect(await store.updateRun(run.id, ['PENDING'], { status: 'FAILED' })).toBeUndefined();
        expect((await store.listLedger({ runId: run.id })).map((entry) => entry.kind)).toEqual(['created']);
      });
    });

    describe('artifacts', () => {
      it('round-trips bytes with their size and sha256', async () => {
        const run = await store.createRun(newRun());
        const bytes = new Uint8Array(70_000).map((_, index) => (index * 31 + 7) % 256);
        const artifact = await store.putArtifact(run.id, 'report.bin', 'application/octet-stream', bytes);
        expect(artifact).toMatchObject({
          runId: run.id,
          name: 'report.bin',
          mediaType: 'application/octet-stream',
          size: 70_000,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        });
        const content = await store.getArtifactContent(run.id, 'report.bin');
        expect(content).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(content!).equals(Buffer.from(bytes))).toBe(true);
        expect(await store.listArtifacts(run.id)).toEqual([artifact]);
      });

      it('replaces an artifact of the same name and lists several', async () => {
        const run = await store.createRun(newRun());
        await store.putArtifact(run.id, 'a.patch', 'text/x-diff', new TextEncoder().encode('old'));
        await store.putArtifact(run.id, 'b.md', 'text/markdown', new TextEncoder().encode('# report'));
        const replaced = await store.putArtifact(
          run.id,
          'a.patch',
          'text/x-diff',
          new TextEncoder().encode('new!'),
        );
        expect(replaced.size).toBe(4);
        const content = await store.getArtifactContent(run.id, 'a.patch');
        expect(new TextDecoder().decode(content)).toBe('new!');
        expect((await store.listArtifacts(run.id)).map((artifact) => artifact.name).sort()).toEqual([
          'a.patch',
          'b.md',
        ]);
      });

      it('keeps an empty artifact and reports a missing one as undefined', async () => {
        const run = await store.createRun(newRun());
        const empty = await store.putArtifact(run.id, 'empty.txt', 'text/plain', new Uint8Array());
        expect(empty.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
        expect((await store.getArtifactContent(run.id, 'empty.txt'))?.byteLength).toBe(0);
        expect(await store.getArtifactContent(run.id, 'nope.txt')).toBeUndefined();
        await expect(
          store.putArtifact('01J00000000000000000000000', 'x', 'text/plain', new Uint8Array([1])),
        ).rejects.toBeInstanceOf(RunNotFoundError);
      });
    });
  });
}
