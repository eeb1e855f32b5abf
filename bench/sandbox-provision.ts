// Workspace provisioning and teardown for a generated 20,000-file git repository: the bwrap
// driver's overlays (kernel overlayfs, fuse-overlayfs) and its checkout fallback, the local
// driver's git worktree, and a plain `git clone --local` of the same repository.
// Run: npm run build && node bench/sandbox-provision.ts   (FILES=20000 RUNS=7 BENCH_DIR=/dev/shm to change)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BwrapSandboxDriver,
  LocalSandboxDriver,
  probeBwrap,
  resolveLimits,
  type Sandbox,
  type SandboxDriver,
} from '../dist/sandbox/index.js';
import { overlayPossible } from '../dist/sandbox/overlay.js';
import { configSchema } from '../dist/spec/config.js';

const FILES = Number(process.env.FILES ?? 20_000);
const RUNS = Number(process.env.RUNS ?? 7);
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

// BENCH_DIR=/dev/shm measures on tmpfs, apart from the disk.
const base = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'agentry-bench-sandbox-'));
const repo = join(base, 'repo');
const limits = resolveLimits(configSchema.parse({}).sandbox.limits);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', maxBuffer: 1 << 30 });
}

/** A dbt-shaped repository: FILES SQL and YAML files in 200 directories, one commit. */
function generateRepository(): void {
  mkdirSync(repo);
  git(repo, 'init', '--quiet', '--initial-branch=main');
  const directories = 200;
  for (let index = 0; index < FILES; index++) {
    const directory = join(repo, 'models', `domain_${index % directories}`);
    if (index < directories) mkdirSync(directory, { recursive: true });
    const name = `model_${index}`;
    const body =
      index % 5 === 0
        ? `version: 2\nmodels:\n  - name: ${name}\n    columns:\n      - name: id\n        tests: [unique, not_null]\n`
        : `select\n  id,\n  amount * ${index} as amount_${index},\n  created_at\nfrom {{ ref('stg_${index % 97}') }}\nwhere amount > ${index % 13}\n`;
    writeFileSync(join(directory, `${name}.${index % 5 === 0 ? 'yml' : 'sql'}`), body);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'generated');
}

function now(): number {
  return performance.now();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Row {
  method: string;
  cold: number;
  provision: number;
  diff?: number;
  teardown: number;
  firstCommand?: number;
}

/** Provision and destroy RUNS times through a driver; the first run (cache cold) is reported apart. */
async function measureDriver(label: string, driver: SandboxDriver, withCommand: boolean): Promise<Row> {
  const provisions: number[] = [];
  const teardowns: number[] = [];
  const diffs: number[] = [];
  const commands: number[] = [];
  let cold = Number.NaN;
  for (let run = 0; run <= RUNS; run++) {
    let started = now();
    const sandbox: Sandbox = await driver.provision({
      runId: `bench-${label.replace(/\W+/g, '-')}-${run}`,
      repoRoot: repo,
    });
    const provisioned = now() - started;
    if (run === 0) cold = provisioned;
    else provisions.push(provisioned);
    if (withCommand && sandbox.session.exec) {
      started = now();
      await sandbox.session.exec('echo "-- touched" >> models/domain_1/model_1.sql');
      if (run > 0) commands.push(now() - started);
    }
    started = now();
    await sandbox.collectArtifacts();
    if (run > 0) diffs.push(now() - started);
    started = now();
    await sandbox.destroy();
    if (run > 0) teardowns.push(now() - started);
  }
  return {
    method: label,
    cold,
    provision: median(provisions),
    diff: median(diffs),
    teardown: median(teardowns),
    ...(commands.length ? { firstCommand: median(commands) } : {}),
  };
}

/** `git clone --local` of the repository and `rm -rf` of the clone. */
function measureClone(): Row {
  const provisions: number[] = [];
  const teardowns: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const target = join(base, `clone-${run}`);
    let started = now();
    git(base, 'clone', '--quiet', '--local', repo, target);
    if (run > 0) provisions.push(now() - started);
    started = now();
    rmSync(target, { recursive: true, force: true });
    if (run > 0) teardowns.push(now() - started);
  }
  return {
    method: 'git clone --local',
    cold: Number.NaN,
    provision: median(provisions),
    teardown: median(teardowns),
  };
}

function format(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const generateStarted = now();
  generateRepository();
  console.log(
    `generated ${FILES} files in ${format(now() - generateStarted)} (${base}); ${RUNS} runs each, medians\n`,
  );
  const rows: Row[] = [];
  const probe = probeBwrap();
  if (probe.ok) {
    for (const method of ['overlayfs', 'fuse-overlayfs', 'git-checkout'] as const) {
      if (method !== 'git-checkout' && !overlayPossible(method)) {
        console.log(`(${method}: not possible here, skipped)`);
        continue;
      }
      const driver = new BwrapSandboxDriver({
        workspaceRoot: join(base, `ws-${method}`),
        workspace: method,
        limits,
        probe,
      });
      rows.push(await measureDriver(`bwrap ${method}`, driver, true));
    }
  } else {
    console.log(`(bwrap: ${probe.reason}, skipped)`);
  }
  rows.push(
    await measureDriver(
      'local git-worktree',
      new LocalSandboxDriver({ workspaceRoot: join(base, 'ws-local'), limits }),
      false,
    ),
  );
  rows.push(measureClone());

  const header = ['method', 'provision (cold)', 'provision', 'first command', 'workspace.diff', 'teardown'];
  const lines = rows.map((row) => [
    row.method,
    format(row.cold),
    format(row.provision),
    format(row.firstCommand),
    format(row.diff),
    format(row.teardown),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const print = (cells: string[]) =>
    console.log(`| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`);
  print(header);
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const line of lines) print(line);
  console.log(
    '\nprovision (cold): the first run on a commit (the overlays build their cached base checkout then).',
    '\nfirst command: one run_terminal_command (bwrap start, limits, a write through the overlay).',
    '\nworkspace.diff: the diff kept before teardown (git add -A on a scratch index, git diff).',
  );
}

try {
  await main();
} finally {
  execFileSync('sh', [
    '-c',
    `grep -o " ${base}[^ ]*" /proc/self/mountinfo | xargs -r -n1 umount -l 2>/dev/null; true`,
  ]);
  rmSync(base, { recursive: true, force: true });
}
