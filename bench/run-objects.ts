// What a run's object store costs: the git objects of a commit and its history without the
// contents of ignored files (`buildRunObjects`), made once per base commit next to the base
// checkout, for a generated dbt-shaped repository with a committed `.env` that changes in every
// commit. Compared with what the first run on a commit already pays: the base checkout.
// Run: npm run build && node bench/run-objects.ts   (FILES=20000 COMMITS=200 RUNS=5 BENCH_DIR=/dev/shm)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IGNORE_PATTERNS } from '../dist/sandbox/ignore.js';
import { buildRunObjects } from '../dist/sandbox/run-objects.js';

const FILES = Number(process.env.FILES ?? 20_000);
const COMMITS = Number(process.env.COMMITS ?? 200);
const RUNS = Number(process.env.RUNS ?? 5);
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

const base = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'agentry-bench-objects-'));
const repo = join(base, 'repo');

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, env: GIT_ENV, encoding: 'utf8', maxBuffer: 1 << 30 });
}

/** FILES models in 200 directories, then COMMITS commits each changing 20 models and `.env`. */
function generateRepository(): void {
  mkdirSync(repo);
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'gc.auto', '0');
  for (let index = 0; index < FILES; index++) {
    const directory = join(repo, 'models', `domain_${index % 200}`);
    if (index < 200) mkdirSync(directory, { recursive: true });
    writeFileSync(
      join(directory, `model_${index}.sql`),
      `select id, amount * ${index} as amount_${index}\nfrom {{ ref('stg_${index % 97}') }}\n`,
    );
  }
  writeFileSync(join(repo, '.env'), 'DB_PASSWORD=secret-0\n');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'generated');
  for (let commit = 1; commit < COMMITS; commit++) {
    for (let change = 0; change < 20; change++) {
      const index = (commit * 20 + change) % FILES;
      writeFileSync(
        join(repo, 'models', `domain_${index % 200}`, `model_${index}.sql`),
        `select id, amount * ${index} as amount_${index}, ${commit} as version\nfrom {{ ref('stg_${index % 97}') }}\n`,
      );
    }
    writeFileSync(join(repo, '.env'), `DB_PASSWORD=secret-${commit}\n`);
    git('commit', '--quiet', '-am', `change ${commit}`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function time(work: (output: string) => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const output = join(base, `out-${run}`);
    const started = performance.now();
    await work(output);
    samples.push(performance.now() - started);
    rmSync(output, { recursive: true, force: true });
  }
  return median(samples);
}

try {
  generateRepository();
  const commit = git('rev-parse', 'HEAD').trim();
  const index = join(base, 'bench.index');
  execFileSync('git', ['read-tree', commit], { cwd: repo, env: { ...GIT_ENV, GIT_INDEX_FILE: index } });
  const rows: string[][] = [];
  for (const layout of ['loose', 'packed'] as const) {
    if (layout === 'packed') git('gc', '--quiet');
    let withheld = 0;
    let objects = 0;
    const store = await time(async (output) => {
      const made = await buildRunObjects(repo, commit, DEFAULT_IGNORE_PATTERNS, output);
      withheld = made.withheld;
      objects = made.objects;
    });
    const checkout = await time(async (output) => {
      mkdirSync(output);
      execFileSync('git', [`--work-tree=${output}`, 'checkout-index', '--all'], {
        cwd: repo,
        env: { ...GIT_ENV, GIT_INDEX_FILE: index },
      });
    });
    rows.push([
      layout,
      String(objects),
      String(withheld),
      `${store.toFixed(0)} ms`,
      `${checkout.toFixed(0)} ms`,
    ]);
  }
  console.log(`${FILES} files, ${COMMITS} commits (.env changed in each); median of ${RUNS}\n`);
  console.log(
    '| object store | objects kept | blobs withheld | run object store | base checkout (for scale) |',
  );
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
