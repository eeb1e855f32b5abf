import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDbtArtifactCache } from '../../src/integrations/dbt/index.js';
import { configSchema } from '../../src/spec/config.js';
import { ToolExecutor } from '../../src/tools/executor.js';
import { fileHistory } from '../../src/tools/owners.js';
import { builtinToolRegistry } from '../../src/tools/registry.js';
import { HAVE_REALDATA, jaffleV12WithOwners } from '../dbt/realdata.js';
import { makeToolContext } from '../helpers/tool-context.js';

const executor = new ToolExecutor(builtinToolRegistry(), ['find_owner'], 'tester');

interface Author {
  name: string;
  email: string;
}
const ALICE: Author = { name: 'Alice Analyst', email: 'alice@jaffle.example' };
const ALICE_OLD: Author = { name: 'alice', email: 'alice@old-laptop.local' };
const BOB: Author = { name: 'Bob Builder', email: 'bob@jaffle.example' };
const CAROL: Author = { name: 'Carol Coder', email: 'carol@jaffle.example' };
const DAVE: Author = { name: 'Dave Dev', email: 'dave@jaffle.example' };

/** A real git repository whose files were changed by different people on different days. */
class HistoryRepo {
  private day = 1;
  constructor(readonly root: string) {}

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.root, stdio: 'pipe', encoding: 'utf8' });
  }

  async write(file: string, content: string): Promise<void> {
    await mkdir(path.dirname(path.join(this.root, file)), { recursive: true });
    await writeFile(path.join(this.root, file), content);
  }

  commit(author: Author, message: string): string {
    const date = `2024-03-${String(this.day++).padStart(2, '0')}T09:00:00Z`;
    this.git('add', '-A');
    execFileSync('git', ['commit', '--quiet', '-m', message], {
      cwd: this.root,
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
        GIT_COMMITTER_DATE: date,
      },
    });
    return this.git('rev-parse', 'HEAD').trim();
  }
}

let repo: HistoryRepo;
const hashes: Record<string, string> = {};

beforeAll(async () => {
  const root = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-owners-')));
  repo = new HistoryRepo(root);
  repo.git('init', '--quiet', '--initial-branch=main');

  await repo.write(
    '.github/CODEOWNERS',
    '* @jaffle/data\n/models/marts/ @jaffle/marts-team\n/models/marts/legacy/\n',
  );
  // GitHub reads .github/CODEOWNERS first: this one must be ignored.
  await repo.write('CODEOWNERS', '* @wrong/team\n');
  await repo.write('.mailmap', 'Alice Analyst <alice@jaffle.example> <alice@old-laptop.local>\n');
  await repo.write('models/marts/orders.sql', 'select 1 as order_id\n');
  await repo.write('models/marts/customers.sql', 'select 1 as customer_id\n');
  await repo.write('models/legacy_orders.sql', 'select 1 as id\n-- legacy\n-- keep\n-- these\n-- lines\n');
  hashes['first'] = repo.commit(ALICE_OLD, 'Add the jaffle marts');

  await repo.write('models/marts/orders.sql', 'select 1 as order_id, 2 as customer_id\n');
  repo.commit(ALICE, 'orders: add customer_id');
  await repo.write('models/marts/orders.sql', 'select 1 as order_id, 2 as customer_id, 3 as amount\n');
  repo.commit(BOB, 'orders: add amount');
  await repo.write(
    'models/marts/orders.sql',
    'select 1 as order_id, 2 as customer_id, 3 as amount -- alice\n',
  );
  repo.commit(ALICE, 'orders: comment');
  await repo.write(
    'models/legacy_orders.sql',
    'select 1 as id\n-- legacy\n-- keep\n-- these\n-- lines\n-- dave\n',
  );
  hashes['dave'] = repo.commit(DAVE, 'legacy orders: tweak');
  repo.git('mv', 'models/legacy_orders.sql', 'models/marts/fct_orders.sql');
  repo.commit(CAROL, 'Move legacy orders into marts as fct_orders');
  await repo.write('models/marts/orders.sql', 'select 1 as order_id, 2 as customer_id, 4 as amount\n');
  hashes['last'] = repo.commit(BOB, 'orders: fix amount');

  // Not committed: dbt's artifacts and a brand-new file.
  await repo.write('target/manifest.json', JSON.stringify(HAVE_REALDATA ? jaffleV12WithOwners() : {}));
  await repo.write('models/marts/new_model.sql', 'select 1\n');
});

afterAll(async () => {
  await sharedDbtArtifactCache.flush();
  await rm(repo.root, { recursive: true, force: true });
});

async function findOwner(target: string, root = repo.root) {
  const outcome = await executor.call('find_owner', { target }, makeToolContext(root));
  return outcome.status === 'completed'
    ? { ...outcome, text: String(outcome.output) }
    : { ...outcome, text: outcome.error, summary: undefined };
}

describe('fileHistory', () => {
  it('counts commits per author through .mailmap and follows renames', async () => {
    const orders = await fileHistory(repo.root, 'models/marts/orders.sql');
    expect(orders?.commits.map((commit) => commit.author)).toEqual([
      'Bob Builder',
      'Alice Analyst',
      'Bob Builder',
      'Alice Analyst',
      'Alice Analyst',
    ]);
    expect(orders?.authors.map((author) => [author.author, author.commits])).toEqual([
      ['Alice Analyst', 3],
      ['Bob Builder', 2],
    ]);
    expect(orders?.commits[0]).toMatchObject({
      hash: hashes['last'],
      subject: 'orders: fix amount',
      email: BOB.email,
    });

    const renamed = await fileHistory(repo.root, 'models/marts/fct_orders.sql');
    expect(renamed?.commits.map((commit) => commit.author)).toEqual([
      'Carol Coder',
      'Dave Dev',
      'Alice Analyst',
    ]);
  });

  it('is undefined outside a git repository and empty for an uncommitted file', async () => {
    const plain = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-no-git-')));
    try {
      await writeFile(path.join(plain, 'a.sql'), 'select 1\n');
      expect(await fileHistory(plain, 'a.sql')).toBeUndefined();
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
    expect((await fileHistory(repo.root, 'models/marts/new_model.sql'))?.commits).toEqual([]);
  });
});

describe.skipIf(!HAVE_REALDATA)('find_owner', () => {
  it('answers for a dbt model from meta.owner, CODEOWNERS and git, with the evidence of each', async () => {
    const result = await findOwner('orders');
    expect(result.status).toBe('completed');
    const text = result.text;
    expect(text).toContain('Owners of model orders (model.jaffle_shop.orders), file models/marts/orders.sql');
    expect(text).toContain('dbt (target/manifest.json):');
    expect(text).toContain(
      '  @jaffle/orders-team — meta.owner of model orders, documented in models/marts/orders.yml',
    );
    expect(text).toContain('CODEOWNERS (.github/CODEOWNERS):');
    expect(text).toContain(
      '  @jaffle/marts-team — line 2: "/models/marts/ @jaffle/marts-team" (the last matching rule wins)',
    );
    expect(text).toContain('  earlier matching rules, overridden: line 1 "* @jaffle/data"');
    expect(text).not.toContain('@wrong/team');
    expect(text).toContain('git history of models/marts/orders.sql (5 commits, renames followed):');
    expect(text).toMatch(
      /most changes: Alice Analyst <alice@jaffle\.example> — 3 of 5 commits \(latest 2024-03-04 [0-9a-f]{10} "orders: comment"\)/,
    );
    expect(text).toContain(
      `last change: Bob Builder <bob@jaffle.example> — 2024-03-07 ${hashes['last']!.slice(0, 10)} "orders: fix amount"`,
    );
    expect(text).toContain('commits per author: Alice Analyst 3, Bob Builder 2');
    expect(text).toContain(
      'Best contact: @jaffle/orders-team (dbt meta.owner); also @jaffle/marts-team (CODEOWNERS); ' +
        'Alice Analyst <alice@jaffle.example> (changed it most in git); Bob Builder <bob@jaffle.example> (changed it last in git).',
    );
    expect(result.summary).toBe('models/marts/orders.sql: @jaffle/orders-team (dbt meta.owner)');
  });

  it('finds the same model from its file path, and a group owner for another', async () => {
    const byPath = await findOwner('models/marts/orders.sql');
    expect(byPath.text).toContain('Owners of model orders (model.jaffle_shop.orders)');
    const customers = await findOwner('customers');
    expect(customers.text).toContain(
      '  Finance Analytics <finance@jaffle.example> — owner of group finance (declared in models/groups.yml), which model customers belongs to',
    );
    expect(customers.text).toContain(
      'Best contact: Finance Analytics <finance@jaffle.example> (dbt group owner)',
    );
  });

  it('answers for a plain file: CODEOWNERS and a history that follows its rename', async () => {
    const result = await findOwner('models/marts/fct_orders.sql');
    const text = result.text;
    expect(text).toContain('Owners of file models/marts/fct_orders.sql');
    expect(text).toContain('dbt: the file is not a node in the manifest');
    expect(text).toContain('git history of models/marts/fct_orders.sql (3 commits, renames followed):');
    expect(text).toContain(
      `${hashes['dave']!.slice(0, 10)} 2024-03-05 Dave Dev <dave@jaffle.example>: legacy orders: tweak`,
    );
    expect(text).toContain('last change: Carol Coder <carol@jaffle.example>');
    expect(text).toContain('Best contact: @jaffle/marts-team (CODEOWNERS)');
  });

  it('reports a CODEOWNERS rule that leaves a path unowned', async () => {
    await repo.write('models/marts/legacy/old.sql', 'select 1\n');
    const result = await findOwner('models/marts/legacy/old.sql');
    expect(result.text).toContain(
      '  no owner: line 3 "/models/marts/legacy/" matches last and names nobody, so the file is unowned',
    );
    expect(result.text).toContain(
      'git: no commits touch models/marts/legacy/old.sql (it is not committed yet)',
    );
    expect(result.text).toContain('No owner found');
  });

  it('says what it could not check outside a git repository and without a manifest', async () => {
    const plain = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-no-git-')));
    try {
      await mkdir(path.join(plain, 'dags'));
      await writeFile(path.join(plain, 'dags', 'daily.py'), 'print(1)\n');
      await writeFile(path.join(plain, 'CODEOWNERS'), '/dags/ @airflow-team\n');
      const result = await findOwner('dags/daily.py', plain);
      expect(result.text).toContain('dbt: no manifest found, so no dbt owner');
      expect(result.text).toContain('CODEOWNERS (CODEOWNERS):\n  @airflow-team — line 1');
      expect(result.text).toContain('git: the workspace is not a git repository');
      expect(result.text).toContain('Best contact: @airflow-team (CODEOWNERS).');
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });

  it('refuses an unknown target with a did-you-mean, and paths outside the workspace', async () => {
    const unknown = await findOwner('ordrs');
    expect(unknown).toMatchObject({ status: 'failed', code: 'owners.unknown-target' });
    expect(unknown.text).toBe(
      `"ordrs" is neither a file in the repository nor a dbt model (did you mean 'orders'?): give a path relative to the repository root or a model name`,
    );
    const outside = await findOwner('../../etc/passwd');
    expect(outside).toMatchObject({ status: 'failed', code: 'owners.unknown-target' });
  });

  it('uses the dbt project directory from the config to map model paths to repository paths', async () => {
    const root = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-owners-subdir-')));
    try {
      const sub = new HistoryRepo(root);
      sub.git('init', '--quiet', '--initial-branch=main');
      await sub.write('transform/models/marts/orders.sql', 'select 1\n');
      sub.commit(CAROL, 'Add orders under transform/');
      await sub.write('transform/target/manifest.json', JSON.stringify(jaffleV12WithOwners()));
      const context = makeToolContext(root, {
        config: configSchema.parse({ dbt: { project_dir: 'transform' } }),
      });
      const byName = await executor.call('find_owner', { target: 'orders' }, context);
      const text = byName.status === 'completed' ? String(byName.output) : '';
      expect(text).toContain('file transform/models/marts/orders.sql');
      expect(text).toContain('last change: Carol Coder <carol@jaffle.example>');
      const byPath = await executor.call(
        'find_owner',
        { target: 'transform/models/marts/orders.sql' },
        context,
      );
      expect(byPath.status === 'completed' && String(byPath.output)).toContain('(model.jaffle_shop.orders)');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
