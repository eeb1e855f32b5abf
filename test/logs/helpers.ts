import { cp, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { readLogTool, searchLogTool } from '../../src/tools/logs.js';
import type { ToolContext, ToolResult } from '../../src/tools/tool.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { CONNECTION_REFUSED_LOG, STARTUP_TIMEOUT_LOG } from './big-log.js';

/** The ids in the real logs' own lines (`dag_id=run_boiler_example, task_id=run_duckdb_query`). */
export const DAG_ID = 'run_boiler_example';
export const TASK_ID = 'run_duckdb_query';
export const RUN_ID = 'manual__2024-01-29T101013.7029880000-328a76b5e';

/** A temp workspace; `logs/` holds the two real logs, `airflow-logs/` the same as an Airflow log folder. */
export interface LogWorkspace {
  root: string;
  /** `airflow-logs`: attempt 1 is the connection-refused log, attempt 2 the startup-timeout one. */
  folder: string;
  cleanup(): Promise<void>;
}

export async function createLogWorkspace(): Promise<LogWorkspace> {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-logs-')));
  await mkdir(path.join(root, 'logs'));
  await cp(CONNECTION_REFUSED_LOG, path.join(root, 'logs', 'connection_refused.log'));
  await cp(STARTUP_TIMEOUT_LOG, path.join(root, 'logs', 'startup_timeout.log'));
  const folder = path.join(root, 'airflow-logs');
  const task = path.join(folder, `dag_id=${DAG_ID}`, `run_id=${RUN_ID}`, `task_id=${TASK_ID}`);
  await mkdir(task, { recursive: true });
  await cp(CONNECTION_REFUSED_LOG, path.join(task, 'attempt=1.log'));
  await cp(STARTUP_TIMEOUT_LOG, path.join(task, 'attempt=2.log'));
  return { root, folder, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Runs a log tool as the executor does: the input goes through its schema first. */
export async function runLogTool(
  tool: typeof readLogTool | typeof searchLogTool,
  input: Record<string, unknown>,
  context: ToolContext,
): Promise<ToolResult & { text: string }> {
  const result = await (tool as typeof searchLogTool).execute(
    (tool as typeof searchLogTool).inputSchema.parse(input),
    context,
  );
  expect(typeof result.output).toBe('string');
  return { ...result, text: result.output as string };
}

export function contextFor(root: string, overrides: Partial<ToolContext> = {}): ToolContext {
  return makeToolContext(root, overrides);
}

/** The numbered output line for `number`, as the tools print it: `  10> text` or `  10| text`. */
export function numbered(number: number, text: string, hit: boolean, width = 4): string {
  return `${String(number).padStart(width)}${hit ? '>' : '|'} ${text}`;
}
