import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runSchema } from '../../src/server/schemas.js';
import { DuplicateRunError } from '../../src/store/errors.js';
import { SqliteRunStore } from '../../src/store/sqlite.js';
import { ECHO_AGENT, type Fixture, startFixture } from './fixture.js';

let fixture: Fixture | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const newRun = (key: string, agent = 'echo') => ({
  agent,
  agentHash: 'a'.repeat(64),
  trigger: { kind: 'api' as const, idempotencyKey: key },
  message: 'hi',
});

describe('idempotency keys', () => {
  it('makes exactly one run from 50 concurrent identical triggers', async () => {
    fixture = await startFixture();
    const body = { agent: 'echo', message: 'DAG orders failed', idempotency_key: 'orders/load/2024-06-01/1' };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => fixture!.call('POST', '/api/v1/runs', { body })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(49).fill(200), 201]);
    const ids = new Set(responses.map((response) => runSchema.parse(response.body).id));
    expect(ids.size).toBe(1);
    expect(
      responses.filter((response) => response.headers.get('idempotent-replayed') === 'true'),
    ).toHaveLength(49);

    const [runId] = [...ids];
    await fixture.waitForStatus(runId!, ['COMPLETED']);
    expect(await fixture.store.listRuns()).toHaveLength(1);
    const created = (await fixture.store.listEvents(runId!)).filter((event) => event.type === 'run.created');
    expect(created).toHaveLength(1);
    expect(fixture.model.requests).toHaveLength(1);

    // Later, the same key still answers with the same (now finished) run.
    const again = await fixture.call('POST', '/api/v1/runs', { body });
    expect(again.status).toBe(200);
    expect(runSchema.parse(again.body)).toMatchObject({ id: runId, status: 'COMPLETED' });
    expect(await fixture.store.listRuns()).toHaveLength(1);
  });

  it('scopes a key to its agent, and different keys make different runs', async () => {
    fixture = await startFixture({
      agents: { echo: ECHO_AGENT, other: ECHO_AGENT.replace('name: echo', 'name: other') },
    });
    const post = (agent: string, key: string) =>
      fixture!.call('POST', '/api/v1/runs', { body: { agent, message: 'x', idempotency_key: key } });
    expect((await post('echo', 'k1')).status).toBe(201);
    expect((await post('other', 'k1')).status).toBe(201);
    expect((await post('echo', 'k2')).status).toBe(201);
    expect((await post('echo', 'k1')).status).toBe(200);
    expect(await fixture.store.listRuns()).toHaveLength(3);
  });

  it('holds a key for its window only, enforced by the store across connections', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'agentry-idempotency-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const path = join(directory, 'runs.db');
    const first = new SqliteRunStore(path);
    const second = new SqliteRunStore(path);
    cleanups.push(
      () => first.close(),
      () => second.close(),
    );
    await first.migrate();

    const original = await first.createRun(newRun('nightly'));
    const duplicate = await second.createRun(newRun('nightly')).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(DuplicateRunError);
    expect((duplicate as DuplicateRunError).existing.id).toBe(original.id);
    expect(original.message).toBe('hi');

    await sleep(5);
    const later = await second.createRun({ ...newRun('nightly'), idempotencyWindowMs: 1 });
    expect(later.id).not.toBe(original.id);
    // The new run holds the key now; the old one keeps it in its trigger for the record.
    const again = await first.createRun(newRun('nightly')).catch((error: unknown) => error);
    expect((again as DuplicateRunError).existing.id).toBe(later.id);
    expect((await first.getRun(original.id))!.trigger.idempotencyKey).toBe('nightly');
    // No key, no claim: any number of runs.
    await first.createRun({ ...newRun('x'), trigger: { kind: 'cli' } });
    await first.createRun({ ...newRun('x'), trigger: { kind: 'cli' } });
    expect(await first.listRuns()).toHaveLength(4);
  });
});
