// Engine overhead per step: Agentry's engine against a bare AI SDK loop, same scripted model,
// same tool, same number of steps. Run: npm run bench (or node bench/engine-overhead.ts after a build).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, stepCountIs, tool } from 'ai';
import {
  agentSpecSchema,
  configSchema,
  Engine,
  LocalSandboxDriver,
  loadProject,
  openStore,
  RunResources,
  readFileTool,
} from '../dist/index.js';
import { startScriptedModel } from '../dist/testing/index.js';

// Two run lengths: the difference between them is the cost of the steps alone, free of what a
// run costs once (workspace, workspace.diff, run bookkeeping).
const SHORT = Number(process.env.SHORT_STEPS ?? 5);
const LONG = Number(process.env.LONG_STEPS ?? 45);
const RUNS = Number(process.env.RUNS ?? 8);

const base = mkdtempSync(join(tmpdir(), 'agentry-bench-'));
const root = join(base, 'repo');
mkdirSync(join(root, '.agentry/agents'), { recursive: true });
mkdirSync(join(root, 'models'));
writeFileSync(join(root, 'models/orders.sql'), 'select 1 as order_id\n'.repeat(50));

function script(count: number) {
  const steps: object[] = [];
  for (let i = 0; i < count - 1; i++) {
    steps.push({
      toolCalls: [{ name: 'read_file', arguments: { path: 'models/orders.sql' } }],
      usage: { inputTokens: 10, outputTokens: 5 },
    });
  }
  steps.push({ text: 'done', usage: { inputTokens: 10, outputTokens: 5 } });
  return steps;
}

const server = await startScriptedModel({ script: [], whenExhausted: 'error' });
writeFileSync(
  join(root, '.agentry/config.yml'),
  `models:\n  default:\n    provider: openai-compatible\n    model: bench\n    base_url: ${server.url}\nstore: sqlite:.agentry/agentry.db\nsandbox:\n  driver: local\n  workspace_root: ${join(base, 'ws')}\n`,
);
writeFileSync(
  join(root, '.agentry/agents/bench.yml'),
  `name: bench\nrole: bench\ngoal: bench\ntools:\n  list: [read_file]\nlimits:\n  max_steps: ${LONG + 1}\n`,
);
writeFileSync(join(root, '.gitignore'), '.agentry/agentry.db*\n');
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' });
git('init', '-q');
git('-c', 'user.name=b', '-c', 'user.email=b@b.invalid', 'add', '-A');
git('-c', 'user.name=b', '-c', 'user.email=b@b.invalid', 'commit', '-qm', 'bench');

const { project } = await loadProject(root);
const store = await openStore(project.config.store, root);
const engine = new Engine({
  project,
  store,
  sandbox: new LocalSandboxDriver({ workspaceRoot: join(base, 'ws') }),
  env: {},
});

const model = createOpenAICompatible({ name: 'bench', baseURL: server.url, includeUsage: true }).chatModel(
  'bench',
);
// The bare loop calls the same tool directly, with the context the engine would give it.
const context = {
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
const bareTools = {
  read_file: tool({
    description: readFileTool.description,
    inputSchema: readFileTool.inputSchema,
    execute: async (input) => (await readFileTool.execute(input, context)).output,
  }),
};

async function bare(steps: number): Promise<number> {
  server.append(script(steps) as never);
  const started = performance.now();
  await generateText({ model, prompt: 'go', tools: bareTools, stopWhen: stepCountIs(steps + 1) });
  return performance.now() - started;
}

async function agentry(steps: number): Promise<{ total: number; provision: number; teardown: number }> {
  server.append(script(steps) as never);
  const started = performance.now();
  const run = await engine.triggerRun('bench', 'go');
  const total = performance.now() - started;
  if (run.status !== 'COMPLETED') throw new Error(`bench run ${run.status}: ${run.error}`);
  const events = await store.listEvents(run.id);
  const provision = Number(events.find((e) => e.type === 'sandbox.provisioned')?.payload.durationMs ?? 0);
  const teardown = Number(events.find((e) => e.type === 'sandbox.destroyed')?.payload.durationMs ?? 0);
  return { total, provision, teardown };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(steps: number) {
  const bareTimes: number[] = [];
  const engineTimes: number[] = [];
  const workspaceTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bareTimes.push(await bare(steps));
    const run = await agentry(steps);
    engineTimes.push(run.total);
    workspaceTimes.push(run.provision + run.teardown);
  }
  return { bare: median(bareTimes), engine: median(engineTimes), workspace: median(workspaceTimes) };
}

await bare(SHORT);
await agentry(SHORT);
const short = await measure(SHORT);
const long = await measure(LONG);
const perStep = (key: 'bare' | 'engine') => (long[key] - short[key]) / (LONG - SHORT);
const bareStep = perStep('bare');
const engineStep = perStep('engine');

console.log(
  `engine overhead · runs of ${SHORT} and ${LONG} steps · median of ${RUNS} each · node ${process.version}`,
);
console.log(`| what | ${SHORT}-step run (ms) | ${LONG}-step run (ms) | ms per step |`);
console.log('|---|---:|---:|---:|');
const row = (what: string, a: number, b: number, step: string) =>
  console.log(`| ${what} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${step} |`);
row('bare AI SDK loop (generateText + stopWhen)', short.bare, long.bare, bareStep.toFixed(2));
row('agentry engine, whole run', short.engine, long.engine, engineStep.toFixed(2));
row('  of which workspace provision + teardown', short.workspace, long.workspace, '-');
console.log(
  `| **engine overhead per step** (slope difference) | | | **${(engineStep - bareStep).toFixed(2)}** |`,
);
console.log(
  `| engine overhead per run, besides steps (incl. workspace) | ${(short.engine - short.bare - SHORT * (engineStep - bareStep)).toFixed(1)} | | |`,
);

await store.close();
await server.close();
rmSync(base, { recursive: true, force: true });
