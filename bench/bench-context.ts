import { agentSpecSchema, configSchema, RunResources } from '../dist/index.js';

/** A ToolContext for calling a tool outside the engine (the bare baseline). */
export function makeBenchContext(root: string) {
  return {
    runId: 'bench',
    agent: 'bench',
    spec: agentSpecSchema.parse({ name: 'bench', role: 'bench', goal: 'bench' }),
    config: configSchema.parse({}),
    projectRoot: root,
    env: {},
    resources: new RunResources(),
    session: { root },
    signal: new AbortController().signal,
  };
}
