import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentryClient } from '../../src/sdk/index.js';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { createProject, runCli, scriptedConfig, spawnCli, type TempProject } from '../helpers/project.js';
import { cleanupProject, mountsUnder, processesWith } from './sandbox-helpers.js';

// The built CLI (npm run build) with the bwrap driver, as a user runs it.

const BUILDER = `name: builder
role: careful engineer
goal: check the repository with shell commands
tools:
  mode: allowlist
  list: [run_terminal_command, read_file]
limits:
  max_steps: 6
  timeout: 30s
`;

let server: ScriptedModelServer | undefined;
let project: TempProject | undefined;
const servers = new Set<ReturnType<typeof spawnCli>>();

afterEach(async () => {
  for (const child of servers)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  servers.clear();
  await server?.close();
  await cleanupProject(project);
  server = project = undefined;
});

async function setup(script: ScriptStep[]) {
  server = await startScriptedModel({ script });
  project = createProject({ 'models/orders.sql': 'select order_id from raw.orders\n' });
  const config = scriptedConfig(server.url, project.workspaces).replace('driver: local', 'driver: bwrap');
  project.write('.agentry/config.yml', config);
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/builder.yml', BUILDER);
  project.commit('agentry');
  return { server, project };
}

function runDirectories(): string[] {
  return existsSync(project!.workspaces)
    ? readdirSync(project!.workspaces).filter((name) => !name.startsWith('.'))
    : [];
}

describe('agentry run with the bwrap sandbox', () => {
  it('runs an agent that calls run_terminal_command, and reports the sandbox', async () => {
    const { server, project } = await setup([
      {
        toolCalls: [
          {
            name: 'run_terminal_command',
            arguments: {
              command:
                // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, run in the sandbox
                'wc -l models/orders.sql && git rev-parse --abbrev-ref HEAD && echo "token=${OPENAI_API_KEY:-none}"',
            },
          },
        ],
      },
      { text: 'orders.sql has one line.' },
    ]);
    const result = await runCli(['run', 'builder', '-m', 'How long is orders.sql?'], {
      cwd: project.root,
      env: { OPENAI_API_KEY: 'sk-must-not-reach-the-sandbox' },
    });
    expect(result.stderr).toContain('sandbox bwrap');
    expect(result.stderr).toMatch(/workspace (overlayfs|fuse-overlayfs|git-checkout) at/);
    expect(result.stderr).toContain('run_terminal_command');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('orders.sql has one line.');
    const toolMessage = (server.requests[1]!.messages as { role: string; content: string }[]).find(
      (m) => m.role === 'tool',
    );
    expect(toolMessage?.content).toMatch(/^1 models\/orders\.sql\nagentry\/\S+\ntoken=none\n\[exit code 0/);
    const shown = await runCli(['runs', 'list', '--json'], { cwd: project.root });
    const [run] = JSON.parse(shown.stdout) as { id: string }[];
    const events = JSON.parse(
      (await runCli(['runs', 'show', run!.id, '--json'], { cwd: project.root })).stdout,
    ).events as {
      type: string;
      payload: Record<string, unknown>;
    }[];
    expect(events.find((event) => event.type === 'artifact.created')?.payload.name).toBe('workspace.diff');
    expect(runDirectories()).toEqual([]);
  });

  it('reaps the sandbox of a killed CLI at the next start-up: no workspace, mount or process is left', async () => {
    const marker = `71${randomBytes(2).readUInt16BE(0)}9`;
    const { project } = await setup([
      {
        toolCalls: [
          { name: 'run_terminal_command', arguments: { command: `sleep ${marker}`, timeout_seconds: 60 } },
        ],
      },
      { text: 'never' },
    ]);
    const child = spawnCli(['run', 'builder', '-m', 'wait'], { cwd: project.root });
    const exited = new Promise((resolve) => child.on('close', resolve));
    await waitUntil(() => processesWith(`sleep ${marker}`).some((pid) => pid !== child.pid));
    expect(runDirectories()).toHaveLength(1);
    child.kill('SIGKILL');
    await exited;
    // The sandbox's processes die with the CLI (they are its children, in their own PID namespace).
    await waitUntil(() => processesWith(`sleep ${marker}`).length === 0);
    const listed = await runCli(['runs', 'list', '--json'], { cwd: project.root });
    expect(listed.stderr).toContain('worker-lost');
    expect(runDirectories()).toEqual([]);
    expect(mountsUnder(project.workspaces)).toEqual([]);
  });
});

describe('agentry serve with the bwrap sandbox', () => {
  it('after a SIGKILL mid-command, the next start unmounts and removes the run’s overlay (workspace_root through a symlink)', async () => {
    const marker = `72${randomBytes(2).readUInt16BE(0)}3`;
    const { project } = await setup([
      {
        toolCalls: [
          { name: 'run_terminal_command', arguments: { command: `sleep ${marker}`, timeout_seconds: 60 } },
        ],
      },
      { text: 'never' },
    ]);
    // workspace_root (project.workspaces) is a symlink: the kernel names the mounts by the real path.
    const real = join(project.workspaces, '..', 'real-workspaces');
    mkdirSync(real);
    symlinkSync(real, project.workspaces);
    const key = (
      await runCli(['keys', 'create', '--scope', 'admin', '--name', 'test'], { cwd: project.root })
    ).stdout.trim();
    const first = await serve(project.root);
    const running = await new AgentryClient({ url: first.url, apiKey: key }).triggerRun({
      agent: 'builder',
      message: 'wait',
    });
    await waitUntil(() => processesWith(`sleep ${marker}`).some((pid) => pid !== first.child.pid));
    const realRoot = realpathSync(real);
    expect(mountsUnder(realRoot).length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await first.exited;
    await waitUntil(() => processesWith(`sleep ${marker}`).length === 0);
    // Left behind by the dead server: its overlay is still mounted.
    expect(mountsUnder(realRoot).length).toBeGreaterThan(0);

    const second = await serve(project.root);
    const run = await new AgentryClient({ url: second.url, apiKey: key }).getRun(running.id);
    expect(run).toMatchObject({ status: 'FAILED', failure_reason: 'worker-lost' });
    expect(mountsUnder(realRoot)).toEqual([]);
    expect(readdirSync(realRoot).filter((name) => !name.startsWith('.'))).toEqual([]);
    second.child.kill('SIGINT');
    await second.exited;
  });
});

/** `agentry serve` on a free port, once it listens. */
async function serve(root: string) {
  const child = spawnCli(['serve', '--port', '0'], { cwd: root });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  servers.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, exited };
}

async function waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
