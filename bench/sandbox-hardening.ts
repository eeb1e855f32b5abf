// What the bwrap driver's hardening costs: a command with and without the seccomp filter, the
// sized tmpfs that bounds a run's writes (mounted and unmounted once per run), and an overlay
// workspace's provision and teardown with it.
// Run: npm run build && node bench/sandbox-hardening.ts   (RUNS=30 to change)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BwrapSandboxDriver, probeBwrap, resolveLimits } from '../dist/sandbox/index.js';
import { mountSizedTmpfs, sizedTmpfsPossible, unmountOverlay } from '../dist/sandbox/overlay.js';
import { configSchema } from '../dist/spec/config.js';

const RUNS = Number(process.env.RUNS ?? 30);
const base = mkdtempSync(join(tmpdir(), 'agentry-bench-hardening-'));
const repo = join(base, 'repo');
const limits = resolveLimits(configSchema.parse({}).sandbox.limits);

function git(...args: string[]): void {
  execFileSync('git', args, {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.invalid',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.invalid',
    },
  });
}

function stats(samples: number[]): { min: number; median: number; p90: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { min: sorted[0]!, median: at(0.5), p90: at(0.9) };
}

async function time(action: () => Promise<unknown>, runs = RUNS): Promise<number[]> {
  await action(); // warm-up
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await action();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** A command that makes 2,000,000 system calls (dd reads and writes one byte at a time). */
const SYSCALL_HEAVY = 'dd if=/dev/zero of=/dev/null bs=1 count=1000000 2>/dev/null';

/**
 * The same commands in a sandbox without and one with the filter, alternating, so that load
 * from elsewhere on the machine falls on both alike.
 */
async function seccompTimes(): Promise<
  Record<'plainStart' | 'filteredStart' | 'plainHeavy' | 'filteredHeavy', number[]>
> {
  const probe = probeBwrap();
  if (!probe.ok) throw new Error(probe.reason);
  if (!probe.seccomp) console.log('(the seccomp filter does not load here: both columns are unfiltered)');
  const sandbox = (seccomp: boolean, runId: string) =>
    new BwrapSandboxDriver({
      workspaceRoot: join(base, 'workspaces'),
      limits,
      probe: { ...probe, seccomp: seccomp && probe.seccomp },
    }).provision({ runId, repoRoot: repo });
  const plain = await sandbox(false, 'plain');
  const filtered = await sandbox(true, 'filtered');
  const times = { plainStart: [], filteredStart: [], plainHeavy: [], filteredHeavy: [] } as Record<
    'plainStart' | 'filteredStart' | 'plainHeavy' | 'filteredHeavy',
    number[]
  >;
  try {
    for (let run = 0; run <= RUNS; run++) {
      for (const [box, start, heavy] of [
        [plain, times.plainStart, times.plainHeavy],
        [filtered, times.filteredStart, times.filteredHeavy],
      ] as const) {
        let started = performance.now();
        await box.session.exec!('true');
        if (run > 0) start.push(performance.now() - started);
        if (run > HEAVY_RUNS) continue;
        started = performance.now();
        await box.session.exec!(SYSCALL_HEAVY);
        if (run > 0) heavy.push(performance.now() - started);
      }
    }
  } finally {
    await plain.destroy();
    await filtered.destroy();
  }
  return times;
}

const HEAVY_RUNS = 9;

async function main(): Promise<void> {
  mkdirSync(repo);
  git('init', '--quiet', '--initial-branch=main');
  writeFileSync(join(repo, 'README.md'), '# bench\n');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'init');

  const rows: [string, number[] | undefined][] = [];
  const seccomp = await seccompTimes();
  rows.push(['command `true`, no seccomp filter', seccomp.plainStart]);
  rows.push(['command `true`, seccomp filter', seccomp.filteredStart]);
  rows.push([`2M syscalls (\`dd bs=1\`), no seccomp filter (${HEAVY_RUNS} runs)`, seccomp.plainHeavy]);
  rows.push([`2M syscalls (\`dd bs=1\`), seccomp filter (${HEAVY_RUNS} runs)`, seccomp.filteredHeavy]);
  if (sizedTmpfsPossible()) {
    const target = join(base, 'tmpfs');
    mkdirSync(target);
    rows.push([
      'sized tmpfs mount + unmount',
      await time(async () => {
        await mountSizedTmpfs(target, limits.diskBytes);
        await unmountOverlay('overlayfs', target);
      }),
    ]);
  } else {
    rows.push(['sized tmpfs mount + unmount (needs root)', undefined]);
  }
  const driver = new BwrapSandboxDriver({ workspaceRoot: join(base, 'workspaces'), limits });
  let run = 0;
  rows.push([
    'workspace provision + teardown (as shipped)',
    await time(async () => {
      const sandbox = await driver.provision({ runId: `ws-${++run}`, repoRoot: repo });
      await sandbox.destroy();
    }),
  ]);

  const format = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log(`${RUNS} runs each; workspace method: overlayfs where root, else as available\n`);
  console.log('| what | min | median | p90 |');
  console.log('|---|---|---|---|');
  for (const [what, samples] of rows) {
    if (!samples) console.log(`| ${what} | — | — | — |`);
    else {
      const { min, median, p90 } = stats(samples);
      console.log(`| ${what} | ${format(min)} | ${format(median)} | ${format(p90)} |`);
    }
  }
}

try {
  await main();
} finally {
  rmSync(base, { recursive: true, force: true });
}
