import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/spec/config.js';
import { type FakeLinear, type FakeLinearOptions, startFakeLinear } from '../../src/testing/index.js';
import {
  builtinToolRegistry,
  linearCommentTool,
  linearCreateIssueTool,
  linearTools,
  MAX_LINEAR_COMMENTS_PER_RUN,
  MAX_LINEAR_ISSUES_PER_RUN,
  ToolExecutor,
  ToolRegistry,
} from '../../src/tools/index.js';
import type { ToolContext } from '../../src/tools/tool.js';
import { makeToolContext } from '../helpers/tool-context.js';
import { API_KEY, ISSUE_FIXTURE, KEY_ENV, linearWorkspace } from './seed.js';

const FOOTER = '— posted by Agentry agent tester, run run-test';

let fake: FakeLinear;
let context: ToolContext;
const executor = new ToolExecutor(
  new ToolRegistry(linearTools),
  linearTools.map((tool) => tool.name),
  'tester',
);

async function start(options: FakeLinearOptions = linearWorkspace(), env: NodeJS.ProcessEnv = {}) {
  fake = await startFakeLinear(options);
  context = makeToolContext(tmpdir(), {
    config: configSchema.parse({ integrations: { linear: { api_url: fake.url, token_env: KEY_ENV } } }),
    env: { [KEY_ENV]: API_KEY, ...env },
  });
}

beforeEach(async () => {
  await start();
});

afterEach(async () => {
  await context.resources.closeAll();
  await fake.close();
});

/** Calls a tool as the engine does (input checked by its schema) and expects it to complete. */
async function call(name: string, input: unknown) {
  const outcome = await executor.call(name, input, context);
  if (outcome.status !== 'completed') throw new Error(`${name} ${outcome.status}: ${outcome.error}`);
  return outcome as typeof outcome & { output: Record<string, unknown> };
}

/** Calls a tool and expects it to fail; returns the code and message the model reads. */
async function callFailing(name: string, input: unknown) {
  const outcome = await executor.call(name, input, context);
  if (outcome.status !== 'failed') throw new Error(`${name} ${outcome.status}, expected a failure`);
  return outcome;
}

it('the built-in registry offers the four Linear tools', () => {
  expect(builtinToolRegistry().names()).toEqual(
    expect.arrayContaining([
      'linear_comment',
      'linear_create_issue',
      'linear_get_issue',
      'linear_list_issues',
    ]),
  );
});

describe('linear_get_issue', () => {
  it('reads an issue by identifier, any case, or by URL', async () => {
    const fixture = ISSUE_FIXTURE.data;
    const { output, summary } = await call('linear_get_issue', { issue: 'web-44' });
    expect(output).toMatchObject({
      identifier: 'WEB-44',
      title: fixture.title,
      state: 'In Progress',
      state_type: 'started',
      priority: 1,
      priority_label: 'Urgent',
      estimate: null,
      assignee: fixture.assignee.name,
      team: { key: fixture.team.key, name: fixture.team.name },
      created_at: fixture.createdAt,
      description: fixture.description,
      comments: [],
    });
    expect((output.labels as string[]).sort()).toEqual(fixture.labels.map((label) => label.name).sort());
    expect(summary).toMatch(/^WEB-44 "This is regarding the outage/);

    const byUrl = await call('linear_get_issue', { issue: String(output.url) });
    expect(byUrl.output.identifier).toBe('WEB-44');
  });

  it('returns comments newest first', async () => {
    const { output } = await call('linear_get_issue', { issue: 'WEB-46' });
    const comments = output.comments as { author: string; body: string }[];
    expect(comments.map((comment) => comment.author)).toEqual(['Satyam Bansal', 'Agentry Bot']);
  });

  it('caps a huge description and many long comments, saying what was cut', async () => {
    const workspace = linearWorkspace();
    workspace.issues!.push({
      team: 'DATA',
      title: 'A very long incident',
      description: 'x'.repeat(60_000),
      comments: Array.from({ length: 60 }, (_, index) => ({
        body: `comment ${index} ${'y'.repeat(6_000)}`,
        createdAt: new Date(Date.UTC(2024, 0, 1, 0, index)).toISOString(),
      })),
    });
    await context.resources.closeAll();
    await fake.close();
    await start(workspace);
    const outcome = await call('linear_get_issue', { issue: 'DATA-4' });
    expect(outcome.truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(outcome.output))).toBeLessThanOrEqual(100 * 1024 + 1024);
    expect(String(outcome.output.description)).toMatch(/… \[40,000 more chars on this line\]$/);
    const comments = outcome.output.comments as { body: string }[];
    expect(comments[0]?.body).toMatch(/^comment 59 /);
    expect(comments[0]?.body).toContain('more chars on this line');
    expect(comments.length).toBeLessThan(50);
    expect(String(outcome.output.comments_note)).toContain('older comments cut');
  });

  it('refuses something that is not an issue reference before calling Linear', async () => {
    const outcome = await callFailing('linear_get_issue', { issue: 'DROP TABLE issues' });
    expect(outcome.code).toBe('tool.invalid-input');
    expect(fake.requests).toHaveLength(0);
  });

  it('says which issue does not exist', async () => {
    const outcome = await callFailing('linear_get_issue', { issue: 'WEB-999' });
    expect(outcome.code).toBe('linear.not-found');
    expect(outcome.error).toContain('Linear has no issue WEB-999');
  });
});

describe('linear_list_issues', () => {
  it('filters by team and label, most recently updated first', async () => {
    const { output, summary } = await call('linear_list_issues', { team: 'DATA', label: 'data-quality' });
    const issues = output.issues as { identifier: string; labels: string[]; assignee: string | null }[];
    expect(issues.map((issue) => issue.identifier)).toEqual(['DATA-1', 'DATA-2']);
    expect(issues[0]).toMatchObject({ assignee: 'Dana Data', state: 'In Progress', priority: 1 });
    expect(summary).toBe('2 issues (team DATA, label "data-quality")');
  });

  it('filters by state and words, and says when more match than the limit', async () => {
    const started = await call('linear_list_issues', { state: 'started' });
    expect((started.output.issues as { identifier: string }[]).map((issue) => issue.identifier)).toEqual([
      'DATA-1',
      'WEB-44',
    ]);
    const limited = await call('linear_list_issues', { limit: 2 });
    expect(limited.truncated).toBe(true);
    expect(String(limited.output.note)).toContain('more issues match');
    const none = await call('linear_list_issues', { query: 'no such words anywhere' });
    expect(none.output.note).toBe('no issues with matching "no such words anywhere"');
  });

  it('refuses a limit above 50', async () => {
    const outcome = await callFailing('linear_list_issues', { limit: 51 });
    expect(outcome.code).toBe('tool.invalid-input');
  });

  it('names the known teams when the team is unknown', async () => {
    const outcome = await callFailing('linear_list_issues', { team: 'ENG' });
    expect(outcome.code).toBe('linear.unknown-team');
    expect(outcome.error).toContain('known teams: WEB (Webhooks), DATA (Data Platform)');
  });
});

describe('linear_comment', () => {
  it('posts on the issue with a footer naming the agent and the run', async () => {
    const { output, summary } = await call('linear_comment', {
      issue: 'WEB-44',
      body: 'Root cause: the deploy at 20:00 dropped the cache.',
    });
    const comment = fake.comments.at(-1)!;
    expect(comment.issueId).toBe(ISSUE_FIXTURE.data.id);
    expect(comment.body).toBe(`Root cause: the deploy at 20:00 dropped the cache.\n\n${FOOTER}`);
    expect(fake.issue('WEB-44')?.comments.map((candidate) => candidate.id)).toContain(comment.id);
    expect(output).toEqual({
      issue: 'WEB-44',
      comment_url: comment.url,
      comments_left_this_run: MAX_LINEAR_COMMENTS_PER_RUN - 1,
    });
    expect(summary).toBe('commented on WEB-44 (50 chars)');
  });

  it(`posts at most ${MAX_LINEAR_COMMENTS_PER_RUN} comments per run`, async () => {
    const before = fake.comments.length;
    for (let index = 0; index < MAX_LINEAR_COMMENTS_PER_RUN; index++) {
      await call('linear_comment', { issue: 'DATA-1', body: `update ${index}` });
    }
    const refused = await callFailing('linear_comment', { issue: 'DATA-1', body: 'one too many' });
    expect(refused.code).toBe('tool.linear-limit');
    expect(refused.error).toContain(`this run has posted ${MAX_LINEAR_COMMENTS_PER_RUN} Linear comments`);
    expect(fake.comments.length - before).toBe(MAX_LINEAR_COMMENTS_PER_RUN);
  });

  it('refuses a body over 10,000 characters', async () => {
    const outcome = await callFailing('linear_comment', { issue: 'DATA-1', body: 'z'.repeat(10_001) });
    expect(outcome.code).toBe('tool.invalid-input');
    expect(outcome.error).toContain('at most 10,000 characters');
    expect(
      linearCommentTool.inputSchema.safeParse({ issue: 'DATA-1', body: 'z'.repeat(10_000) }).success,
    ).toBe(true);
  });

  it('retries after a rate limit and posts once', async () => {
    fake.failNext({ status: 429, retryAfterSeconds: 0 });
    await call('linear_comment', { issue: 'DATA-1', body: 'after the limit' });
    expect(fake.comments.filter((comment) => comment.body.startsWith('after the limit'))).toHaveLength(1);
    expect(fake.requests[0]?.status).toBe(429);
  });
});

describe('linear_create_issue', () => {
  it('files the issue in the team by key, with label names resolved to ids', async () => {
    const { output, summary } = await call('linear_create_issue', {
      team: 'data',
      title: 'orders_daily stale again',
      description: 'The freshness test failed at 03:17.',
      labels: ['Incident', 'bug'],
      priority: 2,
      estimate: 3,
    });
    const created = fake.issue('DATA-4')!;
    const data = fake.teams.find((team) => team.key === 'DATA')!;
    expect(created.teamId).toBe(data.id);
    expect(created.title).toBe('orders_daily stale again');
    expect(created.description).toBe(`The freshness test failed at 03:17.\n\n${FOOTER}`);
    const expectedIds = ['incident', 'Bug'].map(
      (name) => fake.labels.find((label) => label.name === name)!.id,
    );
    expect(created.labelIds).toEqual(expectedIds);
    expect(created).toMatchObject({ priority: 2, estimate: 3 });
    expect(output).toMatchObject({
      identifier: 'DATA-4',
      url: created.url,
      labels: ['incident', 'Bug'],
      issues_left_this_run: MAX_LINEAR_ISSUES_PER_RUN - 1,
    });
    expect(summary).toBe('created DATA-4 "orders_daily stale again"');
  });

  it('names the known teams when the team is unknown, and creates nothing', async () => {
    const before = fake.issues.length;
    const outcome = await callFailing('linear_create_issue', { team: 'ENG', title: 'x' });
    expect(outcome.code).toBe('linear.unknown-team');
    expect(outcome.error).toBe(
      'Linear has no team with key ENG that this API key can see; known teams: WEB (Webhooks), DATA (Data Platform)',
    );
    expect(fake.issues.length).toBe(before);
  });

  it(`creates at most ${MAX_LINEAR_ISSUES_PER_RUN} issues per run; a refused one does not count`, async () => {
    const unknownLabel = await callFailing('linear_create_issue', {
      team: 'DATA',
      title: 'x',
      labels: ['nope'],
    });
    expect(unknownLabel.code).toBe('linear.unknown-label');
    expect(unknownLabel.error).toContain('team DATA has no label "nope"');
    for (let index = 0; index < MAX_LINEAR_ISSUES_PER_RUN; index++) {
      await call('linear_create_issue', { team: 'WEB', title: `follow-up ${index}` });
    }
    const refused = await callFailing('linear_create_issue', { team: 'WEB', title: 'one too many' });
    expect(refused.code).toBe('tool.linear-limit');
    expect(fake.issues.filter((issue) => issue.title.startsWith('follow-up'))).toHaveLength(
      MAX_LINEAR_ISSUES_PER_RUN,
    );
    expect(fake.issues.some((issue) => issue.title === 'one too many')).toBe(false);
  });

  it('refuses a priority outside 0-4', async () => {
    const parsed = linearCreateIssueTool.inputSchema.safeParse({ team: 'DATA', title: 'x', priority: 7 });
    expect(parsed.success).toBe(false);
  });
});

describe('credentials', () => {
  it('names the variable when Linear refuses the key, and never shows the key', async () => {
    const wrong = 'lin_api_LEAKED_IF_YOU_SEE_THIS_0123456789abcdef';
    await context.resources.closeAll();
    context = makeToolContext(tmpdir(), {
      ...context,
      resources: context.resources,
      env: { [KEY_ENV]: wrong },
    });
    for (const [name, input] of [
      ['linear_get_issue', { issue: 'WEB-44' }],
      ['linear_list_issues', {}],
      ['linear_comment', { issue: 'WEB-44', body: 'hi' }],
      ['linear_create_issue', { team: 'WEB', title: 'x' }],
    ] as const) {
      const outcome = await callFailing(name, input);
      expect(outcome.code).toBe('linear.auth-failed');
      expect(outcome.error).toContain(`set ${KEY_ENV} on the worker`);
      expect(JSON.stringify(outcome)).not.toContain(wrong);
      expect(JSON.stringify(outcome)).not.toContain('LEAKED');
    }
    expect(fake.comments.some((comment) => comment.body.startsWith('hi'))).toBe(false);
  });

  it('says what to set when Linear is not configured or the variable is unset', async () => {
    context = makeToolContext(tmpdir(), { ...context, config: configSchema.parse({}) });
    const unconfigured = await callFailing('linear_list_issues', {});
    expect(unconfigured.code).toBe('linear.not-configured');
    expect(unconfigured.error).toContain('integrations.linear.token_env');

    await context.resources.closeAll();
    context = makeToolContext(tmpdir(), {
      ...context,
      config: configSchema.parse({ integrations: { linear: { api_url: fake.url, token_env: KEY_ENV } } }),
      env: {},
    });
    const unset = await callFailing('linear_list_issues', {});
    expect(unset.code).toBe('linear.token-missing');
    expect(unset.error).toContain(`${KEY_ENV} is not set on the worker`);
    expect(fake.requests).toHaveLength(0);
  });
});
