// How long `agentry demo` spends laying out the example project (copy, three DuckDB warehouses,
// the git history) before its run starts: the demo's whole budget is 15 s.
// Run: npm run build && node bench/example-project.ts   (RUNS=10 to change)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareExampleProject } from '../dist/cli/demo/example-project.js';

const RUNS = Number(process.env.RUNS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'agentry-bench-example-'));
try {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await prepareExampleProject(join(work, `run-${run}`));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log('| runs | min ms | median ms | max ms |');
  console.log('|---|---|---|---|');
  console.log(`| ${RUNS} | ${times[0]!.toFixed(0)} | ${median.toFixed(0)} | ${times.at(-1)!.toFixed(0)} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
