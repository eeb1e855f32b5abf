import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentryClient, RunCancelledError } from '../../src/sdk/index.js';
import { type ScriptedModelServer, startScriptedModel } from '../../src/testing/index.js';
import { createProject, runCli, scriptedConfig, spawnCli, type TempProject } from '../helpers/project.js';

/**
 * Issue 15: under `serve`, a catastrophic pattern from the model froze the process, and
 * `/healthz` stopped answering. Here a run searches with `(a+)+$` (exponential on V8) and then
 * with a pattern that is slow even on RE2, while the test keeps asking `/healthz`; then the run
 * is cancelled mid-search.
 */
const SEARCHER = `name: searcher
role: careful engineer
goal: find things in logs
tools:
  mode: allowlist
  list: [search_files_and_directories, search_log]
limits:
  max_steps: 6
  timeout: 60s
`;
const HOSTILE_LOG = `${Array.from({ length: 200 }, () => `${'a'.repeat(40)}!`).join('\n')}\nend\n`;
/** Linear on RE2 but slow: about 7 s per line of this log, 2 minutes for the whole search. */
const SLOW = '(?:a?){1000}a{1000}[cd]';
const SLOW_LOG = `${Array.from({ length: 20 }, () => 'a'.repeat(64 * 1024)).join('\n')}\n`;

let model: ScriptedModelServer | undefined;
let project: TempProject | undefined;
let server: ReturnType<typeof spawnCli> | undefined;

afterEach(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL');
    await new Promise((resolve) => server!.once('exit', resolve));
  }
  server = undefined;
  await model?.close();
  project?.cleanup();
  model = undefined;
  project = undefined;
});

/** Starts `agentry serve` (the built CLI) and resolves with its URL. */
async function serve(root: string): Promise<string> {
  const child = spawnCli(['serve', '--port', '0'], { cwd: root });
  server = child;
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

/** Milliseconds `/healthz` took to answer 200. */
async function healthzMs(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
  expect(response.status).toBe(200);
  await response.body?.cancel();
  return performance.now() - started;
}

describe('agentry serve with a hostile pattern in a run (built CLI)', () => {
  it('answers /healthz while the run searches, and a cancel stops the search', async () => {
    model = await startScriptedModel({
      script: [
        {
          toolCalls: [
            { name: 'search_files_and_directories', arguments: { regex: '(a+)+$', path: 'logs' } },
            { name: 'search_log', arguments: { path: 'logs/hostile.log', pattern: '(a+)+$' } },
            { name: 'search_log', arguments: { path: 'slow/wide.log', pattern: SLOW, case_sensitive: true } },
          ],
        },
        { text: 'never reached' },
      ],
    });
    project = createProject({});
    project.write('.agentry/config.yml', scriptedConfig(model.url, project.workspaces));
    project.write('.agentry/.gitignore', 'agentry.db*\n');
    project.write('.agentry/agents/searcher.yml', SEARCHER);
    project.write('logs/hostile.log', HOSTILE_LOG);
    project.write('slow/wide.log', SLOW_LOG);
    project.commit('project');
    const created = await runCli(['keys', 'create', '--scope', 'admin', '--name', 'test'], {
      cwd: project.root,
    });
    expect(created.code).toBe(0);
    const url = await serve(project.root);
    const client = new AgentryClient({ url, apiKey: created.stdout.trim() });

    const run = await client.triggerRun({ agent: 'searcher', message: 'Search the logs.' });
    const deadline = Date.now() + 15_000;
    while (model.requests.length === 0 && Date.now() < deadline) await sleep(20);
    expect(model.requests.length).toBe(1);

    // The tools are running now: the quick hostile searches, then the slow one.
    const latencies: number[] = [];
    for (let index = 0; index < 15; index++) {
      latencies.push(await healthzMs(url));
      await sleep(100);
    }
    expect((await client.getRun(run.id)).status).toBe('RUNNING');
    expect(Math.max(...latencies)).toBeLessThan(1000);

    await client.cancelRun(run.id);
    const ended = await client.waitForRun(run.id, { timeoutMs: 15_000 }).catch((error: unknown) => error);
    expect(ended).toBeInstanceOf(RunCancelledError);
    expect(await healthzMs(url)).toBeLessThan(1000);
    // The model was never asked again: the slow search did not finish first.
    expect(model.requests.length).toBe(1);
  });
});
