import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { createProject, runCli, scriptedConfig, spawnCli, type TempProject } from '../helpers/project.js';

const READER = `name: reader
role: careful engineer
goal: answer questions about the repository
tools:
  mode: allowlist
  list: [read_file, search_files_and_directories]
limits:
  max_steps: 6
  timeout: 20s
`;

const MODEL_SQL = 'select order_id, amount\nfrom {{ ref("stg_orders") }}\n';

let server: ScriptedModelServer | undefined;
let project: TempProject | undefined;

afterEach(async () => {
  await server?.close();
  project?.cleanup();
  server = undefined;
  project = undefined;
});

async function setup(
  script: ScriptStep[],
  options: { agents?: Record<string, string>; config?: string; files?: Record<string, string> } = {},
) {
  server = await startScriptedModel({ script });
  const base = createProject({});
  project = base;
  const agents = options.agents ?? { reader: READER };
  base.write('.agentry/config.yml', scriptedConfig(server.url, base.workspaces, options.config));
  base.write('.agentry/.gitignore', 'agentry.db*\n');
  for (const [name, yaml] of Object.entries(agents)) base.write(`.agentry/agents/${name}.yml`, yaml);
  base.write('models/orders.sql', MODEL_SQL);
  for (const [path, content] of Object.entries(options.files ?? {})) base.write(path, content);
  base.commit('project');
  return { server, project: base };
}

interface RunJson {
  run: {
    id: string;
    status: string;
    failureReason: string | null;
    error: string | null;
    output: { text: string } | null;
    usage: { inputTokens: number; outputTokens: number; costUsd: number };
  };
  events: { seq: number; type: string; payload: Record<string, unknown> }[];
  messages: { role: string; turn: number }[];
}

async function runJson(args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
  const result = await runCli([...args, '--json'], { cwd, env });
  return { ...result, json: result.stdout ? (JSON.parse(result.stdout) as RunJson) : undefined };
}

function workspacesLeft(root: TempProject): string[] {
  return existsSync(root.workspaces) ? readdirSync(root.workspaces) : [];
}

describe('agentry run', () => {
  it('reads files through allowed tools and prints the answer', async () => {
    const { server, project } = await setup([
      {
        toolCalls: [{ name: 'read_file', arguments: { path: 'models/orders.sql' } }],
        usage: { inputTokens: 100, outputTokens: 10 },
      },
      { text: 'orders.sql selects order_id and amount.', usage: { inputTokens: 150, outputTokens: 20 } },
    ]);
    const result = await runCli(['run', 'reader', '-m', 'What does orders.sql select?'], {
      cwd: project.root,
    });
    expect(result.stderr).toContain('read_file');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('orders.sql selects order_id and amount.');

    // The model was offered exactly the allowlist, and got the file back as the tool result.
    expect(server.requests[0]!.toolNames.sort()).toEqual(['read_file', 'search_files_and_directories']);
    const toolMessage = (server.requests[1]!.messages as { role: string; content: string }[]).find(
      (m) => m.role === 'tool',
    );
    expect(toolMessage?.content).toContain('order_id, amount');
    const system = (server.requests[0]!.messages as { role: string; content: string }[])[0]!;
    expect(system.role).toBe('system');
    expect(system.content).toContain('careful engineer');

    const list = await runCli(['runs', 'list', '--json'], { cwd: project.root });
    const [run] = JSON.parse(list.stdout) as RunJson['run'][];
    expect(run!.status).toBe('COMPLETED');
    expect(run!.usage).toEqual({
      inputTokens: 250,
      outputTokens: 30,
      costUsd: (250 * 1 + 30 * 2) / 1_000_000,
    });
    const shown = await runJson(['runs', 'show', run!.id], project.root);
    const types = shown.json!.events.map((event) => event.type);
    expect(types).toEqual([
      'run.created',
      'run.started',
      'turn.started',
      'sandbox.provisioned',
      'model.request',
      'model.response',
      'tool-call.started',
      'tool-call.completed',
      'model.request',
      'model.response',
      'artifact.created',
      'sandbox.destroyed',
      'run.completed',
    ]);
    // The workspace diff is always kept; this run changed nothing, so it is empty.
    const diff = shown.json!.events.find((event) => event.type === 'artifact.created')!;
    expect(diff.payload.name).toBe('workspace.diff');
    expect(workspacesLeft(project)).toEqual([]);
  });

  it('refuses a tool the agent is not allowed, records the denial, and goes on', async () => {
    const { server, project } = await setup([
      { toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] },
      { text: 'I could not list the directory.' },
    ]);
    const result = await runJson(['run', 'reader', '-m', 'list the repo'], project.root);
    expect(result.code).toBe(0);
    const denied = result.json!.events.filter((event) => event.type === 'tool-call.denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]!.payload.tool).toBe('list_directory');
    expect(String(denied[0]!.payload.reason)).toContain('add it to tools.list');
    expect(result.json!.events.some((event) => event.type === 'tool-call.completed')).toBe(false);
    const toolMessage = (server.requests[1]!.messages as { role: string; content: string }[]).find(
      (m) => m.role === 'tool',
    );
    expect(toolMessage?.content).toContain('may not call list_directory');
  });

  it('keeps file tools inside the workspace', async () => {
    const { project } = await setup(
      [
        {
          toolCalls: [
            { name: 'read_file', arguments: { path: '../../../../../../etc/passwd' } },
            { name: 'read_file', arguments: { path: '/etc/passwd' } },
            { name: 'read_file', arguments: { path: 'escape/passwd' } },
          ],
        },
        { text: 'done' },
      ],
      { files: {} },
    );
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc', join(project.root, 'escape'));
    project.commit('symlink out');
    const result = await runJson(['run', 'reader', '-m', 'read passwd'], project.root);
    expect(result.code).toBe(0);
    const failed = result.json!.events.filter((event) => event.type === 'tool-call.failed');
    expect(failed).toHaveLength(3);
    for (const event of failed) expect(String(event.payload.code)).toMatch(/^tool\.path-/);
    expect(JSON.stringify(result.json)).not.toContain('root:x:0:0');
  });

  it('fails with reason timeout when the model takes longer than limits.timeout', async () => {
    const slow = READER.replace('timeout: 20s', 'timeout: 1s');
    const { project } = await setup([{ text: 'too late', delayMs: 10_000 }], { agents: { reader: slow } });
    const started = Date.now();
    const result = await runJson(['run', 'reader', '-m', 'hurry'], project.root);
    expect(Date.now() - started).toBeLessThan(9_000);
    expect(result.code).toBe(1);
    expect(result.json!.run.status).toBe('FAILED');
    expect(result.json!.run.failureReason).toBe('timeout');
    expect(result.json!.run.error).toContain('limits.timeout');
    expect(result.json!.events.at(-2)!.type).toBe('sandbox.destroyed');
    expect(workspacesLeft(project)).toEqual([]);
  });

  it('fails with max-steps when the model never answers', async () => {
    const looping = READER.replace('max_steps: 6', 'max_steps: 3');
    const call: ScriptStep = { toolCalls: [{ name: 'read_file', arguments: { path: 'models/orders.sql' } }] };
    const { project } = await setup([call, call, call, call], { agents: { reader: looping } });
    const result = await runJson(['run', 'reader', '-m', 'loop'], project.root);
    expect(result.code).toBe(1);
    expect(result.json!.run.failureReason).toBe('max-steps');
    expect(result.json!.events.filter((event) => event.type === 'model.request')).toHaveLength(3);
  });

  it('fails with budget when max_tokens is spent', async () => {
    const capped = READER.replace('timeout: 20s', 'timeout: 20s\n  max_tokens: 500');
    const call: ScriptStep = {
      toolCalls: [{ name: 'read_file', arguments: { path: 'models/orders.sql' } }],
      usage: { inputTokens: 300, outputTokens: 10 },
    };
    const { project } = await setup([call, call, { text: 'never' }], { agents: { reader: capped } });
    const result = await runJson(['run', 'reader', '-m', 'spend'], project.root);
    expect(result.code).toBe(1);
    expect(result.json!.run.failureReason).toBe('budget');
    expect(result.json!.run.error).toContain('max_tokens');
  });

  it('is cancelled by `agentry runs cancel` from another process (exit 130)', async () => {
    const { project, server } = await setup([{ text: 'slow', delayMs: 15_000 }]);
    const { runId, exited } = await startWaitingRun(project, server);
    const cancel = await runCli(['runs', 'cancel', runId], { cwd: project.root });
    expect(cancel.stderr).toContain('CANCELLED');
    expect(cancel.code).toBe(0);
    expect(await exited).toBe(130);
    const shown = await runJson(['runs', 'show', runId], project.root);
    expect(shown.json!.run.status).toBe('CANCELLED');
    expect(shown.json!.events.at(-1)!.type).toBe('run.cancelled');
    expect(workspacesLeft(project)).toEqual([]);
  });

  it('is cancelled cleanly by Ctrl-C (SIGINT)', async () => {
    const { project, server } = await setup([{ text: 'slow', delayMs: 15_000 }]);
    const { child, exited } = await startWaitingRun(project, server);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const list = await runCli(['runs', 'list', '--json'], { cwd: project.root });
    expect((JSON.parse(list.stdout) as RunJson['run'][])[0]!.status).toBe('CANCELLED');
    expect(workspacesLeft(project)).toEqual([]);
  });

  it('marks a run whose process was killed as FAILED worker-lost and removes its workspace', async () => {
    const { project, server } = await setup([{ text: 'slow', delayMs: 30_000 }]);
    const { child, runId, exited } = await startWaitingRun(project, server);
    expect(workspacesLeft(project)).toHaveLength(1);
    child.kill('SIGKILL');
    await exited;
    const shown = await runJson(['runs', 'show', runId], project.root);
    expect(shown.json!.run.status).toBe('FAILED');
    expect(shown.json!.run.failureReason).toBe('worker-lost');
    expect(shown.stderr).toContain('worker-lost');
    expect(workspacesLeft(project)).toEqual([]);
  });

  it('continues a finished run with a follow-up turn', async () => {
    const { server, project } = await setup([{ text: 'first answer' }, { text: 'second answer' }]);
    const first = await runJson(['run', 'reader', '-m', 'first question'], project.root);
    expect(first.code).toBe(0);
    const reply = await runJson(['runs', 'reply', first.json!.run.id, '-m', 'and then?'], project.root);
    expect(reply.code).toBe(0);
    expect(reply.json!.run.output!.text).toBe('second answer');
    const contents = (server.requests[1]!.messages as { content: string }[]).map((m) => m.content);
    expect(contents).toContain('first question');
    expect(contents).toContain('first answer');
    expect(contents.at(-1)).toBe('and then?');
    expect(reply.json!.events.filter((event) => event.type === 'turn.started')).toHaveLength(2);
    expect(reply.json!.messages.filter((m) => m.turn === 2).map((m) => m.role)).toEqual([
      'user',
      'assistant',
    ]);
  });

  it('redacts secret values from events, messages, the model and the output', async () => {
    const secret = 'hunter2-very-secret-value';
    const { server, project } = await setup(
      [
        { toolCalls: [{ name: 'read_file', arguments: { path: '.env' } }] },
        { text: `the password is ${secret}` },
      ],
      { config: 'secrets: [WAREHOUSE_PASSWORD]\n', files: { '.env': `WAREHOUSE_PASSWORD=${secret}\n` } },
    );
    const env = { WAREHOUSE_PASSWORD: secret };
    const result = await runCli(['run', 'reader', '-m', 'what is in .env?'], { cwd: project.root, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[REDACTED:WAREHOUSE_PASSWORD]');
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect(JSON.stringify(server.requests[1]!.messages)).not.toContain(secret);
    const database = new DatabaseSync(join(project.root, '.agentry/agentry.db'), { readOnly: true });
    const dump = JSON.stringify([
      database.prepare('select * from events').all(),
      database.prepare('select * from messages').all(),
      database.prepare('select * from runs').all(),
    ]);
    database.close();
    expect(dump).toContain('REDACTED');
    expect(dump).not.toContain(secret);
  });

  it('names the missing API key variable and creates no run', async () => {
    const { project } = await setup([{ text: 'unused' }], {
      agents: { reader: READER.replace('role:', 'model: keyed\nrole:') },
      config: 'secrets: []\n',
    });
    project.write(
      '.agentry/config.yml',
      scriptedConfig('http://127.0.0.1:9/v1', project.workspaces).replace(
        'models:\n',
        'models:\n  keyed:\n    provider: openai\n    model: gpt-4o-mini\n    api_key_env: AGENTRY_TEST_MISSING_KEY\n',
      ),
    );
    const result = await runCli(['run', 'reader', '-m', 'hi'], { cwd: project.root });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('AGENTRY_TEST_MISSING_KEY');
    expect(result.stderr).toContain('models.keyed.api_key_env');
    const list = await runCli(['runs', 'list', '--json'], { cwd: project.root });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('explains an unreachable model endpoint in one line naming base_url', async () => {
    const { project } = await setup([{ text: 'unused' }]);
    const closedPort = await freePort();
    project.write(
      '.agentry/config.yml',
      scriptedConfig(`http://127.0.0.1:${closedPort}/v1`, project.workspaces),
    );
    const result = await runJson(['run', 'reader', '-m', 'hi'], project.root);
    expect(result.code).toBe(1);
    expect(result.json!.run.failureReason).toBe('error');
    expect(result.json!.run.error).toContain(`http://127.0.0.1:${closedPort}/v1`);
    expect(result.json!.run.error).toContain('unreachable');
    expect(result.json!.run.error).toContain('models.default.base_url');
  });
});

describe('agentry audit verify', () => {
  it('passes on an untouched run and names the first altered event', async () => {
    const { project } = await setup([
      { toolCalls: [{ name: 'read_file', arguments: { path: 'models/orders.sql' } }] },
      { text: 'ok' },
    ]);
    const run = await runJson(['run', 'reader', '-m', 'read'], project.root);
    const runId = run.json!.run.id;
    const intact = await runCli(['audit', 'verify', runId], { cwd: project.root });
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain('chain intact');

    const completed = run.json!.events.find((event) => event.type === 'tool-call.completed')!;
    // Someone with write access to the database file drops the store's append-only guard first.
    const database = new DatabaseSync(join(project.root, '.agentry/agentry.db'));
    database.exec('drop trigger events_no_update');
    database
      .prepare(
        "update events set payload = replace(payload, 'amount', 'AMOUNT') where run_id = ? and seq = ?",
      )
      .run(runId, completed.seq);
    database.close();
    const altered = await runCli(['audit', 'verify', runId], { cwd: project.root });
    expect(altered.code).toBe(1);
    expect(altered.stdout).toContain(`event ${completed.seq}`);
  });
});

/** Starts `agentry run` in the background and returns once the run is waiting on the model. */
async function startWaitingRun(project: TempProject, server: ScriptedModelServer) {
  const child = spawnCli(['run', 'reader', '-m', 'wait'], { cwd: project.root });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const runId = await waitFor(async () => /run (\S+) · agent/.exec(stderr)?.[1]);
  await waitFor(async () => server.requests.length > 0 || undefined);
  return { child, runId, exited };
}

/** A port nothing listens on: bound once by us, then released. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out waiting');
}
