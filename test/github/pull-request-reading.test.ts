import { afterEach, describe, expect, it } from 'vitest';
import {
  githubCommentTool,
  githubCreateReviewTool,
  githubGetPullRequestTool,
} from '../../src/tools/github.js';
import {
  call,
  createWorld,
  failure,
  type GitHubWorld,
  pushPersonBranch,
  REPOSITORY,
  run,
} from './helpers.js';

let world: GitHubWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

const CUSTOMERS = 'select\n    customer_id,\n    name\nfrom raw.customers\n';

/** A world with pull request #1 opened by a person: orders.sql changed, two models added. */
async function withPersonPullRequest(options: { maxPerPage?: number } = {}) {
  world = await createWorld({ maxPerPage: options.maxPerPage });
  pushPersonBranch(world, 'feature/customers', {
    'models/orders.sql': 'select order_id, amount, customer_id from raw.orders\n',
    'models/customers.sql': CUSTOMERS,
    'models/payments.sql': 'select * from raw.payments\n',
  });
  await world.github.seedPullRequest({
    repository: REPOSITORY,
    head: 'feature/customers',
    title: 'Add customers and payments',
    body: 'Adds two staging models.',
  });
  return world;
}

describe('github_get_pull_request', () => {
  it('returns the description, state, files (through pages) and the unified diff', async () => {
    const w = await withPersonPullRequest({ maxPerPage: 2 });
    const result = await run(githubGetPullRequestTool, { number: 1 }, w.context);
    const headSha = w.remote('rev-parse', '--short=7', 'feature/customers');
    expect(result.text.split('\nDiff:\n')[0]).toBe(
      [
        `Pull request #1 in ${REPOSITORY}: Add customers and payments`,
        `State: open · author a-person · base main ← head feature/customers (${headSha})`,
        '1 commit, 3 files changed, +6 −1',
        `URL: ${w.github.url}/${REPOSITORY}/pull/1`,
        '',
        'Body:',
        'Adds two staging models.',
        '',
        'Files (3):',
        '  added     models/customers.sql  +4 −0',
        '  modified  models/orders.sql  +1 −1',
        '  added     models/payments.sql  +1 −0',
        '',
      ].join('\n'),
    );
    const diff = result.text.split('\nDiff:\n')[1]!;
    expect(diff).toMatch(/^diff --git a\/models\/customers.sql b\/models\/customers.sql\n/);
    expect(diff).toContain('+    customer_id,');
    expect(diff).toContain('-select order_id, amount from raw.orders');
    expect(result.truncated).toBe(false);
    expect(result.summary).toBe('#1 open: Add customers and payments (3 files, +6 −1)');
    // Two pages of files (per_page capped at 2), followed through the Link header.
    const pages = w.github.requests.filter((request) => request.path.endsWith('/pulls/1/files'));
    expect(pages.map((request) => request.query.page ?? '1')).toEqual(['1', '2']);
    expect(w.github.requests.some((request) => /vnd\.github\.v3\.diff/.test(request.accept ?? ''))).toBe(
      true,
    );
  });

  it('gives per-file patches instead of the diff when include_diff is false', async () => {
    const w = await withPersonPullRequest();
    const result = await run(githubGetPullRequestTool, { number: 1, include_diff: false }, w.context);
    expect(result.text).not.toContain('\nDiff:\n');
    expect(result.text).toContain(
      '\nPatches:\n--- models/customers.sql\n@@ -0,0 +1,4 @@\n+select\n+    customer_id,\n+    name\n+from raw.customers\n--- models/orders.sql\n',
    );
  });

  it('cuts a long diff with a note', async () => {
    world = await createWorld();
    const big = Array.from({ length: 4000 }, (_, index) => `select ${index} as value_${index}`).join('\n');
    pushPersonBranch(world, 'feature/big', { 'models/big.sql': `${big}\n` });
    await world.github.seedPullRequest({
      repository: REPOSITORY,
      head: 'feature/big',
      title: 'Big',
      draft: true,
    });
    const result = await run(githubGetPullRequestTool, { number: 1 }, world.context);
    expect(result.truncated).toBe(true);
    expect(result.text).toContain('State: open (draft)');
    const diff = result.text.split('\nDiff:\n')[1]!.split('\n[… ')[0]!;
    expect(diff.length).toBeLessThanOrEqual(60_000);
    expect(diff.length).toBeGreaterThan(50_000);
    expect(result.text).toMatch(
      /\n\[… the diff was cut at [\d,]+ of [\d,]+ characters: call with include_diff: false/,
    );
  });

  it('says which pull request does not exist', async () => {
    world = await createWorld();
    const error = await failure(githubGetPullRequestTool, { number: 7 }, world.context);
    expect(error.code).toBe('github.not-found');
    expect(error.message).toContain(`pull request #7 does not exist in ${REPOSITORY}`);
  });

  it('a bad token names the env var; no token says how to configure one', async () => {
    world = await createWorld({ token: 'ghp_wrong' });
    const bad = await failure(githubGetPullRequestTool, { number: 1 }, world.context);
    expect(bad.code).toBe('github.bad-credentials');
    expect(bad.message).toMatch(/^GitHub rejected the token in GITHUB_TOKEN \(Bad credentials\)/);
    expect(bad.message).not.toContain('ghp_wrong');

    world.context.env = {};
    const none = await failure(githubGetPullRequestTool, { number: 1 }, world.context);
    expect(none.code).toBe('github.not-configured');
    expect(none.message).toContain(
      "GITHUB_TOKEN (integrations.github.token_env) is not set in the worker's environment",
    );
  });

  it('reports a used-up rate limit with when it resets, and retries a 502 on a read', async () => {
    const w = await withPersonPullRequest();
    w.github.failNext({ rateLimit: true });
    const limited = await failure(githubGetPullRequestTool, { number: 1 }, w.context);
    expect(limited.code).toBe('github.rate-limited');
    expect(limited.message).toMatch(
      /rate limit for the token in GITHUB_TOKEN is used up until \d\d:\d\d UTC/,
    );

    w.github.failNext({ status: 502, path: `/repos/${REPOSITORY}/pulls/1` });
    const result = await run(githubGetPullRequestTool, { number: 1, include_diff: false }, w.context);
    expect(result.text).toMatch(/^Pull request #1 /);
    const statuses = w.github.requests
      .filter((request) => request.path === `/repos/${REPOSITORY}/pulls/1`)
      .map((request) => request.status);
    expect(statuses.slice(-2)).toEqual([502, 200]);
  });
});

describe('github_comment', () => {
  it('comments with the run named, at most 10 times per run', async () => {
    const w = await withPersonPullRequest();
    const result = await call(
      githubCommentTool,
      { number: 1, body: 'Looks good, one question below.' },
      w.context,
    );
    expect(result.json).toMatchObject({ number: 1, url: expect.stringContaining('/pull/1#issuecomment-') });
    expect(w.github.comments[0]).toMatchObject({ repository: REPOSITORY, number: 1, user: 'agentry-bot' });
    expect(w.github.comments[0]!.body).toBe(
      `Looks good, one question below.\n\n<sub>Agentry agent \`tester\`, run \`${w.runId}\`</sub>`,
    );

    for (let index = 2; index <= 10; index++)
      await call(githubCommentTool, { number: 1, body: `#${index}` }, w.context);
    const error = await failure(githubCommentTool, { number: 1, body: 'eleven' }, w.context);
    expect(error.code).toBe('github.limit-reached');
    expect(w.github.comments).toHaveLength(10);
  });

  it('refuses a body over 20,000 characters before calling GitHub', async () => {
    world = await createWorld();
    expect(() => githubCommentTool.inputSchema.parse({ number: 1, body: 'x'.repeat(20_001) })).toThrow();
    const missing = await failure(githubCommentTool, { number: 3, body: 'hi' }, world.context);
    expect(missing.code).toBe('github.not-found');
    expect(missing.message).toContain('#3 does not exist');
  });
});

describe('github_create_review', () => {
  it('posts a review with comments on lines of the diff', async () => {
    const w = await withPersonPullRequest();
    const result = await call(
      githubCreateReviewTool,
      {
        number: 1,
        body: 'Two things to fix.',
        event: 'REQUEST_CHANGES',
        comments: [
          { path: 'models/customers.sql', line: 3, body: 'Is name PII? Mask it.' },
          { path: 'models/orders.sql', line: 1, body: 'customer_id needs a not_null test.' },
        ],
      },
      w.context,
    );
    expect(result.json).toMatchObject({ number: 1, state: 'CHANGES_REQUESTED', line_comments: 2 });
    expect(result.summary).toBe('changes requested on #1 (2 line comments)');
    expect(w.github.reviews[0]).toMatchObject({
      event: 'REQUEST_CHANGES',
      comments: [
        { path: 'models/customers.sql', line: 3, side: 'RIGHT', body: 'Is name PII? Mask it.' },
        { path: 'models/orders.sql', line: 1, side: 'RIGHT', body: 'customer_id needs a not_null test.' },
      ],
    });
    expect(w.github.reviews[0]!.body).toMatch(/^Two things to fix\.\n\n<sub>Agentry agent/);
  });

  it('passes on GitHub refusing a line outside the diff; never approves', async () => {
    const w = await withPersonPullRequest();
    const error = await failure(
      githubCreateReviewTool,
      { number: 1, body: 'x', comments: [{ path: 'models/orders.sql', line: 40, body: 'here' }] },
      w.context,
    );
    expect(error.code).toBe('github.validation-failed');
    expect(error.message).toContain('Pull request review thread line must be part of the diff');
    expect(w.github.reviews).toHaveLength(0);
    expect(() =>
      githubCreateReviewTool.inputSchema.parse({ number: 1, body: 'ok', event: 'APPROVE' }),
    ).toThrow();

    const plain = await call(githubCreateReviewTool, { number: 1, body: 'Read it; no comments.' }, w.context);
    expect(plain.json).toMatchObject({ state: 'COMMENTED', line_comments: 0 });
  });
});
