// Squad parallelism: a parent invokes three children in one step; each child's model takes 1 s per
// step (two steps: a tool call, then its answer). Prints the parent's wall time against the sum
// of its children's. Run: npm run build && node bench/squad.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, LocalSandboxDriver, loadProject, openStore } from '../dist/index.js';
import { startScriptedModel } from '../dist/testing/index.js';

const STEP_MS = Number(process.env.STEP_MS ?? 1000);
const CHILDREN = ['logs', 'warehouse', 'owners'];

const base = mkdtempSync(join(tmpdir(), 'agentry-bench-squad-'));
const root = join(base, 'repo');
mkdirSync(join(root, '.agentry/agents'), { recursive: true });
writeFileSync(join(root, 'README.md'), '# bench\n');

const childScript = (name: string) => [
  { toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }], delayMs: STEP_MS },
  { text: JSON.stringify({ finding: `${name} looked`, confidence: 1 }), delayMs: STEP_MS },
];
const scripts: Record<string, object[]> = {
  parent: [
    {
      toolCalls: CHILDREN.map((agent) => ({ name: 'invoke_agent', arguments: { agent, message: 'look' } })),
    },
    { text: 'composed' },
  ],
};
for (const name of CHILDREN) scripts[name] = childScript(name);

const server = await startScriptedModel({ scripts: scripts as never });
writeFileSync(
  join(root, '.agentry/config.yml'),
  `models:\n  default:\n    provider: openai-compatible\n    model: bench\n    base_url: ${server.url}\nstore: sqlite:.agentry/agentry.db\nsandbox:\n  driver: local\n  workspace_root: ${join(base, 'ws')}\n`,
);
writeFileSync(
  join(root, '.agentry/agents/parent.yml'),
  `name: parent\nrole: lead\ngoal: compose\ntools:\n  list: [invoke_agent]\nagents_squad: [${CHILDREN.join(', ')}]\n`,
);
for (const name of CHILDREN) {
  writeFileSync(
    join(root, `.agentry/agents/${name}.yml`),
    `name: ${name}\nrole: specialist\ngoal: look\ntools:\n  list: [read_file]\noutput:\n  schema: { type: object, required: [finding], properties: { finding: { type: string } } }\n`,
  );
}
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
try {
  const started = performance.now();
  const run = await engine.triggerRun('parent', 'go');
  const wall = performance.now() - started;
  const children = await store.listRuns({ parentRunId: run.id });
  const durations = children.map((child) => Date.parse(child.endedAt!) - Date.parse(child.startedAt!));
  const sum = durations.reduce((total, each) => total + each, 0);
  console.log(
    `squad of ${children.length} children, ${STEP_MS} ms per model step, 2 steps each (${run.status})`,
  );
  console.log('| | ms |');
  console.log('|---|---|');
  for (const [index, child] of children.entries())
    console.log(`| child ${child.agent} | ${durations[index]} |`);
  console.log(`| sum of children | ${sum} |`);
  console.log(`| parent wall time (3 children + 2 parent steps) | ${Math.round(wall)} |`);
  console.log(`| speed-up over running them one after another | ${(sum / wall).toFixed(2)}× |`);
} finally {
  await store.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
}
