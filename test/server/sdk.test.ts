import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  type AgentDetail,
  AgentryApiError,
  AgentryClient,
  AgentryConnectionError,
  RunCancelledError,
  type RunDetail,
  type RunEvent,
  RunFailedError,
  type RunList,
  RunWaitTimeoutError,
  type TriggerRunInput,
} from '../../src/sdk/index.js';
import type {
  agentDetailSchema,
  runDetailSchema,
  runEventSchema,
  runListSchema,
  TriggerRunBody,
} from '../../src/server/schemas.js';
import { type Fixture, startFixture } from './fixture.js';

let fixture: Fixture | undefined;
let proxy: { url: string; close(): Promise<void>; eventRequests: number } | undefined;
afterEach(async () => {
  await proxy?.close();
  await fixture?.close();
  proxy = undefined;
  fixture = undefined;
});

/**
 * A reverse proxy in front of the server, misbehaving on event streams the way real ones do:
 * `cut-once` drops the first stream after its first event; `no-streaming` answers streams 502.
 */
async function startProxy(upstream: string, mode: 'cut-once' | 'no-streaming') {
  const sockets = new Set<Socket>();
  const state = { eventRequests: 0 };
  const server: Server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const isEvents = request.url?.includes('/events') ?? false;
    if (isEvents) state.eventRequests++;
    if (isEvents && mode === 'no-streaming') {
      response.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>502 Bad Gateway</html>');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        ([name]) => !['host', 'connection', 'content-length'].includes(name),
      ),
    ) as Record<string, string>;
    const upstreamResponse = await fetch(`${upstream}${request.url}`, {
      method: request.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    response.writeHead(upstreamResponse.status, Object.fromEntries(upstreamResponse.headers));
    const cut = isEvents && mode === 'cut-once' && state.eventRequests === 1;
    let text = '';
    for await (const chunk of upstreamResponse.body ?? []) {
      response.write(chunk);
      text += Buffer.from(chunk as Uint8Array).toString();
      if (cut && text.includes('\n\n')) {
        response.socket?.destroy();
        return;
      }
    }
    response.end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get eventRequests() {
      return state.eventRequests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('TypeScript SDK', () => {
  it('triggers and waits over SSE, seeing every event once, in order', async () => {
    fixture = await startFixture({ script: [{ text: 'The DAG failed on a null key.', delayMs: 200 }] });
    const events: RunEvent[] = [];
    const run = await fixture
      .client()
      .triggerRunAndWait(
        { agent: 'echo', message: 'Why did orders fail?', metadata: { dag_id: 'orders' } },
        { onEvent: (event) => events.push(event), timeoutMs: 20_000 },
      );
    expect(run).toMatchObject({
      status: 'COMPLETED',
      output: { text: 'The DAG failed on a null key.' },
      trigger: { kind: 'sdk', metadata: { dag_id: 'orders' } },
    });
    expect(run.messages.length).toBeGreaterThan(0);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.at(-1)!.type).toBe('run.completed');
    expect(events.length).toBe(run.event_count);
  });

  it('throws RunFailedError and RunCancelledError carrying the run', async () => {
    fixture = await startFixture({
      script: [
        { error: { status: 400, message: 'context length exceeded' } },
        { text: 'slow', delayMs: 5000 },
      ],
    });
    const client = fixture.client();
    const failed = await client
      .triggerRunAndWait({ agent: 'echo', message: 'x' })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(RunFailedError);
    expect((failed as RunFailedError).run).toMatchObject({ status: 'FAILED', failure_reason: 'error' });
    expect((failed as RunFailedError).message).toContain('context length exceeded');

    const run = await client.triggerRun({ agent: 'echo', message: 'y' });
    const waiting = client.waitForRun(run.id).catch((error: unknown) => error);
    await fixture.waitForStatus(run.id, ['RUNNING']);
    expect((await client.cancelRun(run.id)).cancel_requested_at).not.toBeNull();
    const cancelled = await waiting;
    expect(cancelled).toBeInstanceOf(RunCancelledError);
    expect((cancelled as RunCancelledError).run.status).toBe('CANCELLED');
  });

  it('gives up waiting with RunWaitTimeoutError, cancelling the run when asked', async () => {
    fixture = await startFixture({ script: [{ text: 'slow', delayMs: 5000 }] });
    const client = fixture.client();
    const started = Date.now();
    const error = await client
      .triggerRunAndWait({ agent: 'echo', message: 'x' }, { timeoutMs: 600, cancelOnTimeout: true })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RunWaitTimeoutError);
    expect(Date.now() - started).toBeLessThan(4000);
    const runId = (error as RunWaitTimeoutError).runId;
    await fixture.waitForStatus(runId, ['CANCELLED']);
  });

  it('reads, lists, follows up and names API errors by status, code and field', async () => {
    fixture = await startFixture({ script: [{ text: 'one' }, { text: 'two' }] });
    const client = fixture.client();
    const first = await client.triggerRunAndWait({ agent: 'echo', message: 'hi', idempotency_key: 'k' });
    const replayed = await client.triggerRun({ agent: 'echo', message: 'hi', idempotency_key: 'k' });
    expect(replayed.id).toBe(first.id);
    expect((await client.sendMessage(first.id, 'and?')).id).toBe(first.id);
    const events: RunEvent[] = [];
    for await (const event of client.streamEvents(first.id, { after: first.event_count })) events.push(event);
    expect(events[0]).toMatchObject({ type: 'turn.started', seq: first.event_count + 1 });
    const after = await client.getRun(first.id);
    expect(after).toMatchObject({ turns: 2, output: { text: 'two' } });
    expect((await client.listRuns({ agent: 'echo', limit: 5 })).runs.map((run) => run.id)).toEqual([
      first.id,
    ]);
    expect((await client.listAgents()).map((agent) => agent.name)).toEqual(['echo']);
    expect((await client.getAgent('echo')).file).toBe('.agentry/agents/echo.yml');

    const notFound = await client.getRun('01J00000000000000000000000').catch((error: unknown) => error);
    expect(notFound).toMatchObject({ status: 404, code: 'run.not-found', kind: 'user' });
    const invalid = await client.triggerRun({ agent: 'echo', message: '' }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(AgentryApiError);
    expect(invalid).toMatchObject({ status: 422, code: 'request.invalid', field: 'message' });
    const anonymous = new AgentryClient({ url: fixture.url });
    expect(await anonymous.listAgents().catch((error: unknown) => error)).toMatchObject({
      status: 401,
      code: 'auth.missing-key',
    });
  });

  it('resumes a dropped event stream after the last event, missing and repeating nothing', async () => {
    fixture = await startFixture({ script: [{ text: 'done', delayMs: 300 }] });
    proxy = await startProxy(fixture.url, 'cut-once');
    const client = new AgentryClient({ url: proxy.url, apiKey: fixture.adminKey });
    const run = await client.triggerRun({ agent: 'echo', message: 'x' });
    const seqs: number[] = [];
    for await (const event of client.streamEvents(run.id)) seqs.push(event.seq);
    expect(proxy.eventRequests).toBe(2);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    expect(seqs.length).toBe((await fixture.store.getRun(run.id))!.eventCount);
  });

  it('falls back to polling when a proxy will not stream', async () => {
    fixture = await startFixture({ script: [{ text: 'done', delayMs: 300 }] });
    proxy = await startProxy(fixture.url, 'no-streaming');
    const client = new AgentryClient({ url: proxy.url, apiKey: fixture.adminKey });
    const run = await client.triggerRunAndWait({ agent: 'echo', message: 'x' }, { pollIntervalMs: 100 });
    expect(run.status).toBe('COMPLETED');
    expect(proxy.eventRequests).toBeGreaterThan(0);
  });

  it('says when the server cannot be reached', async () => {
    const client = new AgentryClient({ url: 'http://127.0.0.1:9', requestTimeoutMs: 2000 });
    const error = await client.getRun('x').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AgentryConnectionError);
    expect((error as Error).message).toContain('is agentry serve running there?');
  });

  it("has the server's response shapes (checked against the zod schemas by the type checker)", () => {
    expectTypeOf<RunDetail>().toEqualTypeOf<z.infer<typeof runDetailSchema>>();
    expectTypeOf<RunList>().toEqualTypeOf<z.infer<typeof runListSchema>>();
    expectTypeOf<RunEvent>().toEqualTypeOf<z.infer<typeof runEventSchema>>();
    expectTypeOf<AgentDetail>().toEqualTypeOf<z.infer<typeof agentDetailSchema>>();
    expectTypeOf<TriggerRunInput>().toExtend<Omit<TriggerRunBody, 'trigger'>>();
  });
});
