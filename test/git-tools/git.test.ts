import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitBlameTool, gitCommitTool, gitDiffTool, gitLogTool } from '../../src/tools/git.js';
import { contextOn, createProject, failure, gitAs, run, type TempProject } from './helpers.js';

const ALICE = { name: 'Alice Analyst', email: 'alice@example.com' };
const BOB = { name: 'Bob Builder', email: 'bob@example.com' };

const ORDERS_V1 = 'select\n    order_id,\n    amount\nfrom raw.orders\n';
const ORDERS_V2 = 'select\n    order_id,\n    customer_id,\n    amount\nfrom raw.orders\nwhere amount > 0\n';

let project: TempProject;

/** A repository with history: Alice wrote orders.sql, Bob extended it, Alice added customers.sql. */
beforeEach(() => {
  project = createProject({ 'README.md': '# shop\n', '.agentry/agents/tester.yml': 'name: tester\n' });
  project.write('models/orders.sql', ORDERS_V1);
  gitAs(project, ALICE, 'add', '-A');
  gitAs(project, ALICE, 'commit', '-q', '-m', 'Add orders model');
  project.write('models/orders.sql', ORDERS_V2);
  gitAs(project, BOB, 'commit', '-q', '-am', 'Filter orders and add customer_id');
  project.write('models/customers.sql', 'select * from raw.customers\n');
  gitAs(project, ALICE, 'add', '-A');
  gitAs(project, ALICE, 'commit', '-q', '-m', 'Add customers model');
});

afterEach(() => {
  project.cleanup();
});

const head = () => gitAs(project, undefined, 'rev-parse', 'HEAD');

describe('git_commit', () => {
  it('commits every change on the current branch as Agentry <agent-name>, with run trailers', async () => {
    const before = head();
    project.write('models/orders.sql', `${ORDERS_V2}  and order_id is not null\n`);
    project.write('models/new_model.sql', 'select 1\n');
    const result = await run(
      gitCommitTool,
      { message: 'Harden orders\n\nAdds a not-null filter.' },
      contextOn(project.root),
    );

    expect(result.text).toMatch(/^Committed [0-9a-f]{7} on main as Agentry <tester>: Harden orders/);
    expect(result.text).toContain('models/new_model.sql');
    expect(result.text).toContain('Not pushed');
    expect(gitAs(project, undefined, 'rev-parse', 'HEAD~1')).toBe(before);
    expect(gitAs(project, undefined, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe(
      'Agentry <tester>|Agentry <tester>',
    );
    expect(gitAs(project, undefined, 'log', '-1', '--format=%B')).toBe(
      'Harden orders\n\nAdds a not-null filter.\n\nAgentry-Run: run-test\nAgentry-Agent: tester',
    );
    expect(gitAs(project, undefined, 'status', '--porcelain')).toBe('');
    expect(gitAs(project, undefined, 'branch', '--show-current')).toBe('main');
  });

  it('commits only the given paths and leaves other changes as they were', async () => {
    project.write('models/orders.sql', `${ORDERS_V2}-- changed\n`);
    project.write('models/customers.sql', 'select 2\n');
    await run(
      gitCommitTool,
      { message: 'Only orders', paths: ['models/orders.sql'] },
      contextOn(project.root),
    );
    expect(gitAs(project, undefined, 'show', '--name-only', '--format=', 'HEAD')).toBe('models/orders.sql');
    expect(gitAs(project, undefined, 'status', '--porcelain')).toBe(' M models/customers.sql');
  });

  it('uses the configured author', async () => {
    project.write('models/orders.sql', 'select 1\n');
    const context = contextOn(project.root, {
      config: { tools: { git_author: { name: 'Data Bot', email: 'bot@example.com' } } },
    });
    await run(gitCommitTool, { message: 'Configured author' }, context);
    expect(gitAs(project, undefined, 'log', '-1', '--format=%an <%ae>')).toBe('Data Bot <bot@example.com>');
  });

  it('refuses to commit changes to protected paths, committing nothing', async () => {
    const before = head();
    project.write('models/orders.sql', 'select 1\n');
    project.write('.agentry/agents/tester.yml', 'name: tester\ntools: { mode: denylist }\n');
    const all = await failure(gitCommitTool, { message: 'Sneaky' }, contextOn(project.root));
    expect(all.code).toBe('tool.path-protected');
    expect(all.message).toContain('.agentry/agents/tester.yml');
    expect(all.message).toContain('pass paths');
    const named = await failure(
      gitCommitTool,
      { message: 'Sneaky', paths: ['.agentry'] },
      contextOn(project.root),
    );
    expect(named.code).toBe('tool.path-protected');
    const configured = await failure(
      gitCommitTool,
      { message: 'Sneaky', paths: ['models'] },
      contextOn(project.root, { config: { tools: { protected_paths: ['models/orders.sql'] } } }),
    );
    expect(configured.code).toBe('tool.path-protected');
    expect(head()).toBe(before);
    expect(gitAs(project, undefined, 'diff', '--cached', '--name-only')).toBe('');

    // The agent's other changes can still be committed.
    await run(
      gitCommitTool,
      { message: 'Orders only', paths: ['models/orders.sql'] },
      contextOn(project.root),
    );
    expect(gitAs(project, undefined, 'show', '--name-only', '--format=', 'HEAD')).toBe('models/orders.sql');
  });

  it('refuses when there is nothing to commit, on a detached HEAD, and on another run’s branch', async () => {
    expect((await failure(gitCommitTool, { message: 'Nothing' }, contextOn(project.root))).code).toBe(
      'tool.nothing-to-commit',
    );

    gitAs(project, undefined, 'checkout', '-q', '--detach');
    project.write('models/orders.sql', 'select 1\n');
    expect((await failure(gitCommitTool, { message: 'Detached' }, contextOn(project.root))).code).toBe(
      'tool.git-detached',
    );

    gitAs(project, undefined, 'checkout', '-q', '-b', 'agentry/other-run');
    const other = await failure(gitCommitTool, { message: 'Other' }, contextOn(project.root));
    expect(other.code).toBe('tool.git-wrong-branch');

    gitAs(project, undefined, 'checkout', '-q', '-b', 'agentry/run-test');
    const result = await run(gitCommitTool, { message: 'Mine' }, contextOn(project.root));
    expect(result.text).toContain('on agentry/run-test');
  });

  it('never runs the repository hooks', async () => {
    // post-commit and prepare-commit-msg run even with --no-verify: only switching hooks off stops them.
    for (const name of ['pre-commit', 'prepare-commit-msg', 'post-commit']) {
      const hook = path.join(project.root, '.git/hooks', name);
      await writeFile(hook, `#!/bin/sh\ntouch "${project.root}/hook-ran-${name}"\nexit 1\n`);
      await chmod(hook, 0o755);
    }
    project.write('models/orders.sql', 'select 1\n');
    await run(gitCommitTool, { message: 'With a hook in place' }, contextOn(project.root));
    for (const name of ['pre-commit', 'prepare-commit-msg', 'post-commit']) {
      await expect(stat(path.join(project.root, `hook-ran-${name}`))).rejects.toThrow();
    }
    expect(gitAs(project, undefined, 'log', '-1', '--format=%s')).toBe('With a hook in place');
  });
});

describe('git_log', () => {
  it('lists commits newest first with hash, date, author and subject', async () => {
    const { text, summary } = await run(gitLogTool, {}, contextOn(project.root));
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^[0-9a-f]{7} {2}\d{4}-\d\d-\d\dT[\d:]+[+-Z][\d:]* {2}Alice Analyst <alice@example\.com> {2}Add customers model$/,
    );
    expect(lines[1]).toContain('Bob Builder <bob@example.com>  Filter orders and add customer_id');
    expect(lines[3]).toContain('Test <test@example.invalid>  initial');
    expect(summary).toBe('4 commits');
  });

  it('filters by path, author and message, and lists changed files', async () => {
    const byPath = await run(gitLogTool, { path: 'models/orders.sql', files: true }, contextOn(project.root));
    expect(byPath.text).toContain('Filter orders and add customer_id\n    M models/orders.sql');
    expect(byPath.text).toContain('Add orders model\n    A models/orders.sql');
    expect(byPath.text).not.toContain('customers');
    const byAuthor = await run(gitLogTool, { author: 'bob@' }, contextOn(project.root));
    expect(byAuthor.text.split('\n')).toHaveLength(1);
    const byMessage = await run(gitLogTool, { grep: 'CUSTOMERS' }, contextOn(project.root));
    expect(byMessage.text.split('\n')).toHaveLength(1);
    expect(byMessage.text).toContain('Add customers model');
  });

  it('says when there are more commits than asked for', async () => {
    const { text, truncated, summary } = await run(gitLogTool, { n: 2 }, contextOn(project.root));
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('[… more commits: raise n');
    expect(truncated).toBe(true);
    expect(summary).toBe('2+ commits');
  });

  it('refuses paths outside the workspace and option-like refs', async () => {
    expect((await failure(gitLogTool, { path: '../outside' }, contextOn(project.root))).code).toBe(
      'tool.path-escape',
    );
    expect((await failure(gitLogTool, { path: '.git' }, contextOn(project.root))).code).toBe(
      'tool.path-forbidden',
    );
    expect(() => gitLogTool.inputSchema.parse({ ref: '--output=/tmp/pwned' })).toThrow();
    expect((await failure(gitLogTool, { ref: 'no-such-branch' }, contextOn(project.root))).code).toBe(
      'tool.git-unknown-ref',
    );
  });
});

describe('git_blame', () => {
  it('shows who last changed each line, with a summary of authors', async () => {
    const { text, summary } = await run(gitBlameTool, { path: 'models/orders.sql' }, contextOn(project.root));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Blame of models/orders.sql lines 1-6 in the working tree.');
    expect(lines[1]).toMatch(
      /^Authors: Alice Analyst <alice@example\.com> 4 lines \(last \d{4}-\d\d-\d\d\), Bob Builder <bob@example\.com> 2 lines/,
    );
    expect(lines[2]).toMatch(/^ {3}1 [0-9a-f]{7} Alice Analyst \d{4}-\d\d-\d\d \| select$/);
    expect(lines[4]).toMatch(/^ {3}3 [0-9a-f]{7} Bob Builder {3}\d{4}-\d\d-\d\d \| {5}customer_id,$/);
    expect(lines[7]).toMatch(/^ {3}6 [0-9a-f]{7} Bob Builder .* \| where amount > 0$/);
    expect(summary).toContain('models/orders.sql lines 1-6');
  });

  it('blames a range, and says when the file goes on', async () => {
    const { text, truncated } = await run(
      gitBlameTool,
      { path: 'models/orders.sql', start_line: 2, end_line: 3 },
      contextOn(project.root),
    );
    expect(text).toContain('lines 2-3');
    expect(text).toMatch(/\n {3}2 .* \| {5}order_id,\n {3}3 /);
    expect(text).toContain('[… the file goes on after line 3: git_blame with start_line=4');
    expect(truncated).toBe(true);
  });

  it('marks uncommitted lines, and refuses untracked files and lines past the end', async () => {
    project.write('models/orders.sql', `${ORDERS_V2}limit 10\n`);
    const { text } = await run(
      gitBlameTool,
      { path: 'models/orders.sql', start_line: 7 },
      contextOn(project.root),
    );
    expect(text).toMatch(/ {3}7 0000000 Not Committed Yet .*\| limit 10/);
    project.write('models/untracked.sql', 'select 1\n');
    expect(
      (await failure(gitBlameTool, { path: 'models/untracked.sql' }, contextOn(project.root))).code,
    ).toBe('tool.git-not-tracked');
    expect(
      (await failure(gitBlameTool, { path: 'models/orders.sql', start_line: 50 }, contextOn(project.root)))
        .code,
    ).toBe('tool.offset-out-of-range');
    expect((await failure(gitBlameTool, { path: '/etc/passwd' }, contextOn(project.root))).code).toBe(
      'tool.path-escape',
    );
  });

  it('blames the file as it was at a ref', async () => {
    const { text } = await run(
      gitBlameTool,
      { path: 'models/orders.sql', ref: 'HEAD~2' },
      contextOn(project.root),
    );
    expect(text).toContain('lines 1-4 at HEAD~2');
    expect(text).not.toContain('Bob');
  });
});

describe('git_diff', () => {
  it('shows the working tree against HEAD, new files included, with a file list first', async () => {
    project.write('models/orders.sql', ORDERS_V2.replace('amount > 0', 'amount >= 0'));
    project.write('models/new.sql', 'select 1\nselect 2\n');
    const { text, summary } = await run(gitDiffTool, {}, contextOn(project.root));
    expect(text).toMatch(/^Changes: the working tree against HEAD \([0-9a-f]{7}\)\. 2 files, \+3 −1\./);
    expect(text).toContain('  models/orders.sql  +1 −1');
    expect(text).toContain('  models/new.sql  +2 (new, untracked)');
    expect(text).toContain('-where amount > 0\n+where amount >= 0');
    expect(text).toContain('+++ b/models/new.sql\n@@ -0,0 +1,2 @@\n+select 1\n+select 2');
    expect(summary).toContain('2 files changed, +3 −1');
  });

  it('compares two refs, filters by path, and lists files only when asked', async () => {
    const between = await run(gitDiffTool, { base: 'HEAD~2', target: 'HEAD' }, contextOn(project.root));
    expect(between.text).toContain('HEAD~2 (');
    expect(between.text).toContain('+    customer_id,');
    expect(between.text).toContain('models/customers.sql');
    const filtered = await run(
      gitDiffTool,
      { base: 'HEAD~2', target: 'HEAD', paths: ['models/orders.sql'] },
      contextOn(project.root),
    );
    expect(filtered.text).not.toContain('customers.sql');
    const stat = await run(
      gitDiffTool,
      { base: 'HEAD~2', target: 'HEAD', stat_only: true },
      contextOn(project.root),
    );
    expect(stat.text).not.toContain('@@');
    expect(stat.text).toContain('  models/orders.sql  +2 −0');
  });

  it('in a run workspace, diffs against the commit the run started from by default', async () => {
    const start = head();
    gitAs(project, undefined, 'checkout', '-q', '-b', 'agentry/run-test');
    project.write('models/orders.sql', 'select 1\n');
    gitAs(project, BOB, 'commit', '-q', '-am', 'Committed in the run');
    project.write('models/customers.sql', 'select 2\n');
    const { text } = await run(gitDiffTool, {}, contextOn(project.root));
    expect(text).toContain(`against ${start.slice(0, 7)}, the commit this run started from`);
    expect(text).toContain('models/orders.sql');
    expect(text).toContain('models/customers.sql');
  });

  it('says so when nothing changed', async () => {
    const { text } = await run(gitDiffTool, {}, contextOn(project.root));
    expect(text).toMatch(/^No changes: the working tree against HEAD/);
  });

  it('caps a huge diff with a note saying what was cut', async () => {
    await mkdir(path.join(project.root, 'seeds'), { recursive: true });
    const big = Array.from({ length: 40_000 }, (_, index) => `${index},row ${index}`).join('\n');
    await writeFile(path.join(project.root, 'seeds/big.csv'), big);
    const { text, truncated } = await run(gitDiffTool, {}, contextOn(project.root));
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(105 * 1024);
    expect(text).toMatch(/\[… [\d,]+ more diff lines cut: pass paths to see one file at a time/);
  });

  it('refuses escapes and ranges', async () => {
    expect((await failure(gitDiffTool, { paths: ['../../etc'] }, contextOn(project.root))).code).toBe(
      'tool.path-escape',
    );
    expect(() => gitDiffTool.inputSchema.parse({ base: 'HEAD~1..HEAD' })).toThrow();
    expect(() => gitDiffTool.inputSchema.parse({ base: '-p' })).toThrow();
    const untouched = await readFile(path.join(project.root, 'README.md'), 'utf8');
    expect(untouched).toBe('# shop\n');
  });
});
