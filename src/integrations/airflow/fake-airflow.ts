import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One attempt's log served by {@link startFakeAirflow}. */
export interface FakeTaskLog {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
  /** -1 (the default) when the task is not mapped. */
  mapIndex?: number;
  /** The log as Airflow 2 serves it; for Airflow 3 each line becomes a record unless `records` is given. */
  text?: string;
  /** Airflow 3 structlog records (`{timestamp, level, event, logger, error_detail?}`). */
  records?: Record<string, unknown>[];
}

export interface FakeAirflowOptions {
  /**
   * 2: `/api/v1`, logs as `text/plain`, basic auth. 3: `/api/v2`, logs as NDJSON (or JSON pages
   * with a `continuation_token`), JWTs from `POST /auth/token`.
   */
  airflowVersion: 2 | 3;
  logs: FakeTaskLog[];
  /** Users accepted (basic auth on 2, `/auth/token` on 3). With neither users nor tokens, anyone may read. */
  users?: { username: string; password: string }[];
  /** Bearer tokens accepted as they are. */
  tokens?: string[];
  /** Records per JSON page on Airflow 3 (default 1,000). */
  pageSize?: number;
  /** Airflow 3: answer JSON pages even when NDJSON is asked for, as a proxy or an older server may. */
  jsonOnly?: boolean;
  /** Bytes per write of a streamed answer (default 7,919: an odd size that splits lines and characters). */
  chunkBytes?: number;
}

/** A request the fake received, for tests to check what the client sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  accept: string | undefined;
  authorization: string | undefined;
}

export interface FakeAirflow {
  /** Base URL, e.g. `http://127.0.0.1:40123`: the value of `integrations.airflow.base_url`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const TASK_INSTANCE =
  /^\/api\/(v1|v2)\/dags\/([^/]+)\/dagRuns\/([^/]+)\/taskInstances\/([^/]+)(?:\/(-?\d+))?(?:\/logs\/(\d+))?$/;

/**
 * A local HTTP server that speaks the task-log part of Airflow's REST API, v1 (Airflow 2) or v2
 * (Airflow 3): version, task instance, logs, and `/auth/token`. Tests and users point
 * `integrations.airflow.base_url` at it; the production client runs unchanged.
 */
export async function startFakeAirflow(options: FakeAirflowOptions): Promise<FakeAirflow> {
  const requests: RecordedRequest[] = [];
  const issued = new Set<string>();
  const server = createServer((request, response) => {
    handle(request, response, options, requests, issued).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { detail: String(error) });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: FakeAirflowOptions,
  requests: RecordedRequest[],
  issued: Set<string>,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://fake');
  requests.push({
    method: request.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    accept: request.headers.accept,
    authorization: request.headers.authorization,
  });
  const api = options.airflowVersion === 2 ? 'v1' : 'v2';

  if (url.pathname === `/api/${api}/version`) {
    sendJson(response, 200, {
      version: options.airflowVersion === 2 ? '2.10.5' : '3.0.6',
      git_version: null,
    });
    return;
  }
  if (url.pathname === '/auth/token' && request.method === 'POST' && options.airflowVersion === 3) {
    const body = JSON.parse((await readBody(request)) || '{}') as { username?: string; password?: string };
    const known = (options.users ?? []).some(
      (user) => user.username === body.username && user.password === body.password,
    );
    if (!known) return sendJson(response, 401, { detail: 'Invalid credentials' });
    const token = `jwt-${randomBytes(12).toString('hex')}`;
    issued.add(token);
    return sendJson(response, 201, { access_token: token });
  }

  const match = TASK_INSTANCE.exec(url.pathname);
  if (!match || match[1] !== api) return sendJson(response, 404, { detail: 'Not Found' });
  if (!authorized(request, options, issued)) return sendJson(response, 401, { detail: 'Not authenticated' });

  const [, , dagId, runId, taskId, pathMapIndex, logTry] = match;
  const ids = {
    dagId: decodeURIComponent(dagId!),
    runId: decodeURIComponent(runId!),
    taskId: decodeURIComponent(taskId!),
  };
  const mapIndex = Number(pathMapIndex ?? url.searchParams.get('map_index') ?? -1);
  const attempts = options.logs.filter(
    (log) =>
      log.dagId === ids.dagId &&
      log.runId === ids.runId &&
      log.taskId === ids.taskId &&
      (log.mapIndex ?? -1) === mapIndex,
  );
  if (attempts.length === 0) {
    return sendJson(response, 404, {
      detail: 'TaskInstance not found',
      status: 404,
      title: 'Task instance not found',
    });
  }
  if (logTry === undefined) {
    const tryNumber = Math.max(...attempts.map((log) => log.tryNumber));
    return sendJson(response, 200, {
      dag_id: ids.dagId,
      dag_run_id: ids.runId,
      task_id: ids.taskId,
      map_index: mapIndex,
      try_number: tryNumber,
      state: 'failed',
    });
  }
  const log = attempts.find((attempt) => attempt.tryNumber === Number(logTry));
  if (!log) return sendJson(response, 404, { detail: 'TaskInstance not found' });
  if (options.airflowVersion === 2) {
    return stream(response, 'text/plain', Buffer.from(log.text ?? ''), options, {});
  }
  const records = log.records ?? (log.text ?? '').replace(/\n$/, '').split('\n').map(textRecord);
  if (!options.jsonOnly && (request.headers.accept ?? '').includes('application/x-ndjson')) {
    const body = Buffer.from(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    return stream(response, 'application/x-ndjson', body, options, { 'airflow-continuation-token': 'end' });
  }
  const offset = decodeToken(url.searchParams.get('token'));
  const pageSize = options.pageSize ?? 1000;
  const page = records.slice(offset, offset + pageSize);
  const next = offset + pageSize < records.length ? encodeToken(offset + pageSize) : null;
  return sendJson(response, 200, { content: page, continuation_token: next });
}

/** An Airflow 2 text line as an Airflow 3 record, keeping its level when it has one. */
function textRecord(line: string): Record<string, unknown> {
  const level = /\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b/.exec(line)?.[1]?.toLowerCase();
  return { timestamp: '2025-03-04T10:15:02.481223Z', level: level ?? 'info', event: line, logger: 'task' };
}

function authorized(request: IncomingMessage, options: FakeAirflowOptions, issued: Set<string>): boolean {
  const users = options.users ?? [];
  const tokens = options.tokens ?? [];
  if (users.length === 0 && tokens.length === 0) return true;
  const header = request.headers.authorization ?? '';
  if (header.startsWith('Bearer ')) {
    const token = header.slice('Bearer '.length);
    return tokens.includes(token) || issued.has(token);
  }
  if (header.startsWith('Basic ') && options.airflowVersion === 2) {
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString();
    const colon = decoded.indexOf(':');
    const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    return users.some((user) => user.username === username && user.password === password);
  }
  return false;
}

async function stream(
  response: ServerResponse,
  type: string,
  body: Buffer,
  options: FakeAirflowOptions,
  headers: Record<string, string>,
): Promise<void> {
  response.writeHead(200, { 'content-type': type, ...headers });
  const size = options.chunkBytes ?? 7919;
  for (let start = 0; start < body.length; start += size) {
    if (!response.write(body.subarray(start, start + size))) {
      await new Promise<void>((resolve, reject) => {
        response.once('drain', resolve);
        response.once('close', () => reject(new Error('client went away')));
      });
    }
  }
  response.end();
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeToken(token: string | null): number {
  if (!token) return 0;
  return (JSON.parse(Buffer.from(token, 'base64url').toString()) as { offset: number }).offset;
}
