/**
 * search_log and read_log on a 200 MB Airflow task log: the INFO/WARNING lines of a real log
 * repeated, a real failure near the start and the real connection-refused failure near the end.
 * Run `npm run build` first, then `./node_modules/.bin/node bench/search-log.ts [MB]`.
 *
 * Prints wall and CPU time (CPU time is steadier on a busy machine) and the heap after each
 * operation: a log read whole would show up there as hundreds of MB.
 */
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentSpecSchema, configSchema } from '../dist/spec/index.js';
import { readLogTool, searchLogTool } from '../dist/tools/logs.js';
import { RunResources } from '../dist/tools/run-resources.js';

type BigLogModule = typeof import('../test/logs/big-log.js');
// A computed specifier: Node loads the .ts helper the tests use (erasable syntax only).
const { writeBigLog } = (await import(
  new URL('../test/logs/big-log.ts', import.meta.url).href
)) as BigLogModule;

const megabytes = Number(process.argv[2] ?? 200);
const runs = 5;
const directory = await mkdtemp(path.join(tmpdir(), 'agentry-bench-log-'));

try {
  await mkdir(path.join(directory, 'logs'));
  const log = await writeBigLog(path.join(directory, 'logs', 'attempt=1.log'), megabytes * 1024 * 1024);
  const context = {
    runId: 'bench',
    agent: 'bench',
    spec: agentSpecSchema.parse({ name: 'bench', role: 'bench', goal: 'bench' }),
    config: configSchema.parse({}),
    projectRoot: directory,
    env: {},
    resources: new RunResources(),
    session: { root: directory },
    signal: new AbortController().signal,
  };
  const target = { path: 'logs/attempt=1.log' };
  const search = (input: Record<string, unknown>) =>
    searchLogTool.execute(searchLogTool.inputSchema.parse({ ...target, ...input }), context);
  const cases: [string, () => Promise<unknown>][] = [
    ['floor: read the file and count newlines', () => countNewlines(log.file)],
    ['search_log (failure mode)', () => search({})],
    ['search_log pattern "Connection refused"', () => search({ pattern: 'Connection refused' })],
    // Not literal text: RE2 (re2js) in a worker thread, case folded, then case-sensitive.
    [
      'search_log pattern "Connection (refused|reset)"',
      () => search({ pattern: 'Connection (refused|reset)' }),
    ],
    [
      'search_log pattern "Connection (refused|reset)", case_sensitive',
      () => search({ pattern: 'Connection (refused|reset)', case_sensitive: true }),
    ],
    ['search_log pattern "(a+)+$" (exponential on V8)', () => search({ pattern: '(a+)+$' })],
    ['read_log (last 200 lines)', () => readLogTool.execute(readLogTool.inputSchema.parse(target), context)],
  ];

  const size = log.bytes / 1024 / 1024;
  console.log(
    `log: ${size.toFixed(1)} MB, ${log.lines.toLocaleString('en-US')} lines; median of ${runs} runs\n`,
  );
  console.log('| operation | wall ms | CPU ms | MB/s (wall) | heap after, MB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, operation] of cases) {
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let index = 0; index < runs; index++) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      await operation();
      const used = process.cpuUsage(cpu);
      walls.push(performance.now() - started);
      cpus.push((used.user + used.system) / 1000);
    }
    const wall = median(walls);
    const heap = process.memoryUsage().heapUsed / 1024 / 1024;
    console.log(
      `| ${name} | ${wall.toFixed(0)} | ${median(cpus).toFixed(0)} | ${(size / (wall / 1000)).toFixed(0)} | ${heap.toFixed(0)} |`,
    );
  }
} finally {
  await rm(directory, { recursive: true, force: true });
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

async function countNewlines(file: string): Promise<number> {
  const handle = await open(file, 'r');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let count = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return count;
      for (
        let index = buffer.indexOf(10);
        index !== -1 && index < bytesRead;
        index = buffer.indexOf(10, index + 1)
      ) {
        count += 1;
      }
    }
  } finally {
    await handle.close();
  }
}
