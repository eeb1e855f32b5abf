// agentry serve: trigger-to-RUNNING latency and accepted triggers per second, over real HTTP on
// 127.0.0.1 against an in-process server with the scripted model.
// Run after a build: node bench/server.ts (LATENCY_RUNS=50 ACCEPT_TRIGGERS=2000 ACCEPT_CLIENTS=32).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, openStore } from '../dist/index.js';
import { createSandboxDriver } from '../dist/sandbox/index.js';
import { createApiKey, startServer } from '../dist/server/index.js';
import { startScriptedModel } from '../dist/testing/index.js';

const LATENCY_RUNS = Number(process.env.LATENCY_RUNS ?? 50);
const ACCEPT_TRIGGERS = Number(process.env.ACCEPT_TRIGGERS ?? 2000);
const ACCEPT_CLIENTS = Number(process.env.ACCEPT_CLIENTS ?? 32);

const base = mkdtempSync(join(tmpdir(), 'agentry-bench-server-'));
const root = join(base, 'repo');
mkdirSync(join(root, '.agentry/agents'), { recursive: true });
const agent = (name: string) =>
  `name: ${name}\nrole: bench\ngoal: answer\nlimits:\n  max_steps: 2\n  timeout: 5m\n`;
writeFileSync(join(root, '.agentry/agents/fast.yml'), agent('fast'));
writeFileSync(join(root, '.gitignore'), '.agentry/agentry.db*\n');

// Two models: `fast` answers at once; `slow` keeps the one worker busy so accepted runs only queue.
const fastModel = await startScriptedModel({ script: [{ text: 'done' }], whenExhausted: 'repeat-last' });
const slowModel = await startScriptedModel({
  script: [{ text: 'done', delayMs: 600_000 }],
  whenExhausted: 'repeat-last',
});
writeFileSync(
  join(root, '.agentry/config.yml'),
  `models:\n  default:\n    provider: openai-compatible\n    model: bench\n    base_url: ${fastModel.url}\n` +
    `  slow:\n    provider: openai-compatible\n    model: bench\n    base_url: ${slowModel.url}\n` +
    `store: sqlite:.agentry/agentry.db\nsandbox:\n  driver: local\n  workspace_root: ${join(base, 'ws')}\n`,
);
writeFileSync(join(root, '.agentry/agents/slow.yml'), `${agent('slow')}model: slow\n`);
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' });
git('init', '-q');
git('-c', 'user.name=b', '-c', 'user.email=b@b.invalid', 'add', '-A');
git('-c', 'user.name=b', '-c', 'user.email=b@b.invalid', 'commit', '-qm', 'bench');

const { project } = await loadProject(root);
const store = await openStore(project.config.store, root);
const { key } = await createApiKey(store, { name: 'bench', scopes: ['admin'] });
const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
const sandbox = createSandboxDriver(project.config.sandbox).driver;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function trigger(url: string, body: object): Promise<{ status: number; id: string }> {
  const response = await fetch(`${url}/api/v1/runs`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = (await response.json()) as { id: string };
  return { status: response.status, id: json.id };
}

// 1. Latency: one trigger at a time on an idle server; RUNNING is when a worker took the run
// (started_at), before its workspace is made.
const latencyServer = await startServer({ project, store, sandbox, port: 0, concurrency: 4 });
const toRunning: number[] = [];
const toProvisioned: number[] = [];
for (let index = 0; index < LATENCY_RUNS; index++) {
  const sent = Date.now();
  const { id } = await trigger(latencyServer.url, { agent: 'fast', message: `run ${index}` });
  for (;;) {
    const run = (await store.getRun(id))!;
    if (run.status === 'COMPLETED' || run.status === 'FAILED') {
      toRunning.push(Date.parse(run.startedAt!) - sent);
      const provisioned = (await store.listEvents(id)).find((event) => event.type === 'sandbox.provisioned');
      if (provisioned) toProvisioned.push(Date.parse(provisioned.time) - sent);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
await latencyServer.close();

// 2. Throughput: ACCEPT_CLIENTS clients in a loop, ACCEPT_TRIGGERS triggers in all, while the one
// worker is busy, so what is measured is accepting (auth, parse, insert, audit event, enqueue).
async function acceptRate(label: string, bodyFor: (index: number) => object) {
  const server = await startServer({ project, store, sandbox, port: 0, concurrency: 1 });
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ACCEPT_CLIENTS }, async () => {
      while (next < ACCEPT_TRIGGERS) {
        const index = next++;
        const { status } = await trigger(server.url, bodyFor(index));
        if (status === 201 || status === 200) accepted++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await server.close();
  return { label, accepted, seconds, perSecond: accepted / seconds };
}
const plain = await acceptRate('no idempotency key', (index) => ({ agent: 'slow', message: `m${index}` }));
const keyed = await acceptRate('unique idempotency keys', (index) => ({
  agent: 'slow',
  message: `m${index}`,
  idempotency_key: `key-${index}`,
}));

await store.close();
await fastModel.close();
await slowModel.close();
rmSync(base, { recursive: true, force: true });

const sortedRunning = [...toRunning].sort((a, b) => a - b);
const sortedProvisioned = [...toProvisioned].sort((a, b) => a - b);
console.log(
  `agentry serve on 127.0.0.1 · node ${process.version} · ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`,
);
console.log('');
console.log(`trigger → state (ms, ${LATENCY_RUNS} sequential runs)   p50   p95   max`);
const row = (label: string, sorted: number[]) =>
  console.log(
    `${label.padEnd(42)} ${String(percentile(sorted, 50)).padStart(5)} ${String(percentile(sorted, 95)).padStart(5)} ${String(sorted.at(-1)).padStart(5)}`,
  );
row('POST /runs → RUNNING (a worker took it)', sortedRunning);
row('POST /runs → sandbox.provisioned', sortedProvisioned);
console.log('');
console.log(
  `accepted triggers (${ACCEPT_TRIGGERS} POST /runs, ${ACCEPT_CLIENTS} clients)   accepted   seconds   per second`,
);
for (const result of [plain, keyed]) {
  console.log(
    `${result.label.padEnd(42)} ${String(result.accepted).padStart(8)} ${result.seconds.toFixed(2).padStart(9)} ${result.perSecond.toFixed(0).padStart(12)}`,
  );
}
