import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { LinearError } from './errors.js';
import {
  COMMENT_CREATE_MUTATION,
  type CommentData,
  ISSUE_CREATE_MUTATION,
  ISSUE_LABELS_QUERY,
  ISSUE_QUERY,
  ISSUE_UPDATE_MUTATION,
  ISSUES_QUERY,
  type IssueData,
  type LinearOperation,
  TEAMS_QUERY,
} from './operations.js';

/** Linear's GraphQL endpoint. */
export const LINEAR_API_URL = 'https://api.linear.app/graphql';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 4;
const DEFAULT_MAX_RETRY_WAIT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** Linear's largest page. */
const MAX_PAGE = 250;
const NAMES_LISTED = 30;

export interface LinearClientOptions {
  /** The GraphQL endpoint; default {@link LINEAR_API_URL}. */
  apiUrl?: string;
  /**
   * A personal API key (`lin_api_…`), sent bare as `Authorization: <key>`, or an OAuth access
   * token (`lin_oauth_…`, or given as `Bearer …`), sent as `Authorization: Bearer <token>`.
   */
  token: string;
  /** The environment variable the token came from, named in errors so a person knows what to fix. */
  tokenEnv?: string;
  /** Limit on each request, reading the answer included (default 30 s). */
  timeoutMs?: number;
  /** Attempts per call, the first included (default 4). */
  maxAttempts?: number;
  /** The longest wait before a retry; a rate limit asking for longer fails at once (default 30 s). */
  maxRetryWaitMs?: number;
  /** Bytes of an answer read at most (default 5 MiB). */
  maxResponseBytes?: number;
}

/** Per-call options. */
export interface LinearCallOptions {
  signal?: AbortSignal;
}

export interface LinearTeam {
  id: string;
  /** The prefix of the team's issue identifiers, e.g. `DATA`. */
  key: string;
  name: string;
}

export interface LinearLabel {
  id: string;
  name: string;
  /** The team the label belongs to; null for a workspace label. */
  team: { id: string; key: string } | null;
}

export interface LinearIssue {
  id: string;
  /** e.g. `DATA-123`. */
  identifier: string;
  title: string;
  description: string | null;
  /** 0 none, 1 urgent, 2 high, 3 medium, 4 low. */
  priority: number;
  priorityLabel: string;
  estimate: number | null;
  url: string;
  createdAt: string;
  updatedAt: string;
  /** `type` is the state's category: triage, backlog, unstarted, started, completed, canceled. */
  state: { name: string; type: string };
  team: LinearTeam;
  labels: { id: string; name: string }[];
  assignee: { id: string; name: string; displayName: string } | null;
}

export interface LinearComment {
  id: string;
  body: string;
  url: string;
  createdAt: string;
  /** The author's name; null for comments by integrations. */
  author: string | null;
}

/** An issue with its comments, newest first. */
export interface LinearIssueWithComments extends LinearIssue {
  comments: LinearComment[];
  /** True when the issue has more comments than were fetched. */
  moreComments: boolean;
}

/** What `issues` filters on; every given filter must match. */
export interface LinearIssueQuery {
  /** A team key, e.g. `DATA`; an unknown key is an error naming the known ones. */
  team?: string;
  /** A label name (any case). */
  label?: string;
  /** A state name (`In Progress`) or category (`started`), any case. */
  state?: string;
  /** The assignee's name, display name or email (any case). */
  assignee?: string;
  /** Words the title or description contains (any case). */
  query?: string;
  /** How many issues, most recently updated first (default 50, at most 250). */
  first?: number;
}

/** A page of issues. */
export interface LinearIssuePage {
  issues: LinearIssue[];
  /** True when more issues match than were returned. */
  more: boolean;
}

export interface LinearIssueCreate {
  teamId: string;
  title: string;
  description?: string;
  labelIds?: string[];
  /** 0 none, 1 urgent, 2 high, 3 medium, 4 low. */
  priority?: number;
  estimate?: number;
}

export interface LinearIssueUpdate {
  estimate?: number | null;
  labelIds?: string[];
  addedLabelIds?: string[];
}

/** One failed attempt, and whether trying again may help. */
interface Failure {
  error: LinearError;
  /** `always`: the request was refused before it ran (rate limit); `queries`: only reads are retried. */
  retry: 'always' | 'queries' | 'never';
  waitMs?: number;
}

/**
 * A client of Linear's GraphQL API: named operations with variables only, `fetch` with a timeout
 * on each request, answers read up to a size cap and checked with zod, bounded retries on rate
 * limits (honouring `Retry-After`) and, for reads, on server errors. Failures are
 * {@link LinearError}s whose messages say what to fix and never hold the token.
 */
export class LinearClient {
  readonly apiUrl: string;
  private readonly authorization: string;
  private teamsCache: Promise<LinearTeam[]> | undefined;

  constructor(private readonly options: LinearClientOptions) {
    this.apiUrl = options.apiUrl ?? LINEAR_API_URL;
    this.authorization = authorizationHeader(options.token);
  }

  /** One issue by identifier (`DATA-123`) or id, with up to `comments` comments (default 50), newest first. */
  async issue(
    idOrIdentifier: string,
    options: LinearCallOptions & { comments?: number } = {},
  ): Promise<LinearIssueWithComments> {
    let data: z.infer<typeof ISSUE_QUERY.data>;
    try {
      data = await this.request(
        ISSUE_QUERY,
        { id: idOrIdentifier, commentsFirst: Math.min(Math.max(options.comments ?? 50, 0), MAX_PAGE) },
        options,
      );
    } catch (error) {
      if (error instanceof LinearError && error.code === 'linear.not-found') {
        throw new LinearError(
          'linear.not-found',
          `Linear has no issue ${idOrIdentifier} that this API key can see: check the identifier (e.g. DATA-123), or list issues to find it`,
          { cause: error },
        );
      }
      throw error;
    }
    const { comments, ...issue } = data.issue;
    return {
      ...toIssue(issue),
      comments: comments.nodes.map(toComment),
      moreComments: comments.pageInfo.hasNextPage,
    };
  }

  /** Issues matching every given filter, most recently updated first. */
  async issues(query: LinearIssueQuery, options: LinearCallOptions = {}): Promise<LinearIssuePage> {
    const filter: Record<string, unknown> = {};
    if (query.team !== undefined) {
      const team = await this.teamByKey(query.team, options);
      filter.team = { id: { eq: team.id } };
    }
    if (query.label !== undefined) filter.labels = { some: { name: { eqIgnoreCase: query.label } } };
    if (query.state !== undefined) {
      filter.state = {
        or: [{ name: { eqIgnoreCase: query.state } }, { type: { eq: query.state.toLowerCase() } }],
      };
    }
    if (query.assignee !== undefined) {
      filter.assignee = {
        or: [
          { name: { eqIgnoreCase: query.assignee } },
          { displayName: { eqIgnoreCase: query.assignee } },
          { email: { eqIgnoreCase: query.assignee } },
        ],
      };
    }
    if (query.query !== undefined && query.query.trim() !== '') {
      const words = query.query.trim();
      filter.or = [{ title: { containsIgnoreCase: words } }, { description: { containsIgnoreCase: words } }];
    }
    const first = Math.min(Math.max(query.first ?? 50, 1), MAX_PAGE);
    const data = await this.request(ISSUES_QUERY, { filter, first }, options);
    return { issues: data.issues.nodes.map(toIssue), more: data.issues.pageInfo.hasNextPage };
  }

  /** The teams this key can see (at most 250), fetched once per client. */
  teams(options: LinearCallOptions = {}): Promise<LinearTeam[]> {
    if (!this.teamsCache) {
      const pending = this.request(TEAMS_QUERY, { first: MAX_PAGE }, options).then(
        (data) => data.teams.nodes,
      );
      this.teamsCache = pending;
      // A failed lookup is not kept: the next call asks again.
      pending.catch(() => {
        if (this.teamsCache === pending) this.teamsCache = undefined;
      });
    }
    return this.teamsCache;
  }

  /** A team by key (any case); an unknown key is a `linear.unknown-team` error listing the known keys. */
  async teamByKey(key: string, options: LinearCallOptions = {}): Promise<LinearTeam> {
    const teams = await this.teams(options);
    const wanted = key.trim().toUpperCase();
    const team = teams.find((candidate) => candidate.key.toUpperCase() === wanted);
    if (team) return team;
    const known = teams.map((candidate) => `${candidate.key} (${candidate.name})`);
    throw new LinearError(
      'linear.unknown-team',
      known.length === 0
        ? `Linear has no team with key ${key}: this API key sees no teams at all; check its team access in Linear`
        : `Linear has no team with key ${key} that this API key can see; known teams: ${listSome(known)}`,
    );
  }

  /** Labels usable on a team's issues (the team's and the workspace's), or every label without `teamId`. */
  async issueLabels(options: LinearCallOptions & { teamId?: string } = {}): Promise<LinearLabel[]> {
    const filter =
      options.teamId === undefined
        ? undefined
        : { or: [{ team: { null: true } }, { team: { id: { eq: options.teamId } } }] };
    const data = await this.request(ISSUE_LABELS_QUERY, { filter, first: MAX_PAGE }, options);
    return data.issueLabels.nodes;
  }

  /**
   * The ids of labels named `names` (any case) usable on the team's issues. An unknown name is a
   * `linear.unknown-label` error listing the team's labels.
   */
  async labelIdsByName(team: LinearTeam, names: readonly string[], options: LinearCallOptions = {}) {
    if (names.length === 0) return [];
    const labels = await this.issueLabels({ ...options, teamId: team.id });
    const ids: string[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const wanted = name.trim().toLowerCase();
      // A team's own label wins over a workspace label of the same name, as in Linear's UI.
      const matches = labels.filter((label) => label.name.toLowerCase() === wanted);
      const label = matches.find((candidate) => candidate.team !== null) ?? matches[0];
      if (label) ids.push(label.id);
      else missing.push(name);
    }
    if (missing.length > 0) {
      const known = [...new Set(labels.map((label) => label.name))].sort((a, b) => a.localeCompare(b));
      throw new LinearError(
        'linear.unknown-label',
        `team ${team.key} has no label ${missing.map((name) => `"${name}"`).join(', ')}; ${
          known.length === 0 ? 'it has no labels at all' : `its labels: ${listSome(known)}`
        } (create the label in Linear first, or use one of these)`,
      );
    }
    return [...new Set(ids)];
  }

  /** Adds a comment (markdown) to an issue, by the issue's id. */
  async commentCreate(
    input: { issueId: string; body: string },
    options: LinearCallOptions = {},
  ): Promise<LinearComment> {
    const data = await this.request(
      COMMENT_CREATE_MUTATION,
      { input: { issueId: input.issueId, body: input.body } },
      options,
    );
    const comment = data.commentCreate.comment;
    if (!data.commentCreate.success || !comment) {
      throw new LinearError('linear.request-failed', 'Linear did not create the comment (success: false)');
    }
    return toComment(comment);
  }

  /** Creates an issue in a team (by the team's id; see {@link teamByKey}). */
  async issueCreate(input: LinearIssueCreate, options: LinearCallOptions = {}): Promise<LinearIssue> {
    const data = await this.request(
      ISSUE_CREATE_MUTATION,
      { input: withoutUndefined({ ...input }) },
      options,
    );
    const issue = data.issueCreate.issue;
    if (!data.issueCreate.success || !issue) {
      throw new LinearError('linear.request-failed', 'Linear did not create the issue (success: false)');
    }
    return toIssue(issue);
  }

  /** Changes an issue's estimate or labels (`labelIds` replaces them, `addedLabelIds` adds). */
  async issueUpdate(
    id: string,
    input: LinearIssueUpdate,
    options: LinearCallOptions = {},
  ): Promise<LinearIssue> {
    const data = await this.request(
      ISSUE_UPDATE_MUTATION,
      { id, input: withoutUndefined({ ...input }) },
      options,
    );
    const issue = data.issueUpdate.issue;
    if (!data.issueUpdate.success || !issue) {
      throw new LinearError('linear.request-failed', `Linear did not update issue ${id} (success: false)`);
    }
    return toIssue(issue);
  }

  /** Sends one operation, retrying what may be retried, and returns its checked `data`. */
  async request<Data>(
    operation: LinearOperation<Data>,
    variables: Record<string, unknown>,
    options: LinearCallOptions = {},
  ): Promise<Data> {
    const signal = options.signal ?? new AbortController().signal;
    const maxAttempts = Math.max(this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1);
    const maxWaitMs = this.options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(operation, variables, signal);
      if (!('error' in outcome)) return outcome.data;
      const retryable =
        outcome.retry === 'always' || (outcome.retry === 'queries' && operation.kind === 'query');
      if (!retryable || attempt >= maxAttempts) {
        if (retryable) throw gaveUp(outcome.error, attempt);
        throw outcome.error;
      }
      const waitMs = outcome.waitMs ?? backoffMs(attempt);
      if (waitMs > maxWaitMs) {
        throw new LinearError(
          outcome.error.code,
          `${outcome.error.message} (Linear asks to wait ${Math.ceil(waitMs / 1000)} s, longer than this call may)`,
          { cause: outcome.error },
        );
      }
      await sleep(waitMs, undefined, { signal });
    }
  }

  private async attempt<Data>(
    operation: LinearOperation<Data>,
    variables: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<{ data: Data } | Failure> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let response: Response;
    let text: string | undefined;
    try {
      const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      response = await fetch(this.apiUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: this.authorization,
          'user-agent': 'agentry',
        },
        body: JSON.stringify({ query: operation.document, variables, operationName: operation.name }),
        signal: requestSignal,
        redirect: 'error',
      });
      text = await readCapped(response, this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    } catch (error) {
      if (signal.aborted) throw error;
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`
          : networkReason(error);
      return {
        error: new LinearError(
          'linear.unreachable',
          `cannot reach Linear at ${this.apiUrl} (${reason}): check integrations.linear.api_url and the worker's network`,
          { cause: error },
        ),
        // A request that timed out may have run: only reads are sent again.
        retry: 'queries',
      };
    }
    if (text === undefined) {
      return {
        error: new LinearError(
          'linear.bad-response',
          `Linear's answer to ${operation.name} is larger than ${formatBytes(this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES)}: ask for fewer items`,
        ),
        retry: 'never',
      };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const failure = this.failureOf(response, body, operation);
    if (failure) return failure;
    const parsed = operation.data.safeParse((body as { data?: unknown }).data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        error: new LinearError(
          'linear.bad-response',
          `Linear's answer to ${operation.name} is not what Agentry expects (${issue?.path.join('.') || 'data'}: ${issue?.message}): is integrations.linear.api_url Linear's GraphQL endpoint?`,
        ),
        retry: 'never',
      };
    }
    return { data: parsed.data };
  }

  /** The failure an answer stands for, or undefined when it carries data. */
  private failureOf(
    response: Response,
    body: unknown,
    operation: LinearOperation<unknown>,
  ): Failure | undefined {
    const status = response.status;
    const errors = isRecord(body) && Array.isArray(body.errors) ? body.errors : [];
    const first: Record<string, unknown> = isRecord(errors[0]) ? errors[0] : {};
    const extensions = isRecord(first.extensions) ? first.extensions : {};
    const code = typeof extensions.code === 'string' ? extensions.code : undefined;
    const type = typeof extensions.type === 'string' ? extensions.type : undefined;
    const said = this.serverMessage(first, extensions);
    const saying = said ? ` (${said})` : '';
    const variable = this.options.tokenEnv;
    const theKey = variable ? `the API key in ${variable}` : 'the Linear API key';

    if (status === 429 || code === 'RATELIMITED' || type === 'ratelimited') {
      return {
        error: new LinearError(
          'linear.rate-limited',
          `Linear is rate-limiting ${theKey}${saying}: wait a few minutes; Linear allows about 5,000 requests an hour per key`,
        ),
        retry: 'always',
        waitMs: retryAfterMs(response.headers),
      };
    }
    if (code === 'AUTHENTICATION_ERROR' || type === 'authentication error' || (status === 401 && !code)) {
      return {
        error: new LinearError(
          'linear.auth-failed',
          `Linear refused ${theKey}${saying}: ${
            variable ? `set ${variable}` : 'set the variable named by integrations.linear.token_env'
          } on the worker to a valid personal API key (Linear → Settings → Security & access) or OAuth token`,
        ),
        retry: 'never',
      };
    }
    if (code === 'FORBIDDEN' || type === 'forbidden' || (status === 403 && !code)) {
      return {
        error: new LinearError(
          'linear.forbidden',
          `Linear does not let ${theKey} do ${operation.name}${saying}: give the key the scope it needs (read, create issues, create comments) and access to the team`,
        ),
        retry: 'never',
      };
    }
    if (status >= 500 || type === 'internal error' || type === 'lock timeout' || type === 'network error') {
      return {
        error: new LinearError(
          'linear.unreachable',
          `Linear failed to answer ${operation.name} (HTTP ${status}${said ? `, ${said}` : ''}): Linear may be down; try again later`,
        ),
        retry: 'queries',
        waitMs: retryAfterMs(response.headers),
      };
    }
    if (status !== 200 && status !== 400) {
      return {
        error: new LinearError(
          'linear.bad-response',
          `${this.apiUrl} answered ${operation.name} with HTTP ${status}${saying}: is integrations.linear.api_url Linear's GraphQL endpoint (${LINEAR_API_URL})?`,
        ),
        retry: 'never',
      };
    }
    if (errors.length > 0) {
      if (
        code === 'INPUT_ERROR' ||
        type === 'invalid input' ||
        type === 'user error' ||
        extensions.userError === true
      ) {
        const notFound = /not found|could not find/i.test(`${String(first.message)} ${said}`);
        return {
          error: new LinearError(
            notFound ? 'linear.not-found' : 'linear.invalid-input',
            notFound
              ? `Linear could not find what ${operation.name} refers to${saying}`
              : `Linear refused the input of ${operation.name}${saying}`,
          ),
          retry: 'never',
        };
      }
      if (code?.startsWith('GRAPHQL_') || type === 'graphql error') {
        return {
          error: new LinearError(
            'linear.bad-request',
            `Linear does not accept Agentry's ${operation.name} operation${saying}: Linear's API may have changed; report this to Agentry`,
          ),
          retry: 'never',
        };
      }
      return {
        error: new LinearError('linear.request-failed', `Linear could not do ${operation.name}${saying}`),
        retry: 'never',
      };
    }
    if (status !== 200 || !isRecord(body) || !isRecord(body.data)) {
      return {
        error: new LinearError(
          'linear.bad-response',
          `${this.apiUrl} answered ${operation.name} with HTTP ${status} but no GraphQL data: is integrations.linear.api_url Linear's GraphQL endpoint (${LINEAR_API_URL})?`,
        ),
        retry: 'never',
      };
    }
    return undefined;
  }

  /** What Linear said, short, with the token cut out should a server ever echo it. */
  private serverMessage(error: Record<string, unknown>, extensions: Record<string, unknown>): string {
    const raw =
      typeof extensions.userPresentableMessage === 'string'
        ? extensions.userPresentableMessage
        : typeof error.message === 'string'
          ? error.message
          : '';
    let text = raw.replace(/\s+/g, ' ').trim();
    for (const secret of [
      this.options.token,
      this.authorization,
      this.options.token.replace(/^Bearer\s+/i, ''),
    ]) {
      if (secret.length >= 4) text = text.split(secret).join('[redacted]');
    }
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  }
}

/**
 * The `Authorization` header for a token: an OAuth token is a bearer token (`lin_oauth_…`, or
 * given with `Bearer `), a personal API key goes bare, as Linear requires.
 */
export function authorizationHeader(token: string): string {
  const trimmed = token.trim();
  if (/^bearer\s/i.test(trimmed)) return `Bearer ${trimmed.replace(/^bearer\s+/i, '')}`;
  if (trimmed.startsWith('lin_oauth_')) return `Bearer ${trimmed}`;
  return trimmed;
}

function toIssue(issue: IssueData): LinearIssue {
  return {
    id: issue.id,
    identifier: issue.identifier,
    title: issue.title,
    description: issue.description,
    priority: issue.priority,
    priorityLabel: issue.priorityLabel,
    estimate: issue.estimate,
    url: issue.url,
    createdAt: issue.createdAt,
    updatedAt: issue.updatedAt,
    state: issue.state,
    team: issue.team,
    labels: issue.labels.nodes,
    assignee: issue.assignee,
  };
}

function toComment(comment: CommentData): LinearComment {
  return {
    id: comment.id,
    body: comment.body,
    url: comment.url,
    createdAt: comment.createdAt,
    author: comment.user ? comment.user.name : null,
  };
}

/** The body as text, or undefined when it is larger than `maxBytes` (the rest is not read). */
async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** How long Linear asks to wait: `Retry-After` (seconds or a date), else the rate limit's reset time. */
function retryAfterMs(headers: Headers): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(seconds, 0) * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(date - Date.now(), 0);
  }
  const reset = Number(headers.get('x-ratelimit-requests-reset') ?? Number.NaN);
  if (Number.isFinite(reset) && reset > 0) {
    // Linear sends epoch milliseconds; accept seconds too.
    const resetMs = reset > 1e12 ? reset : reset * 1000;
    return Math.max(resetMs - Date.now(), 0);
  }
  return undefined;
}

function backoffMs(attempt: number): number {
  return 500 * 2 ** (attempt - 1);
}

function gaveUp(error: LinearError, attempts: number): LinearError {
  return new LinearError(error.code, `${error.message} (gave up after ${attempts} attempts)`, {
    cause: error,
  });
}

function networkReason(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

function listSome(names: string[]): string {
  if (names.length <= NAMES_LISTED) return names.join(', ');
  return `${names.slice(0, NAMES_LISTED).join(', ')} and ${names.length - NAMES_LISTED} more`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}
