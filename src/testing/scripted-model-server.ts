import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  completionBody,
  completionChunks,
  errorBody,
  estimateTokens,
  type ResolvedAnswer,
  type ResponseMeta,
} from './chat-completions.js';
import { parseScript, type ScriptStep, type TextStep, type ToolCallStep } from './script.js';

/** One `POST /v1/chat/completions` the scripted model received, as the client sent it. */
export interface RecordedRequest {
  /** The request's `model`. */
  model: string;
  /** The request's `messages`, in OpenAI's wire shape (`role: 'tool'` entries carry tool results). */
  messages: unknown[];
  /** The request's `tools`, in OpenAI's wire shape. */
  tools: unknown[];
  /** The names of the function tools offered, in order. */
  toolNames: string[];
  stream: boolean;
  /** The `Authorization` header, e.g. `Bearer sk-test`. */
  authorization: string | undefined;
  /** The whole JSON body, for anything the fields above leave out (temperature, stream_options, …). */
  body: Record<string, unknown>;
  /** `Date.now()` when the body had arrived. */
  receivedAt: number;
  /** Index in the script of the step that answered; undefined when refused before taking a step. */
  stepIndex: number | undefined;
  /** The agent the request came from, read from the system prompt (`You are NAME, …`); undefined when none. */
  agent: string | undefined;
  /** True when the step came from `scripts[agent]` rather than the shared `script`. */
  perAgent: boolean;
  /** The HTTP status answered; undefined when the client went away before the answer. */
  status: number | undefined;
  /** True when the client disconnected (aborted, timed out) before the answer was complete. */
  aborted: boolean;
}

/** A running scripted model. Point an OpenAI-compatible client's base URL at `url`. */
export interface ScriptedModelServer {
  /** The base URL, ending in `/v1`, e.g. `http://127.0.0.1:40123/v1`. */
  readonly url: string;
  /** Every chat completions request received so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Steps not yet taken by a request. */
  remaining(): number;
  /** Adds steps to the end of the script, e.g. for a follow-up turn. Validated like the script. */
  append(steps: ScriptStep[]): void;
  /** Stops listening and cuts every open connection, answered or not. Safe to call twice. */
  close(): Promise<void>;
}

/** How to start a scripted model. */
export interface ScriptedModelOptions {
  /** The answers, one step per request, in order. Requests of agents with a script in `scripts` skip it. */
  script?: ScriptStep[];
  /**
   * A script per agent, for squads whose members run in parallel. A request is matched to its agent
   * by the system prompt Agentry writes (`You are NAME, …`) and answered with the step at the
   * conversation's position (how many assistant messages it holds, plus error steps already
   * answered in it), so parallel runs each follow their own script whatever the interleaving.
   */
  scripts?: Record<string, ScriptStep[]>;
  /** The interface to listen on; `127.0.0.1` by default. */
  host?: string;
  /** The port; `0` (any free port) by default. */
  port?: number;
  /**
   * What a request gets once every step was taken: `error` (default) answers HTTP 500 saying the
   * script is exhausted; `repeat-last` answers with the last step again.
   */
  whenExhausted?: 'error' | 'repeat-last';
  /** When set, requests without `Authorization: Bearer <requireApiKey>` get a 401. */
  requireApiKey?: string;
  /** The ids `GET /v1/models` lists; `['scripted-model']` by default. */
  models?: string[];
}

/**
 * Starts an HTTP server that speaks OpenAI's chat completions protocol and answers each request
 * with the next step of `script`, streamed or not as the client asks. Production model clients
 * run against it unchanged; `requests` shows what they sent.
 *
 * A step is taken when its request arrives, so a request the client aborts still uses its step
 * and the next request gets the next one. Streamed answers carry usage only when the client asks
 * with `stream_options.include_usage`, as OpenAI's do.
 *
 * @example
 * const model = await startScriptedModel({
 *   script: [
 *     { toolCalls: [{ name: 'run_sql_query', arguments: { sql: 'select 1' } }] },
 *     { text: 'The table has one row.' },
 *   ],
 * });
 * // in the test's config.yml: models: { default: { provider: openai-compatible, model: scripted-model, base_url: <model.url> } }
 * // ... run the agent, then:
 * expect(model.requests[1].messages).toContainEqual(expect.objectContaining({ role: 'tool' }));
 * await model.close();
 */
export async function startScriptedModel(options: ScriptedModelOptions): Promise<ScriptedModelServer> {
  const model = new ScriptedModel(options);
  await model.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return model;
}

class ScriptedModel implements ScriptedModelServer {
  readonly requests: RecordedRequest[] = [];
  private readonly script: ScriptStep[];
  private readonly scripts: Map<string, ScriptStep[]>;
  /** Error steps answered per agent conversation: a retry of the same request takes the next step. */
  private readonly errorsServed = new Map<string, number>();
  private readonly whenExhausted: 'error' | 'repeat-last';
  private readonly requireApiKey: string | undefined;
  private readonly models: string[];
  private readonly server = createServer((request, response) => this.handle(request, response));
  private readonly sockets = new Set<Socket>();
  /** Requests not yet answered; close() cuts them so no delay outlives the server. */
  private readonly unanswered = new Set<AbortController>();
  private readonly handling = new Set<Promise<void>>();
  private baseUrl = '';
  private nextStep = 0;
  private completionCount = 0;
  private toolCallCount = 0;
  private closing: Promise<void> | undefined;

  constructor(options: ScriptedModelOptions) {
    this.script = parseScript(options.script ?? []);
    this.scripts = new Map(
      Object.entries(options.scripts ?? {}).map(([agent, steps]) => [agent, parseScript(steps)]),
    );
    this.whenExhausted = options.whenExhausted ?? 'error';
    this.requireApiKey = options.requireApiKey;
    this.models = options.models ?? ['scripted-model'];
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  get url(): string {
    return this.baseUrl;
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${hostname}:${address.port}/v1`;
  }

  remaining(): number {
    return Math.max(0, this.script.length - this.nextStep);
  }

  append(steps: ScriptStep[]): void {
    this.script.push(...parseScript(steps));
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const request of this.unanswered) request.abort();
    for (const socket of this.sockets) socket.destroy();
    // Once the handlers have returned, every record is final and no delay timer is left.
    await Promise.all([stopped, ...this.handling]);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const handling = this.route(request, response)
      .catch((error: unknown) => {
        // A bug here must show up as a failed request in the test, not as a crashed test process.
        const message = error instanceof Error ? error.message : String(error);
        sendJson(
          response,
          500,
          errorBody({ message: `scripted model failed: ${message}`, type: 'server_error' }),
        );
      })
      .finally(() => this.handling.delete(handling));
    this.handling.add(handling);
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://scripted-model').pathname.replace(/\/+$/, '');
    if (path === '/v1/chat/completions') {
      if (request.method !== 'POST') return sendMethodNotAllowed(request, response);
      return this.chatCompletion(request, response);
    }
    if (path === '/v1/models') {
      if (request.method !== 'GET') return sendMethodNotAllowed(request, response);
      return this.listModels(request, response);
    }
    sendJson(
      response,
      404,
      errorBody({
        message: `Unknown request URL: ${request.method} ${request.url}. The scripted model serves POST /v1/chat/completions and GET /v1/models.`,
        type: 'invalid_request_error',
        code: 'unknown_url',
      }),
    );
  }

  private listModels(request: IncomingMessage, response: ServerResponse): void {
    const refusal = this.authorizationRefusal(request.headers.authorization);
    if (refusal) {
      sendJson(response, 401, refusal);
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    sendJson(response, 200, {
      object: 'list',
      data: this.models.map((id) => ({ id, object: 'model', created, owned_by: 'agentry' })),
    });
  }

  private async chatCompletion(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let record: RecordedRequest | undefined;
    const disconnected = new AbortController();
    disconnected.signal.addEventListener('abort', () => {
      if (record) record.aborted = true;
    });
    response.once('close', () => {
      if (!response.writableFinished) disconnected.abort();
    });
    this.unanswered.add(disconnected);
    try {
      const text = await readBody(request).catch(() => undefined);
      if (text === undefined) return;
      const body = parseJsonObject(text);
      if (!body) {
        const message = 'We could not parse the JSON body of your request: send a JSON object.';
        return sendJson(response, 400, errorBody({ message, type: 'invalid_request_error' }));
      }
      record = recordOf(body, request.headers.authorization);
      record.perAgent = record.agent !== undefined && this.scripts.has(record.agent);
      this.requests.push(record);
      await this.answer(record, body, response, disconnected.signal);
    } finally {
      this.unanswered.delete(disconnected);
    }
  }

  private async answer(
    record: RecordedRequest,
    body: Record<string, unknown>,
    response: ServerResponse,
    disconnected: AbortSignal,
  ): Promise<void> {
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      sendJson(response, status, payload, headers);
    };

    const refusal = this.authorizationRefusal(record.authorization);
    if (refusal) return send(401, refusal);
    const invalid = invalidRequestMessage(body);
    if (invalid) return send(400, errorBody({ message: invalid, type: 'invalid_request_error' }));

    const taken = record.perAgent ? this.takeAgentStep(record) : this.takeStep();
    if (!taken) return send(500, record.perAgent ? this.agentExhaustedError(record) : this.exhaustedError());
    record.stepIndex = taken.index;
    const { step } = taken;

    if (step.delayMs) {
      const waited = await sleep(step.delayMs, true, { signal: disconnected }).catch(() => false);
      if (!waited) return;
    }
    if (disconnected.aborted) return;

    if ('error' in step) {
      const { status, message, code, retryAfterMs } = step.error;
      const type = step.error.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
      const headers: Record<string, string> =
        retryAfterMs === undefined
          ? {}
          : { 'retry-after-ms': String(retryAfterMs), 'retry-after': String(Math.ceil(retryAfterMs / 1000)) };
      return send(status, errorBody({ message, type, code }), headers);
    }

    const resolved = this.resolve(step, body);
    const meta: ResponseMeta = {
      id: `chatcmpl-scripted-${++this.completionCount}`,
      model: record.model,
      created: Math.floor(Date.now() / 1000),
    };
    if (!record.stream) return send(200, completionBody(resolved, meta));
    record.status = 200;
    sendEvents(response, completionChunks(resolved, meta, wantsUsage(body)));
  }

  private takeStep(): { step: ScriptStep; index: number } | undefined {
    const index = this.nextStep;
    const step = this.script[index];
    if (step) {
      this.nextStep += 1;
      return { step, index };
    }
    const lastIndex = this.script.length - 1;
    const last = this.script[lastIndex];
    if (this.whenExhausted === 'repeat-last' && last) return { step: last, index: lastIndex };
    return undefined;
  }

  /** The step at this conversation's position in its agent's script. */
  private takeAgentStep(record: RecordedRequest): { step: ScriptStep; index: number } | undefined {
    const script = this.scripts.get(record.agent!)!;
    const key = conversationKey(record);
    const answered = record.messages.filter(
      (message) => (message as { role?: unknown })?.role === 'assistant',
    );
    const errors = this.errorsServed.get(key) ?? 0;
    const position = answered.length + errors;
    const index =
      position < script.length ? position : this.whenExhausted === 'repeat-last' ? script.length - 1 : -1;
    const step = script[index];
    if (!step) return undefined;
    if ('error' in step) this.errorsServed.set(key, errors + 1);
    return { step, index };
  }

  private agentExhaustedError(record: RecordedRequest) {
    return errorBody({
      message: `The scripted model's script for agent ${record.agent} is exhausted: its conversation asked for more steps than the script has.`,
      type: 'server_error',
      code: 'script_exhausted',
    });
  }

  private exhaustedError() {
    const steps = this.script.length === 1 ? '1 step' : `${this.script.length} steps`;
    return errorBody({
      message: `The scripted model's script is exhausted: it has ${steps} and all were used. Add steps to the script, or start it with whenExhausted: 'repeat-last'.`,
      type: 'server_error',
      code: 'script_exhausted',
    });
  }

  private authorizationRefusal(authorization: string | undefined) {
    if (this.requireApiKey === undefined) return undefined;
    if (authorization === `Bearer ${this.requireApiKey}`) return undefined;
    if (authorization === undefined) {
      return errorBody({
        message:
          "You didn't provide an API key. Provide it in an Authorization header using Bearer auth (Authorization: Bearer YOUR_KEY).",
        type: 'invalid_request_error',
      });
    }
    return errorBody({
      message: 'Incorrect API key provided: the scripted model expects the key it was started with.',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
  }

  private resolve(step: TextStep | ToolCallStep, body: Record<string, unknown>): ResolvedAnswer {
    const toolCalls =
      'toolCalls' in step
        ? step.toolCalls.map((call) => ({
            id: call.id ?? `call_${++this.toolCallCount}`,
            name: call.name,
            arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
          }))
        : [];
    const finishReason =
      toolCalls.length > 0 ? 'tool_calls' : 'finishReason' in step ? step.finishReason : undefined;
    const inputTokens =
      step.usage?.inputTokens ??
      estimateTokens(JSON.stringify(body['messages']) + JSON.stringify(body['tools'] ?? []));
    const outputTokens =
      step.usage?.outputTokens ??
      estimateTokens((step.text ?? '') + toolCalls.map((call) => call.name + call.arguments).join(''));
    return {
      text: step.text,
      toolCalls,
      finishReason: finishReason ?? 'stop',
      usage: {
        prompt_tokens: inputTokens,
        completion_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
      },
    };
  }
}

function recordOf(body: Record<string, unknown>, authorization: string | undefined): RecordedRequest {
  const tools = Array.isArray(body['tools']) ? (body['tools'] as unknown[]) : [];
  return {
    model: typeof body['model'] === 'string' ? body['model'] : '',
    messages: Array.isArray(body['messages']) ? body['messages'] : [],
    tools,
    toolNames: tools.flatMap((tool) => {
      const name = (tool as { function?: { name?: unknown } } | null)?.function?.name;
      return typeof name === 'string' ? [name] : [];
    }),
    stream: body['stream'] === true,
    authorization,
    body,
    receivedAt: Date.now(),
    stepIndex: undefined,
    agent: agentOf(body['messages']),
    perAgent: false,
    status: undefined,
    aborted: false,
  };
}

/** The agent a request is from: Agentry's system prompt starts `You are NAME, …`. */
function agentOf(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const system = messages.find((message) => (message as { role?: unknown })?.role === 'system') as
    | { content?: unknown }
    | undefined;
  const content = typeof system?.content === 'string' ? system.content : undefined;
  return content?.match(/^You are ([a-z0-9][a-z0-9_-]*),/)?.[1];
}

/** One agent conversation: its agent and first user message (a run's trigger message). */
function conversationKey(record: RecordedRequest): string {
  const first = record.messages.find((message) => (message as { role?: unknown })?.role === 'user');
  return `${record.agent}\0${JSON.stringify(first ?? null)}`;
}

/** What OpenAI would refuse with a 400 before generating anything. */
function invalidRequestMessage(body: Record<string, unknown>): string | undefined {
  if (typeof body['model'] !== 'string' || body['model'] === '') return 'You must provide a model parameter.';
  if (!Array.isArray(body['messages']) || body['messages'].length === 0) {
    return "Invalid 'messages': expected a non-empty array of messages.";
  }
  return undefined;
}

function wantsUsage(body: Record<string, unknown>): boolean {
  const streamOptions = body['stream_options'];
  return (
    typeof streamOptions === 'object' &&
    streamOptions !== null &&
    (streamOptions as Record<string, unknown>)['include_usage'] === true
  );
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The whole request body as text; rejects when the client goes away before sending it all. */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
    request.once('close', () => reject(new Error('the client closed the request before sending its body')));
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.destroyed || response.headersSent) return;
  const text = JSON.stringify(payload);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function sendEvents(response: ServerResponse, chunks: Record<string, unknown>[]): void {
  if (response.destroyed || response.headersSent) return;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  response.end('data: [DONE]\n\n');
}

function sendMethodNotAllowed(request: IncomingMessage, response: ServerResponse): void {
  sendJson(
    response,
    405,
    errorBody({
      message: `Method ${request.method} is not allowed on ${request.url}.`,
      type: 'invalid_request_error',
      code: 'method_not_allowed',
    }),
  );
}
