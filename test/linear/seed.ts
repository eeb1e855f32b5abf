import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FakeLinearOptions } from '../../src/testing/index.js';

/** Real Linear webhook payloads (zulip/zulip's fixtures, Apache-2.0); see ../shared/realdata/SOURCES.md. */
const FIXTURES = path.join(
  process.env.AGENTRY_REALDATA ?? path.join(import.meta.dirname, '../../../shared/realdata'),
  'zulip_linear_fixtures',
);

interface IssuePayload {
  data: {
    id: string;
    number: number;
    title: string;
    description: string;
    priority: number;
    createdAt: string;
    updatedAt: string;
    teamId: string;
    labelIds: string[];
    assignee: { id: string; name: string };
    state: { id: string; name: string; type: 'started'; color: string };
    team: { id: string; key: string; name: string };
    labels: { id: string; name: string; color: string }[];
  };
}

interface CommentPayload {
  data: {
    body: string;
    createdAt: string;
    issue: { id: string; title: string };
    user: { id: string; name: string };
  };
}

/** The `issue_create_complex` payload: issue WEB-44 as Linear sent it. */
export const ISSUE_FIXTURE = JSON.parse(
  readFileSync(path.join(FIXTURES, 'issue_create_complex.json'), 'utf8'),
) as IssuePayload;
/** The `comment_create` payload: a comment on WEB-46. */
export const COMMENT_FIXTURE = JSON.parse(
  readFileSync(path.join(FIXTURES, 'comment_create.json'), 'utf8'),
) as CommentPayload;

export const API_KEY = 'lin_api_TESTKEY0123456789abcdefghijklmnopqrstuv';
export const KEY_ENV = 'LINEAR_API_KEY';

/**
 * A workspace built from the real payloads: team WEB with its labels, state and user as Linear sent
 * them, issues WEB-44 (the payload's issue) and WEB-46 (with the payload's comment), and a team DATA
 * of data-platform issues for filters.
 */
export function linearWorkspace(): FakeLinearOptions {
  const issue = ISSUE_FIXTURE.data;
  const comment = COMMENT_FIXTURE.data;
  return {
    apiKey: API_KEY,
    workspace: 'webhooks',
    users: [
      { id: 'a0000000-0000-4000-8000-00000000b07a', name: 'Agentry Bot', email: 'bot@example.com' },
      { id: issue.assignee.id, name: issue.assignee.name },
      { name: 'Dana Data', email: 'dana@example.com' },
    ],
    teams: [
      {
        id: issue.team.id,
        key: issue.team.key,
        name: issue.team.name,
        states: [
          { name: 'Backlog', type: 'backlog' },
          { name: 'Todo', type: 'unstarted' },
          { id: issue.state.id, name: issue.state.name, type: issue.state.type, color: issue.state.color },
          { name: 'Done', type: 'completed' },
          { name: 'Canceled', type: 'canceled' },
        ],
      },
      { key: 'DATA', name: 'Data Platform' },
    ],
    labels: [
      ...issue.labels.map((label) => ({ id: label.id, name: label.name, color: label.color })),
      { name: 'data-quality', team: 'DATA' },
      { name: 'incident', team: 'DATA' },
      { name: 'web-only', team: 'WEB' },
    ],
    issues: [
      {
        id: issue.id,
        team: issue.team.key,
        number: issue.number,
        title: issue.title,
        description: issue.description,
        priority: issue.priority,
        state: issue.state.name,
        labels: issue.labels.map((label) => label.name),
        assignee: issue.assignee.name,
        createdAt: issue.createdAt,
        updatedAt: issue.updatedAt,
      },
      {
        id: comment.issue.id,
        team: 'WEB',
        number: 46,
        title: comment.issue.title,
        state: 'Todo',
        createdAt: '2023-04-11T10:20:00.000Z',
        comments: [
          {
            body: 'First look: the outage window matches the deploy.',
            createdAt: '2023-04-11T10:20:30.000Z',
          },
          { body: comment.body, user: comment.user.name, createdAt: comment.createdAt },
        ],
      },
      {
        team: 'DATA',
        title: 'orders_daily freshness check failing since 03:17',
        description: 'The `orders_daily` model is 6 hours stale; the Airflow task `load_orders` failed.',
        priority: 1,
        state: 'In Progress',
        labels: ['incident', 'data-quality'],
        assignee: 'Dana Data',
        updatedAt: '2024-03-04T03:30:00.000Z',
        createdAt: '2024-03-04T03:20:00.000Z',
      },
      {
        team: 'DATA',
        title: 'Add not_null tests to stg_customers',
        priority: 3,
        estimate: 2,
        state: 'Todo',
        labels: ['data-quality'],
        createdAt: '2024-03-01T09:00:00.000Z',
        updatedAt: '2024-03-02T09:00:00.000Z',
      },
      {
        team: 'DATA',
        title: 'Migrate DuckDB profiles to 1.1',
        priority: 4,
        state: 'Done',
        createdAt: '2024-02-01T09:00:00.000Z',
        updatedAt: '2024-02-10T09:00:00.000Z',
      },
    ],
  };
}
