import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { configSchema } from '../../src/spec/config.js';
import {
  builtinToolRegistry,
  keepArtifactTool,
  runTerminalCommandTool,
  ToolExecutor,
} from '../../src/tools/index.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { bwrapDriver, cleanupProject } from './sandbox-helpers.js';

let project: TempProject;
let sandbox: Sandbox;
let context: ToolContext;

beforeEach(async () => {
  project = createProject({ 'models/orders.sql': 'select 1\n', 'models/staging/stg.sql': 'select 0\n' });
  sandbox = await bwrapDriver(project.workspaces).provision({ runId: 'tool-1', repoRoot: project.root });
  context = makeToolContext(sandbox.session.root, {
    session: sandbox.session,
    config: configSchema.parse({ sandbox: { limits: { command_timeout: '20s', memory_mb: 128 } } }),
  });
});

afterEach(async () => {
  await sandbox.destroy();
  await context.resources.closeAll();
  await cleanupProject(project);
});

describe('run_terminal_command', () => {
  it('returns the output and the exit code, in the directory asked for', async () => {
    const result = await runTerminalCommandTool.execute(
      { command: 'ls; echo oops >&2; exit 3', cwd: 'models/staging' },
      context,
    );
    expect(result.output).toMatch(/^stg\.sql\noops\n\[exit code 3 · \d+\.\d s\]$/);
    expect(result.summary).toMatch(/^exit 3 · 13 bytes of output/);
  });

  it('says when the command was killed at its timeout and how to give it more time', async () => {
    const result = await runTerminalCommandTool.execute(
      { command: 'echo started; sleep 30', timeout_seconds: 1 },
      context,
    );
    expect(result.output).toContain('started\n[killed after the 1 s timeout');
    expect(result.output).toContain('at most 20s');
    expect(result.summary).toMatch(/^killed \(timeout\)/);
  });

  it('refuses a working directory outside the workspace or inside .git', async () => {
    await expect(runTerminalCommandTool.execute({ command: 'ls', cwd: '../..' }, context)).rejects.toThrow(
      /outside the workspace/,
    );
    await expect(runTerminalCommandTool.execute({ command: 'ls', cwd: '.git' }, context)).rejects.toThrow(
      /inside \.git/,
    );
    await expect(
      runTerminalCommandTool.execute({ command: 'ls', cwd: 'models/orders.sql' }, context),
    ).rejects.toThrow(/not a directory/);
  });

  it('is refused by the executor unless the agent lists it, like any tool', async () => {
    const registry = builtinToolRegistry();
    expect(registry.names()).toContain('run_terminal_command');
    const executor = new ToolExecutor(
      registry,
      registry.allowedFor({ mode: 'allowlist', list: ['read_file'] }),
      'tester',
    );
    const outcome = await executor.call('run_terminal_command', { command: 'id' }, context);
    expect(outcome.status).toBe('denied');
  });

  it('tells the model a session without exec cannot run commands', async () => {
    const bare = makeToolContext(sandbox.session.root);
    await expect(runTerminalCommandTool.execute({ command: 'true' }, bare)).rejects.toThrow(
      /cannot run commands/,
    );
  });
});

describe('keep_artifact', () => {
  it('keeps a file written by a command, and refuses paths outside the workspace', async () => {
    await runTerminalCommandTool.execute(
      { command: 'mkdir -p out && echo "id,total" > out/report.csv' },
      context,
    );
    const result = await keepArtifactTool.execute({ path: 'out/report.csv' }, context);
    expect(result.output).toBe(
      "Kept out/report.csv as artifact 'out/report.csv' (9 bytes, text/csv). It is stored with the run when the run ends.",
    );
    await expect(keepArtifactTool.execute({ path: '../../repo/models/orders.sql' }, context)).rejects.toThrow(
      /outside the workspace/,
    );
    await expect(
      keepArtifactTool.execute({ path: 'out/report.csv', name: 'workspace.diff' }, context),
    ).rejects.toThrow(/kept for every run already/);
    const names = (await sandbox.collectArtifacts()).map((artifact) => artifact.name);
    expect(names).toEqual(['out/report.csv', 'workspace.diff']);
  });
});
