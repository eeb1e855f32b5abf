import {
  AgentryApiError,
  AgentryConnectionError,
  RunCancelledError,
  RunFailedError,
  RunWaitTimeoutError,
} from './errors.js';
import { parseSse } from './sse.js';
import type {
  AgentDetail,
  AgentSummary,
  ListRunsInput,
  Run,
  RunDetail,
  RunEvent,
  RunList,
  TriggerRunInput,
} from './types.js';

/** How to reach an `agentry serve`. */
export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:7070`. */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Timeout of each request but event streams. Default 30 s. */
  requestTimeoutMs?: number;
}

/** Options of `streamEvents`. */
export interface StreamEventsOptions {
  /** Only events after this seq (resume point). Default 0: from the start. */
  after?: number;
  signal?: AbortSignal;
  /** Reconnects in a row without receiving anything before giving up. Default 5. */
  maxReconnects?: number;
}

/** Options of `triggerRunAndWait` and `waitForRun`. */
export interface WaitOptions {
  /** Give up waiting after this long with `RunWaitTimeoutError`. Default 30 minutes. */
  timeoutMs?: number;
  /** Also cancel the run when waiting times out. Default false: the run goes on. */
  cancelOnTimeout?: boolean;
  /** Called with each event while waiting on the live stream. */
  onEvent?: (event: RunEvent) => void;
  /** How often to poll when the event stream is not usable (a buffering proxy). Default 2 s. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

const TERMINAL: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** The event stream answered, but not as `text/event-stream` (something in between rewrote it). */
class SseUnavailableError extends Error {}

/**
 * A client of the Agentry REST API. Uses `fetch` only.
 *
 * @example
 * const agentry = new AgentryClient({ url: 'http://127.0.0.1:7070', apiKey: process.env.AGENTRY_API_KEY });
 * const run = await agentry.triggerRunAndWait({ agent: 'test-maintainer', message: 'Check PR 42' });
 * console.log(run.output?.text);
 */
export class AgentryClient {
  readonly #base: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #requestTimeoutMs: number;

  constructor(options: ClientOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /**
   * Start a run; resolves once it is queued (PENDING), with the run. With an `idempotency_key`
   * already used for this agent in the last 24 hours, resolves with that first run instead.
   */
  async triggerRun(input: TriggerRunInput): Promise<Run> {
    const body = { ...input, trigger: { ...input.trigger, kind: input.trigger?.kind ?? 'sdk' } };
    return this.#request<Run>('POST', '/api/v1/runs', body);
  }

  /**
   * Start a run and wait for it to end: live over SSE, polling when the stream is not usable.
   * Resolves with the COMPLETED run; throws `RunFailedError` or `RunCancelledError` (carrying the
   * run) otherwise, and `RunWaitTimeoutError` when `timeoutMs` passes first.
   */
  async triggerRunAndWait(input: TriggerRunInput, options: WaitOptions = {}): Promise<RunDetail> {
    const run = await this.triggerRun(input);
    return this.waitForRun(run.id, options);
  }

  /** Wait for a run to end; see `triggerRunAndWait`. */
  async waitForRun(runId: string, options: WaitOptions = {}): Promise<RunDetail> {
    const timeoutMs = options.timeoutMs ?? 30 * 60_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      let run = await this.#followUntilEnd(runId, options, signal);
      while (!TERMINAL.has(run.status)) {
        await sleep(options.pollIntervalMs ?? 2000, signal);
        run = await this.getRun(runId);
      }
      if (run.status === 'FAILED') throw new RunFailedError(run);
      if (run.status === 'CANCELLED') throw new RunCancelledError(run);
      return run;
    } catch (error) {
      if (!timeout.aborted || options.signal?.aborted) throw error;
      if (options.cancelOnTimeout) await this.cancelRun(runId).catch(() => undefined);
      throw new RunWaitTimeoutError(runId, timeoutMs);
    }
  }

  /** The run with its messages, child runs and artifacts. */
  async getRun(runId: string): Promise<RunDetail> {
    return this.#request<RunDetail>('GET', `/api/v1/runs/${encodeURIComponent(runId)}`);
  }

  /** A page of runs, newest first; pass `next_cursor` back as `cursor` for the next. */
  async listRuns(input: ListRunsInput = {}): Promise<RunList> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(input)) if (value !== undefined) query.set(key, String(value));
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.#request<RunList>('GET', `/api/v1/runs${suffix}`);
  }

  /** Cancel a run: a queued one at once, a running one within moments. */
  async cancelRun(runId: string): Promise<Run> {
    return this.#request<Run>('POST', `/api/v1/runs/${encodeURIComponent(runId)}/cancel`);
  }

  /** Continue a finished run with a follow-up message (a new turn); follow it with `streamEvents`. */
  async sendMessage(runId: string, message: string): Promise<Run> {
    return this.#request<Run>('POST', `/api/v1/runs/${encodeURIComponent(runId)}/messages`, { message });
  }

  async listAgents(): Promise<AgentSummary[]> {
    return (await this.#request<{ agents: AgentSummary[] }>('GET', '/api/v1/agents')).agents;
  }

  async getAgent(name: string): Promise<AgentDetail> {
    return this.#request<AgentDetail>('GET', `/api/v1/agents/${encodeURIComponent(name)}`);
  }

  /**
   * The run's events as they happen, from the start (or after `options.after`), ending when the
   * run has ended. A dropped connection is resumed from the last event received, so no event is
   * missed or repeated.
   */
  async *streamEvents(runId: string, options: StreamEventsOptions = {}): AsyncGenerator<RunEvent> {
    let after = options.after ?? 0;
    let failures = 0;
    const maxReconnects = options.maxReconnects ?? 5;
    for (;;) {
      let response: Response;
      try {
        response = await this.#send('GET', `/api/v1/runs/${encodeURIComponent(runId)}/events`, {
          headers: { Accept: 'text/event-stream', ...(after > 0 ? { 'Last-Event-ID': String(after) } : {}) },
          signal: options.signal,
        });
      } catch (error) {
        if (options.signal?.aborted || ++failures > maxReconnects) throw error;
        await sleep(backoffMs(failures), options.signal);
        continue;
      }
      if (!response.ok) {
        const error = await apiError(response);
        if (!error.retryable || ++failures > maxReconnects) throw error;
        await sleep(backoffMs(failures), options.signal);
        continue;
      }
      if (!response.headers.get('content-type')?.startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel();
        throw new SseUnavailableError(
          `expected text/event-stream, got ${response.headers.get('content-type')}`,
        );
      }
      try {
        for await (const message of parseSse(response.body)) {
          failures = 0;
          if (message.event === 'end') return;
          if (message.data === '') continue;
          const event = JSON.parse(message.data) as RunEvent;
          after = event.seq;
          yield event;
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
      }
      // The stream closed before `end`: reconnect after the last event.
      if (++failures > maxReconnects) {
        throw new AgentryConnectionError(`the event stream of run ${runId} kept closing: is the server up?`);
      }
      await sleep(backoffMs(failures), options.signal);
    }
  }

  /** Follow the stream to its end; on a stream that cannot work, poll instead. Returns the run. */
  async #followUntilEnd(runId: string, options: WaitOptions, signal: AbortSignal): Promise<RunDetail> {
    try {
      // Few reconnects: polling is the fallback, and it works through any proxy.
      for await (const event of this.streamEvents(runId, { signal, maxReconnects: 2 }))
        options.onEvent?.(event);
    } catch (error) {
      if (signal.aborted) throw error;
      // Not found, unauthorised, forbidden: polling would fail the same way.
      if (error instanceof AgentryApiError && !error.retryable) throw error;
    }
    return this.getRun(runId);
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#send(method, path, {
      body,
      signal: AbortSignal.timeout(this.#requestTimeoutMs),
    });
    if (!response.ok) throw await apiError(response);
    return (await response.json()) as T;
  }

  async #send(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (this.#apiKey) headers['Authorization'] = `Bearer ${this.#apiKey}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted && options.signal.reason?.name !== 'TimeoutError') throw error;
      const detail =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      throw new AgentryConnectionError(
        `cannot reach ${this.#base} (${detail}): is agentry serve running there?`,
        {
          cause: error,
        },
      );
    }
  }
}

/** Shorthand for `new AgentryClient(options)`. */
export function createClient(options: ClientOptions): AgentryClient {
  return new AgentryClient(options);
}

async function apiError(response: Response): Promise<AgentryApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.code && body.error.message) {
      return new AgentryApiError(response.status, body.error.code, body.error.message, body.error.field);
    }
  } catch {
    // Not our JSON: a proxy's error page.
  }
  return new AgentryApiError(
    response.status,
    'http.error',
    `${response.statusText || 'error'}: ${text.slice(0, 200)}`,
  );
}

function backoffMs(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 5000);
}

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. No Node built-ins: the SDK runs anywhere `fetch` does. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
