import { afterEach, describe, expect, it } from 'vitest';
import {
  agentDetailSchema,
  agentListSchema,
  errorSchema,
  healthSchema,
  runDetailSchema,
  runListSchema,
  runSchema,
} from '../../src/server/schemas.js';
import { ECHO_AGENT, type Fixture, startFixture, waitForAll } from './fixture.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const OTHER_AGENT = ECHO_AGENT.replace('name: echo', 'name: other').replace(
  'Answers in one step.',
  'Another.',
);

type Json = Record<string, unknown>;

describe('REST API', () => {
  it('serves /healthz and an OpenAPI 3.1 document that lists every route and resolves every $ref', async () => {
    fixture = await startFixture();
    const health = await fixture.call('GET', '/healthz', { key: null });
    expect(health.status).toBe(200);
    expect(healthSchema.parse(health.body).status).toBe('ok');

    const response = await fixture.call('GET', '/api/v1/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const document = response.body as {
      openapi: string;
      paths: Record<string, Json>;
      components: { schemas: Json };
    };
    expect(document.openapi).toBe('3.1.0');
    // Every API route the app serves is documented with its method, and nothing else is.
    const served = fixture.server.app.routes
      .filter((route) => route.path.startsWith('/api/v1/') || route.path === '/healthz')
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(new Set(documented)).toEqual(new Set(served));
    for (const target of JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      expect(document.components.schemas, `$ref ${target[1]}`).toHaveProperty(target[1]!);
    }
    const trigger = document.components.schemas['TriggerRunRequest'] as {
      required: string[];
      properties: Json;
    };
    expect(trigger.required).toEqual(['agent', 'message']);
    expect(Object.keys(trigger.properties)).toEqual([
      'agent',
      'message',
      'idempotency_key',
      'base_ref',
      'slack',
      'metadata',
      'trigger',
    ]);
  });

  it('triggers a run, then reads it with its status, messages, output and usage', async () => {
    fixture = await startFixture({
      script: [{ text: 'All tests pass.', usage: { inputTokens: 40, outputTokens: 5 } }],
    });
    const created = await fixture.call('POST', '/api/v1/runs', {
      body: {
        agent: 'echo',
        message: 'Check the tests',
        metadata: { dag_id: 'orders', try_number: 2 },
        slack: { channel: '#data', thread_ts: '1700000000.000100' },
      },
    });
    expect(created.status).toBe(201);
    const run = runSchema.parse(created.body);
    expect(created.headers.get('location')).toBe(`/api/v1/runs/${run.id}`);
    expect(run).toMatchObject({
      agent: 'echo',
      message: 'Check the tests',
      trigger: { kind: 'api', source: 'admin' },
    });
    expect(['PENDING', 'RUNNING']).toContain(run.status);

    await fixture.waitForStatus(run.id, ['COMPLETED']);
    const read = await fixture.call('GET', `/api/v1/runs/${run.id}`);
    expect(read.status).toBe(200);
    const detail = runDetailSchema.parse(read.body);
    expect(detail).toMatchObject({
      status: 'COMPLETED',
      failure_reason: null,
      output: { text: 'All tests pass.' },
      usage: { input_tokens: 40, output_tokens: 5 },
      turns: 1,
      trigger: {
        metadata: { dag_id: 'orders', try_number: 2 },
        slack: { channel: '#data', thread_ts: '1700000000.000100' },
      },
      child_runs: [],
    });
    expect(detail.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant']);
    expect(detail.messages[1]!.content).toBe('Check the tests');
    expect(detail.repo_commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('lists runs newest first, filtered by agent, status and trigger, paged with a cursor', async () => {
    fixture = await startFixture({ agents: { echo: ECHO_AGENT, other: OTHER_AGENT } });
    const ids: string[] = [];
    for (const [agent, kind] of [
      ['echo', 'api'],
      ['other', 'airflow'],
      ['echo', 'airflow'],
      ['other', 'api'],
      ['echo', 'sdk'],
    ] as const) {
      const created = await fixture.call('POST', '/api/v1/runs', {
        body: { agent, message: 'hi', trigger: { kind } },
      });
      ids.push((created.body as { id: string }).id);
    }
    await waitForAll(fixture, ids);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const response = await fixture.call('GET', `/api/v1/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const list = runListSchema.parse(response.body);
      seen.push(...list.runs.map((run) => run.id));
      cursor = list.next_cursor;
      if (cursor === null) break;
      expect(list.runs).toHaveLength(2);
    }
    expect(seen).toEqual([...ids].reverse());

    const byAgent = runListSchema.parse((await fixture.call('GET', '/api/v1/runs?agent=other')).body);
    expect(byAgent.runs.map((run) => run.id)).toEqual([ids[3], ids[1]]);
    const byTrigger = runListSchema.parse((await fixture.call('GET', '/api/v1/runs?trigger=airflow')).body);
    expect(byTrigger.runs.map((run) => run.id)).toEqual([ids[2], ids[1]]);
    const completed = runListSchema.parse(
      (await fixture.call('GET', '/api/v1/runs?status=COMPLETED&agent=echo')).body,
    );
    expect(
      completed.runs,
      JSON.stringify((await fixture.store.listRuns()).map((run) => [run.status, run.error])),
    ).toHaveLength(3);
    const failed = runListSchema.parse((await fixture.call('GET', '/api/v1/runs?status=FAILED')).body);
    expect(failed).toEqual({ runs: [], next_cursor: null });
  });

  it('cancels a queued run at once and a running one within moments; 409 once it has ended', async () => {
    fixture = await startFixture({ script: [{ text: 'slow', delayMs: 5000 }], server: { concurrency: 1 } });
    const first = runSchema.parse(
      (await fixture.call('POST', '/api/v1/runs', { body: { agent: 'echo', message: 'a' } })).body,
    );
    await fixture.waitForStatus(first.id, ['RUNNING']);
    const second = runSchema.parse(
      (await fixture.call('POST', '/api/v1/runs', { body: { agent: 'echo', message: 'b' } })).body,
    );
    expect(second.status).toBe('PENDING');

    const queued = await fixture.call('POST', `/api/v1/runs/${second.id}/cancel`);
    expect(queued.status).toBe(200);
    expect(runSchema.parse(queued.body).status).toBe('CANCELLED');

    const started = Date.now();
    const running = await fixture.call('POST', `/api/v1/runs/${first.id}/cancel`);
    expect(running.status).toBe(200);
    expect(runSchema.parse(running.body).cancel_requested_at).not.toBeNull();
    await fixture.waitForStatus(first.id, ['CANCELLED']);
    expect(Date.now() - started).toBeLessThan(4000); // well before the model's 5 s answer
    expect((await fixture.store.getRun(first.id))!.error).toContain('cancelled (request)');

    const again = await fixture.call('POST', `/api/v1/runs/${first.id}/cancel`);
    expect(again.status).toBe(409);
    expect(errorSchema.parse(again.body).error).toMatchObject({ code: 'run.state' });
    expect((await fixture.call('POST', '/api/v1/runs/01J00000000000000000000000/cancel')).status).toBe(404);
    // The cancelled queued run never started.
    const never = (await fixture.store.getRun(second.id))!;
    expect(never).toMatchObject({ status: 'CANCELLED', startedAt: null, turns: 0 });
    const types = (await fixture.store.listEvents(second.id)).map((event) => event.type);
    expect(types).toEqual(['run.created', 'run.cancelled']);
  });

  it('continues a finished run with a follow-up turn, refused while a turn is going', async () => {
    fixture = await startFixture({
      script: [{ text: 'first answer' }, { text: 'second answer', delayMs: 800 }],
    });
    const run = runSchema.parse(
      (await fixture.call('POST', '/api/v1/runs', { body: { agent: 'echo', message: 'one' } })).body,
    );
    await fixture.waitForStatus(run.id, ['COMPLETED']);

    const reply = await fixture.call('POST', `/api/v1/runs/${run.id}/messages`, { body: { message: 'two' } });
    expect(reply.status).toBe(202);
    const busy = await fixture.call('POST', `/api/v1/runs/${run.id}/messages`, {
      body: { message: 'three' },
    });
    expect(busy.status).toBe(409);
    expect(errorSchema.parse(busy.body).error.code).toBe('run.state');

    await fixture.waitForStatus(run.id, ['RUNNING']);
    await fixture.waitForStatus(run.id, ['COMPLETED']);
    const detail = runDetailSchema.parse((await fixture.call('GET', `/api/v1/runs/${run.id}`)).body);
    expect(detail).toMatchObject({ turns: 2, output: { text: 'second answer' } });
    expect(
      detail.messages.filter((message) => message.role === 'user').map((message) => message.content),
    ).toEqual(['one', 'two']);
    // The second turn's model call carried the first turn's conversation.
    const secondCall = fixture.model.requests[1]!.messages as { role: string; content: unknown }[];
    expect(secondCall.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);

    expect((await fixture.call('POST', `/api/v1/runs/${run.id}/messages`, { body: {} })).status).toBe(422);
    const unknown = await fixture.call('POST', '/api/v1/runs/01J00000000000000000000000/messages', {
      body: { message: 'x' },
    });
    expect(unknown.status).toBe(404);
  });

  it('lists agents and reads one; 404 for an unknown agent', async () => {
    fixture = await startFixture({ agents: { echo: ECHO_AGENT, other: OTHER_AGENT } });
    const list = agentListSchema.parse((await fixture.call('GET', '/api/v1/agents')).body);
    expect(list.agents.map((agent) => agent.name)).toEqual(['echo', 'other']);
    expect(list.agents[0]).toMatchObject({
      description: 'Answers in one step.',
      version: 1,
      model: 'default',
    });
    const one = agentDetailSchema.parse((await fixture.call('GET', '/api/v1/agents/echo')).body);
    expect(one.file).toBe('.agentry/agents/echo.yml');
    expect(one.spec).toMatchObject({ role: 'terse assistant', limits: { max_steps: 4, timeout: '20s' } });
    const missing = await fixture.call('GET', '/api/v1/agents/nope');
    expect(missing.status).toBe(404);
    expect(errorSchema.parse(missing.body).error.code).toBe('agent.not-found');
  });

  it('answers a bad body or query with 422 naming the field, and creates nothing', async () => {
    fixture = await startFixture();
    const cases: [unknown, string][] = [
      [{}, 'agent'],
      [{ agent: 'echo' }, 'message'],
      [{ agent: 'echo', message: '' }, 'message'],
      [{ agent: 'echo', message: 'x', slack: { channel: 5 } }, 'slack.channel'],
      [{ agent: 'echo', message: 'x', idempotencyKey: 'k' }, 'idempotencyKey'],
      [{ agent: 'echo', message: 'x', base_ref: '--upload-pack=evil' }, 'base_ref'],
      [{ agent: 'echo', message: 'x', metadata: { dag: { nested: true } } }, 'metadata.dag'],
      [{ agent: 'echo', message: 'x', trigger: { kind: 'github' } }, 'trigger.kind'],
      [[1, 2], 'body'],
    ];
    for (const [body, field] of cases) {
      const response = await fixture.call('POST', '/api/v1/runs', { body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      const { error } = errorSchema.parse(response.body);
      expect(error).toMatchObject({ code: 'request.invalid', field });
      expect(error.message.startsWith(`${field}: `)).toBe(true);
    }
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=ten', 'limit'],
      ['status=DONE', 'status'],
      ['trigger=fax', 'trigger'],
      ['cursor=page2', 'cursor'],
      ['colour=red', 'colour'],
    ]) {
      const response = await fixture.call('GET', `/api/v1/runs?${query}`);
      expect(response.status, query).toBe(422);
      expect(errorSchema.parse(response.body).error.field).toBe(field);
    }
    const notJson = await fixture.call('POST', '/api/v1/runs', {
      rawBody: '{"agent": "echo",',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(errorSchema.parse(notJson.body).error.code).toBe('request.malformed');
    expect(await fixture.store.listRuns()).toEqual([]);
  });

  it('answers unknown runs, agents and routes with a 404 in the error shape, creating nothing', async () => {
    fixture = await startFixture();
    for (const path of [
      '/api/v1/runs/01J00000000000000000000000',
      '/api/v1/runs/nope/events',
      '/api/v1/nothing',
    ]) {
      const response = await fixture.call('GET', path);
      expect(response.status, path).toBe(404);
      errorSchema.parse(response.body);
    }
    const unknownAgent = await fixture.call('POST', '/api/v1/runs', {
      body: { agent: 'ghost', message: 'x' },
    });
    expect(unknownAgent.status).toBe(404);
    expect(errorSchema.parse(unknownAgent.body).error).toMatchObject({
      code: 'agent.not-found',
      message: expect.stringContaining('agents: echo'),
    });
    expect(await fixture.store.listRuns()).toEqual([]);
  });
});
