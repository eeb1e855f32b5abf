import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunRecord, TERMINAL_STATUSES } from '../../src/store/index.js';
import { pullRequestCommit } from '../../src/triggers/index.js';
import { type Answer, GITHUB_PAYLOADS, startWebhookServer, type WebhookServer } from './serve-harness.js';

const SECRET = 'gh-pr-commit-secret';
const OPENED = join(GITHUB_PAYLOADS, 'pull_request/opened.payload.json');
const CLOSED = join(GITHUB_PAYLOADS, 'pull_request/closed.payload.json');
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

let harness: WebhookServer;
let scratch: string;
/** A pull request's head: pushed to the origin as refs/pull/2/head, absent from the server's checkout. */
let remoteOnly: string;
/** A commit the server's checkout has, on a branch that is not checked out. */
let localOnly: string;
let deliveries = 0;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: GIT_ENV, stdio: 'pipe' }).toString().trim();

beforeAll(async () => {
  harness = await startWebhookServer({
    agents: {
      reviewer: `name: reviewer
role: reviewer
goal: review pull requests
triggers:
  - github: { events: [pull_request] }
`,
    },
    config: 'integrations:\n  github:\n    webhook_secret_env: GH_WEBHOOK_SECRET\n',
    env: { GH_WEBHOOK_SECRET: SECRET },
  });
  const root = harness.project.root;
  scratch = mkdtempSync(join(tmpdir(), 'agentry-pr-origin-'));
  const origin = join(scratch, 'origin.git');
  git(scratch, 'init', '--quiet', '--bare', origin);
  git(root, 'remote', 'add', 'origin', origin);
  git(root, 'push', '--quiet', 'origin', 'HEAD:refs/heads/master');
  const fork = join(scratch, 'fork');
  git(scratch, 'clone', '--quiet', origin, fork);
  writeFileSync(join(fork, 'proposed.sql'), 'select 1 as proposed\n');
  git(fork, 'add', '-A');
  git(fork, 'commit', '--quiet', '-m', 'the pull request');
  remoteOnly = git(fork, 'rev-parse', 'HEAD');
  git(fork, 'push', '--quiet', 'origin', 'HEAD:refs/pull/2/head');

  git(root, 'checkout', '--quiet', '-b', 'merged-work');
  writeFileSync(join(root, 'merged.sql'), 'select 1 as merged\n');
  git(root, 'add', 'merged.sql');
  git(root, 'commit', '--quiet', '-m', 'the merge');
  localOnly = git(root, 'rev-parse', 'HEAD');
  git(root, 'checkout', '--quiet', 'main');
});

afterAll(async () => {
  await harness?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function payload(file: string, change: (pullRequest: Record<string, unknown>) => void): string {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { pull_request: Record<string, unknown> };
  change(parsed.pull_request);
  return JSON.stringify(parsed);
}

async function deliver(body: string): Promise<Answer> {
  const response = await fetch(`${harness.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'pull_request',
      'X-GitHub-Delivery': `pr-commit-${++deliveries}`,
      'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  expect(response.status).toBe(202);
  return (await response.json()) as Answer;
}

async function settled(runId: string): Promise<RunRecord> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await harness.store.getRun(runId);
    if (run && TERMINAL_STATUSES.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run?.status}`);
    await sleep(25);
  }
}

async function provisionedCommit(runId: string): Promise<unknown> {
  const events = await harness.store.listEvents(runId);
  return events.find((event) => event.type === 'sandbox.provisioned')?.payload.baseCommit;
}

describe('runs from pull request events', () => {
  it('start from the head commit, fetched from origin when the checkout lacks it', async () => {
    const head = (pullRequest: Record<string, unknown>) => {
      (pullRequest.head as Record<string, unknown>).sha = remoteOnly;
    };
    expect(() => git(harness.project.root, 'cat-file', '-e', `${remoteOnly}^{commit}`)).toThrow();
    const answer = await deliver(payload(OPENED, head));
    const run = await settled(answer.matched[0]!.run_id);
    expect(run.status).toBe('COMPLETED');
    expect(run.baseRef).toBe(remoteOnly);
    expect(run.repoCommit).toBe(remoteOnly);
    expect(await provisionedCommit(run.id)).toBe(remoteOnly);
    expect(run.trigger.metadata).toMatchObject({ pr_number: 2, head_sha: remoteOnly });
  });

  it('start a merged pull request from its merge commit', async () => {
    const answer = await deliver(
      payload(CLOSED, (pullRequest) => {
        pullRequest.merged = true;
        pullRequest.merge_commit_sha = localOnly;
      }),
    );
    const run = await settled(answer.matched[0]!.run_id);
    expect(run.status).toBe('COMPLETED');
    expect(run.repoCommit).toBe(localOnly);
    expect(await provisionedCommit(run.id)).toBe(localOnly);
    expect(run.trigger.metadata).toMatchObject({ pr_merged: true, merge_commit_sha: localOnly });
  });

  it('fail, saying which commit and what was tried, when the commit is nowhere', async () => {
    const missing = 'f'.repeat(40);
    const answer = await deliver(
      payload(OPENED, (pullRequest) => {
        (pullRequest.head as Record<string, unknown>).sha = missing;
      }),
    );
    const run = await settled(answer.matched[0]!.run_id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain(
      `commit ${missing} (the head commit of pull request #2 in Codertocat/Hello-World)`,
    );
    expect(run.error).toContain("fetching it from 'origin' did not bring it");
    const events = await harness.store.listEvents(run.id);
    expect(events.map((event) => event.type)).toEqual(['run.created', 'run.failed']);
    expect(events[1]!.payload.error).toBe(run.error);
  });
});

describe('pullRequestCommit', () => {
  const sha = 'a'.repeat(40);
  it('takes the head of an open pull request, the merge commit of a merged one, nothing without a well-formed id', () => {
    const open = { pull_request: { merged: false, merge_commit_sha: 'b'.repeat(40), head: { sha } } };
    expect(pullRequestCommit(open)).toEqual({ sha, kind: 'head' });
    const merged = { pull_request: { merged: true, merge_commit_sha: 'B'.repeat(40), head: { sha } } };
    expect(pullRequestCommit(merged)).toEqual({ sha: 'b'.repeat(40), kind: 'merge' });
    expect(
      pullRequestCommit({ pull_request: { head: { sha: '--upload-pack=touch /tmp/x' } } }),
    ).toBeUndefined();
    expect(pullRequestCommit({ ref: 'refs/heads/main', after: sha })).toBeUndefined();
  });
});
