import { agentSpecSchema } from '../../src/spec/agent-spec.js';
import { configSchema } from '../../src/spec/config.js';
import { RunResources } from '../../src/tools/run-resources.js';
import type { ToolContext } from '../../src/tools/tool.js';

/**
 * A ToolContext for calling a tool directly in a test: workspace `root`, a minimal agent and
 * config (override any part), a fresh RunResources (close it with `context.resources.closeAll()`).
 */
export function makeToolContext(root: string, overrides: Partial<ToolContext> = {}): ToolContext {
  return {
    runId: 'run-test',
    agent: 'tester',
    spec: agentSpecSchema.parse({ name: 'tester', role: 'tester', goal: 'test tools' }),
    config: configSchema.parse({}),
    projectRoot: root,
    env: {},
    resources: new RunResources(),
    session: { root },
    signal: new AbortController().signal,
    ...overrides,
  };
}
