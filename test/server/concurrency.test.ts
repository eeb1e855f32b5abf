import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { renderConcurrencyGroup } from '../../src/queue/concurrency-group.js';
import { QueueClosedError } from '../../src/queue/errors.js';
import { InProcessQueue, SHUTDOWN_REASON } from '../../src/queue/in-process.js';
import type { QueueJob } from '../../src/queue/queue.js';
import { runSchema } from '../../src/server/schemas.js';
import type { RunRecord } from '../../src/store/types.js';
import { agentWithConcurrency, ECHO_AGENT, type Fixture, startFixture, waitForAll } from './fixture.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const SLOW = [{ text: 'done', delayMs: 700 }];

async function trigger(metadata: Record<string, string> = {}, agent = 'per-dag'): Promise<RunRecord> {
  const response = await fixture!.call('POST', '/api/v1/runs', {
    body: { agent, message: 'fix it', metadata },
  });
  expect(response.status).toBe(201);
  const id = runSchema.parse(response.body).id;
  return (await fixture!.store.getRun(id))!;
}

const read = async (id: string) => (await fixture!.store.getRun(id))!;
const startedAfterEnd = (later: RunRecord, earlier: RunRecord) =>
  Date.parse(later.startedAt!) >= Date.parse(earlier.endedAt!);
const overlapped = (a: RunRecord, b: RunRecord) =>
  Date.parse(a.startedAt!) < Date.parse(b.endedAt!) && Date.parse(b.startedAt!) < Date.parse(a.endedAt!);

describe('concurrency groups and limits', () => {
  it('queue: one run per group at a time, other groups in parallel', async () => {
    fixture = await startFixture({
      agents: {
        'per-dag': agentWithConcurrency(
          'per-dag',
          '  group: "dag-{{ metadata.dag_id }}"\n  on_conflict: queue',
        ),
      },
      script: SLOW,
    });
    const first = await trigger({ dag_id: 'orders' });
    const second = await trigger({ dag_id: 'orders' });
    const other = await trigger({ dag_id: 'customers' });
    expect(second.status).toBe('PENDING');
    await waitForAll(fixture, [first.id, second.id, other.id]);
    const [a, b, c] = await Promise.all([read(first.id), read(second.id), read(other.id)]);
    expect([a.status, b.status, c.status]).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(startedAfterEnd(b, a)).toBe(true);
    expect(overlapped(a, c)).toBe(true);
  });

  it('cancel-previous: a new trigger cancels the running and the queued run of its group', async () => {
    fixture = await startFixture({
      agents: {
        'per-dag': agentWithConcurrency(
          'per-dag',
          '  group: "{{ metadata.dag_id }}"\n  on_conflict: cancel-previous',
        ),
      },
      script: [{ text: 'done', delayMs: 3000 }, { text: 'done', delayMs: 3000 }, { text: 'done' }],
      whenExhausted: 'repeat-last',
      server: { concurrency: 4 },
    });
    const first = await trigger({ dag_id: 'orders' });
    await fixture.waitForStatus(first.id, ['RUNNING']);
    const unrelated = await trigger({ dag_id: 'customers' });
    await fixture.waitForStatus(unrelated.id, ['RUNNING']);
    const second = await trigger({ dag_id: 'orders' });
    const third = await trigger({ dag_id: 'orders' });
    await waitForAll(fixture, [first.id, second.id, third.id, unrelated.id]);
    const [a, b, c, u] = await Promise.all([
      read(first.id),
      read(second.id),
      read(third.id),
      read(unrelated.id),
    ]);
    expect(a).toMatchObject({
      status: 'CANCELLED',
      error: expect.stringContaining(`superseded by run ${second.id}`),
    });
    expect(b).toMatchObject({
      status: 'CANCELLED',
      error: expect.stringContaining(`superseded by run ${third.id}`),
    });
    expect(b.startedAt).toBeNull();
    expect(c.status).toBe('COMPLETED');
    expect(startedAfterEnd(c, a)).toBe(true);
    expect(u.status).toBe('COMPLETED');
    const cancelled = (await fixture.store.listEvents(b.id)).find((event) => event.type === 'run.cancelled');
    expect(cancelled?.payload).toMatchObject({ by: 'concurrency' });
  });

  it('skip: a trigger while its group is busy is recorded as CANCELLED and never runs', async () => {
    fixture = await startFixture({
      agents: {
        'per-dag': agentWithConcurrency('per-dag', '  group: "{{ metadata.dag_id }}"\n  on_conflict: skip'),
      },
      script: SLOW,
    });
    const first = await trigger({ dag_id: 'orders' });
    const skipped = await trigger({ dag_id: 'orders' });
    expect(skipped).toMatchObject({
      status: 'CANCELLED',
      startedAt: null,
      error: `skipped: concurrency group 'orders' of per-dag is busy with run ${first.id}`,
    });
    await fixture.waitForStatus(first.id, ['COMPLETED']);
    // Once the group is free, the next trigger runs.
    const later = await trigger({ dag_id: 'orders' });
    await fixture.waitForStatus(later.id, ['COMPLETED']);
    expect(fixture.model.requests).toHaveLength(2);
  });

  it("limits an agent's runs at once with concurrency.limit, and all runs with --concurrency", async () => {
    fixture = await startFixture({
      agents: { limited: agentWithConcurrency('limited', '  limit: 1'), echo: ECHO_AGENT },
      script: SLOW,
      server: { concurrency: 2 },
    });
    const runs = [
      await trigger({}, 'limited'),
      await trigger({}, 'limited'),
      await trigger({}, 'echo'),
      await trigger({}, 'echo'),
    ];
    await waitForAll(
      fixture,
      runs.map((run) => run.id),
    );
    const [l1, l2, e1, e2] = await Promise.all(runs.map((run) => read(run.id)));
    expect(startedAfterEnd(l2!, l1!)).toBe(true);
    // The limited agent's first run and echo's first ran together; echo's second waited for a slot.
    expect(overlapped(l1!, e1!)).toBe(true);
    // Never more than two at any instant: count the runs going when each one starts.
    const all = [l1!, l2!, e1!, e2!];
    for (const run of all) {
      const at = Date.parse(run.startedAt!);
      const going = all.filter(
        (other) => Date.parse(other.startedAt!) <= at && at < Date.parse(other.endedAt!),
      );
      expect(going.length).toBeLessThanOrEqual(2);
    }
    expect(startedAfterEnd(e2!, l1!) || startedAfterEnd(e2!, e1!)).toBe(true);
  });
});

describe('InProcessQueue', () => {
  const job = (runId: string, overrides: Partial<QueueJob> = {}): QueueJob => ({
    runId,
    agent: 'a',
    group: null,
    onConflict: 'queue',
    ...overrides,
  });

  it('starts jobs in arrival order within the limit; a blocked job does not hold up others', async () => {
    const queue = new InProcessQueue({ concurrency: 2 });
    const started: string[] = [];
    const release = new Map<string, () => void>();
    queue.start(async (current) => {
      started.push(current.runId);
      await new Promise<void>((resolve) => release.set(current.runId, resolve));
    });
    await queue.enqueue(job('1', { group: 'g' }));
    await queue.enqueue(job('2', { group: 'g' }));
    await queue.enqueue(job('3'));
    await queue.enqueue(job('4'));
    expect(started).toEqual(['1', '3']);
    expect(queue.stats()).toEqual({ waiting: 2, running: 2, concurrency: 2 });
    release.get('1')!();
    await sleep(1);
    expect(started).toEqual(['1', '3', '2']);
    expect(await queue.enqueue(job('2'))).toEqual({ status: 'queued', superseded: [] });
    release.get('3')!();
    release.get('2')!();
    await sleep(1);
    expect(started).toEqual(['1', '3', '2', '4']);
    release.get('4')!();
    await queue.close();
  });

  it('aborts running jobs with a reason on close and takes no more', async () => {
    const queue = new InProcessQueue({ concurrency: 1 });
    const reasons: unknown[] = [];
    queue.start(
      (_job, signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            resolve();
          }),
        ),
    );
    await queue.enqueue(job('1'));
    await queue.enqueue(job('2'));
    await queue.close();
    expect(reasons).toEqual([SHUTDOWN_REASON]);
    expect(queue.stats()).toMatchObject({ waiting: 0, running: 0 });
    await expect(queue.enqueue(job('3'))).rejects.toBeInstanceOf(QueueClosedError);
    expect(() => new InProcessQueue({ concurrency: 0 })).toThrow(RangeError);
  });
});

describe('renderConcurrencyGroup', () => {
  it('reads agent, metadata and trigger; a missing value renders as nothing', () => {
    const trigger = { kind: 'airflow' as const, source: 'prod', metadata: { dag_id: 'orders', try: 2 } };
    expect(renderConcurrencyGroup('{{ metadata.dag_id }}', { agent: 'a', trigger })).toBe('orders');
    expect(
      renderConcurrencyGroup('{{agent}}/{{ trigger.kind }}/{{ metadata.try }}', { agent: 'a', trigger }),
    ).toBe('a/airflow/2');
    expect(renderConcurrencyGroup('dag-{{ metadata.missing }}', { agent: 'a', trigger })).toBe('dag-');
    expect(renderConcurrencyGroup('{{ metadata }}', { agent: 'a', trigger })).toBe('');
    expect(renderConcurrencyGroup('warehouse', { agent: 'a', trigger: { kind: 'api' } })).toBe('warehouse');
  });
});

describe('shutdown', () => {
  it('refuses triggers while stopping, storing nothing, and leaves queued runs PENDING for the next start', async () => {
    fixture = await startFixture({ script: [{ text: 'slow', delayMs: 5000 }], server: { concurrency: 1 } });
    const running = await trigger({}, 'echo');
    await fixture.waitForStatus(running.id, ['RUNNING']);
    const queued = await trigger({}, 'echo');
    await fixture.server.close();
    expect(await read(running.id)).toMatchObject({
      status: 'CANCELLED',
      error: 'cancelled (server shutting down)',
    });
    expect((await read(queued.id)).status).toBe('PENDING');
    await expect(
      fixture.server.dispatcher.trigger({ agent: 'echo', message: 'late', trigger: { kind: 'api' } }),
    ).rejects.toBeInstanceOf(QueueClosedError);
    expect(await fixture.store.listRuns()).toHaveLength(2);
  });
});
