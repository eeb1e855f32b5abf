import { realpath, stat } from 'node:fs/promises';
import { z } from 'zod';
import type { ExecResult } from '../sandbox/driver.js';
import type { AgentryConfig } from '../spec/config.js';
import { ToolError } from './errors.js';
import { formatCount } from './output-cap.js';
import { defineTool } from './tool.js';
import { resolveInWorkspace, workspaceRelative } from './workspace-path.js';

/** The longest timeout the model may ask for; `sandbox.limits.command_timeout` caps it further. */
const MAX_TIMEOUT_SECONDS = 3600;
const MAX_COMMAND_CHARS = 20_000;

const runTerminalCommandInput = z.object({
  command: z
    .string()
    .min(1)
    .max(MAX_COMMAND_CHARS)
    .describe('The shell command, run with /bin/sh -c, e.g. "dbt parse && git diff --stat".'),
  cwd: z
    .string()
    .optional()
    .describe('The directory to run it in, relative to the repository root (default: the root).'),
  timeout_seconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_TIMEOUT_SECONDS)
    .optional()
    .describe(
      "Kill the command after this many seconds (default and maximum: the sandbox's command timeout).",
    ),
});

/** `run_terminal_command`: a shell command in the run's sandbox. */
export const runTerminalCommandTool = defineTool({
  name: 'run_terminal_command',
  description: [
    "Run a shell command (/bin/sh -c) in the repository, inside the run's sandbox, and get its exit code and output",
    '(stdout and stderr interleaved). Use it to run dbt, sqlfluff, python, git, grep and the like.',
    'The sandbox: only the repository is writable (and /tmp, which is private and discarded); no network unless',
    'the agent is allowed it; no credentials or secrets in the environment (reach warehouses and services',
    'through their tools instead). Each command starts fresh: background processes end with it, and it is',
    'killed after its timeout. Long output keeps its first and last lines with a note on what was cut:',
    'filter it (grep, head, tail) to see a part. git can read here (status, log, diff, show) but not write:',
    "commit with the git_commit tool when it is allowed; every change is kept as the run's workspace.diff anyway.",
  ].join(' '),
  inputSchema: runTerminalCommandInput,
  async execute(input, context) {
    const { exec } = context.session;
    if (!exec) {
      throw new ToolError(
        'tool.unsupported',
        "this run's sandbox cannot run commands: use the file tools instead",
      );
    }
    const cwd = input.cwd === undefined ? undefined : await workingDirectory(context.session.root, input.cwd);
    const result = await exec(input.command, {
      cwd,
      timeoutMs: input.timeout_seconds === undefined ? undefined : input.timeout_seconds * 1000,
      signal: context.signal,
    });
    return {
      output: describeResult(result, context.config, input.timeout_seconds),
      truncated: result.truncated,
      summary: summarize(result),
    };
  },
});

async function workingDirectory(root: string, requested: string): Promise<string> {
  const absolute = await resolveInWorkspace(root, requested, { mustExist: true });
  const info = await stat(absolute);
  if (!info.isDirectory()) {
    throw new ToolError(
      'tool.not-a-directory',
      `${requested} is a file, not a directory: give a directory as cwd`,
    );
  }
  return workspaceRelative(await realpath(root), absolute);
}

/** The output, then one line saying how the command ended, in words the model can act on. */
export function describeResult(result: ExecResult, config: AgentryConfig, askedSeconds?: number): string {
  const limits = config.sandbox.limits;
  const lines = [result.output === '' ? '(no output)' : result.output.replace(/\n$/, '')];
  const took = formatSeconds(result.durationMs);
  const configured =
    typeof limits.command_timeout === 'number' ? `${limits.command_timeout} s` : limits.command_timeout;
  switch (result.stoppedBy) {
    case 'timeout':
      lines.push(
        `[killed after the ${askedSeconds ? `${askedSeconds} s` : configured} timeout: run less at once, or give timeout_seconds (at most ${configured})]`,
      );
      break;
    case 'cancelled':
      lines.push('[killed: the run was cancelled or timed out]');
      break;
    case 'memory':
      lines.push(`[killed: over the memory limit of ${limits.memory_mb} MiB (exit code ${result.exitCode})]`);
      break;
    case 'cpu':
      lines.push(
        `[killed: over the CPU limit of ${limits.cpu_seconds} s per process (exit code ${result.exitCode})]`,
      );
      break;
    case 'file-size':
      lines.push(
        `[killed: wrote a file over the ${limits.file_size_mb} MiB limit (exit code ${result.exitCode})]`,
      );
      break;
    default:
      lines.push(`[exit code ${result.exitCode} · ${took}]`);
  }
  if (result.processLimitReached) {
    lines.push(`[the process limit of ${limits.processes} was reached: some processes could not start]`);
  }
  return lines.join('\n');
}

function summarize(result: ExecResult): string {
  const size = `${formatCount(result.outputBytes)} bytes of output`;
  if (result.stoppedBy)
    return `killed (${result.stoppedBy}) after ${formatSeconds(result.durationMs)} · ${size}`;
  return `exit ${result.exitCode} · ${size} · ${formatSeconds(result.durationMs)}`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
