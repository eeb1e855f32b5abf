import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { serveCommand } from '../../src/cli/commands/serve.js';
import type { Io } from '../../src/cli/io.js';
import type { AgentListView } from '../../src/server/schemas.js';
import { type ScriptedModelServer, startScriptedModel } from '../../src/testing/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';
import { ECHO_AGENT } from './fixture.js';

/** `agentry serve` in this process, driven through its `Io`. */
interface InProcessServe {
  url: string;
  log: string[];
  stop(): Promise<number>;
}

let model: ScriptedModelServer | undefined;
let project: TempProject | undefined;
let serve: InProcessServe | undefined;
afterEach(async () => {
  await serve?.stop();
  await model?.close();
  project?.cleanup();
  serve = undefined;
  model = undefined;
  project = undefined;
});

async function startServe(root: string): Promise<InProcessServe> {
  const log: string[] = [];
  let interrupt: (() => void) | undefined;
  let listening: (url: string) => void;
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const io: Io = {
    out: (line) => {
      const match = line.match(/listening on (http:\/\/\S+)/);
      if (match) listening(match[1]!);
    },
    err: (line) => log.push(line),
    onInterrupt(handler) {
      interrupt = handler;
      return () => {
        interrupt = undefined;
      };
    },
    user: 'test',
  };
  const exited = serveCommand({ port: '0', auth: false, grace: '0', project: root }, io);
  const failed = exited.then((code) => {
    throw new Error(`serve exited ${code}: ${log.join('\n')}`);
  });
  const address = await Promise.race([url, failed]);
  let stopped: Promise<number> | undefined;
  return {
    url: address,
    log,
    stop() {
      stopped ??= (async () => {
        interrupt?.();
        return exited;
      })();
      return stopped;
    },
  };
}

async function agents(): Promise<AgentListView> {
  return (await (await fetch(`${serve!.url}/api/v1/agents`)).json()) as AgentListView;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: last seen ${JSON.stringify(value)}\nlog:\n${serve?.log.join('\n')}`);
    }
    await sleep(50);
  }
}

async function runOf(agent: string): Promise<{ status: number; agentHash?: string; finalStatus?: string }> {
  const response = await fetch(`${serve!.url}/api/v1/runs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ agent, message: 'hi' }),
  });
  const body = (await response.json()) as { id: string; agent_hash: string };
  if (response.status !== 201) return { status: response.status };
  const done = await eventually(
    async () => (await (await fetch(`${serve!.url}/api/v1/runs/${body.id}`)).json()) as { status: string },
    (run) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(run.status),
    `run ${body.id}`,
  );
  return { status: response.status, agentHash: body.agent_hash, finalStatus: done.status };
}

const hashOf = (list: AgentListView, name: string) => list.agents.find((agent) => agent.name === name)?.hash;

describe('agentry serve reloads agent files', () => {
  it('picks up edits, keeps the last good version of a broken file and reports it, adds and removes agents', async () => {
    model = await startScriptedModel({ script: [{ text: 'done' }], whenExhausted: 'repeat-last' });
    project = createProject({});
    project.write('.agentry/config.yml', scriptedConfig(model.url, project.workspaces));
    project.write('.agentry/.gitignore', 'agentry.db*\n');
    project.write('.agentry/agents/echo.yml', ECHO_AGENT);
    project.commit('agents');
    serve = await startServe(project.root);

    const initial = await agents();
    expect(initial.problems).toEqual([]);
    const first = hashOf(initial, 'echo')!;

    // An edit: new runs use the new version.
    project.write('.agentry/agents/echo.yml', ECHO_AGENT.replace('Answers in one step.', 'Answers, edited.'));
    const edited = await eventually(agents, (list) => hashOf(list, 'echo') !== first, 'the edit');
    const second = hashOf(edited, 'echo')!;
    expect(edited.agents.find((agent) => agent.name === 'echo')?.description).toBe('Answers, edited.');
    expect(await runOf('echo')).toMatchObject({ status: 201, agentHash: second, finalStatus: 'COMPLETED' });

    // A broken edit: the last good version keeps running, and the problem is reported.
    project.write('.agentry/agents/echo.yml', ECHO_AGENT.replace('max_steps: 4', 'max_steps: many'));
    const broken = await eventually(agents, (list) => list.problems.length > 0, 'the broken file reported');
    expect(broken.problems).toEqual([
      {
        agent: 'echo',
        file: join('.agentry', 'agents', 'echo.yml'),
        issues: [expect.objectContaining({ line: 6, message: expect.stringContaining('max_steps') })],
        keeping: second,
        since: expect.any(String),
      },
    ]);
    expect(hashOf(broken, 'echo')).toBe(second);
    expect(serve.log.join('\n')).toContain(
      `.agentry/agents/echo.yml has errors; keeping the last good version (${second.slice(0, 12)})`,
    );
    expect(await runOf('echo')).toMatchObject({ status: 201, agentHash: second, finalStatus: 'COMPLETED' });

    // A cron pattern the scheduler cannot keep is a broken file too.
    project.write('.agentry/agents/echo.yml', `${ECHO_AGENT}triggers:\n  - cron: "61 * * * *"\n`);
    const badCron = await eventually(
      agents,
      (list) => list.problems[0]?.issues[0]?.message.includes('cron') ?? false,
      'the bad cron reported',
    );
    expect(hashOf(badCron, 'echo')).toBe(second);

    // Fixed, with a schedule: valid again, and the cron service follows.
    project.write('.agentry/agents/echo.yml', `${ECHO_AGENT}triggers:\n  - cron: "0 6 * * 1"\n`);
    const fixed = await eventually(agents, (list) => list.problems.length === 0, 'the fix');
    expect(hashOf(fixed, 'echo')).not.toBe(second);
    expect(serve.log).toContain('agents: echo is valid again');
    await eventually(
      async () => serve!.log.filter((line) => line.startsWith('cron: 1 schedule(s)')).length,
      (count) => count >= 1,
      'the cron service restarted with the new schedule',
    );

    // A new agent appears; a new broken one is reported, not loaded; a deleted one goes.
    project.write('.agentry/agents/fresh.yml', ECHO_AGENT.replace('name: echo', 'name: fresh'));
    project.write('.agentry/agents/never.yml', 'name: never\nrole: [\n');
    const grown = await eventually(
      agents,
      (list) => hashOf(list, 'fresh') !== undefined && list.problems.length === 1,
      'the new agents',
    );
    expect(grown.problems[0]).toMatchObject({ agent: 'never', keeping: null });
    expect(grown.agents.map((agent) => agent.name)).toEqual(['echo', 'fresh']);
    expect(await runOf('fresh')).toMatchObject({ status: 201, finalStatus: 'COMPLETED' });

    rmSync(join(project.root, '.agentry/agents/fresh.yml'));
    rmSync(join(project.root, '.agentry/agents/never.yml'));
    const shrunk = await eventually(
      agents,
      (list) => hashOf(list, 'fresh') === undefined && list.problems.length === 0,
      'the removal',
    );
    expect(shrunk.agents.map((agent) => agent.name)).toEqual(['echo']);
    expect((await runOf('fresh')).status).toBe(404);
    expect(serve.log).toContain('agents: removed fresh: its file is gone');

    expect(await serve.stop()).toBe(0);
  });
});
