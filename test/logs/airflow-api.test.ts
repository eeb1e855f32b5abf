import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeAirflow,
  type FakeAirflowOptions,
  startFakeAirflow,
} from '../../src/integrations/airflow/index.js';
import { configSchema } from '../../src/spec/config.js';
import { ToolExecutor, ToolRegistry } from '../../src/tools/index.js';
import { readLogTool, searchLogTool } from '../../src/tools/logs.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { CONNECTION_REFUSED_LOG, STARTUP_TIMEOUT_LOG } from './big-log.js';
import {
  contextFor,
  createLogWorkspace,
  DAG_ID,
  type LogWorkspace,
  numbered,
  runLogTool,
  TASK_ID,
} from './helpers.js';

/** A run id with the characters Airflow puts in them and URLs must escape. */
const RUN_ID = 'scheduled__2024-01-29T09:48:49+00:00';
const USER = { username: 'agentry', password: 's3cret:with:colons' };

let refused: string;
let timeout: string;
let workspace: LogWorkspace;
let airflow: FakeAirflow | undefined;

beforeAll(async () => {
  refused = await readFile(CONNECTION_REFUSED_LOG, 'utf8');
  timeout = await readFile(STARTUP_TIMEOUT_LOG, 'utf8');
  workspace = await createLogWorkspace();
});

afterEach(async () => {
  await airflow?.close();
  airflow = undefined;
});

afterAll(async () => {
  await workspace.cleanup();
});

async function start(options: Partial<FakeAirflowOptions> & Pick<FakeAirflowOptions, 'airflowVersion'>) {
  airflow = await startFakeAirflow({
    logs: [
      { dagId: DAG_ID, runId: RUN_ID, taskId: TASK_ID, tryNumber: 1, text: refused },
      { dagId: DAG_ID, runId: RUN_ID, taskId: TASK_ID, tryNumber: 2, text: timeout },
      { dagId: DAG_ID, runId: RUN_ID, taskId: 'mapped_task', tryNumber: 1, mapIndex: 3, text: refused },
    ],
    users: [USER],
    ...options,
  });
  return airflow;
}

function apiContext(baseUrl: string, airflowSettings: Record<string, unknown> = {}, env = {}): ToolContext {
  return contextFor(workspace.root, {
    config: configSchema.parse({
      integrations: {
        airflow: {
          base_url: baseUrl,
          username_env: 'AIRFLOW_USER',
          password_env: 'AIRFLOW_PASSWORD',
          ...airflowSettings,
        },
      },
    }),
    env: { AIRFLOW_USER: USER.username, AIRFLOW_PASSWORD: USER.password, ...env },
  });
}

const task = { dag_id: DAG_ID, run_id: RUN_ID, task_id: TASK_ID };

describe('Airflow 2 REST API (/api/v1)', () => {
  it('streams the log as text/plain with full_content, basic auth and escaped ids', async () => {
    const server = await start({ airflowVersion: 2 });
    const { text } = await runLogTool(searchLogTool, { ...task, try_number: 1 }, apiContext(server.url));
    expect(text).toContain(`try 1 (Airflow REST API v1 at ${server.url})`);
    expect(text).toContain(numbered(10, 'ConnectionRefusedError: [Errno 111] Connection refused', true));
    expect(text).toContain('Last exception (line 37): airflow.exceptions.AirflowException');

    const logRequest = server.requests.find((request) => request.path.includes('/logs/'))!;
    expect(logRequest.path).toBe(
      `/api/v1/dags/${DAG_ID}/dagRuns/${encodeURIComponent(RUN_ID)}/taskInstances/${TASK_ID}/logs/1`,
    );
    expect(logRequest.path).toContain('%2B00%3A00');
    expect(logRequest.query).toEqual({ full_content: 'true', map_index: '-1' });
    expect(logRequest.accept).toBe('text/plain');
    expect(logRequest.authorization).toBe(
      `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`,
    );
  });

  it('asks the task instance for its latest try when try_number is not given', async () => {
    const server = await start({ airflowVersion: 2 });
    const { text } = await runLogTool(readLogTool, { ...task, tail: 2 }, apiContext(server.url));
    expect(text).toContain('try 2');
    expect(text).toContain('0 downstream tasks scheduled');
    const paths = server.requests.map((request) => request.path);
    expect(paths).toContain(
      `/api/v1/dags/${DAG_ID}/dagRuns/${encodeURIComponent(RUN_ID)}/taskInstances/${TASK_ID}`,
    );
    expect(paths.at(-1)).toMatch(/\/logs\/2$/);
  });

  it('reads a mapped task instance by its index', async () => {
    const server = await start({ airflowVersion: 2 });
    const { text } = await runLogTool(
      searchLogTool,
      { ...task, task_id: 'mapped_task', map_index: 3 },
      apiContext(server.url),
    );
    expect(text).toContain('map_index=3 try 1');
    expect(server.requests.map((request) => request.path)).toContain(
      `/api/v1/dags/${DAG_ID}/dagRuns/${encodeURIComponent(RUN_ID)}/taskInstances/mapped_task/3`,
    );
    expect(server.requests.at(-1)!.query.map_index).toBe('3');
  });

  it('says so when the credentials are refused', async () => {
    const server = await start({ airflowVersion: 2 });
    const context = apiContext(server.url, {}, { AIRFLOW_PASSWORD: 'wrong' });
    const error = (await runLogTool(searchLogTool, { ...task, try_number: 1 }, context).catch(
      (thrown: unknown) => thrown,
    )) as Error & { code: string };
    expect(error.code).toBe('airflow.auth-failed');
    expect(error.message).toContain('username_env and password_env');
    expect(error.message).not.toContain('wrong');
  });

  it('says which setting is missing when a credential variable is unset', async () => {
    const server = await start({ airflowVersion: 2 });
    const context = apiContext(server.url, {}, { AIRFLOW_PASSWORD: '' });
    const error = (await runLogTool(searchLogTool, task, context).catch(
      (thrown: unknown) => thrown,
    )) as Error & { code: string };
    expect(error.code).toBe('airflow.not-configured');
    expect(error.message).toContain('password_env names AIRFLOW_PASSWORD');
  });
});

describe('Airflow 3 REST API (/api/v2)', () => {
  it('gets a JWT from /auth/token and streams NDJSON records, rendered as text', async () => {
    const server = await start({ airflowVersion: 3 });
    const { text } = await runLogTool(searchLogTool, { ...task, try_number: 2 }, apiContext(server.url));
    expect(text).toContain(`try 2 (Airflow REST API v2 at ${server.url})`);
    // Each original line is a record's event; the traceback comes prefixed line by line.
    expect(text).toContain('Found 2 tracebacks');
    expect(text).toMatch(
      /19> \[2025-03-04T10:15:02\.481223Z\] \{task\} INFO - airflow\.providers\.cncf\.kubernetes\.utils\.pod_manager\.PodLaunchFailedException: Pod took longer than 120 seconds/,
    );
    expect(text).toContain(
      'Last exception (line 29): airflow.exceptions.AirflowException: Pod airflow-running-dagster-workspace-64ngbudj returned a failure.',
    );

    const login = server.requests.find((request) => request.path === '/auth/token')!;
    expect(login.method).toBe('POST');
    const logRequest = server.requests.find((request) => request.path.includes('/logs/'))!;
    expect(logRequest.path).toMatch(/^\/api\/v2\/dags\/.+\/logs\/2$/);
    expect(logRequest.accept).toBe('application/x-ndjson');
    expect(logRequest.query.full_content).toBe('true');
    expect(logRequest.authorization).toMatch(/^Bearer jwt-/);
  });

  it('logs in once per run and reuses the token', async () => {
    const server = await start({ airflowVersion: 3 });
    const context = apiContext(server.url);
    await runLogTool(searchLogTool, { ...task, try_number: 1 }, context);
    await runLogTool(readLogTool, { ...task, try_number: 2 }, context);
    expect(server.requests.filter((request) => request.path === '/auth/token')).toHaveLength(1);
    expect(server.requests.filter((request) => request.path.endsWith('/version'))).toHaveLength(1);
    await context.resources.closeAll();
  });

  it('follows continuation tokens when the server answers JSON pages', async () => {
    const server = await start({ airflowVersion: 3, jsonOnly: true, pageSize: 10 });
    const { text } = await runLogTool(
      readLogTool,
      { ...task, try_number: 1, offset: 1, limit: 100 },
      apiContext(server.url),
    );
    expect(text).toContain('43 lines');
    expect(text).toContain('ConnectionRefusedError: [Errno 111] Connection refused');
    const pages = server.requests.filter((request) => request.path.includes('/logs/'));
    expect(pages).toHaveLength(5);
    expect(pages[0]!.query.token).toBeUndefined();
    expect(pages.slice(1).every((request) => typeof request.query.token === 'string')).toBe(true);
  });

  it('accepts a bearer token from token_env', async () => {
    const server = await start({ airflowVersion: 3, users: [], tokens: ['static-token'] });
    const context = apiContext(
      server.url,
      { username_env: undefined, password_env: undefined, token_env: 'AIRFLOW_TOKEN' },
      { AIRFLOW_TOKEN: 'static-token' },
    );
    const { text } = await runLogTool(searchLogTool, { ...task, try_number: 1 }, context);
    expect(text).toContain('ConnectionRefusedError');
    expect(server.requests.some((request) => request.path === '/auth/token')).toBe(false);
    expect(server.requests.at(-1)!.authorization).toBe('Bearer static-token');
  });
});

describe('failures reach the model as results', () => {
  it('an unknown task is a failed tool call with a stable code, not a crash', async () => {
    const server = await start({ airflowVersion: 3 });
    const executor = new ToolExecutor(new ToolRegistry([searchLogTool]), ['search_log'], 'tester');
    const outcome = await executor.call(
      'search_log',
      { ...task, task_id: 'no_such_task' },
      apiContext(server.url),
    );
    expect(outcome).toMatchObject({ status: 'failed', code: 'airflow.log-not-found' });
    expect(outcome.status === 'failed' && outcome.error).toContain('task_id=no_such_task');
  });

  it('an unreachable Airflow is reported, and the log folder is used when configured', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}`;

    const alone = (await runLogTool(searchLogTool, task, apiContext(url)).catch(
      (thrown: unknown) => thrown,
    )) as Error & {
      code: string;
    };
    expect(alone.code).toBe('airflow.unreachable');
    expect(alone.message).toContain('ECONNREFUSED');

    const withFolder = apiContext(url, { log_folder: 'airflow-logs', api_version: 'v1' });
    const { text } = await runLogTool(
      searchLogTool,
      { ...task, run_id: 'manual__2024-01-29T101013.7029880000-328a76b5e' },
      withFolder,
    );
    expect(text).toContain('(Airflow log folder)');
    expect(text).toContain('PodLaunchFailedException');
  });
});
