import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedModelServer, startScriptedModel } from '../../src/testing/index.js';
import { createProject, REPO_ROOT, runCli, spawnCli, type TempProject } from '../helpers/project.js';

/*
 * The Python client (clients/python/agentry_client.py) end to end: a real `agentry serve` (the
 * built CLI, run `npm run build` first) on an ephemeral port with scripted models, and python3
 * scripts that use the client — including Airflow callbacks with contexts shaped like 2.7's and
 * 3.x's (test/python/fake_airflow.py).
 */

const HOOK_SECRET = 'py-hook-secret';
/** The interpreter; set AGENTRY_TEST_PYTHON to try another (the client supports 3.8+). */
const PYTHON = process.env.AGENTRY_TEST_PYTHON ?? 'python3';
const SCRIPTS = join(import.meta.dirname, 'scripts');
const PYTHONPATH = [join(REPO_ROOT, 'clients/python'), import.meta.dirname].join(':');

const agent = (name: string, extra = '') => `name: ${name}
role: data engineer
goal: help with data pipelines
${extra}`;

let fast: ScriptedModelServer;
let slow: ScriptedModelServer;
let broken: ScriptedModelServer;
let project: TempProject;
let serve: ChildProcess | undefined;
let url: string;
let apiKey: string;
let serveLog = '';

beforeAll(async () => {
  fast = await startScriptedModel({ script: [{ text: 'noted' }], whenExhausted: 'repeat-last' });
  slow = await startScriptedModel({
    script: [{ text: 'late', delayMs: 30_000 }],
    whenExhausted: 'repeat-last',
  });
  broken = await startScriptedModel({
    script: [{ error: { status: 400, message: 'the scripted model refuses this request' } }],
    whenExhausted: 'repeat-last',
  });
  project = createProject({});
  const model = (server: ScriptedModelServer) =>
    `{ provider: openai-compatible, model: scripted, base_url: ${server.url} }`;
  project.write(
    '.agentry/config.yml',
    `version: 1
models:
  default: ${model(fast)}
  slow: ${model(slow)}
  broken: ${model(broken)}
store: sqlite:.agentry/agentry.db
sandbox:
  driver: local
  workspace_root: ${project.workspaces}
`,
  );
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/reader.yml', agent('reader'));
  project.write('.agentry/agents/incident-commander.yml', agent('incident-commander'));
  project.write('.agentry/agents/slowpoke.yml', agent('slowpoke', 'model: slow\n'));
  project.write('.agentry/agents/broken.yml', agent('broken', 'model: broken\n'));
  project.write(
    '.agentry/agents/freshness.yml',
    agent('freshness', 'triggers:\n  - webhook: { secret_env: HOOK_SECRET }\n'),
  );
  project.write('models/orders.sql', 'select 1 as order_id\n');
  project.commit('project');

  const key = await runCli(['keys', 'create', '--scope', 'runs:trigger,runs:read', '--name', 'airflow'], {
    cwd: project.root,
  });
  expect(key.code, key.stderr).toBe(0);
  apiKey = key.stdout.trim();

  const child = spawnCli(['serve', '--port', '0', '--grace', '0'], {
    cwd: project.root,
    env: { HOOK_SECRET },
  });
  serve = child;
  child.stderr.on('data', (chunk) => {
    serveLog += chunk;
  });
  url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`agentry serve exited (${code}): ${serveLog}`)));
  });
});

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve!.once('exit', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  await Promise.all([fast?.close(), slow?.close(), broken?.close()]);
  project?.cleanup();
});

/** The runs API's view of a run, as far as these tests read it. */
interface ApiRun {
  id: string;
  agent: string;
  message: string;
  trigger: {
    kind: string;
    source: string | null;
    idempotency_key: string | null;
    metadata: Record<string, unknown>;
  };
}

/** Run a script in test/python/scripts with the client importable; its last stdout line is JSON. */
function python<T>(script: string, env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(SCRIPTS, script)], {
      env: {
        PATH: process.env.PATH ?? '',
        PYTHONPATH,
        PYTHONDONTWRITEBYTECODE: '1',
        AGENTRY_URL: url,
        AGENTRY_API_KEY: apiKey,
        HOOK_SECRET,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${PYTHON} ${script} exited ${code}:\n${stderr}`));
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${PYTHON} ${script} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

async function api<T = ApiRun>(path: string): Promise<T> {
  const response = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function airflowRuns(): Promise<ApiRun[]> {
  return (await api<{ runs: ApiRun[] }>('/api/v1/runs?trigger=airflow&limit=200')).runs;
}

/** What client_calls.py prints. */
interface ClientCalls {
  idempotent: [string, string, string];
  completed: { status: string; output: string; messages: number };
  events: string[];
  events_after_2: number[];
  follow_up: { turns: number; status: string; saw_completed: boolean };
  cancelled: string;
  failed: [string, string];
  timeout: string;
  timeout_status: string;
  not_found: [number, string];
  invalid: [number, string, string];
  listed: string[];
  webhook: [number, number];
  webhook_forged: number;
}

describe('AgentryClient (Python)', () => {
  it('triggers, waits, streams, follows up, cancels and reports errors like the TypeScript SDK', async () => {
    const out = await python<ClientCalls>('client_calls.py');
    const [first, same, kind] = out.idempotent;
    expect(same).toBe(first);
    expect(kind).toBe('sdk');
    expect(out.completed).toEqual({ status: 'COMPLETED', output: 'noted', messages: expect.any(Number) });
    expect(out.completed.messages).toBeGreaterThanOrEqual(2);
    expect(out.events[0]).toBe('run.created');
    expect(out.events.at(-1)).toBe('run.completed');
    expect(out.events_after_2[0]).toBe(3);
    expect(out.events_after_2).toHaveLength(out.events.length - 2);
    expect(out.follow_up).toEqual({ turns: 2, status: 'COMPLETED', saw_completed: true });
    expect(out.cancelled).toBe('CANCELLED');
    expect(out.failed).toEqual(['FAILED', 'error']);
    expect(out.timeout).toEqual(expect.any(String));
    expect(out.timeout_status).toBe('CANCELLED');
    expect(out.not_found).toEqual([404, 'run.not-found']);
    expect(out.invalid).toEqual([422, 'request.invalid', 'message']);
    expect(out.listed).toContain(first);
    // The generic webhook, signed by the Python helper: accepted, then the replay answered with the first run.
    expect(out.webhook).toEqual([202, 200]);
    expect(out.webhook_forged).toBe(401);

    const run = await api(`/api/v1/runs/${first}`);
    expect(run.trigger).toMatchObject({ kind: 'sdk', idempotency_key: 'py-key-1', metadata: { job: 'ci' } });
  });
});

describe('agentry_callback (Python, Airflow)', () => {
  it('Airflow 2.7: reads the failed try from prev_attempted_tries, and two callbacks for one try make one run', async () => {
    const out = await python<Record<'once' | 'twice' | 'again', string>>('airflow_27.py');
    expect(out.twice).toBe(out.once);
    expect(out.again).not.toBe(out.once);

    const run = await api(`/api/v1/runs/${out.once}`);
    const runId = 'scheduled__2025-03-04T10:00:00+00:00';
    expect(run.agent).toBe('incident-commander');
    expect(run.trigger).toMatchObject({
      kind: 'airflow',
      source: 'etl_orders.dbt_run',
      idempotency_key: `airflow:etl_orders/dbt_run/${runId}/1`,
      metadata: {
        dag_id: 'etl_orders',
        task_id: 'dbt_run',
        run_id: runId,
        try_number: 1,
        map_index: -1,
        airflow_version: '2.7',
        hostname: 'worker-2.airflow.internal',
        team: 'analytics',
        exception: 'RuntimeError: Database Error in model stg_orders: relation "raw.orders" does not exist',
      },
    });
    const message = run.message;
    expect(message.startsWith('Find the root cause in the task log and propose a fix.\n\n')).toBe(true);
    expect(message).toContain('Airflow task failed: etl_orders.dbt_run (try 1 of 2)');
    expect(message).toContain(`DAG run: ${runId}`);
    expect(message).toContain('Logical date: 2025-03-04T10:00:00+00:00');
    expect(message).toContain(
      'Exception: RuntimeError: Database Error in model stg_orders: relation "raw.orders" does not exist',
    );
    expect(message).toContain(
      'Log: http://airflow.example:8080/dags/etl_orders/grid?dag_run_id=scheduled__2025-03-04T10%3A00%3A00%2B00%3A00&task_id=dbt_run',
    );
    expect(message).toContain('in run_dbt_model');

    const again = await api(`/api/v1/runs/${out.again}`);
    expect(again.trigger.idempotency_key).toBe(`airflow:etl_orders/dbt_run/${runId}/2`);
    expect(again.message).toContain('(try 2 of 2)');
  });

  it('Airflow 3.x: try_number as is, map index in the key, missing exception and log URL handled, DAG callbacks', async () => {
    const before = (await airflowRuns()).length;
    const out = await python<Record<'mapped' | 'mapped_again' | 'plain' | 'dag', string>>('airflow_3.py');
    expect(out.mapped_again).toBe(out.mapped);
    expect((await airflowRuns()).length - before).toBe(3);

    const mapped = await api(`/api/v1/runs/${out.mapped}`);
    expect(mapped.trigger.idempotency_key).toBe(
      'airflow:load_partners/load_partition[3]/manual__2025-05-01T08:00:00+00:00/3',
    );
    expect(mapped.trigger.metadata).toMatchObject({ try_number: 3, map_index: 3, airflow_version: '3.0' });
    expect(mapped.message).toContain('Airflow task failed: load_partners.load_partition[3] (try 3 of 3)');
    expect(mapped.message).toContain('Exception: (not given by Airflow: see the log)');
    // 3.0.2 gives no log_url: built from [api] base_url in the 3.x shape.
    expect(mapped.message).toContain(
      'Log: http://airflow.example:8080/dags/load_partners/runs/manual__2025-05-01T08%3A00%3A00%2B00%3A00/tasks/load_partition/mapped/3?try_number=3',
    );
    expect(mapped.message).toMatch(/Host: \S+/);

    const plain = await api(`/api/v1/runs/${out.plain}`);
    expect(plain.trigger.idempotency_key).toBe('airflow:reporting/publish/asset_triggered__2025-05-02/1');
    expect(plain.message).toContain('Exception: ZeroDivisionError: division by zero');
    // 3.0.3's log_url lacks the slash before dags/: repaired.
    expect(plain.message).toContain(
      'Log: http://airflow.example:8080/dags/reporting/runs/asset_triggered__2025-05-02/tasks/publish?try_number=1',
    );
    expect(plain.message).not.toContain('Logical date');

    const dag = await api(`/api/v1/runs/${out.dag}`);
    expect(dag.trigger).toMatchObject({
      kind: 'airflow',
      source: 'reporting',
      idempotency_key: 'airflow:reporting/asset_triggered__2025-05-02/task_failure',
      metadata: { dag_id: 'reporting', reason: 'task_failure' },
    });
    expect(dag.message).toContain('Airflow DAG run failed: reporting (reason: task_failure)');
  });

  it('never raises into Airflow: an unreachable or silent server, a bad key or agent each log a warning', async () => {
    const before = (await airflowRuns()).length;
    const out = await python<{ results: Record<string, unknown>; log: [string, string][] }>(
      'callback_failures.py',
    );
    expect(out.results).toEqual({
      dead: null,
      silent: null,
      bad_key: null,
      unknown_agent: null,
      none_context: null,
    });
    const warnings = out.log.filter(([level]) => level === 'WARNING').map(([, text]) => text);
    expect(warnings).toHaveLength(5);
    expect(warnings[0]).toContain('cannot reach http://127.0.0.1:');
    expect(warnings[1]).toMatch(/timed out/);
    expect(warnings[2]).toContain('HTTP 401');
    expect(warnings[3]).toContain('HTTP 404');
    expect(warnings[3]).toContain("no agent named 'no-such-agent'");
    expect(warnings[4]).toContain('cannot reach');
    expect((await airflowRuns()).length).toBe(before);
  });
});
