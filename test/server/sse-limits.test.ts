import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from './fixture.js';

let fixture: Fixture | undefined;
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const controller of controllers.splice(0)) controller.abort();
  await fixture?.close();
  fixture = undefined;
});

async function trigger(fixture: Fixture, message = 'hi'): Promise<string> {
  const created = await fixture.call('POST', '/api/v1/runs', { body: { agent: 'echo', message } });
  expect(created.status).toBe(201);
  return (created.body as { id: string }).id;
}

/** Open an event stream and keep reading it in the background; `text()` is what arrived so far. */
async function openStream(fixture: Fixture, runId: string, key: string | undefined) {
  const controller = new AbortController();
  controllers.push(controller);
  const response = await fetch(`${fixture.url}/api/v1/runs/${runId}/events`, {
    headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' },
    signal: controller.signal,
  });
  let text = '';
  const finished =
    response.status === 200
      ? (async () => {
          const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) return;
              text += value;
            }
          } catch {
            // Aborted by the test.
          }
        })()
      : response.text().then((body) => {
          text = body;
        });
  return { response, text: () => text, finished, close: () => controller.abort() };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('event stream caps', () => {
  it('refuses a key its stream past maxStreamsPerKey (429, Retry-After), and the server past maxStreams', async () => {
    fixture = await startFixture({
      script: [{ text: 'slow', delayMs: 4000 }],
      server: { limits: { maxStreamsPerKey: 2, maxStreams: 3 } },
    });
    const runId = await trigger(fixture);
    const [first, second] = [await fixture.key(['runs:read'], 'a'), await fixture.key(['runs:read'], 'b')];
    const a1 = await openStream(fixture, runId, first);
    const a2 = await openStream(fixture, runId, first);
    expect([a1.response.status, a2.response.status]).toEqual([200, 200]);

    const a3 = await openStream(fixture, runId, first);
    expect(a3.response.status).toBe(429);
    expect(a3.response.headers.get('retry-after')).toBe('5');
    await a3.finished;
    expect(JSON.parse(a3.text()).error).toMatchObject({ code: 'stream.limit' });
    expect(JSON.parse(a3.text()).error.message).toContain('API key a already has 2 event streams open');
    // Reading events as JSON takes no stream slot.
    const listed = await fixture.call('GET', `/api/v1/runs/${runId}/events`, {
      key: first,
      headers: { Accept: 'application/json' },
    });
    expect(listed.status).toBe(200);

    const b1 = await openStream(fixture, runId, second);
    expect(b1.response.status).toBe(200);
    const b2 = await openStream(fixture, runId, second);
    expect(b2.response.status).toBe(429);
    await b2.finished;
    expect(JSON.parse(b2.text()).error.message).toContain('the server has 3 event streams open');

    // A closed stream gives its slot back (once the server has seen it go).
    a1.close();
    let again: Awaited<ReturnType<typeof openStream>> | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      again = await openStream(fixture, runId, first);
      if (again.response.status === 200) break;
      await again.finished;
      await sleep(20);
    }
    expect(again?.response.status).toBe(200);
  });
});

describe('event streams are woken by the engine, not by polling', () => {
  it('reads nothing from the store while a run it executes is quiet, and still streams every event', async () => {
    fixture = await startFixture({
      script: [{ text: 'done', delayMs: 2500 }],
      // With polling, this would read the store 20 times a second per stream.
      server: { ssePollMs: 50 },
    });
    const store = fixture.store;
    let reads = 0;
    const listEvents = store.listEvents.bind(store);
    const getRun = store.getRun.bind(store);
    let watched = '';
    store.listEvents = (runId, options) => {
      if (runId === watched) reads++;
      return listEvents(runId, options);
    };
    store.getRun = (runId) => {
      if (runId === watched) reads++;
      return getRun(runId);
    };

    const runId = await trigger(fixture);
    watched = runId;
    const stream = await openStream(fixture, runId, fixture.adminKey);
    await until(() => stream.text().includes('event: model.request'));
    // The model now thinks for 2.5 s: no event is recorded, so nothing should be read.
    await sleep(100);
    const before = reads;
    await sleep(1200);
    expect(reads - before).toBe(0);

    await stream.finished;
    const types = [...stream.text().matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
    expect(types.slice(-2)).toEqual(['run.completed', 'end']);
    const stored = await listEvents(runId);
    expect(types.filter((type) => type !== 'end')).toEqual(stored.map((event) => event.type));
  });

  it('still polls, at ssePollMs, for a run another process executes', async () => {
    fixture = await startFixture({ server: { ssePollMs: 100 } });
    const { store } = fixture;
    const run = await store.createRun({
      agent: 'echo',
      agentHash: 'f'.repeat(64),
      trigger: { kind: 'cli' },
      owner: 'another-host:4242',
    });
    await store.appendEvent(run.id, 'run.created', { agent: 'echo' });
    await store.updateRun(run.id, ['PENDING'], { status: 'RUNNING', heartbeatAt: new Date().toISOString() });
    const stream = await openStream(fixture, run.id, fixture.adminKey);
    await until(() => stream.text().includes('event: run.created'));

    // Written by "the other process": straight into the store, no engine of this server rings.
    await store.appendEvent(run.id, 'run.started', { turn: 1 });
    await until(() => stream.text().includes('event: run.started'), 3000);
    await store.updateRun(run.id, ['RUNNING'], { status: 'COMPLETED', endedAt: new Date().toISOString() });
    await store.appendEvent(run.id, 'run.completed', { turn: 1 });
    await stream.finished;
    expect(stream.text()).toContain('event: end');
  });
});
