import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeLinear, startFakeLinear } from '../../src/testing/index.js';
import { API_KEY, ISSUE_FIXTURE, linearWorkspace } from './seed.js';

let fake: FakeLinear;

beforeEach(async () => {
  fake = await startFakeLinear(linearWorkspace());
});

afterEach(async () => {
  await fake.close();
});

/** Posts a GraphQL request as any client would, returning status, headers and the parsed body. */
async function post(
  query: string,
  variables: Record<string, unknown> = {},
  /** null sends no Authorization header. */
  authorization: string | null = API_KEY,
) {
  const response = await fetch(fake.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(authorization === null ? {} : { authorization }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions: Record<string, unknown> }[];
    },
  };
}

describe('the fake Linear', () => {
  it('holds the real payload’s issue in the shape Linear sent it', () => {
    const expected = ISSUE_FIXTURE.data;
    const issue = fake.issue('WEB-44')!;
    expect(issue.id).toBe(expected.id);
    expect(issue.identifier).toBe('WEB-44');
    expect(issue.teamId).toBe(expected.teamId);
    expect(issue.team).toEqual(expected.team);
    expect(issue.state).toEqual(expected.state);
    expect(issue.priority).toBe(expected.priority);
    expect(issue.priorityLabel).toBe('Urgent');
    expect(issue.assignee).toEqual(expected.assignee);
    expect(new Set(issue.labelIds)).toEqual(new Set(expected.labelIds));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...issue.labels].sort(byName)).toEqual([...expected.labels].sort(byName));
    expect(issue.url).toMatch(
      /^https:\/\/linear\.app\/webhooks\/issue\/WEB-44\/this-is-regarding-the-outage/,
    );
  });

  it('answers only the fields selected, under their aliases', async () => {
    const { status, body } = await post(
      'query One($id: String!) { issue(id: $id) { identifier name: title state { type } } }',
      { id: 'web-44' },
    );
    expect(status).toBe(200);
    expect(body.data).toEqual({
      issue: { identifier: 'WEB-44', name: ISSUE_FIXTURE.data.title, state: { type: 'started' } },
    });
  });

  it('refuses a field Linear does not have, as a validation error with HTTP 400', async () => {
    const { status, body } = await post('query Bad { issue(id: "WEB-44") { identifier severity } }');
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toBe('Cannot query field "severity" on type "Issue".');
    expect(body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a missing required variable and an undeclared one', async () => {
    const missing = await post('query Q($id: String!) { issue(id: $id) { id } }');
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.[0]?.message).toContain(
      'Variable "$id" of required type "String!" was not provided.',
    );
    const undeclared = await post('query Q { issue(id: $id) { id } }', { id: 'WEB-44' });
    expect(undeclared.body.errors?.[0]?.message).toBe('Variable "$id" is not defined.');
  });

  it('answers a syntax error with GRAPHQL_PARSE_FAILED', async () => {
    const { status, body } = await post('query Q { issue(id: "WEB-44") { id }');
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('wants the personal key bare, and an OAuth token as a bearer token', async () => {
    const query = 'query Me { viewer { name } }';
    expect((await post(query, {}, API_KEY)).body.data).toEqual({ viewer: { name: 'Agentry Bot' } });
    for (const authorization of [`Bearer ${API_KEY}`, 'lin_api_wrong', null]) {
      const { status, body } = await post(query, {}, authorization);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'AUTHENTICATION_ERROR',
        type: 'authentication error',
      });
    }
    const oauth = await startFakeLinear({ apiKey: API_KEY, accessToken: 'lin_oauth_abc' });
    try {
      const response = await fetch(oauth.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer lin_oauth_abc' },
        body: JSON.stringify({ query }),
      });
      expect(response.status).toBe(200);
    } finally {
      await oauth.close();
    }
  });

  it('answers an unknown issue with INPUT_ERROR and no data', async () => {
    const { status, body } = await post('query Q { issue(id: "WEB-999") { id } }');
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors?.[0]).toMatchObject({
      message: 'Entity not found: Issue',
      extensions: { code: 'INPUT_ERROR', type: 'invalid input' },
    });
  });

  it("filters issues with Linear's filter language", async () => {
    const query = `query Q($filter: IssueFilter) {
      issues(filter: $filter, orderBy: updatedAt) { nodes { identifier } pageInfo { hasNextPage } }
    }`;
    const identifiers = async (filter: unknown) => {
      const { body } = await post(query, { filter });
      const issues = body.data?.issues as { nodes: { identifier: string }[] };
      return issues.nodes.map((node) => node.identifier);
    };
    expect(await identifiers({ labels: { some: { name: { eqIgnoreCase: 'DATA-QUALITY' } } } })).toEqual([
      'DATA-1',
      'DATA-2',
    ]);
    expect(
      await identifiers({ team: { key: { eq: 'DATA' } }, state: { type: { eq: 'completed' } } }),
    ).toEqual(['DATA-3']);
    expect(
      await identifiers({
        or: [{ title: { containsIgnoreCase: 'OUTAGE' } }, { description: { containsIgnoreCase: 'outage' } }],
      }),
    ).toEqual(['WEB-44']);
    expect(await identifiers({ assignee: { null: true }, team: { key: { eq: 'DATA' } } })).toEqual([
      'DATA-2',
      'DATA-3',
    ]);
    const { status, body } = await post(query, { filter: { severity: { eq: 1 } } });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toBe('Field "severity" is not defined by type "IssueFilter".');
  });

  it('answers a queued rate limit with HTTP 429, RATELIMITED and Retry-After, then serves again', async () => {
    fake.failNext({ status: 429, retryAfterSeconds: 7 });
    const limited = await post('query Me { viewer { id } }');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body.errors?.[0]?.extensions.code).toBe('RATELIMITED');
    expect((await post('query Me { viewer { id } }')).status).toBe(200);
    expect(fake.requests.map((request) => request.status)).toEqual([429, 200]);
  });
});
