// Engine overhead per step: Agentry's engine against a bare AI SDK loop, same scripted model,
// same tool, same number of steps. Run: npm run bench (or node bench/engine-overhead.ts after a build).
//
// Each round runs, interleaved, the bare loop and the engine on a short and a long run; the
// difference between the two lengths is the cost of the steps alone, free of what a run costs once
// (workspace, run bookkeeping). The engine's workspace provision and teardown (git, timed by its own
// events) are taken out too: they are per run, and the noisiest part on a busy machine. Wall time
// is what a user waits; CPU time (this process: engine, SDK, SQLite and the scripted model) is
// steadier when other work shares the machine. Env: SHORT_STEPS, LONG_STEPS, RUNS.
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
  Redactor,
  RunResources,
  type RunStore,
  readFileTool,
} from '../dist/index.js';
import { startScriptedModel } from '../dist/testing/index.js';

const SHORT = Number(process.env.SHORT_STEPS ?? 5);
const LONG = Number(process.env.LONG_STEPS ?? 45);
const RUNS = Number(process.env.RUNS ?? 11);
const GOAL_MS = 1;

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
const rawStore = await openStore(project.config.store, root);
// Counts the store's writes, each of which is one SQLite transaction.
const WRITES = new Set(['record', 'appendEvent', 'appendMessages', 'updateRun', 'putArtifact', 'createRun']);
let writes = 0;
const store = new Proxy(rawStore, {
  get(target, property, receiver) {
    const value = Reflect.get(target, property, receiver);
    if (typeof value !== 'function') return value;
    return (...args: unknown[]) => {
      if (WRITES.has(String(property))) writes++;
      return value.apply(target, args);
    };
  },
}) as RunStore;
const engineOptions = {
  project,
  store,
  sandbox: new LocalSandboxDriver({ workspaceRoot: join(base, 'ws') }),
  env: {},
  heartbeatMs: 60_000,
};
const engine = new Engine(engineOptions);
// The same engine with two secrets to mask, as every real deployment has (a model key at least).
const secretEngine = new Engine({
  ...engineOptions,
  redactor: new Redactor([
    { name: 'OPENAI_API_KEY', value: 'sk-bench-0123456789abcdefghijklmnop' },
    { name: 'WAREHOUSE_PASSWORD', value: 'correct-horse-battery-staple' },
  ]),
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

interface Sample {
  wall: number;
  cpu: number;
  writes: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function bare(steps: number): Promise<Sample> {
  server.append(script(steps) as never);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await generateText({ model, prompt: 'go', tools: bareTools, stopWhen: stepCountIs(steps + 1) });
  return { wall: performance.now() - started, cpu: cpuMs(cpu), writes: 0 };
}

async function agentry(which: Engine, steps: number): Promise<Sample> {
  server.append(script(steps) as never);
  const writesBefore = writes;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const run = await which.triggerRun('bench', 'go');
  const wall = performance.now() - started;
  const cpuUsed = cpuMs(cpu);
  if (run.status !== 'COMPLETED') throw new Error(`bench run ${run.status}: ${run.error}`);
  const events = await rawStore.listEvents(run.id);
  const workspace = (type: string) => Number(events.find((e) => e.type === type)?.payload['durationMs'] ?? 0);
  return {
    wall: wall - workspace('sandbox.provisioned') - workspace('sandbox.destroyed'),
    cpu: cpuUsed,
    writes: writes - writesBefore,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

type Kind = 'bare' | 'engine' | 'secrets';
const samples: Record<Kind, Record<'short' | 'long', Sample[]>> = {
  bare: { short: [], long: [] },
  engine: { short: [], long: [] },
  secrets: { short: [], long: [] },
};
const measure: Record<Kind, (steps: number) => Promise<Sample>> = {
  bare,
  engine: (steps) => agentry(engine, steps),
  secrets: (steps) => agentry(secretEngine, steps),
};

// Warm up every path once (JIT, SQLite pages, the AI SDK's lazy schemas).
for (const kind of ['bare', 'engine', 'secrets'] as const) await measure[kind](SHORT);
for (let round = 0; round < RUNS; round++) {
  for (const kind of ['bare', 'engine', 'secrets'] as const) {
    samples[kind].short.push(await measure[kind](SHORT));
    samples[kind].long.push(await measure[kind](LONG));
  }
}

// Per round, the cost of a step is the slope between its short and long run; the overhead is the
// engine's slope less the bare loop's in the same round (paired, so a slow minute of the machine
// slows both). Reported as the median over rounds.
const slopes = (kind: Kind, field: keyof Sample) =>
  samples[kind].long.map(
    (long, round) => (long[field] - samples[kind].short[round]![field]) / (LONG - SHORT),
  );
const perStep = (kind: Kind, field: keyof Sample) => median(slopes(kind, field));
const overheads = (kind: Kind, field: 'wall' | 'cpu') => {
  const bareSlopes = slopes('bare', field);
  return slopes(kind, field).map((slope, round) => slope - bareSlopes[round]!);
};

console.log(
  `engine overhead · runs of ${SHORT} and ${LONG} steps, one read_file call a step · median of ${RUNS} rounds · node ${process.version}`,
);
console.log('| per step | wall ms | cpu ms | store writes |');
console.log('|---|---:|---:|---:|');
const line = (what: string, kind: Kind) =>
  console.log(
    `| ${what} | ${perStep(kind, 'wall').toFixed(2)} | ${perStep(kind, 'cpu').toFixed(2)} | ${kind === 'bare' ? '-' : perStep(kind, 'writes').toFixed(1)} |`,
  );
line('bare AI SDK loop (generateText + stopWhen)', 'bare');
line('agentry engine (workspace excluded)', 'engine');
line('agentry engine, 2 secrets to redact', 'secrets');
const overhead = (kind: Kind, field: 'wall' | 'cpu') => median(overheads(kind, field));
console.log(
  `| **engine overhead per step** | **${overhead('engine', 'wall').toFixed(2)}** | **${overhead('engine', 'cpu').toFixed(2)}** | |`,
);
console.log(
  `| engine overhead per step, 2 secrets | ${overhead('secrets', 'wall').toFixed(2)} | ${overhead('secrets', 'cpu').toFixed(2)} | |`,
);
const ratio = perStep('engine', 'wall') / perStep('bare', 'wall');
console.log(
  `ratio engine/bare per step: ${ratio.toFixed(2)} (wall), ${(perStep('engine', 'cpu') / perStep('bare', 'cpu')).toFixed(2)} (cpu) · overhead ${overhead('engine', 'wall').toFixed(2)} ms a step: ${overhead('engine', 'wall') <= GOAL_MS ? 'within' : 'over'} the ${GOAL_MS} ms goal`,
);

await rawStore.close();
await server.close();
rmSync(base, { recursive: true, force: true });
