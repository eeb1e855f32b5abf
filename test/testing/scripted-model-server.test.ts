import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, jsonSchema, type ModelMessage, streamText, tool } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ScriptedModelOptions,
  type ScriptedModelServer,
  type ScriptStep,
  startScriptedModel,
} from '../../src/testing/index.js';

const servers: ScriptedModelServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startModel(
  script: ScriptStep[],
  options: Omit<ScriptedModelOptions, 'script'> = {},
): Promise<ScriptedModelServer> {
  const server = await startScriptedModel({ script, ...options });
  servers.push(server);
  return server;
}

/** The production client, as the models module builds it for an openai-compatible base_url. */
function compatibleModel(server: ScriptedModelServer, apiKey = 'sk-test') {
  return createOpenAICompatible({ name: 'scripted', baseURL: server.url, apiKey, includeUsage: true })(
    'scripted-model',
  );
}

// No execute: the SDK returns the tool calls instead of running them, so each call is one step.
const tools = {
  run_sql_query: tool({
    description: 'Run a read-only SQL query against the warehouse.',
    inputSchema: jsonSchema<{ sql: string; limit?: number }>({
      type: 'object',
      properties: { sql: { type: 'string' }, limit: { type: 'number' } },
      required: ['sql'],
    }),
  }),
  read_file: tool({
    description: 'Read a file of the repository.',
    inputSchema: jsonSchema<{ path: string }>({
      type: 'object',
      properties: { path: { type: 'string' } },
      required: ['path'],
    }),
  }),
};

const toolCallStep: ScriptStep = {
  toolCalls: [
    { name: 'run_sql_query', arguments: { sql: 'select count(*) from orders where amount < 0', limit: 10 } },
    { name: 'read_file', arguments: '{"path":"models/orders.sql"}', id: 'call_custom' },
  ],
  usage: { inputTokens: 120, outputTokens: 30 },
};

function resourceCount(type: string): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === type).length;
}

describe('startScriptedModel with the openai-compatible provider', () => {
  it('answers with the scripted text and usage, and records the request', async () => {
    const server = await startModel([
      { text: 'orders failed on a null customer_id.', usage: { inputTokens: 42, outputTokens: 9 } },
    ]);

    const result = await generateText({
      model: compatibleModel(server),
      system: 'You triage dbt failures.',
      prompt: 'Why did orders fail?',
    });

    expect(result.text).toBe('orders failed on a null customer_id.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBe(42);
    expect(result.usage.outputTokens).toBe(9);
    expect(result.usage.totalTokens).toBe(51);
    expect(server.remaining()).toBe(0);
    const [request] = server.requests;
    expect(request).toMatchObject({
      model: 'scripted-model',
      stream: false,
      authorization: 'Bearer sk-test',
      stepIndex: 0,
      status: 200,
      aborted: false,
      toolNames: [],
    });
    expect(request?.messages).toEqual([
      { role: 'system', content: 'You triage dbt failures.' },
      { role: 'user', content: 'Why did orders fail?' },
    ]);
  });

  it('streams text in several deltas and sends usage when the client asks for it', async () => {
    const text = 'The orders model failed because customer_id was null in 3 rows.';
    const server = await startModel([{ text, usage: { inputTokens: 50, outputTokens: 14 } }]);

    const result = streamText({ model: compatibleModel(server), prompt: 'Why did orders fail?' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(text);
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).inputTokens).toBe(50);
    expect((await result.usage).outputTokens).toBe(14);
    expect(server.requests[0]?.stream).toBe(true);
    expect(server.requests[0]?.body['stream_options']).toEqual({ include_usage: true });
  });

  it('estimates usage at about four characters a token when the step gives none', async () => {
    const server = await startModel([{ text: 'x'.repeat(40) }]);

    const result = await generateText({ model: compatibleModel(server), prompt: 'Say forty x.' });

    expect(result.usage.outputTokens).toBe(10);
    const prompt = JSON.stringify(server.requests[0]?.messages) + JSON.stringify([]);
    expect(result.usage.inputTokens).toBe(Math.ceil(prompt.length / 4));
  });

  it('reports a length finish when the step says the model ran out of tokens', async () => {
    const server = await startModel([{ text: 'The answer is cut', finishReason: 'length' }]);

    const result = await generateText({ model: compatibleModel(server), prompt: 'Explain.' });

    expect(result.finishReason).toBe('length');
  });

  it('returns tool calls with parsed arguments and default ids', async () => {
    const server = await startModel([toolCallStep]);

    const result = await generateText({
      model: compatibleModel(server),
      tools,
      prompt: 'Check negative amounts.',
    });

    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls.map((call) => [call.toolCallId, call.toolName, call.input])).toEqual([
      ['call_1', 'run_sql_query', { sql: 'select count(*) from orders where amount < 0', limit: 10 }],
      ['call_custom', 'read_file', { path: 'models/orders.sql' }],
    ]);
    expect(result.usage.inputTokens).toBe(120);
    expect(server.requests[0]?.toolNames).toEqual(['run_sql_query', 'read_file']);
  });

  it('streams tool calls whose arguments arrive in fragments', async () => {
    const server = await startModel([{ ...toolCallStep, text: 'Let me look.' }]);

    const result = streamText({ model: compatibleModel(server), tools, prompt: 'Check negative amounts.' });
    const argumentFragments: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type === 'tool-input-delta') argumentFragments.push(part.delta);
    }

    expect(await result.text).toBe('Let me look.');
    expect(await result.finishReason).toBe('tool-calls');
    expect((await result.toolCalls).map((call) => [call.toolCallId, call.toolName, call.input])).toEqual([
      ['call_1', 'run_sql_query', { sql: 'select count(*) from orders where amount < 0', limit: 10 }],
      ['call_custom', 'read_file', { path: 'models/orders.sql' }],
    ]);
    expect(argumentFragments.length).toBeGreaterThan(2);
    expect((await result.usage).outputTokens).toBe(30);
  });

  it('records the tool results the client sends back on the next request', async () => {
    const server = await startModel([
      { toolCalls: [{ name: 'run_sql_query', arguments: { sql: 'select 1' } }] },
      { text: 'There are 3 bad rows.' },
    ]);
    const model = compatibleModel(server);
    const prompt: ModelMessage[] = [{ role: 'user', content: 'How many bad rows?' }];

    const first = await generateText({ model, tools, messages: prompt });
    const [call] = first.toolCalls;
    const second = await generateText({
      model,
      tools,
      messages: [
        ...prompt,
        ...first.response.messages,
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: call!.toolCallId,
              toolName: call!.toolName,
              output: { type: 'json', value: { rows: 3 } },
            },
          ],
        },
      ],
    });

    expect(second.text).toBe('There are 3 bad rows.');
    const messages = server.requests[1]?.messages;
    expect(messages).toContainEqual({ role: 'tool', tool_call_id: 'call_1', content: '{"rows":3}' });
    expect(messages).toContainEqual(
      expect.objectContaining({
        role: 'assistant',
        tool_calls: [
          expect.objectContaining({
            id: 'call_1',
            function: expect.objectContaining({ name: 'run_sql_query' }),
          }),
        ],
      }),
    );
    expect(server.requests.map((request) => request.stepIndex)).toEqual([0, 1]);
  });

  it('answers an error step with its status, as an APICallError', async () => {
    const server = await startModel([
      { error: { status: 429, message: 'Rate limit reached for requests', code: 'rate_limit_exceeded' } },
    ]);

    const failure = await generateText({ model: compatibleModel(server), prompt: 'Hi', maxRetries: 0 }).catch(
      (error: unknown) => error,
    );

    expect(APICallError.isInstance(failure)).toBe(true);
    const error = failure as APICallError;
    expect(error.statusCode).toBe(429);
    expect(error.message).toBe('Rate limit reached for requests');
    expect(error.isRetryable).toBe(true);
    expect(JSON.parse(error.responseBody ?? '{}')).toEqual({
      error: {
        message: 'Rate limit reached for requests',
        type: 'invalid_request_error',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(server.requests[0]?.status).toBe(429);
  });

  it('lets the client retry past a server error with the next step, as soon as retry-after allows', async () => {
    const server = await startModel([
      { error: { status: 503, message: 'The engine is currently overloaded', retryAfterMs: 0 } },
      { text: 'recovered' },
    ]);

    const result = await generateText({ model: compatibleModel(server), prompt: 'Hi', maxRetries: 1 });

    expect(result.text).toBe('recovered');
    expect(server.requests.map((request) => request.status)).toEqual([503, 200]);
  });

  it('sends retry-after headers with an error step', async () => {
    const server = await startModel([{ error: { status: 429, message: 'Slow down', retryAfterMs: 1500 } }]);

    const failure = await generateText({ model: compatibleModel(server), prompt: 'Hi', maxRetries: 0 }).catch(
      (error: unknown) => error,
    );

    expect((failure as APICallError).responseHeaders).toMatchObject({
      'retry-after-ms': '1500',
      'retry-after': '2',
    });
  });

  it('answers 500 saying the script is exhausted once every step was taken', async () => {
    const server = await startModel([{ text: 'only answer' }]);
    const model = compatibleModel(server);
    await generateText({ model, prompt: 'first' });

    const failure = await generateText({ model, prompt: 'second', maxRetries: 0 }).catch(
      (error: unknown) => error,
    );

    expect(APICallError.isInstance(failure)).toBe(true);
    expect((failure as APICallError).statusCode).toBe(500);
    expect((failure as APICallError).message).toMatch(/script is exhausted: it has 1 step and all were used/);
    expect(server.requests[1]).toMatchObject({ stepIndex: undefined, status: 500 });
  });

  it('repeats the last step when told to', async () => {
    const server = await startModel([{ text: 'first' }, { text: 'again' }], { whenExhausted: 'repeat-last' });
    const model = compatibleModel(server);

    const texts: string[] = [];
    for (const prompt of ['a', 'b', 'c']) texts.push((await generateText({ model, prompt })).text);

    expect(texts).toEqual(['first', 'again', 'again']);
    expect(server.requests.map((request) => request.stepIndex)).toEqual([0, 1, 1]);
  });

  it('serves steps appended after start', async () => {
    const server = await startModel([]);
    server.append([{ text: 'appended' }]);

    expect(server.remaining()).toBe(1);
    expect((await generateText({ model: compatibleModel(server), prompt: 'Hi' })).text).toBe('appended');
  });

  it('refuses a wrong API key with 401 without taking a step', async () => {
    const server = await startModel([{ text: 'welcome' }], { requireApiKey: 'sk-right' });

    const failure = await generateText({
      model: compatibleModel(server, 'sk-wrong'),
      prompt: 'Hi',
      maxRetries: 0,
    }).catch((error: unknown) => error);

    expect(APICallError.isInstance(failure)).toBe(true);
    expect((failure as APICallError).statusCode).toBe(401);
    expect(server.remaining()).toBe(1);
    expect(server.requests[0]).toMatchObject({ authorization: 'Bearer sk-wrong', status: 401 });
    const result = await generateText({ model: compatibleModel(server, 'sk-right'), prompt: 'Hi' });
    expect(result.text).toBe('welcome');
  });

  it('survives a client that aborts while a step is delayed, and serves the next request', async () => {
    const server = await startModel([{ text: 'too slow', delayMs: 2_000 }, { text: 'in time' }]);
    const model = compatibleModel(server);

    const failure = await generateText({
      model,
      prompt: 'Hi',
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(50),
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
    expect(server.requests[0]).toMatchObject({ stepIndex: 0, status: undefined });
    const result = await generateText({ model, prompt: 'Hi again' });
    expect(result.text).toBe('in time');
    expect(server.requests[1]).toMatchObject({ stepIndex: 1, status: 200, aborted: false });
  });

  it('waits delayMs before answering', async () => {
    const server = await startModel([{ text: 'late', delayMs: 150 }]);

    const started = Date.now();
    await generateText({ model: compatibleModel(server), prompt: 'Hi' });

    // A lower bound only: the wait must happen, how fast the rest is does not matter here.
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('startScriptedModel with the openai provider', () => {
  const openaiModel = (server: ScriptedModelServer) =>
    createOpenAI({ baseURL: server.url, apiKey: 'sk-test' }).chat('gpt-4o-mini');

  it('passes its strict schema without streaming', async () => {
    const server = await startModel([toolCallStep]);

    const result = await generateText({ model: openaiModel(server), tools, prompt: 'Check.' });

    expect(result.toolCalls.map((call) => call.input)).toEqual([
      { sql: 'select count(*) from orders where amount < 0', limit: 10 },
      { path: 'models/orders.sql' },
    ]);
    expect(result.usage.outputTokens).toBe(30);
    expect(server.requests[0]?.model).toBe('gpt-4o-mini');
  });

  it('passes its strict schema when streaming', async () => {
    const server = await startModel([{ text: 'all good', usage: { inputTokens: 7, outputTokens: 2 } }]);

    const result = streamText({ model: openaiModel(server), prompt: 'Check.' });

    expect(await result.text).toBe('all good');
    expect((await result.usage).inputTokens).toBe(7);
  });
});

describe('startScriptedModel over plain HTTP', () => {
  it('lists models', async () => {
    const server = await startModel([], { models: ['gpt-4o-mini', 'llama3'] });

    const response = await fetch(`${server.url}/models`);

    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; data: { id: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((model) => model.id)).toEqual(['gpt-4o-mini', 'llama3']);
  });

  it('asks for a key when none is sent', async () => {
    const server = await startModel([], { requireApiKey: 'sk-right' });

    const response = await fetch(`${server.url}/models`);

    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/didn't provide an API key/);
  });

  it('answers 400 to a body that is not JSON, without recording it or taking a step', async () => {
    const server = await startModel([{ text: 'unused' }]);

    const response = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{not json' });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(server.requests).toHaveLength(0);
    expect(server.remaining()).toBe(1);
  });

  it('answers 404 in OpenAI error shape to an unknown path', async () => {
    const server = await startModel([]);

    const response = await fetch(`${server.url}/embeddings`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
  });

  it('rejects a script step that is not valid before listening', async () => {
    await expect(
      startScriptedModel({ script: [{ text: 'ok' }, { toolCalls: [] } as ScriptStep] }),
    ).rejects.toThrow(/script step 2 \(toolCalls\)/);
  });
});

describe('ScriptedModelServer.close', () => {
  it('cuts a request still waiting on its delay and leaves no sockets or timers behind', async () => {
    // Let handles closed by earlier tests finish closing, so the baseline is this test's own.
    await new Promise((resolve) => setImmediate(resolve));
    const servers = resourceCount('TCPServerWrap');
    const sockets = resourceCount('TCPSocketWrap');
    const timers = resourceCount('Timeout');
    const server = await startScriptedModel({ script: [{ text: 'never sent', delayMs: 60_000 }] });
    expect(resourceCount('TCPServerWrap')).toBe(servers + 1);
    const pending = fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'scripted-model', messages: [{ role: 'user', content: 'Hi' }] }),
    }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));

    await server.close();
    await server.close();

    expect(await pending).toBeInstanceOf(Error);
    expect(server.requests[0]?.aborted).toBe(true);
    await vi.waitFor(() => {
      expect(resourceCount('TCPServerWrap')).toBe(servers);
      expect(resourceCount('TCPSocketWrap')).toBe(sockets);
      expect(resourceCount('Timeout')).toBeLessThanOrEqual(timers);
    });
  });
});
