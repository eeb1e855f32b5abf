import { afterEach, describe, expect, it } from 'vitest';
import { runEventListSchema, runEventSchema } from '../../src/server/schemas.js';
import { type Fixture, startFixture } from './fixture.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

interface Message {
  id?: string;
  event?: string;
  data: string;
}

/** The raw text/event-stream, split into messages by hand (independent of the SDK's parser). */
function parseStream(text: string): Message[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      const message: Message = { data: '' };
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(': ');
        const value = rest.join(': ');
        if (field === 'id') message.id = value;
        else if (field === 'event') message.event = value;
        else if (field === 'data') message.data += value;
      }
      return message;
    });
}

async function readStream(fixture: Fixture, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${fixture.url}${path}`, {
    headers: { Authorization: `Bearer ${fixture.adminKey}`, Accept: 'text/event-stream', ...headers },
  });
  return { response, messages: parseStream(await response.text()) };
}

async function trigger(fixture: Fixture, message = 'hi'): Promise<string> {
  const created = await fixture.call('POST', '/api/v1/runs', { body: { agent: 'echo', message } });
  return (created.body as { id: string }).id;
}

describe('GET /runs/{id}/events', () => {
  it('streams every event from the start as it happens (id = seq), then ends with `end`', async () => {
    fixture = await startFixture({ script: [{ text: 'done', delayMs: 600 }] });
    const runId = await trigger(fixture);
    const response = await fetch(`${fixture.url}/api/v1/runs/${runId}/events`, {
      headers: { Authorization: `Bearer ${fixture.adminKey}` },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    let statusWhenStartedSeen: string | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      if (statusWhenStartedSeen === undefined && text.includes('event: run.started')) {
        statusWhenStartedSeen = (await fixture.store.getRun(runId))!.status;
      }
    }
    // Live: run.started arrived while the model was still thinking.
    expect(statusWhenStartedSeen).toBe('RUNNING');
    const messages = parseStream(text);
    const end = messages.pop()!;
    expect(end).toEqual({ event: 'end', data: JSON.stringify({ status: 'COMPLETED' }) });
    const events = messages.map((message) => runEventSchema.parse(JSON.parse(message.data)));
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(messages.map((message) => Number(message.id))).toEqual(events.map((event) => event.seq));
    expect(messages.map((message) => message.event)).toEqual(events.map((event) => event.type));
    expect(events[0]!.type).toBe('run.created');
    expect(events.at(-1)!.type).toBe('run.completed');
    // The same chain the store keeps.
    const stored = await fixture.store.listEvents(runId);
    expect(events.map((event) => event.hash)).toEqual(stored.map((event) => event.hash));
  });

  it('resumes after Last-Event-ID or ?after=, with nothing missed or repeated', async () => {
    fixture = await startFixture();
    const runId = await trigger(fixture);
    await fixture.waitForStatus(runId, ['COMPLETED']);
    const total = (await fixture.store.listEvents(runId)).length;
    expect(total).toBeGreaterThan(5);

    const fromHeader = await readStream(fixture, `/api/v1/runs/${runId}/events`, { 'Last-Event-ID': '3' });
    const seqs = (messages: Message[]) =>
      messages.filter((message) => message.id).map((message) => Number(message.id));
    expect(seqs(fromHeader.messages)).toEqual(Array.from({ length: total - 3 }, (_, index) => index + 4));
    const fromQuery = await readStream(fixture, `/api/v1/runs/${runId}/events?after=5`);
    expect(seqs(fromQuery.messages)).toEqual(Array.from({ length: total - 5 }, (_, index) => index + 6));
    // The header wins over the query: it is what a reconnecting EventSource sends.
    const both = await readStream(fixture, `/api/v1/runs/${runId}/events?after=1`, {
      'Last-Event-ID': String(total),
    });
    expect(both.messages).toEqual([{ event: 'end', data: JSON.stringify({ status: 'COMPLETED' }) }]);

    const bad = await fixture.call('GET', `/api/v1/runs/${runId}/events`, {
      headers: { 'Last-Event-ID': 'abc' },
    });
    expect(bad.status).toBe(422);
    expect((await fixture.call('GET', `/api/v1/runs/${runId}/events?after=-1`)).status).toBe(422);
  });

  it('answers Accept: application/json with the events so far', async () => {
    fixture = await startFixture();
    const runId = await trigger(fixture);
    await fixture.waitForStatus(runId, ['COMPLETED']);
    const response = await fixture.call('GET', `/api/v1/runs/${runId}/events?after=2`, {
      headers: { Accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    const list = runEventListSchema.parse(response.body);
    expect(list.status).toBe('COMPLETED');
    expect(list.events[0]!.seq).toBe(3);
    expect(list.events.at(-1)!.type).toBe('run.completed');
  });

  it('keeps a stream open across a queued follow-up turn until that turn ends', async () => {
    fixture = await startFixture({ script: [{ text: 'first' }, { text: 'second', delayMs: 300 }] });
    const runId = await trigger(fixture);
    await fixture.waitForStatus(runId, ['COMPLETED']);
    const firstTurnEvents = (await fixture.store.listEvents(runId)).length;
    expect(
      (await fixture.call('POST', `/api/v1/runs/${runId}/messages`, { body: { message: 'more' } })).status,
    ).toBe(202);
    const { messages } = await readStream(fixture, `/api/v1/runs/${runId}/events`, {
      'Last-Event-ID': String(firstTurnEvents),
    });
    const types = messages.map((message) => message.event);
    expect(types[0]).toBe('turn.started');
    expect(types.slice(-2)).toEqual(['run.completed', 'end']);
    expect(JSON.parse(messages.at(-2)!.data).payload.turn).toBe(2);
  });

  it('ends the stream of a run cancelled before it started', async () => {
    fixture = await startFixture({ script: [{ text: 'slow', delayMs: 3000 }], server: { concurrency: 1 } });
    const busy = await trigger(fixture, 'one');
    await fixture.waitForStatus(busy, ['RUNNING']);
    const queued = await trigger(fixture, 'two');
    const stream = readStream(fixture, `/api/v1/runs/${queued}/events`);
    await fixture.call('POST', `/api/v1/runs/${queued}/cancel`);
    const { messages } = await stream;
    expect(messages.map((message) => message.event)).toEqual(['run.created', 'run.cancelled', 'end']);
    expect(JSON.parse(messages.at(-1)!.data)).toEqual({ status: 'CANCELLED' });
  });
});
