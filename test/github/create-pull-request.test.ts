import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { githubCreatePullRequestTool } from '../../src/tools/github.js';
import { call, createWorld, failure, type GitHubWorld, ORDERS, REPOSITORY, TOKEN } from './helpers.js';

let world: GitHubWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

/** Every file below `.git` of the project (the worktree's git directory is in there too), as text. */
function projectGitConfigs(w: GitHubWorld): string {
  return [
    readFileSync(`${w.project.root}/.git/config`, 'utf8'),
    w.workspace('config', '--list', '--show-origin'),
  ].join('\n');
}

const scratchDirectories = async () =>
  (await readdir(tmpdir())).filter((name) => name.startsWith('agentry-github-'));

describe('github_create_pull_request', () => {
  it('commits the workspace, pushes the run branch over HTTP with the token and opens the pull request', async () => {
    world = await createWorld({ repositoryFromRemote: true });
    const scratchBefore = await scratchDirectories();
    world.write('models/orders.sql', `${ORDERS}where amount > 0\n`);
    world.write('models/customers.sql', 'select * from raw.customers\n');

    const result = await call(
      githubCreatePullRequestTool,
      { title: 'Filter refunds out of orders', body: 'Orders with a zero amount are refunds.' },
      world.context,
    );

    const tail = world.runId.toLowerCase().slice(-8);
    const branch = `agentry/tester-${tail}`;
    expect(result.json).toMatchObject({
      number: 1,
      url: `${world.github.url}/${REPOSITORY}/pull/1`,
      branch,
      base: 'main',
      opened: true,
      commits: 1,
    });
    expect(result.json.files).toEqual([
      { path: 'models/customers.sql', status: 'added', additions: 1, deletions: 0 },
      { path: 'models/orders.sql', status: 'modified', additions: 1, deletions: 0 },
    ]);
    expect(result.summary).toBe(`#1 opened: ${branch} → main, 2 files`);

    // The branch is on the remote with the change and the run's trailers.
    expect(world.remote('show', `${branch}:models/orders.sql`)).toBe(`${ORDERS}where amount > 0`);
    const message = world.remote('log', '-1', '--format=%B', branch);
    expect(message).toContain('Filter refunds out of orders');
    expect(message).toContain(`Agentry-Run: ${world.runId}`);
    expect(message).toContain('Agentry-Agent: tester');
    expect(world.remote('rev-parse', branch)).toBe(world.workspace('rev-parse', 'HEAD'));

    // The fake got the pull request as GitHub would.
    expect(world.github.pulls).toHaveLength(1);
    expect(world.github.pulls[0]).toMatchObject({
      repository: REPOSITORY,
      title: 'Filter refunds out of orders',
      head: branch,
      base: 'main',
      draft: false,
      user: 'agentry-bot',
    });
    expect(world.github.pulls[0]!.body).toBe(
      `Orders with a zero amount are refunds.\n\n---\nOpened by Agentry agent \`tester\`, run \`${world.runId}\`.`,
    );

    // git reached the fake's smart HTTP with the token as a header, and the token is nowhere else.
    const pushes = world.github.requests.filter((request) => request.path.endsWith('/git-receive-pack'));
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((request) => request.authorization === `Basic ${BASIC}`)).toBe(true);
    const visible = JSON.stringify(result);
    for (const secret of [TOKEN, BASIC]) {
      expect(visible).not.toContain(secret);
      expect(projectGitConfigs(world)).not.toContain(secret);
    }
    expect(await scratchDirectories()).toEqual(scratchBefore);
  });

  it('pushes to a bare remote given as a path, and uses base and draft as asked', async () => {
    world = await createWorld({ remote: 'path', github: { draft: true } });
    world.remote('branch', 'release', 'main');
    world.write('models/orders.sql', 'select 1\n');

    const result = await call(
      githubCreatePullRequestTool,
      {
        title: 'Simplify orders',
        branch: 'simplify-orders',
        base: 'release',
        commit_message: 'Use select 1',
      },
      world.context,
    );

    expect(result.json).toMatchObject({ branch: 'agentry/simplify-orders', base: 'release', number: 1 });
    expect(world.github.pulls[0]).toMatchObject({
      head: 'agentry/simplify-orders',
      base: 'release',
      draft: true,
    });
    expect(world.remote('log', '-1', '--format=%s', 'agentry/simplify-orders')).toBe('Use select 1');
  });

  it('a second call in the same run updates the same branch and pull request', async () => {
    world = await createWorld();
    world.write('models/orders.sql', 'select 1\n');
    const first = await call(githubCreatePullRequestTool, { title: 'First try', body: 'one' }, world.context);
    const firstHead = world.remote('rev-parse', String(first.json.branch));

    world.write('models/orders.sql', 'select 2\n');
    const second = await call(
      githubCreatePullRequestTool,
      { title: 'Second try', body: 'two', branch: 'another-name' },
      world.context,
    );

    expect(second.json).toMatchObject({
      number: first.json.number,
      branch: first.json.branch,
      opened: false,
    });
    expect(second.json.note).toContain('agentry/another-name');
    expect(second.summary).toMatch(/^#1 updated/);
    expect(world.github.pulls).toHaveLength(1);
    expect(world.github.pulls[0]).toMatchObject({ title: 'Second try' });
    expect(world.github.pulls[0]!.body).toMatch(/^two\n/);
    expect(world.remote('show', `${first.json.branch}:models/orders.sql`)).toBe('select 2');
    expect(world.remote('rev-parse', `${first.json.branch}~1`)).toBe(firstHead);
    expect(world.remote('branch', '--list', 'agentry/another-name')).toBe('');
    expect(
      world.github.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/pulls')),
    ).toHaveLength(1);
  });

  it('finds its pull request again in a later turn (new run resources) and updates it', async () => {
    world = await createWorld();
    world.write('models/orders.sql', 'select 1\n');
    const first = await call(githubCreatePullRequestTool, { title: 'Turn one' }, world.context);
    await world.context.resources.closeAll();

    world.write('models/orders.sql', 'select 3\n');
    const again = await call(githubCreatePullRequestTool, { title: 'Turn two' }, world.context);
    expect(again.json).toMatchObject({ number: first.json.number, opened: false });
    expect(world.github.pulls).toHaveLength(1);
  });

  it("refuses a branch on the remote with someone else's commits, pushing nothing", async () => {
    world = await createWorld({ remote: 'path' });
    world.remote('branch', 'agentry/taken', 'main');
    world.write('models/orders.sql', 'select 1\n');
    const error = await failure(
      githubCreatePullRequestTool,
      { title: 'Mine', branch: 'taken' },
      world.context,
    );
    expect(error.code).toBe('github.branch-exists');
    expect(world.remote('rev-parse', 'agentry/taken')).toBe(world.remote('rev-parse', 'main'));
    expect(world.github.pulls).toHaveLength(0);
  });

  it('refuses protected paths, in uncommitted changes and in commits made by hand, pushing and opening nothing', async () => {
    world = await createWorld();
    world.write('models/orders.sql', 'select 1\n');
    world.write('.agentry/agents/tester.yml', 'name: tester\ntools: { mode: denylist, list: [] }\n');
    const uncommitted = await failure(
      githubCreatePullRequestTool,
      { title: 'Widen my tools' },
      world.context,
    );
    expect(uncommitted.code).toBe('tool.path-protected');
    expect(uncommitted.message).toContain('.agentry/agents/tester.yml');

    // Committed with plain git in the sandbox, around git_commit's checks: still refused.
    const committed = await world.sandbox.session.exec!(
      'git -c user.name=x -c user.email=x@x add -A && git -c user.name=x -c user.email=x@x commit -qm sneak',
    );
    expect(committed.exitCode).toBe(0);
    const sneaked = await failure(githubCreatePullRequestTool, { title: 'Widen my tools' }, world.context);
    expect(sneaked.code).toBe('tool.path-protected');

    expect(world.remote('for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(world.github.pulls).toHaveLength(0);
  });

  it('refuses more files than max_files_changed, and nothing to propose', async () => {
    world = await createWorld({ github: { max_files_changed: 2 } });
    const nothing = await failure(githubCreatePullRequestTool, { title: 'Nothing' }, world.context);
    expect(nothing.code).toBe('github.nothing-to-propose');

    for (const name of ['a', 'b', 'c']) world.write(`models/${name}.sql`, `select '${name}'\n`);
    const error = await failure(githubCreatePullRequestTool, { title: 'Three models' }, world.context);
    expect(error.code).toBe('github.too-many-files');
    expect(error.message).toContain('3 files, more than integrations.github.max_files_changed (2)');
    expect(world.workspace('status', '--porcelain')).toContain('models/');
    expect(world.remote('for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(world.github.pulls).toHaveLength(0);
  });

  it('validates branch names before git sees them', async () => {
    world = await createWorld();
    world.write('models/orders.sql', 'select 1\n');
    for (const branch of ['../main', '-f', 'a..b', 'x.lock', 'has space', 'semi;colon', 'a//b']) {
      const error = await failure(githubCreatePullRequestTool, { title: 'x', branch }, world.context);
      expect(error.code, branch).toBe('tool.invalid-input');
    }
    const base = await failure(
      githubCreatePullRequestTool,
      { title: 'x', base: '--upload-pack=evil' },
      world.context,
    );
    expect(base.code).toBe('tool.invalid-input');
    expect(world.github.requests).toHaveLength(0);
  });

  it('refuses a base branch the remote does not have', async () => {
    world = await createWorld();
    world.write('models/orders.sql', 'select 1\n');
    const error = await failure(githubCreatePullRequestTool, { title: 'x', base: 'nope' }, world.context);
    expect(error.code).toBe('github.unknown-base');
    expect(error.message).toContain('nope');
  });

  it('a bad token is a clear error naming the env var, before anything is committed or pushed', async () => {
    world = await createWorld({ token: 'ghp_wrong' });
    world.write('models/orders.sql', 'select 1\n');
    const error = await failure(githubCreatePullRequestTool, { title: 'x' }, world.context);
    expect(error.code).toBe('github.bad-credentials');
    expect(error.message).toContain('GITHUB_TOKEN');
    expect(error.message).toContain('Bad credentials');
    expect(error.message).not.toContain('ghp_wrong');
    expect(world.workspace('status', '--porcelain')).toBe(' M models/orders.sql');
    expect(world.remote('for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
  });

  it("reports GitHub's own validation messages", async () => {
    world = await createWorld({ remote: 'path' });
    world.write('models/orders.sql', 'select 1\n');
    world.github.failNext({
      method: 'POST',
      path: `/repos/${REPOSITORY}/pulls`,
      status: 422,
      errors: [
        { resource: 'PullRequest', code: 'custom', message: 'Base branch is locked for the release.' },
      ],
    });
    const error = await failure(githubCreatePullRequestTool, { title: 'x' }, world.context);
    expect(error.code).toBe('github.validation-failed');
    expect(error.message).toContain('Base branch is locked for the release.');
  });
});

describe('github_create_pull_request, a workspace with its own git directory (as bwrap makes)', () => {
  /** A clone sharing the project's objects, on the run's branch, with a changed file. */
  function ownGitWorkspace(w: GitHubWorld): string {
    const workspace = join(dirname(w.project.root), 'own-git-workspace');
    execFileSync('git', ['clone', '--quiet', '--shared', w.project.root, workspace], { stdio: 'pipe' });
    execFileSync('git', ['checkout', '--quiet', '-b', `agentry/${w.runId}`], {
      cwd: workspace,
      stdio: 'pipe',
    });
    writeFileSync(join(workspace, 'models/orders.sql'), 'select 42\n');
    return realpathSync(workspace);
  }

  it("pushes from it, after putting its alternates back to the project's objects", async () => {
    world = await createWorld({ remote: 'path' });
    const workspace = ownGitWorkspace(world);
    const alternates = join(workspace, '.git/objects/info/alternates');
    const projectObjects = realpathSync(join(world.project.root, '.git/objects'));
    writeFileSync(alternates, `/somewhere/else/.git/objects\n${projectObjects}\n`);

    const result = await call(
      githubCreatePullRequestTool,
      { title: 'From its own git directory' },
      { ...world.context, session: { root: workspace } },
    );
    expect(result.json).toMatchObject({ number: 1, commits: 1 });
    expect(readFileSync(alternates, 'utf8')).toBe(`${projectObjects}\n`);
    expect(world.remote('show', `${result.json.branch}:models/orders.sql`)).toBe('select 42');
  });

  it('refuses when its object store leads out of the workspace', async () => {
    world = await createWorld({ remote: 'path' });
    const workspace = ownGitWorkspace(world);
    // The same objects, but in a repository outside the workspace: git works, the tool refuses.
    const elsewhere = join(dirname(world.project.root), 'elsewhere-objects');
    cpSync(join(workspace, '.git/objects'), elsewhere, { recursive: true });
    rmSync(join(workspace, '.git/objects'), { recursive: true });
    symlinkSync(elsewhere, join(workspace, '.git/objects'));

    const error = await failure(
      githubCreatePullRequestTool,
      { title: 'Sneaky' },
      { ...world.context, session: { root: workspace } },
    );
    expect(error.code).toBe('tool.git-failed');
    expect(error.message).toContain("the workspace's git directory is not where the sandbox made it");
    expect(world.github.pulls).toHaveLength(0);
  });
});

describe('github_create_pull_request, staged', () => {
  it('records the pull request as artifacts and pushes and opens nothing', async () => {
    world = await createWorld({ github: { staged: true } });
    world.write('models/orders.sql', `${ORDERS}-- staged\n`);
    const result = await call(
      githubCreatePullRequestTool,
      { title: 'Staged change', body: 'Would do this.' },
      world.context,
    );
    expect(result.json).toMatchObject({
      staged: true,
      artifacts: ['pull-request.json', 'pull-request.diff'],
      base: 'main',
      commits: 1,
      files: [{ path: 'models/orders.sql', status: 'modified', additions: 1, deletions: 0 }],
    });
    expect(String(result.json.reason)).toContain('integrations.github.staged is true');
    expect(world.remote('for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(world.github.requests).toHaveLength(0);
    // The temporary files handed to keepArtifact are gone again.
    expect(world.workspace('status', '--porcelain', '--untracked-files=all')).toBe('');

    const artifacts = await world.sandbox.collectArtifacts();
    const byName = new Map(
      artifacts.map((artifact) => [artifact.name, Buffer.from(artifact.content).toString('utf8')]),
    );
    const record = JSON.parse(byName.get('pull-request.json')!);
    expect(record).toMatchObject({
      staged: true,
      repository: REPOSITORY,
      title: 'Staged change',
      base: 'main',
      branch: `agentry/tester-${world.runId.toLowerCase().slice(-8)}`,
      files: [{ path: 'models/orders.sql', status: 'modified', additions: 1, deletions: 0 }],
    });
    expect(record.body).toContain(`run \`${world.runId}\``);
    expect(byName.get('pull-request.diff')).toContain('+-- staged');
    expect(byName.get('pull-request.diff')).toMatch(
      /^diff --git a\/models\/orders.sql b\/models\/orders.sql/,
    );
  });

  it('is staged when no token is configured, and says so', async () => {
    world = await createWorld({ github: { token_env: undefined }, token: null });
    world.write('models/orders.sql', 'select 1\n');
    const result = await call(githubCreatePullRequestTool, { title: 'No token' }, world.context);
    expect(result.json.staged).toBe(true);
    expect(String(result.json.reason)).toContain('integrations.github.token_env is not set');
    expect(world.github.requests).toHaveLength(0);
  });

  it('is staged when the token variable is empty, naming it', async () => {
    world = await createWorld({ token: null });
    world.write('models/orders.sql', 'select 1\n');
    const result = await call(githubCreatePullRequestTool, { title: 'Empty token' }, world.context);
    expect(String(result.json.reason)).toContain(
      "GITHUB_TOKEN (integrations.github.token_env) is not set in the worker's environment",
    );
  });
});
