import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  LinearClient,
  type LinearClientOptions,
  LinearError,
  linearClientFromSettings,
} from '../../src/integrations/linear/index.js';
import { type FakeLinear, startFakeLinear } from '../../src/testing/index.js';
import { API_KEY, COMMENT_FIXTURE, ISSUE_FIXTURE, KEY_ENV, linearWorkspace } from './seed.js';

let fake: FakeLinear;
let extraServer: Server | undefined;

beforeEach(async () => {
  fake = await startFakeLinear(linearWorkspace());
});

afterEach(async () => {
  await fake.close();
  if (extraServer) {
    extraServer.closeAllConnections();
    await new Promise<void>((resolve) => extraServer!.close(() => resolve()));
    extraServer = undefined;
  }
});

function client(options: Partial<LinearClientOptions> = {}): LinearClient {
  return new LinearClient({ apiUrl: fake.url, token: API_KEY, tokenEnv: KEY_ENV, ...options });
}

async function failure(promise: Promise<unknown>): Promise<LinearError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(LinearError);
  return error as LinearError;
}

describe('LinearClient', () => {
  it('reads an issue by identifier, with its comments newest first', async () => {
    const issue = await client().issue('WEB-46');
    expect(issue.id).toBe(COMMENT_FIXTURE.data.issue.id);
    expect(issue.title).toBe(COMMENT_FIXTURE.data.issue.title);
    expect(issue.comments.map((comment) => comment.author)).toEqual([
      COMMENT_FIXTURE.data.user.name,
      'Agentry Bot',
    ]);
    expect(issue.comments[0]?.body).toBe(COMMENT_FIXTURE.data.body);
    expect(issue.moreComments).toBe(false);

    const fixture = ISSUE_FIXTURE.data;
    const web44 = await client().issue(fixture.id);
    expect(web44).toMatchObject({
      identifier: 'WEB-44',
      priority: 1,
      priorityLabel: 'Urgent',
      state: { name: 'In Progress', type: 'started' },
      team: fixture.team,
      assignee: { name: fixture.assignee.name },
    });
    expect(web44.labels.map((label) => label.name).sort()).toEqual(
      fixture.labels.map((label) => label.name).sort(),
    );
    expect(fake.requests[0]?.operationName).toBe('AgentryIssue');
  });

  it('says which issue it could not find', async () => {
    const error = await failure(client().issue('WEB-999'));
    expect(error.code).toBe('linear.not-found');
    expect(error.message).toContain('Linear has no issue WEB-999');
  });

  it('lists issues by team, label, state, assignee and words', async () => {
    const linear = client();
    const identifiers = async (query: Parameters<LinearClient['issues']>[0]) =>
      (await linear.issues(query)).issues.map((issue) => issue.identifier);
    expect(await identifiers({ team: 'data', label: 'Data-Quality' })).toEqual(['DATA-1', 'DATA-2']);
    expect(await identifiers({ team: 'DATA', state: 'todo' })).toEqual(['DATA-2']);
    expect(await identifiers({ state: 'started' })).toEqual(['DATA-1', 'WEB-44']);
    expect(await identifiers({ assignee: 'dana@example.com' })).toEqual(['DATA-1']);
    expect(await identifiers({ query: 'orders_daily' })).toEqual(['DATA-1']);
    const page = await linear.issues({ first: 2 });
    expect(page.issues).toHaveLength(2);
    expect(page.more).toBe(true);
  });

  it('names the known teams when a team key is unknown', async () => {
    const error = await failure(client().issues({ team: 'ENG' }));
    expect(error.code).toBe('linear.unknown-team');
    expect(error.message).toBe(
      'Linear has no team with key ENG that this API key can see; known teams: WEB (Webhooks), DATA (Data Platform)',
    );
  });

  it("resolves label names to ids among the team's and the workspace's labels", async () => {
    const linear = client();
    const data = await linear.teamByKey('DATA');
    const ids = await linear.labelIdsByName(data, ['INCIDENT', 'bug']);
    const names = ids.map((id) => fake.labels.find((label) => label.id === id)?.name);
    expect(names).toEqual(['incident', 'Bug']);
    const error = await failure(linear.labelIdsByName(data, ['web-only']));
    expect(error.code).toBe('linear.unknown-label');
    expect(error.message).toContain('team DATA has no label "web-only"');
    expect(error.message).toContain(
      'its labels: Bug, Custom Label, data-quality, Feature, Improvement, incident',
    );
  });

  it('creates an issue and updates its estimate and labels', async () => {
    const linear = client();
    const team = await linear.teamByKey('DATA');
    const labelIds = await linear.labelIdsByName(team, ['incident']);
    const created = await linear.issueCreate({
      teamId: team.id,
      title: 'Stale orders',
      labelIds,
      priority: 2,
    });
    expect(created).toMatchObject({
      identifier: 'DATA-4',
      priority: 2,
      estimate: null,
      team: { key: 'DATA' },
    });
    const [more] = await linear.labelIdsByName(team, ['data-quality']);
    const updated = await linear.issueUpdate(created.id, { estimate: 3, addedLabelIds: [more!] });
    expect(updated.estimate).toBe(3);
    expect(updated.labels.map((label) => label.name).sort()).toEqual(['data-quality', 'incident']);
    expect(fake.issue('DATA-4')?.estimate).toBe(3);
  });

  it('sends a personal key bare and an OAuth token as a bearer token', async () => {
    expect(authorizationHeader('lin_api_abc')).toBe('lin_api_abc');
    expect(authorizationHeader('lin_oauth_abc')).toBe('Bearer lin_oauth_abc');
    expect(authorizationHeader('Bearer xyz')).toBe('Bearer xyz');
    const oauth = await startFakeLinear({ ...linearWorkspace(), accessToken: 'lin_oauth_0123456789' });
    try {
      const teams = await new LinearClient({ apiUrl: oauth.url, token: 'lin_oauth_0123456789' }).teams();
      expect(teams.map((team) => team.key)).toEqual(['WEB', 'DATA']);
      expect(oauth.requests[0]?.authorization).toBe('Bearer lin_oauth_0123456789');
    } finally {
      await oauth.close();
    }
  });

  it('names the variable of a refused key and never repeats the key', async () => {
    const wrong = 'lin_api_WRONGKEY_never_to_be_shown_0123456789';
    const error = await failure(client({ token: wrong }).teams());
    expect(error.code).toBe('linear.auth-failed');
    expect(error.kind).toBe('user');
    expect(error.message).toContain(`set ${KEY_ENV} on the worker`);
    expect(error.message).not.toContain(wrong);
    expect(fake.requests[0]?.authorization).toBe(wrong);
  });

  it('reads its settings: token_env must be named and set', async () => {
    expect(() => linearClientFromSettings(undefined, {})).toThrow(
      expect.objectContaining({ code: 'linear.not-configured' }),
    );
    expect(() => linearClientFromSettings({ token_env: KEY_ENV }, {})).toThrow(
      expect.objectContaining({ code: 'linear.token-missing', message: expect.stringContaining(KEY_ENV) }),
    );
    const linear = linearClientFromSettings(
      { api_url: fake.url, token_env: KEY_ENV },
      { [KEY_ENV]: API_KEY },
    );
    expect(linear.apiUrl).toBe(fake.url);
    expect((await linear.teams()).length).toBe(2);
  });

  it('waits out a rate limit as Retry-After says, then succeeds', async () => {
    fake.failNext({ status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const teams = await client().teams();
    expect(teams).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.requests.map((request) => request.status)).toEqual([429, 200]);
  });

  it('gives up after its attempts, and at once when Linear asks for too long a wait', async () => {
    fake.failNext({ status: 429, retryAfterSeconds: 0, times: 3 });
    const error = await failure(client({ maxAttempts: 3 }).teams());
    expect(error.code).toBe('linear.rate-limited');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('gave up after 3 attempts');
    expect(fake.requests).toHaveLength(3);

    fake.failNext({ status: 429, retryAfterSeconds: 120 });
    const impatient = await failure(client({ maxRetryWaitMs: 5_000 }).teams());
    expect(impatient.message).toContain('Linear asks to wait 120 s');
    expect(fake.requests).toHaveLength(4);
  });

  it('retries a read after a server error, but never sends a write twice', async () => {
    fake.failNext({ status: 503, retryAfterSeconds: 0 });
    expect(await client().teams()).toHaveLength(2);
    expect(fake.requests.map((request) => request.status)).toEqual([503, 200]);

    const issueId = fake.issue('WEB-44')!.id;
    const before = fake.comments.length;
    fake.failNext({ status: 500, retryAfterSeconds: 0 });
    const error = await failure(client().commentCreate({ issueId, body: 'hello' }));
    expect(error.code).toBe('linear.unreachable');
    expect(fake.requests.at(-1)?.status).toBe(500);
    expect(fake.requests.filter((request) => request.operationName === 'AgentryCommentCreate')).toHaveLength(
      1,
    );
    expect(fake.comments.length).toBe(before);
  });

  it('retries a write refused by the rate limit: Linear did not run it', async () => {
    const issueId = fake.issue('WEB-44')!.id;
    fake.failNext({ status: 429, retryAfterSeconds: 0 });
    const comment = await client().commentCreate({ issueId, body: 'after the limit' });
    expect(comment.body).toBe('after the limit');
    expect(fake.comments.filter((candidate) => candidate.body === 'after the limit')).toHaveLength(1);
  });

  it('stops reading an answer larger than its cap', async () => {
    const error = await failure(client({ maxResponseBytes: 2_000 }).issues({}));
    expect(error.code).toBe('linear.bad-response');
    expect(error.message).toContain('larger than 2 KiB');
  });

  it('times out a request that gets no answer', async () => {
    extraServer = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => extraServer!.listen(0, '127.0.0.1', resolve));
    const { port } = extraServer.address() as AddressInfo;
    const linear = new LinearClient({
      apiUrl: `http://127.0.0.1:${port}/graphql`,
      token: API_KEY,
      timeoutMs: 200,
      maxAttempts: 1,
    });
    const error = await failure(linear.teams());
    expect(error.code).toBe('linear.unreachable');
    expect(error.message).toContain('no answer within 200 ms');
  });

  it('says when the URL is not a GraphQL endpoint', async () => {
    const error = await failure(client({ apiUrl: fake.url.replace('/graphql', '/nothing') }).teams());
    expect(error.code).toBe('linear.bad-response');
    expect(error.message).toContain('HTTP 404');
    expect(error.message).toContain('integrations.linear.api_url');
  });
});
