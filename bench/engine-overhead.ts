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

const STEPS = Number(process.env.STEPS ?? 20);
const RUNS = Number(process.env.RUNS ?? 10);

const base = mkdtempSync(join(tmpdir(), 'agentry-bench-'));
const root = join(base, 'repo');
mkdirSync(join(root, '.agentry/agents'), { recursive: true });
mkdirSync(join(root, 'models'));
writeFileSync(join(root, 'models/orders.sql'), 'select 1 as order_id\n'.repeat(50));

function script() {
  const steps: object[] = [];
  for (let i = 0; i < STEPS - 1; i++) {
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
  `name: bench\nrole: bench\ngoal: bench\ntools:\n  list: [read_file]\nlimits:\n  max_steps: ${STEPS + 1}\n`,
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

async function bare(): Promise<number> {
  server.append(script() as never);
  const started = performance.now();
  await generateText({ model, prompt: 'go', tools: bareTools, stopWhen: stepCountIs(STEPS + 1) });
  return performance.now() - started;
}

async function agentry(): Promise<{ total: number; provision: number; teardown: number }> {
  server.append(script() as never);
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

await bare();
await agentry();
const bareTimes: number[] = [];
const agentryTimes: { total: number; provision: number; teardown: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  bareTimes.push(await bare());
  agentryTimes.push(await agentry());
}
const bareMedian = median(bareTimes);
const agentryMedian = median(agentryTimes.map((t) => t.total));
const workspace = median(agentryTimes.map((t) => t.provision + t.teardown));
const loopOnly = agentryMedian - workspace;

const rows = [
  ['bare AI SDK loop (generateText + stopWhen)', bareMedian, bareMedian / STEPS],
  ['agentry engine, whole run', agentryMedian, agentryMedian / STEPS],
  ['  of which workspace provision + teardown', workspace, workspace / STEPS],
  ['agentry engine without workspace', loopOnly, loopOnly / STEPS],
  ['overhead per step (engine w/o workspace - bare)', loopOnly - bareMedian, (loopOnly - bareMedian) / STEPS],
] as const;
console.log(`engine overhead · ${STEPS} steps per run · median of ${RUNS} runs · node ${process.version}`);
console.log('| what | ms per run | ms per step |');
console.log('|---|---:|---:|');
for (const [what, run, step] of rows) console.log(`| ${what} | ${run.toFixed(1)} | ${step.toFixed(2)} |`);

await store.close();
await server.close();
rmSync(base, { recursive: true, force: true });
