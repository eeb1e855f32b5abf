/**
 * Hostile patterns (issue 15): what a catastrophic pattern costs on V8 and on RE2, how long a
 * cancel takes to stop a slow pattern, how free the event loop stays meanwhile, and what the
 * worker thread costs a search. Run `npm run build` first, then
 * `./node_modules/.bin/node bench/hostile-pattern.ts`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RE2JS } from 're2js';
import { agentSpecSchema, configSchema } from '../dist/spec/index.js';
import { searchFilesTool } from '../dist/tools/files.js';
import { compileGlob } from '../dist/tools/glob-pattern.js';
import { compileSearchPattern } from '../dist/tools/pattern.js';
import { openPatternMatcher } from '../dist/tools/pattern-matcher.js';
import { RunResources } from '../dist/tools/run-resources.js';

const SLOW = '(?:a?){1000}a{1000}[cd]';
const SLOW_LINE = 'a'.repeat(64 * 1024);

function time(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

console.log('## `(a+)+$` on a line of n `a`s and `!`\n');
console.log('| n | V8 RegExp ms | RE2 (re2js) ms |');
console.log('|---:|---:|---:|');
const native = /(a+)+$/;
const re2 = RE2JS.compile('(a+)+$');
for (const n of [20, 22, 24, 26, 40, 65_536]) {
  const line = `${'a'.repeat(n)}!`;
  // Past 26 V8 doubles per character: 40 would take hours.
  const v8 = n <= 26 ? time(() => native.test(line)).toFixed(1) : 'not run';
  console.log(`| ${n.toLocaleString('en-US')} | ${v8} | ${time(() => re2.test(line)).toFixed(2)} |`);
}

console.log('\n## A slow RE2 pattern in the worker, cancelled after 200 ms (5 runs)\n');
const lag = monitorEventLoopDelay({ resolution: 10 });
const cancels: number[] = [];
lag.enable();
for (let index = 0; index < 5; index++) {
  const controller = new AbortController();
  const matcher = openPatternMatcher(
    compileSearchPattern(SLOW, { caseSensitive: true, field: 'regex' }),
    controller.signal,
  );
  const search: Promise<number> = matcher.matchLines(Array.from({ length: 20 }, () => SLOW_LINE)).then(
    () => Number.NaN,
    () => performance.now(),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const aborted = performance.now();
  controller.abort(new Error('cancelled'));
  cancels.push((await search) - aborted);
  await matcher.close();
}
lag.disable();
console.log('| abort → search rejected, median ms | max ms | event-loop delay while searching, max ms |');
console.log('|---:|---:|---:|');
console.log(
  `| ${median(cancels).toFixed(2)} | ${Math.max(...cancels).toFixed(2)} | ${(lag.max / 1e6).toFixed(1)} |`,
);

console.log('\n## What the worker costs: search_files_and_directories on a small repository (10 runs)\n');
const root = await mkdtemp(path.join(tmpdir(), 'agentry-bench-pattern-'));
try {
  await mkdir(path.join(root, 'models'));
  for (let index = 0; index < 200; index++) {
    await writeFile(
      path.join(root, 'models', `model_${index}.sql`),
      `select order_id, amount\nfrom {{ ref('stg_orders_${index}') }}\nwhere amount > ${index}\n`,
    );
  }
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
  console.log('| regex | engine | median ms |');
  console.log('|---|---|---:|');
  for (const [regex, engine] of [
    ["ref\\('stg_orders_1", 'V8 (literal)'],
    ["ref\\('stg_orders_1\\d'", 'RE2 in a worker'],
  ] as const) {
    const walls: number[] = [];
    for (let index = 0; index < 10; index++) {
      const started = performance.now();
      await searchFilesTool.execute(searchFilesTool.inputSchema.parse({ regex }), context);
      walls.push(performance.now() - started);
    }
    console.log(`| \`${regex}\` | ${engine} | ${median(walls).toFixed(1)} |`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

console.log('\n## Globs: `*a*a…*b` (k stars before `b`) against a 250-character name\n');
console.log('| k | path.matchesGlob ms | RE2 glob ms |');
console.log('|---:|---:|---:|');
const name = 'a'.repeat(250);
for (const k of [2, 3, 10]) {
  const glob = `${'*a'.repeat(k)}*b`;
  // k = 4 took 53 s on path.matchesGlob; more is not run.
  const node = k <= 3 ? time(() => path.posix.matchesGlob(name, glob)).toFixed(1) : 'not run';
  const matcher = compileGlob(glob, { caseSensitive: true, field: 'pattern' });
  console.log(`| ${k} | ${node} | ${time(() => matcher(name)).toFixed(2)} |`);
}

// The slowest glob family found under the 400-instruction cap: 18 alternatives of `*a???…*c`.
const slowGlob = `{${Array.from({ length: 18 }, (_, index) => `*a${'?'.repeat((index % 20) + 3)}*c${index}`).join(',')}}`;
let seed = 1;
const bit = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return (seed >> 16) & 1;
};
const randomNames = Array.from({ length: 200 }, () =>
  Array.from({ length: 200 }, () => (bit() ? 'a' : 'b')).join(''),
);
const slowMatcher = compileGlob(slowGlob, { caseSensitive: true, field: 'pattern' });
const slowMs = time(() => {
  for (const candidate of randomNames) slowMatcher(candidate);
});
console.log(
  `\nSlowest glob found under the size cap (${slowGlob.length} characters): ${(slowMs / randomNames.length).toFixed(2)} ms per 200-character name.`,
);
