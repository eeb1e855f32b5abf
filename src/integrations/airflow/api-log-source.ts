import { isAgentryError } from '../../errors.js';
import { AirflowError } from './errors.js';
import type { LogStream, TaskLogSource } from './log-stream.js';
import { renderStructuredRecord, structuredAsText } from './structured-log.js';
import { checkTaskLogRef, describeTaskLogRef, type TaskLogRef } from './task-log-ref.js';

/** The REST API of Airflow 2 (`/api/v1`) or Airflow 3 (`/api/v2`). */
export type AirflowApiVersion = 'v1' | 'v2';

/** How to authenticate: a bearer token, or a user and password (basic auth on v1, a JWT on v2). */
export type AirflowCredentials = { token: string } | { username: string; password: string };

export interface AirflowApiOptions {
  /** The webserver (Airflow 2) or API server (Airflow 3) URL, e.g. `https://airflow.example.com`. */
  baseUrl: string;
  /** Which API to use; `auto` (the default) asks the server. */
  apiVersion?: AirflowApiVersion | 'auto';
  credentials?: AirflowCredentials;
  /** Limit on each request, including reading a log's body (default 300 s). */
  timeoutMs?: number;
}

/** Pages of an Airflow 3 JSON log answer followed at most: a bound on a server that never ends. */
const MAX_JSON_PAGES = 10_000;
const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * Task logs from Airflow's REST API. Airflow 2: `GET /api/v1/dags/{dag_id}/dagRuns/{run_id}/
 * taskInstances/{task_id}/logs/{try}?full_content=true` as `text/plain`, streamed. Airflow 3: the
 * same path under `/api/v2` as `application/x-ndjson` (structlog records, streamed); a server that
 * answers JSON instead is read page by page with its `continuation_token`.
 */
export class ApiLogSource implements TaskLogSource {
  readonly kind = 'api' as const;
  private readonly baseUrl: string;
  private version: Promise<AirflowApiVersion> | undefined;
  private jwt: Promise<string> | undefined;

  constructor(private readonly options: AirflowApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    if (options.apiVersion && options.apiVersion !== 'auto')
      this.version = Promise.resolve(options.apiVersion);
  }

  async open(ref: TaskLogRef, signal: AbortSignal): Promise<LogStream> {
    checkTaskLogRef(ref);
    const version = await this.apiVersion(signal);
    const mapIndex = ref.mapIndex ?? -1;
    const tryNumber = ref.tryNumber ?? (await this.latestTry(version, ref, signal));
    const path = `${taskInstancePath(version, ref)}/logs/${tryNumber}`;
    const query = { full_content: 'true', map_index: String(mapIndex) };
    const accept = version === 'v1' ? 'text/plain' : 'application/x-ndjson';
    const response = await this.request(path, { query, accept, signal });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new AirflowError(
        'airflow.log-not-found',
        `Airflow has no log for ${describeTaskLogRef(ref, tryNumber)} (404): check the ids and try_number in the Airflow UI`,
      );
    }
    await this.expectOk(response, `the log of ${describeTaskLogRef(ref, tryNumber)}`);
    const origin = `Airflow REST API ${version} at ${this.baseUrl}`;
    const type = response.headers.get('content-type') ?? '';
    if (version === 'v1') return { origin, tryNumber, chunks: bodyChunks(response) };
    if (type.includes('application/json')) {
      return { origin, tryNumber, chunks: this.jsonPages(response, path, query, signal) };
    }
    return { origin, tryNumber, chunks: structuredAsText(bodyChunks(response)) };
  }

  /** `v1` or `v2`, asked of the server once: Airflow 3 answers `/api/v2/version`, Airflow 2 only `/api/v1/version`. */
  apiVersion(signal: AbortSignal): Promise<AirflowApiVersion> {
    this.version ??= retryOnFailure(this.detectVersion(signal), () => {
      this.version = undefined;
    });
    return this.version;
  }

  private async detectVersion(signal: AbortSignal): Promise<AirflowApiVersion> {
    for (const version of ['v2', 'v1'] as const) {
      const response = await this.request(`/api/${version}/version`, {
        accept: 'application/json',
        signal,
        auth: false,
      });
      await response.body?.cancel();
      // Without credentials a protected API still says it exists.
      if (response.ok || response.status === 401 || response.status === 403) return version;
    }
    throw new AirflowError(
      'airflow.bad-response',
      `${this.baseUrl} does not answer /api/v2/version (Airflow 3) nor /api/v1/version (Airflow 2): check integrations.airflow.base_url, or set api_version`,
    );
  }

  /** The task instance's current try number: the latest attempt. */
  private async latestTry(version: AirflowApiVersion, ref: TaskLogRef, signal: AbortSignal): Promise<number> {
    const response = await this.request(taskInstancePath(version, ref), {
      accept: 'application/json',
      signal,
    });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new AirflowError(
        'airflow.log-not-found',
        `Airflow has no task instance ${describeTaskLogRef(ref)} (404): check dag_id, run_id (e.g. scheduled__2025-03-04T06:00:00+00:00) and task_id`,
      );
    }
    await this.expectOk(response, `task instance ${describeTaskLogRef(ref)}`);
    const body = (await readJson(response, 'a task instance')) as { try_number?: unknown };
    const tryNumber = Number(body.try_number);
    if (!Number.isInteger(tryNumber) || tryNumber < 1) {
      throw new AirflowError(
        'airflow.log-not-found',
        `${describeTaskLogRef(ref)} has not run yet (try_number ${String(body.try_number)}): there is no log`,
      );
    }
    return tryNumber;
  }

  private async *jsonPages(
    first: Response,
    path: string,
    query: Record<string, string>,
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    let response = first;
    for (let page = 0; page < MAX_JSON_PAGES; page++) {
      const body = (await readJson(response, 'a log page')) as {
        content?: unknown;
        continuation_token?: unknown;
      };
      const records = Array.isArray(body.content) ? body.content : [];
      if (records.length > 0) {
        yield `${records.flatMap((record) => renderStructuredRecord(record)).join('\n')}\n`;
      }
      const token = body.continuation_token;
      if (typeof token !== 'string' || token === '' || records.length === 0) return;
      response = await this.request(path, { query: { ...query, token }, accept: 'application/json', signal });
      await this.expectOk(response, 'the next page of the log');
    }
  }

  private async request(
    path: string,
    options: { query?: Record<string, string>; accept: string; signal: AbortSignal; auth?: boolean },
  ): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: options.accept };
    if (options.auth !== false) {
      const authorization = await this.authorization(options.signal);
      if (authorization) headers.authorization = authorization;
    }
    return this.fetch(url, { headers }, options.signal);
  }

  private async fetch(url: URL, init: RequestInit, signal: AbortSignal): Promise<Response> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      return await fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (error) {
      if (signal.aborted) throw error;
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${Math.round(timeoutMs / 1000)} s`
          : networkReason(error);
      throw new AirflowError(
        'airflow.unreachable',
        `cannot reach Airflow at ${this.baseUrl} (${reason}): check integrations.airflow.base_url and that Airflow is up`,
        { cause: error },
      );
    }
  }

  private async authorization(signal: AbortSignal): Promise<string | undefined> {
    const credentials = this.options.credentials;
    if (!credentials) return undefined;
    if ('token' in credentials) return `Bearer ${credentials.token}`;
    if ((await this.apiVersion(signal)) === 'v1') {
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    this.jwt ??= retryOnFailure(this.login(credentials, signal), () => {
      this.jwt = undefined;
    });
    return `Bearer ${await this.jwt}`;
  }

  /** Airflow 3: `POST /auth/token` with the user and password gives a JWT. */
  private async login(
    credentials: { username: string; password: string },
    signal: AbortSignal,
  ): Promise<string> {
    const response = await this.fetch(
      new URL(`${this.baseUrl}/auth/token`),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username: credentials.username, password: credentials.password }),
      },
      signal,
    );
    await this.expectOk(response, 'a token from /auth/token');
    const body = (await readJson(response, 'a token')) as { access_token?: unknown };
    if (typeof body.access_token !== 'string') {
      throw new AirflowError(
        'airflow.bad-response',
        `${this.baseUrl}/auth/token answered without an access_token`,
      );
    }
    return body.access_token;
  }

  private async expectOk(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    const detail = await response.text().then(
      (text) => text.replace(/\s+/g, ' ').trim().slice(0, 200),
      () => '',
    );
    if (response.status === 401 || response.status === 403) {
      throw new AirflowError(
        'airflow.auth-failed',
        `Airflow refused ${what} (${response.status}): set integrations.airflow.token_env, or username_env and password_env, to credentials that may read task logs`,
      );
    }
    throw new AirflowError(
      'airflow.bad-response',
      `Airflow answered ${response.status} for ${what}${detail ? `: ${detail}` : ''}`,
    );
  }
}

/** A cached promise that forgets itself when it fails, so the next call tries again. */
function retryOnFailure<T>(promise: Promise<T>, forget: () => void): Promise<T> {
  promise.catch(forget);
  return promise;
}

/** `/api/vN/dags/{dag}/dagRuns/{run}/taskInstances/{task}[/{map_index}]`, each id escaped. */
function taskInstancePath(version: AirflowApiVersion, ref: TaskLogRef): string {
  const base = `/api/${version}/dags/${encodeURIComponent(ref.dagId)}/dagRuns/${encodeURIComponent(ref.runId)}/taskInstances/${encodeURIComponent(ref.taskId)}`;
  return ref.mapIndex !== undefined && ref.mapIndex >= 0 ? `${base}/${ref.mapIndex}` : base;
}

async function* bodyChunks(response: Response): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  try {
    for await (const chunk of response.body) yield chunk;
  } catch (error) {
    if (isAgentryError(error) || (error instanceof Error && error.name === 'AbortError')) throw error;
    throw new AirflowError(
      'airflow.unreachable',
      `the log stream from Airflow broke off (${networkReason(error)})`,
      {
        cause: error,
      },
    );
  }
}

async function readJson(response: Response, what: string): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    throw new AirflowError('airflow.bad-response', `Airflow sent ${what} that is not JSON`, { cause: error });
  }
}

function networkReason(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
