import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { agentSpecSchema } from '../../src/spec/agent-spec.js';
import { configSchema } from '../../src/spec/config.js';
import { ToolError } from '../../src/tools/errors.js';
import type { ToolContext, ToolDefinition, ToolResult } from '../../src/tools/tool.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { makeToolContext } from '../helpers/tool-context.js';

/** Runs a tool as the executor does (input through its schema), expecting text output. */
export async function run<Input>(
  tool: ToolDefinition<Input>,
  input: unknown,
  context: ToolContext,
): Promise<ToolResult & { text: string }> {
  const result = await tool.execute(tool.inputSchema.parse(input), context);
  expect(typeof result.output).toBe('string');
  return { ...result, text: result.output as string };
}

/** The ToolError a call throws; fails the test when it succeeds or throws something else. */
export async function failure<Input>(
  tool: ToolDefinition<Input>,
  input: unknown,
  context: ToolContext,
): Promise<ToolError> {
  const thrown = await run(tool, input, context).then(
    (result) => new Error(`expected a ToolError, got: ${result.text.slice(0, 300)}`),
    (error: unknown) => error,
  );
  if (!(thrown instanceof ToolError)) throw thrown;
  return thrown;
}

/** A context on a temp repository, with optional config and agent spec fields. */
export function contextOn(
  root: string,
  options: { config?: Record<string, unknown>; spec?: Record<string, unknown>; runId?: string } = {},
): ToolContext {
  return makeToolContext(root, {
    ...(options.runId ? { runId: options.runId } : {}),
    config: configSchema.parse(options.config ?? {}),
    spec: agentSpecSchema.parse({ name: 'tester', role: 'tester', goal: 'test tools', ...options.spec }),
  });
}

/** Git in a test repository, as a given person. */
export function gitAs(
  project: TempProject,
  person: { name: string; email: string } | undefined,
  ...args: string[]
): string {
  const env = person
    ? {
        GIT_AUTHOR_NAME: person.name,
        GIT_AUTHOR_EMAIL: person.email,
        GIT_COMMITTER_NAME: person.name,
        GIT_COMMITTER_EMAIL: person.email,
      }
    : {};
  return execFileSync('git', args, {
    cwd: project.root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  }).trimEnd();
}

export { createProject, type TempProject };
