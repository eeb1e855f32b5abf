import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkVariables,
  execute,
  FakeGraphQLError,
  type GraphQLOperation,
  parseOperation,
  type Resolvable,
  validationError,
} from './graphql-document.js';
import { matchesFilter } from './linear-filter.js';

/** A team to seed; its workflow states default to Linear's (Backlog, Todo, In Progress, Done, Canceled). */
export interface FakeLinearTeamSeed {
  id?: string;
  /** The prefix of its issues' identifiers, e.g. `DATA`. */
  key: string;
  name: string;
  states?: { id?: string; name: string; type: FakeLinearStateType; color?: string }[];
}

/** A user to seed. The first user owns the API key: comments and issues made through the API are theirs. */
export interface FakeLinearUserSeed {
  id?: string;
  name: string;
  displayName?: string;
  email?: string;
}

/** A label to seed: a workspace label, or a team's when `team` (a team key) is given. */
export interface FakeLinearLabelSeed {
  id?: string;
  name: string;
  color?: string;
  team?: string;
}

/** An issue to seed; names stand for ids (team key, state name, label names, assignee name or email). */
export interface FakeLinearIssueSeed {
  id?: string;
  team: string;
  /** Default: the team's next number. */
  number?: number;
  title: string;
  description?: string;
  /** 0 none, 1 urgent, 2 high, 3 medium, 4 low. */
  priority?: number;
  estimate?: number;
  /** A state name of the team; default its first backlog state. */
  state?: string;
  labels?: string[];
  assignee?: string;
  createdAt?: string;
  updatedAt?: string;
  comments?: { body: string; user?: string; createdAt?: string }[];
}

/** What `startFakeLinear` serves. */
export interface FakeLinearOptions {
  /** The personal API key accepted, sent bare as `Authorization: <key>` as Linear requires. */
  apiKey: string;
  /** An OAuth access token accepted as `Authorization: Bearer <token>`. */
  accessToken?: string;
  teams?: FakeLinearTeamSeed[];
  users?: FakeLinearUserSeed[];
  labels?: FakeLinearLabelSeed[];
  issues?: FakeLinearIssueSeed[];
  /** The workspace's URL key in issue URLs (`https://linear.app/<workspace>/issue/…`); default `agentry`. */
  workspace?: string;
}

/** A workflow state's category, as Linear types it. */
export type FakeLinearStateType = 'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled';

export interface FakeLinearTeam {
  id: string;
  key: string;
  name: string;
  states: FakeLinearState[];
}

export interface FakeLinearState {
  id: string;
  name: string;
  type: FakeLinearStateType;
  color: string;
}

export interface FakeLinearUser {
  id: string;
  name: string;
  displayName: string;
  email: string;
}

export interface FakeLinearLabel {
  id: string;
  name: string;
  color: string;
  /** Null for a workspace label. */
  teamId: string | null;
}

/** An issue as the fake stores it: the id fields of Linear's webhook `data` (`teamId`, `stateId`, `labelIds`, …). */
export interface FakeLinearIssue {
  id: string;
  identifier: string;
  number: number;
  title: string;
  description: string | null;
  priority: number;
  estimate: number | null;
  teamId: string;
  stateId: string;
  labelIds: string[];
  assigneeId: string | null;
  creatorId: string;
  createdAt: string;
  updatedAt: string;
  url: string;
}

export interface FakeLinearComment {
  id: string;
  issueId: string;
  body: string;
  userId: string;
  createdAt: string;
  updatedAt: string;
  url: string;
}

/** An issue with its relations filled in, in the shape of a Linear webhook's `data`. */
export interface FakeLinearIssueView extends FakeLinearIssue {
  priorityLabel: string;
  team: { id: string; key: string; name: string };
  state: { id: string; name: string; type: FakeLinearStateType; color: string };
  labels: { id: string; name: string; color: string }[];
  assignee: { id: string; name: string } | null;
  comments: FakeLinearComment[];
}

/** A request the fake received, for tests to check what the client sent. */
export interface FakeLinearRequest {
  /** `operationName` of the body, else the name in the document. */
  operationName: string | undefined;
  query: string;
  variables: Record<string, unknown>;
  /** The `Authorization` header as sent. */
  authorization: string | undefined;
  /** The HTTP status answered. */
  status: number;
  receivedAt: number;
}

/** A failure the fake answers instead of the next requests. */
export interface FakeLinearFailure {
  /** 429: Linear's `RATELIMITED` error; 500: an `INTERNAL_SERVER_ERROR`; 502/503: a proxy's HTML page. */
  status: 429 | 500 | 502 | 503;
  /** How many requests in a row fail (default 1). */
  times?: number;
  /** The `Retry-After` header, in seconds; none when absent. */
  retryAfterSeconds?: number;
}

export interface FakeLinear {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:40123/graphql`: the value of `integrations.linear.api_url`. */
  url: string;
  requests: FakeLinearRequest[];
  /** Every issue, seeded and created, oldest first. */
  issues: FakeLinearIssue[];
  /** Every comment, seeded and created, oldest first. */
  comments: FakeLinearComment[];
  teams: FakeLinearTeam[];
  labels: FakeLinearLabel[];
  users: FakeLinearUser[];
  /** An issue by id or identifier, with team, state, labels, assignee and comments filled in. */
  issue(idOrIdentifier: string): FakeLinearIssueView | undefined;
  /** Answers the next requests with a failure (rate limit, server error) before serving again. */
  failNext(failure: FakeLinearFailure): void;
  close(): Promise<void>;
}

const DEFAULT_STATES: { name: string; type: FakeLinearStateType; color: string }[] = [
  { name: 'Backlog', type: 'backlog', color: '#bec2c8' },
  { name: 'Todo', type: 'unstarted', color: '#e2e2e2' },
  { name: 'In Progress', type: 'started', color: '#f2c94c' },
  { name: 'Done', type: 'completed', color: '#5e6ad2' },
  { name: 'Canceled', type: 'canceled', color: '#95a2b3' },
];
const PRIORITY_LABELS = ['No priority', 'Urgent', 'High', 'Medium', 'Low'];
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_PAGE = 250;
const RATE_LIMIT = 5000;

/**
 * A local HTTP server that speaks the part of Linear's GraphQL API that Agentry uses: `issue`,
 * `issues` (with Linear's filters), `teams`, `issueLabels`, `viewer`, `commentCreate`,
 * `issueCreate` and `issueUpdate`. It reads the operation and its variables, answers only the
 * fields selected, in Linear's shapes, and fails as Linear does: `AUTHENTICATION_ERROR` for a bad
 * key, `RATELIMITED` with HTTP 429, `INPUT_ERROR` for an unknown entity, validation errors for a
 * field or argument Linear does not have. Tests and users point `integrations.linear.api_url` at it.
 */
export async function startFakeLinear(options: FakeLinearOptions): Promise<FakeLinear> {
  const state = new LinearState(options);
  const requests: FakeLinearRequest[] = [];
  const failures: FakeLinearFailure[] = [];
  const server = createServer((request, response) => {
    handle(request, response, state, requests, failures).catch((error: unknown) => {
      if (!response.headersSent) {
        sendJson(response, 500, { errors: [{ message: String(error), extensions: { code: 'INTERNAL' } }] });
      } else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    issues: state.issues,
    comments: state.comments,
    teams: state.teams,
    labels: state.labels,
    users: state.users,
    issue: (idOrIdentifier) => state.view(idOrIdentifier),
    failNext(failure) {
      for (let count = 0; count < (failure.times ?? 1); count++) failures.push(failure);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  state: LinearState,
  requests: FakeLinearRequest[],
  failures: FakeLinearFailure[],
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://fake').pathname;
  if (path !== '/graphql') {
    sendJson(response, 404, { errors: [{ message: `Cannot ${request.method} ${path}` }] });
    return;
  }
  if (request.method !== 'POST') {
    sendJson(response, 405, { errors: [{ message: 'this fake answers POST /graphql only' }] });
    return;
  }
  const raw = await readBody(request);
  const record: FakeLinearRequest = {
    operationName: undefined,
    query: '',
    variables: {},
    authorization: request.headers.authorization,
    status: 0,
    receivedAt: Date.now(),
  };
  requests.push(record);
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    record.status = status;
    sendJson(response, status, body, headers);
  };
  if (raw === undefined) {
    answer(413, { errors: [graphqlError(validationError('Request body too large'))] });
    return;
  }

  let body: { query?: unknown; variables?: unknown; operationName?: unknown };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    answer(400, { errors: [graphqlError(validationError('Body is not valid JSON'))] });
    return;
  }
  if (typeof body !== 'object' || body === null || typeof body.query !== 'string') {
    answer(400, { errors: [graphqlError(validationError('Must provide query string.'))] });
    return;
  }
  const variables =
    body.variables && typeof body.variables === 'object' ? (body.variables as Record<string, unknown>) : {};
  record.query = body.query;
  record.variables = variables;
  record.operationName = typeof body.operationName === 'string' ? body.operationName : undefined;

  const failure = failures.shift();
  if (failure) {
    sendFailure(failure, record, response);
    return;
  }

  const viewer = state.authenticate(request.headers.authorization, state.options);
  if (!viewer) {
    answer(400, {
      errors: [
        {
          message: 'Authentication required, not authenticated',
          extensions: {
            type: 'authentication error',
            code: 'AUTHENTICATION_ERROR',
            statusCode: 401,
            userError: true,
            userPresentableMessage: 'You need to authenticate to access this operation.',
          },
        },
      ],
    });
    return;
  }

  let operation: GraphQLOperation;
  try {
    operation = parseOperation(body.query);
    record.operationName ??= operation.name;
    if (
      body.operationName !== undefined &&
      body.operationName !== null &&
      body.operationName !== operation.name
    ) {
      throw validationError(`Unknown operation named "${String(body.operationName)}".`);
    }
    checkVariables(operation, variables);
  } catch (error) {
    if (!(error instanceof FakeGraphQLError)) throw error;
    answer(error.httpStatus, { errors: [graphqlError(error)] });
    return;
  }

  try {
    const root = operation.type === 'query' ? state.queryRoot(viewer) : state.mutationRoot(viewer);
    const data = execute(operation, root, variables);
    answer(200, { data }, state.rateLimitHeaders());
  } catch (error) {
    if (!(error instanceof FakeGraphQLError)) throw error;
    answer(error.httpStatus, { data: null, errors: [graphqlError(error)] }, state.rateLimitHeaders());
  }
}

function sendFailure(failure: FakeLinearFailure, record: FakeLinearRequest, response: ServerResponse): void {
  record.status = failure.status;
  const headers: Record<string, string> = {};
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  if (failure.status === 429) {
    headers['x-ratelimit-requests-limit'] = String(RATE_LIMIT);
    headers['x-ratelimit-requests-remaining'] = '0';
    headers['x-ratelimit-requests-reset'] = String(Date.now() + (failure.retryAfterSeconds ?? 60) * 1000);
    sendJson(
      response,
      429,
      {
        errors: [
          {
            message: 'Rate limit exceeded',
            extensions: {
              type: 'ratelimited',
              code: 'RATELIMITED',
              statusCode: 429,
              userError: true,
              userPresentableMessage: 'Too many API requests. Please try again later.',
            },
          },
        ],
      },
      headers,
    );
    return;
  }
  if (failure.status === 500) {
    sendJson(
      response,
      500,
      {
        errors: [
          {
            message: 'Internal server error',
            extensions: { type: 'internal error', code: 'INTERNAL_SERVER_ERROR' },
          },
        ],
      },
      headers,
    );
    return;
  }
  response.writeHead(failure.status, { 'content-type': 'text/html', ...headers });
  response.end(`<html><body><h1>${failure.status} Service Unavailable</h1></body></html>`);
}

function graphqlError(error: FakeGraphQLError): Record<string, unknown> {
  return {
    message: error.message,
    ...(error.path ? { path: error.path } : {}),
    extensions: error.extensions,
  };
}

/** An entity the request names does not exist: Linear's `INPUT_ERROR`, sent with HTTP 200 and no data. */
function notFound(entity: string, path: string): FakeGraphQLError {
  return new FakeGraphQLError(
    `Entity not found: ${entity}`,
    {
      type: 'invalid input',
      code: 'INPUT_ERROR',
      userError: true,
      userPresentableMessage: `Could not find referenced ${entity}.`,
    },
    200,
    [path],
  );
}

/** An input Linear refuses (a missing title, a priority of 7): `INPUT_ERROR`, HTTP 200. */
function invalidInput(message: string, path: string): FakeGraphQLError {
  return new FakeGraphQLError(
    'Argument Validation Error',
    { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: message },
    200,
    [path],
  );
}

/** The fake's workspace: seeded data, and the objects GraphQL answers are cut from. */
class LinearState {
  readonly teams: FakeLinearTeam[] = [];
  readonly users: FakeLinearUser[] = [];
  readonly labels: FakeLinearLabel[] = [];
  readonly issues: FakeLinearIssue[] = [];
  readonly comments: FakeLinearComment[] = [];
  private readonly workspace: string;
  private syncId = 1000;
  private requestsLeft = RATE_LIMIT;

  constructor(readonly options: FakeLinearOptions) {
    this.workspace = options.workspace ?? 'agentry';
    for (const seed of options.users?.length ? options.users : [{ name: 'API key owner' }]) {
      this.users.push({
        id: seed.id ?? randomUUID(),
        name: seed.name,
        displayName: seed.displayName ?? seed.name.split(/\s+/)[0]!.toLowerCase(),
        email: seed.email ?? `${seed.name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.com`,
      });
    }
    for (const seed of options.teams ?? []) {
      this.teams.push({
        id: seed.id ?? randomUUID(),
        key: seed.key,
        name: seed.name,
        states: (seed.states ?? DEFAULT_STATES).map((stateSeed) => ({
          id: ('id' in stateSeed ? stateSeed.id : undefined) ?? randomUUID(),
          name: stateSeed.name,
          type: stateSeed.type,
          color: stateSeed.color ?? '#e2e2e2',
        })),
      });
    }
    for (const seed of options.labels ?? []) {
      this.labels.push({
        id: seed.id ?? randomUUID(),
        name: seed.name,
        color: seed.color ?? '#4EA7FC',
        teamId: seed.team === undefined ? null : this.teamByKey(seed.team).id,
      });
    }
    const seeds = options.issues ?? [];
    seeds.forEach((seed, index) => {
      const created = seed.createdAt ?? new Date(Date.now() - (seeds.length - index) * 60_000).toISOString();
      const issue = this.addIssue({
        id: seed.id,
        team: this.teamByKey(seed.team),
        number: seed.number,
        title: seed.title,
        description: seed.description ?? null,
        priority: seed.priority ?? 0,
        estimate: seed.estimate ?? null,
        stateId: seed.state === undefined ? undefined : this.stateByName(seed.team, seed.state).id,
        labelIds: (seed.labels ?? []).map((name) => this.labelByName(name, seed.team).id),
        assigneeId: seed.assignee === undefined ? null : this.userByName(seed.assignee).id,
        createdAt: created,
        updatedAt: seed.updatedAt ?? created,
      });
      for (const comment of seed.comments ?? []) {
        this.addComment(
          issue,
          comment.body,
          comment.user === undefined ? this.users[0]! : this.userByName(comment.user),
          comment.createdAt,
        );
      }
    });
  }

  /** The user the `Authorization` header authenticates, or undefined. */
  authenticate(authorization: string | undefined, options: FakeLinearOptions): FakeLinearUser | undefined {
    if (authorization === undefined) return undefined;
    if (authorization === options.apiKey) return this.users[0];
    if (options.accessToken !== undefined && authorization === `Bearer ${options.accessToken}`)
      return this.users[0];
    return undefined;
  }

  rateLimitHeaders(): Record<string, string> {
    this.requestsLeft = Math.max(this.requestsLeft - 1, 0);
    return {
      'x-ratelimit-requests-limit': String(RATE_LIMIT),
      'x-ratelimit-requests-remaining': String(this.requestsLeft),
      'x-ratelimit-requests-reset': String(Date.now() + 3_600_000),
    };
  }

  view(idOrIdentifier: string): FakeLinearIssueView | undefined {
    const issue = this.findIssue(idOrIdentifier);
    if (!issue) return undefined;
    const team = this.teams.find((candidate) => candidate.id === issue.teamId)!;
    const workflowState = team.states.find((candidate) => candidate.id === issue.stateId)!;
    const assignee = this.users.find((user) => user.id === issue.assigneeId);
    return {
      ...issue,
      priorityLabel: PRIORITY_LABELS[issue.priority] ?? 'No priority',
      team: { id: team.id, key: team.key, name: team.name },
      state: { ...workflowState },
      labels: issue.labelIds
        .map((id) => this.labels.find((label) => label.id === id)!)
        .map((label) => ({ id: label.id, name: label.name, color: label.color })),
      assignee: assignee ? { id: assignee.id, name: assignee.name } : null,
      comments: this.comments.filter((comment) => comment.issueId === issue.id),
    };
  }

  queryRoot(viewer: FakeLinearUser): Record<string, Resolvable> {
    return {
      viewer: this.userNode(viewer),
      issue: (args) => {
        const id = requireString(args.id, 'id', 'issue');
        const issue = this.findIssue(id);
        if (!issue) throw notFound('Issue', 'issue');
        return this.issueNode(issue);
      },
      issues: (args) =>
        connection(
          this.issues.map((issue) => this.issueNode(issue)),
          args,
          'Issue',
        ),
      teams: (args) =>
        connection(
          this.teams.map((team) => this.teamNode(team)),
          args,
          'Team',
        ),
      team: (args) => {
        const id = requireString(args.id, 'id', 'team');
        const team = this.teams.find((candidate) => candidate.id === id || candidate.key === id);
        if (!team) throw notFound('Team', 'team');
        return this.teamNode(team);
      },
      issueLabels: (args) =>
        connection(
          this.labels.map((label) => this.labelNode(label)),
          args,
          'IssueLabel',
        ),
      users: (args) =>
        connection(
          this.users.map((user) => this.userNode(user)),
          args,
          'User',
        ),
    };
  }

  mutationRoot(viewer: FakeLinearUser): Record<string, Resolvable> {
    return {
      commentCreate: (args) => {
        const input = requireInput(args.input, 'commentCreate');
        const issueId = requireString(input.issueId, 'input.issueId', 'commentCreate');
        const issue = this.issues.find((candidate) => candidate.id === issueId);
        if (!issue) throw notFound('Issue', 'commentCreate');
        if (typeof input.body !== 'string' || input.body.trim() === '') {
          throw invalidInput('Comment body cannot be empty.', 'commentCreate');
        }
        const comment = this.addComment(issue, input.body, viewer);
        return {
          __typename: 'CommentPayload',
          success: true,
          lastSyncId: this.nextSyncId(),
          comment: this.commentNode(comment),
        };
      },
      issueCreate: (args) => {
        const input = requireInput(args.input, 'issueCreate');
        const teamId = requireString(input.teamId, 'input.teamId', 'issueCreate');
        const team = this.teams.find((candidate) => candidate.id === teamId);
        if (!team) throw notFound('Team', 'issueCreate');
        if (typeof input.title !== 'string' || input.title.trim() === '') {
          throw invalidInput('Title is required.', 'issueCreate');
        }
        const issue = this.addIssue({
          team,
          title: input.title,
          description: optionalString(input.description, 'description'),
          priority: this.checkPriority(input.priority, 'issueCreate') ?? 0,
          estimate: this.checkEstimate(input.estimate, 'issueCreate') ?? null,
          labelIds: this.checkLabelIds(input.labelIds, team, 'issueCreate') ?? [],
          assigneeId: null,
          creatorId: viewer.id,
        });
        return {
          __typename: 'IssuePayload',
          success: true,
          lastSyncId: this.nextSyncId(),
          issue: this.issueNode(issue),
        };
      },
      issueUpdate: (args) => {
        const id = requireString(args.id, 'id', 'issueUpdate');
        const issue = this.findIssue(id);
        if (!issue) throw notFound('Issue', 'issueUpdate');
        const input = requireInput(args.input, 'issueUpdate');
        const team = this.teams.find((candidate) => candidate.id === issue.teamId)!;
        if (input.title !== undefined) {
          if (typeof input.title !== 'string' || input.title.trim() === '') {
            throw invalidInput('Title cannot be empty.', 'issueUpdate');
          }
          issue.title = input.title;
        }
        if (input.description !== undefined)
          issue.description = optionalString(input.description, 'description');
        const priority = this.checkPriority(input.priority, 'issueUpdate');
        if (priority !== undefined) issue.priority = priority;
        if (input.estimate !== undefined)
          issue.estimate = this.checkEstimate(input.estimate, 'issueUpdate') ?? null;
        const labelIds = this.checkLabelIds(input.labelIds, team, 'issueUpdate');
        if (labelIds !== undefined) issue.labelIds = labelIds;
        const added = this.checkLabelIds(input.addedLabelIds, team, 'issueUpdate') ?? [];
        const removed = new Set(this.checkLabelIds(input.removedLabelIds, team, 'issueUpdate') ?? []);
        issue.labelIds = [...new Set([...issue.labelIds, ...added])].filter(
          (labelId) => !removed.has(labelId),
        );
        if (input.stateId !== undefined) {
          const stateId = requireString(input.stateId, 'input.stateId', 'issueUpdate');
          if (!team.states.some((candidate) => candidate.id === stateId))
            throw notFound('WorkflowState', 'issueUpdate');
          issue.stateId = stateId;
        }
        issue.updatedAt = new Date().toISOString();
        return {
          __typename: 'IssuePayload',
          success: true,
          lastSyncId: this.nextSyncId(),
          issue: this.issueNode(issue),
        };
      },
    };
  }

  private issueNode(issue: FakeLinearIssue): Resolvable {
    const team = this.teams.find((candidate) => candidate.id === issue.teamId)!;
    const workflowState = team.states.find((candidate) => candidate.id === issue.stateId)!;
    const assignee = this.users.find((user) => user.id === issue.assigneeId);
    const creator = this.users.find((user) => user.id === issue.creatorId);
    return {
      __typename: 'Issue',
      id: issue.id,
      identifier: issue.identifier,
      number: issue.number,
      title: issue.title,
      description: issue.description,
      priority: issue.priority,
      priorityLabel: PRIORITY_LABELS[issue.priority] ?? 'No priority',
      estimate: issue.estimate,
      url: issue.url,
      branchName: `${issue.identifier.toLowerCase()}-${slug(issue.title)}`,
      createdAt: issue.createdAt,
      updatedAt: issue.updatedAt,
      archivedAt: null,
      team: this.teamNode(team),
      state: stateNode(workflowState),
      assignee: assignee ? this.userNode(assignee) : null,
      creator: creator ? this.userNode(creator) : null,
      labels: (args) =>
        connection(
          issue.labelIds.map((id) => this.labelNode(this.labels.find((label) => label.id === id)!)),
          args,
          'IssueLabel',
        ),
      comments: (args) =>
        connection(
          this.comments
            .filter((comment) => comment.issueId === issue.id)
            .map((comment) => this.commentNode(comment)),
          args,
          'Comment',
        ),
    };
  }

  private commentNode(comment: FakeLinearComment): Resolvable {
    const user = this.users.find((candidate) => candidate.id === comment.userId);
    return {
      __typename: 'Comment',
      id: comment.id,
      body: comment.body,
      url: comment.url,
      createdAt: comment.createdAt,
      updatedAt: comment.updatedAt,
      user: user ? this.userNode(user) : null,
      issue: () => this.issueNode(this.issues.find((issue) => issue.id === comment.issueId)!),
    };
  }

  private teamNode(team: FakeLinearTeam): { [key: string]: Resolvable } {
    return {
      __typename: 'Team',
      id: team.id,
      key: team.key,
      name: team.name,
      states: (args) => connection(team.states.map(stateNode), args, 'WorkflowState'),
    };
  }

  private labelNode(label: FakeLinearLabel): Resolvable {
    const team = this.teams.find((candidate) => candidate.id === label.teamId);
    return {
      __typename: 'IssueLabel',
      id: label.id,
      name: label.name,
      color: label.color,
      team: team ? this.teamNode(team) : null,
    };
  }

  private userNode(user: FakeLinearUser): Resolvable {
    return {
      __typename: 'User',
      id: user.id,
      name: user.name,
      displayName: user.displayName,
      email: user.email,
    };
  }

  private addIssue(fields: {
    id?: string;
    team: FakeLinearTeam;
    number?: number;
    title: string;
    description: string | null;
    priority: number;
    estimate: number | null;
    stateId?: string;
    labelIds: string[];
    assigneeId: string | null;
    creatorId?: string;
    createdAt?: string;
    updatedAt?: string;
  }): FakeLinearIssue {
    const team = fields.team;
    const number =
      fields.number ??
      Math.max(0, ...this.issues.filter((issue) => issue.teamId === team.id).map((issue) => issue.number)) +
        1;
    const identifier = `${team.key}-${number}`;
    const now = new Date().toISOString();
    const initial =
      team.states.find((candidate) => candidate.type === 'backlog') ??
      team.states.find((candidate) => candidate.type === 'unstarted') ??
      team.states[0]!;
    const issue: FakeLinearIssue = {
      id: fields.id ?? randomUUID(),
      identifier,
      number,
      title: fields.title,
      description: fields.description,
      priority: fields.priority,
      estimate: fields.estimate,
      teamId: team.id,
      stateId: fields.stateId ?? initial.id,
      labelIds: fields.labelIds,
      assigneeId: fields.assigneeId,
      creatorId: fields.creatorId ?? this.users[0]!.id,
      createdAt: fields.createdAt ?? now,
      updatedAt: fields.updatedAt ?? fields.createdAt ?? now,
      url: `https://linear.app/${this.workspace}/issue/${identifier}/${slug(fields.title)}`,
    };
    this.issues.push(issue);
    return issue;
  }

  private addComment(issue: FakeLinearIssue, body: string, user: FakeLinearUser, createdAt?: string) {
    const id = randomUUID();
    const time = createdAt ?? new Date().toISOString();
    const comment: FakeLinearComment = {
      id,
      issueId: issue.id,
      body,
      userId: user.id,
      createdAt: time,
      updatedAt: time,
      url: `${issue.url}#comment-${id.slice(0, 8)}`,
    };
    this.comments.push(comment);
    return comment;
  }

  private findIssue(idOrIdentifier: string): FakeLinearIssue | undefined {
    const wanted = idOrIdentifier.toUpperCase();
    return this.issues.find((issue) => issue.id === idOrIdentifier || issue.identifier === wanted);
  }

  private checkPriority(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 4) {
      throw invalidInput('Priority must be an integer between 0 and 4.', path);
    }
    return value;
  }

  private checkEstimate(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw invalidInput('Estimate must be a non-negative integer.', path);
    }
    return value;
  }

  private checkLabelIds(value: unknown, team: FakeLinearTeam, path: string): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((id) => typeof id !== 'string')) {
      throw validationError(`Variable "labelIds" got invalid value; Expected type "String".`);
    }
    for (const id of value as string[]) {
      const label = this.labels.find((candidate) => candidate.id === id);
      if (!label) throw notFound('IssueLabel', path);
      if (label.teamId !== null && label.teamId !== team.id) {
        throw invalidInput(`Label ${label.name} belongs to another team.`, path);
      }
    }
    return [...new Set(value as string[])];
  }

  private teamByKey(key: string): FakeLinearTeam {
    const team = this.teams.find((candidate) => candidate.key === key);
    if (!team) throw new Error(`fake Linear: no team ${key} among the seeded teams`);
    return team;
  }

  private stateByName(teamKey: string, name: string): FakeLinearState {
    const found = this.teamByKey(teamKey).states.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`fake Linear: team ${teamKey} has no state ${name}`);
    return found;
  }

  private labelByName(name: string, teamKey: string): FakeLinearLabel {
    const team = this.teamByKey(teamKey);
    const label = this.labels.find(
      (candidate) => candidate.name === name && (candidate.teamId === null || candidate.teamId === team.id),
    );
    if (!label) throw new Error(`fake Linear: no label ${name} for team ${teamKey} among the seeded labels`);
    return label;
  }

  private userByName(nameOrEmail: string): FakeLinearUser {
    const user = this.users.find(
      (candidate) => candidate.name === nameOrEmail || candidate.email === nameOrEmail,
    );
    if (!user) throw new Error(`fake Linear: no user ${nameOrEmail} among the seeded users`);
    return user;
  }

  private nextSyncId(): number {
    this.syncId += 1;
    return this.syncId;
  }
}

function stateNode(workflowState: FakeLinearState): { [key: string]: Resolvable } {
  return {
    __typename: 'WorkflowState',
    id: workflowState.id,
    name: workflowState.name,
    type: workflowState.type,
    color: workflowState.color,
  };
}

/**
 * A Linear connection: `filter`ed, ordered by `orderBy` (`createdAt`, the default, or `updatedAt`)
 * newest first as Linear pages (ties, and items without the field, in the order they were added),
 * cut to `first` (default 50) after the `after` cursor.
 */
function connection(items: Resolvable[], args: Record<string, unknown>, typeName: string): Resolvable {
  const first = args.first ?? 50;
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0) {
    throw validationError(`Argument "first" of ${typeName} connection must be a non-negative integer.`);
  }
  if (first > MAX_PAGE) {
    throw invalidInput(`first may be at most ${MAX_PAGE}.`, typeName);
  }
  const orderBy = args.orderBy ?? 'createdAt';
  if (orderBy !== 'createdAt' && orderBy !== 'updatedAt') {
    throw validationError(`Value "${String(orderBy)}" does not exist in "PaginationOrderBy" enum.`);
  }
  const filtered = items.filter((item) => matchesFilter(item, args.filter, typeName));
  const ordered = filtered
    .map((item, index) => ({ item, index }))
    .sort((left, right) => {
      const a = String(field(left.item, orderBy) ?? '');
      const b = String(field(right.item, orderBy) ?? '');
      return a === b ? left.index - right.index : a < b ? 1 : -1;
    })
    .map(({ item }) => item);
  let start = 0;
  if (typeof args.after === 'string') {
    start = ordered.findIndex((item) => field(item, 'id') === args.after) + 1;
  }
  const nodes = ordered.slice(start, start + first);
  const last = nodes.at(-1);
  return {
    __typename: `${typeName}Connection`,
    nodes,
    pageInfo: {
      __typename: 'PageInfo',
      hasNextPage: start + first < ordered.length,
      hasPreviousPage: start > 0,
      startCursor: (nodes[0] && (field(nodes[0], 'id') as string)) ?? null,
      endCursor: (last && (field(last, 'id') as string)) ?? null,
    },
  };
}

function field(item: Resolvable, name: string): Resolvable | undefined {
  return item && typeof item === 'object' && !Array.isArray(item) ? item[name] : undefined;
}

function requireString(value: unknown, name: string, path: string): string {
  if (typeof value !== 'string' || value === '') {
    throw validationError(`Argument "${name}" of "${path}" must be a non-empty String.`);
  }
  return value;
}

function requireInput(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationError(`Argument "input" of "${path}" must be an object.`);
  }
  return value as Record<string, unknown>;
}

function optionalString(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw validationError(`Field "${name}" must be a String.`);
  return value;
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
