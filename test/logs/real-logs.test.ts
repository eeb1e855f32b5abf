import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FailureFinder } from '../../src/integrations/airflow/index.js';
import { configSchema } from '../../src/spec/config.js';
import { ToolError } from '../../src/tools/errors.js';
import { readLogTool, searchLogTool } from '../../src/tools/logs.js';
import { REAL_LOGS } from './big-log.js';
import {
  contextFor,
  createLogWorkspace,
  DAG_ID,
  type LogWorkspace,
  numbered,
  RUN_ID,
  runLogTool,
  TASK_ID,
} from './helpers.js';

let workspace: LogWorkspace;

beforeAll(async () => {
  workspace = await createLogWorkspace();
});

afterAll(async () => {
  await workspace.cleanup();
});

const REFUSED_LAST =
  'airflow.exceptions.AirflowException: Pod airflow-running-dagster-workspace-jdkqug7h returned a failure.';
const TIMEOUT_EXCEPTION =
  'airflow.providers.cncf.kubernetes.utils.pod_manager.PodLaunchFailedException: Pod took longer than 120 seconds to start. Check the pod events in kubernetes to determine why.';

describe('search_log on the real Airflow logs', () => {
  it('finds the connection-refused failure: the chained tracebacks, the exceptions and the task outcome', async () => {
    const result = await runLogTool(
      searchLogTool,
      { path: 'logs/connection_refused.log' },
      contextFor(workspace.root),
    );
    const text = result.text;
    expect(text).toContain('43 lines');
    expect(text).toContain('Found 3 tracebacks, 2 ERROR/CRITICAL lines, 3 exception lines, 2 failure lines.');
    expect(text).toContain(`Last exception (line 37): ${REFUSED_LAST}`);
    expect(text).toContain(
      numbered(
        1,
        "[2024-01-29, 09:48:49 UTC] {pod.py:1017} ERROR - 'NoneType' object has no attribute 'metadata'",
        true,
      ),
    );
    expect(text).toContain(numbered(10, 'ConnectionRefusedError: [Errno 111] Connection refused', true));
    expect(text).toMatch(
      /\n {2}25> urllib3\.exceptions\.NewConnectionError: .*Failed to establish a new connection: \[Errno 111\] Connection refused/,
    );
    expect(text).toContain(
      numbered(11, 'During handling of the above exception, another exception occurred:', false),
    );
    expect(text).toContain(numbered(37, REFUSED_LAST, true));
    expect(text).toContain('Marking task as UP_FOR_RETRY');
    expect(text).toContain(
      numbered(
        42,
        '[2024-01-29, 09:48:49 UTC] {local_task_job_runner.py:228} INFO - Task exited with return code 1',
        true,
      ),
    );
    // Every line is near a failure: one range, the whole log.
    expect(text).toContain('── lines 1-43 ──');
    expect(result.summary).toContain('last exception at line 37');
    expect(result.truncated).toBe(false);
  });

  it('finds the startup-timeout failure and leaves out the warnings far from it', async () => {
    const { text } = await runLogTool(
      searchLogTool,
      { path: 'logs/startup_timeout.log' },
      contextFor(workspace.root),
    );
    expect(text).toContain('Found 2 tracebacks, 1 ERROR/CRITICAL line, 2 exception lines, 1 failure line.');
    expect(text).toContain(
      numbered(
        11,
        '[2024-01-29, 10:12:15 UTC] {taskinstance.py:1935} ERROR - Task failed with exception',
        true,
      ),
    );
    expect(text).toContain(numbered(19, TIMEOUT_EXCEPTION, true));
    expect(text).toContain(
      'Last exception (line 29): airflow.exceptions.AirflowException: Pod airflow-running-dagster-workspace-64ngbudj returned a failure.',
    );
    // Three lines of context before the ERROR line: 8, 9, 10; the earlier warnings are not shown.
    expect(text).toContain('── lines 8-35 ──');
    expect(text).not.toContain('   7| ');
    expect(text).not.toContain('Building pod');
  });

  it('gives as much context as asked for', async () => {
    const { text } = await runLogTool(
      searchLogTool,
      { path: 'logs/startup_timeout.log', context: 0 },
      contextFor(workspace.root),
    );
    expect(text).toContain('── lines 11-29 ──');
    expect(text).not.toContain('  10| ');
  });

  it('keeps the final failure when an earlier traceback alone would fill the output', async () => {
    const frame = `  File "/usr/local/lib/python3.11/site-packages/${'deep/'.repeat(150)}pod.py", line 594, in execute_sync`;
    const early = [
      '[2024-01-29, 09:00:00 UTC] {taskinstance.py:1935} ERROR - Task failed with exception',
      'Traceback (most recent call last):',
      ...Array.from({ length: 300 }, () => frame),
      'RecursionError: maximum recursion depth exceeded',
    ];
    const refused = await readFile(path.join(workspace.root, 'logs', 'connection_refused.log'), 'utf8');
    await writeFile(
      path.join(workspace.root, 'logs', 'deep.log'),
      `${early.join('\n')}\n${'[2024-01-29, 09:30:00 UTC] {pod.py:1} INFO - waiting\n'.repeat(50)}${refused}`,
    );
    const { text, truncated } = await runLogTool(
      searchLogTool,
      { path: 'logs/deep.log' },
      contextFor(workspace.root),
    );
    const offset = early.length + 50;
    expect(Buffer.byteLength(text)).toBeLessThan(42 * 1024);
    expect(text).toContain(numbered(offset + 37, REFUSED_LAST, true));
    expect(text).toContain('[… 1 more range with');
    expect(text).toContain('RecursionError: maximum recursion depth exceeded');
    expect(truncated).toBe(true);
  });

  it('searches a pattern with context, numbering lines and merging ranges', async () => {
    const { text, summary } = await runLogTool(
      searchLogTool,
      { path: 'logs/connection_refused.log', pattern: 'connection refused', context: 1 },
      contextFor(workspace.root),
    );
    expect(text).toContain('2 matching lines of 43 lines');
    expect(text).toContain('── lines 9-11 ──');
    expect(text).toContain('── lines 24-26 ──');
    expect(text).toContain(numbered(10, 'ConnectionRefusedError: [Errno 111] Connection refused', true));
    expect(text).toContain(numbered(9, '    sock.connect(sa)', false));
    expect(summary).toContain('2 lines match');
  });

  it('cuts a pattern search at max_matches and says where to go on', async () => {
    const first = await runLogTool(
      searchLogTool,
      { path: 'logs/startup_timeout.log', pattern: 'Pod not yet started', context: 0, max_matches: 2 },
      contextFor(workspace.root),
    );
    expect(first.text).toContain('5 matching lines');
    expect(first.text).toContain('── lines 5-6 ──');
    expect(first.text).toContain(
      '[… 3 more matching lines from line 7: search_log with start_line=7 to see them',
    );
    expect(first.truncated).toBe(true);
    const next = await runLogTool(
      searchLogTool,
      { path: 'logs/startup_timeout.log', pattern: 'Pod not yet started', context: 0, start_line: 7 },
      contextFor(workspace.root),
    );
    expect(next.text).toContain('from line 7: 3 matching lines');
    expect(next.text).toContain('── lines 7-9 ──');
  });

  it('refuses a broken pattern with a message the model can act on', async () => {
    const error = await runLogTool(
      searchLogTool,
      { path: 'logs/startup_timeout.log', pattern: 'Pod (not' },
      contextFor(workspace.root),
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).code).toBe('tool.bad-regex');
  });
});

describe('read_log on the real Airflow logs', () => {
  it('returns the last lines by default, numbered, with the total', async () => {
    const { text, summary, truncated } = await runLogTool(
      readLogTool,
      { path: 'logs/startup_timeout.log', tail: 3 },
      contextFor(workspace.root),
    );
    expect(text).toContain('35 lines');
    expect(text).toContain('[… 32 earlier lines not shown');
    expect(text).toContain(
      numbered(
        35,
        '[2024-01-29, 10:12:15 UTC] {taskinstance.py:2776} INFO - 0 downstream tasks scheduled from follow-on schedule check',
        false,
      ),
    );
    expect(text).not.toContain('  32| ');
    expect(summary).toBe('logs/startup_timeout.log: lines 33-35 of 35');
    expect(truncated).toBe(true);
  });

  it('returns a window from an offset and says how to read on', async () => {
    const { text } = await runLogTool(
      readLogTool,
      { path: 'logs/connection_refused.log', offset: 10, limit: 2 },
      contextFor(workspace.root),
    );
    expect(text).toContain(numbered(10, 'ConnectionRefusedError: [Errno 111] Connection refused', false));
    expect(text).toContain(
      numbered(11, 'During handling of the above exception, another exception occurred:', false),
    );
    expect(text).toContain('[… 32 more lines cut: read_log with offset=12 to see more]');
  });

  it('refuses an offset past the end, and tail with offset', async () => {
    const past = await runLogTool(
      readLogTool,
      { path: 'logs/connection_refused.log', offset: 44 },
      contextFor(workspace.root),
    ).catch((thrown: unknown) => thrown);
    expect((past as ToolError).code).toBe('tool.offset-out-of-range');
    expect((past as ToolError).message).toContain('has 43 lines');
    const both = await runLogTool(
      readLogTool,
      { path: 'logs/connection_refused.log', offset: 1, tail: 5 },
      contextFor(workspace.root),
    ).catch((thrown: unknown) => thrown);
    expect((both as ToolError).code).toBe('tool.invalid-input');
  });

  it('keeps the end of a tail within about 100 KB when lines are long', async () => {
    const wide = Array.from({ length: 500 }, (_, index) => `${index + 1} ${'x'.repeat(1500)}`).join('\n');
    await writeFile(path.join(workspace.root, 'logs', 'wide.log'), `${wide}\n`);
    const { text, summary } = await runLogTool(
      readLogTool,
      { path: 'logs/wide.log', tail: 500 },
      contextFor(workspace.root),
    );
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100 * 1024);
    expect(text).toMatch(/\n 500\| 500 x+$/);
    expect(summary).toMatch(/lines (\d+)-500 of 500/);
    expect(text).toMatch(/\[… \d+ earlier lines not shown/);
  });

  it('refuses paths outside the workspace', async () => {
    const error = await runLogTool(
      readLogTool,
      { path: '../../../etc/passwd' },
      contextFor(workspace.root),
    ).catch((thrown: unknown) => thrown);
    expect((error as ToolError).code).toBe('tool.path-escape');
  });
});

describe('task logs from an Airflow log folder', () => {
  const folderContext = () =>
    contextFor(workspace.root, {
      config: configSchema.parse({ integrations: { airflow: { log_folder: 'airflow-logs' } } }),
    });
  const task = { dag_id: DAG_ID, run_id: RUN_ID, task_id: TASK_ID };

  it('reads the latest attempt when try_number is not given', async () => {
    const { text } = await runLogTool(searchLogTool, task, folderContext());
    expect(text).toContain(`dag_id=${DAG_ID} run_id=${RUN_ID} task_id=${TASK_ID} try 2 (Airflow log folder)`);
    expect(text).toContain(numbered(19, TIMEOUT_EXCEPTION, true));
  });

  it('reads the attempt asked for', async () => {
    const { text } = await runLogTool(searchLogTool, { ...task, try_number: 1 }, folderContext());
    expect(text).toContain('try 1');
    expect(text).toContain(`Last exception (line 37): ${REFUSED_LAST}`);
  });

  it('names what the folder has when a run is not there', async () => {
    const error = (await runLogTool(
      searchLogTool,
      { ...task, run_id: 'scheduled__2024-01-30T00:00:00+00:00' },
      folderContext(),
    ).catch((thrown: unknown) => thrown)) as ToolError;
    expect(error.code).toBe('airflow.log-not-found');
    expect(error.message).toContain(
      `has no run_id=scheduled__2024-01-30T00:00:00+00:00; there: run_id=${RUN_ID}`,
    );
    expect(error.message).not.toContain(workspace.root);
  });

  it('refuses ids that would leave the folder', async () => {
    for (const ids of [
      { ...task, dag_id: '..' },
      { ...task, task_id: '../../logs' },
      { ...task, run_id: '../../../etc' },
      { ...task, run_id: '..' },
    ]) {
      const error = (await runLogTool(readLogTool, ids, folderContext()).catch(
        (thrown: unknown) => thrown,
      )) as ToolError;
      expect(error.code).toBe('airflow.bad-task-ref');
    }
  });

  it('does not follow a symlinked attempt out of the folder', async () => {
    const outside = path.join(workspace.root, 'logs', 'connection_refused.log');
    const directory = path.join(workspace.folder, `dag_id=${DAG_ID}`, 'run_id=linked', `task_id=${TASK_ID}`);
    await mkdir(directory, { recursive: true });
    await symlink(outside, path.join(directory, 'attempt=1.log'));
    const error = (await runLogTool(readLogTool, { ...task, run_id: 'linked' }, folderContext()).catch(
      (thrown: unknown) => thrown,
    )) as ToolError;
    expect(error.code).toBe('airflow.log-not-found');
    expect(error.message).toContain('outside the log folder');
  });

  it('says how to configure a source when there is none', async () => {
    const error = (await runLogTool(searchLogTool, task, contextFor(workspace.root)).catch(
      (thrown: unknown) => thrown,
    )) as ToolError;
    expect(error.code).toBe('airflow.not-configured');
    expect(error.message).toContain('integrations.airflow.base_url');
  });

  it('renders an Airflow 3 log file of structlog JSON lines', async () => {
    const directory = path.join(
      workspace.folder,
      `dag_id=${DAG_ID}`,
      'run_id=airflow3',
      `task_id=${TASK_ID}`,
    );
    await mkdir(directory, { recursive: true });
    const records = [
      {
        timestamp: '2025-03-04T10:15:01.000000Z',
        level: 'info',
        event: 'Pod not yet started',
        logger: 'task',
      },
      {
        timestamp: '2025-03-04T10:15:02.481223Z',
        level: 'error',
        event: 'Task failed with exception',
        logger: 'task',
        error_detail: [
          {
            exc_type: 'AirflowException',
            exc_value: 'Pod airflow-running-dagster-workspace-64ngbudj returned a failure.',
            is_cause: false,
            frames: [{ filename: '/opt/airflow/pod.py', lineno: 746, name: 'cleanup' }],
          },
          {
            exc_type: 'PodLaunchFailedException',
            exc_value: 'Pod took longer than 120 seconds to start.',
            is_cause: false,
            frames: [{ filename: '/opt/airflow/pod_manager.py', lineno: 354, name: 'await_pod_start' }],
          },
        ],
      },
    ];
    await writeFile(
      path.join(directory, 'attempt=1.log'),
      records.map((record) => JSON.stringify(record)).join('\n'),
    );
    const { text } = await runLogTool(searchLogTool, { ...task, run_id: 'airflow3' }, folderContext());
    expect(text).toContain('[2025-03-04T10:15:02.481223Z] {task} ERROR - Task failed with exception');
    expect(text).toContain('PodLaunchFailedException: Pod took longer than 120 seconds to start.');
    expect(text).toContain(
      'Last exception (line 9): AirflowException: Pod airflow-running-dagster-workspace-64ngbudj returned a failure.',
    );
    expect(text).toContain('  File "/opt/airflow/pod_manager.py", line 354, in await_pod_start');
  });
});

describe('the failure rules on the DataDog Airflow log samples', () => {
  interface Sample {
    sample: string;
    result: { status: string; custom: { error?: { kind: string; message: string } } };
  }

  it('find an exception in every error sample, and nothing in the others', async () => {
    const file = path.join(REAL_LOGS, 'DataDog_integrations-core/airflow_tests.yaml');
    const { tests } = parse(await readFile(file, 'utf8')) as { tests: Sample[] };
    expect(tests.length).toBeGreaterThan(5);
    let errors = 0;
    for (const test of tests) {
      const finder = new FailureFinder();
      finder.visit(test.sample.trimEnd().split('\n'), 1);
      const report = finder.finish();
      const error = test.result.custom.error;
      if (test.result.status !== 'error') {
        expect(report.ranges.kept, test.sample).toEqual([]);
        continue;
      }
      errors += 1;
      expect(report.errorLines, test.sample).toBe(1);
      expect(report.tracebacks, test.sample).toBe(1);
      if (error) expect(report.lastException?.text).toBe(`${error.kind}: ${error.message}`);
    }
    expect(errors).toBe(2);
  });
});
