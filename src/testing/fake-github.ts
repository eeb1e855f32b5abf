import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BareRepository, type BareRepositoryFile, serveGitHttp } from './fake-github-git.js';

/** A repository the fake serves: `owner/name` → its bare git repository. */
export interface FakeGitHubRepository {
  /** Path of a bare git repository (`git init --bare`): the remote branches are pushed to. */
  bare: string;
  /** `main` when absent. */
  defaultBranch?: string;
  private?: boolean;
}

/** How to start {@link startFakeGitHub}. */
export interface FakeGitHubOptions {
  /** The repositories, by `owner/name`. */
  repos: Record<string, FakeGitHubRepository>;
  /** When set, the API and git over HTTP accept only this token; anything else gets a 401. */
  token?: string;
  /** The login the token belongs to: the author of what is created (default `agentry-bot`). */
  login?: string;
  /** The largest `per_page` honoured (GitHub's is 100); set it low to make clients page. */
  maxPerPage?: number;
  /** Serve the API under this path, e.g. `/api/v3` as GitHub Enterprise Server does (default: the root). */
  apiPath?: string;
}

/** One request the fake received. */
export interface FakeGitHubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  accept: string | undefined;
  authorization: string | undefined;
  /** The parsed JSON body of an API call; undefined for git traffic and bodiless calls. */
  body: unknown;
  /** The status answered. */
  status?: number;
}

/** A pull request the fake holds. */
export interface FakeGitHubPullRequest {
  repository: string;
  number: number;
  title: string;
  body: string | null;
  /** The head branch (same repository). */
  head: string;
  base: string;
  /** The head commit when last read or created. */
  headSha: string;
  draft: boolean;
  state: 'open' | 'closed';
  merged: boolean;
  user: string;
  createdAt: string;
  updatedAt: string;
  /** Set once merged: when, the merge commit, and the base it was merged onto (its diff stays that). */
  mergedAt?: string;
  mergeCommitSha?: string;
  baseShaBeforeMerge?: string;
}

/** An issue or pull request comment. */
export interface FakeGitHubComment {
  repository: string;
  number: number;
  id: number;
  body: string;
  user: string;
}

/** A submitted review. */
export interface FakeGitHubReview {
  repository: string;
  number: number;
  id: number;
  body: string;
  event: 'COMMENT' | 'REQUEST_CHANGES' | 'APPROVE';
  state: 'COMMENTED' | 'CHANGES_REQUESTED' | 'APPROVED';
  commitId: string;
  comments: { path: string; line: number; side: string; body: string }[];
  user: string;
}

/** A failure to answer the next matching API request(s) with. */
export interface FakeGitHubFailure {
  status?: number;
  /** GitHub's `message`; a fitting one by default. */
  message?: string;
  /** GitHub's `errors` array for a 422. */
  errors?: unknown[];
  headers?: Record<string, string>;
  /** Answer as GitHub's primary rate limit: 403 with `x-ratelimit-remaining: 0`. */
  rateLimit?: boolean;
  /** Only requests of this method (`POST`), and/or whose API path (without `apiPath`) matches. */
  method?: string;
  path?: string | RegExp;
  /** How many matching requests fail (default 1). */
  times?: number;
}

/** A running fake GitHub. */
export interface FakeGitHub {
  /** The REST API's base URL (with `apiPath`): the value of `integrations.github.api_url`. */
  readonly url: string;
  /** The server's root URL: web pages (`html_url`) and git live here. */
  readonly webUrl: string;
  /** The smart-HTTP git URL of a repository (`<url>/<owner>/<name>.git`), for a push remote. */
  gitUrl(repository: string): string;
  readonly requests: FakeGitHubRequest[];
  readonly pulls: FakeGitHubPullRequest[];
  readonly comments: FakeGitHubComment[];
  readonly reviews: FakeGitHubReview[];
  /** Answer the next matching API request with this failure. */
  failNext(failure: FakeGitHubFailure): void;
  /** Opens a pull request as a person would (the head branch must be in the bare repository). */
  seedPullRequest(pull: {
    repository: string;
    head: string;
    base?: string;
    title: string;
    body?: string;
    draft?: boolean;
    user?: string;
  }): Promise<FakeGitHubPullRequest>;
  /**
   * Merges an open pull request as a person would with GitHub's merge button: a merge commit of
   * its head onto its base in the bare repository; the pull request is then closed and merged,
   * and still shows the files and diff it had.
   */
  mergePullRequest(
    repository: string,
    number: number,
    options?: { mergedBy?: string },
  ): Promise<FakeGitHubPullRequest>;
  /** Stops the server and cuts open connections. */
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';

/** An answer of the API: status, JSON (or text) body, extra headers. */
interface Answer {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Thrown inside a handler to answer with GitHub's error shape. */
class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentation: string = DOCS,
    readonly errors?: unknown[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/**
 * Starts a local server that speaks the part of GitHub's REST API the GitHub tools use, the way
 * Octokit calls it, over real bare git repositories: repositories, pull requests (create with
 * GitHub's validation, list by head, get as JSON or as a diff, update, files with `Link` paging),
 * issue comments and reviews with line comments. It also serves git's smart HTTP protocol at
 * {@link FakeGitHub.gitUrl}, so pushes with a token reach it. Errors have GitHub's shape
 * (`{message, documentation_url, errors?, status}`); `failNext` injects 401s, rate limits and 5xx.
 *
 * @example
 * const github = await startFakeGitHub({ repos: { 'acme/analytics': { bare: '/tmp/remote.git' } }, token: 't0ken' });
 * // config.yml: integrations: { github: { api_url: <github.url>, token_env: GITHUB_TOKEN, repository: acme/analytics } }
 * expect(github.pulls[0]).toMatchObject({ head: 'agentry/fix', base: 'main' });
 * await github.close();
 */
export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const fake = new FakeGitHubServer(options);
  await fake.listen();
  return fake;
}

class FakeGitHubServer implements FakeGitHub {
  readonly requests: FakeGitHubRequest[] = [];
  readonly pulls: FakeGitHubPullRequest[] = [];
  readonly comments: FakeGitHubComment[] = [];
  readonly reviews: FakeGitHubReview[] = [];
  url = '';
  webUrl = '';
  private readonly failures: (FakeGitHubFailure & { left: number })[] = [];
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) this.send(response, { status: 500, json: { message: String(error) } });
      else response.destroy();
    });
  });
  private nextId = 1000;
  private callCount = 0;
  private readonly login: string;
  private readonly apiPath: string;

  constructor(private readonly options: FakeGitHubOptions) {
    this.login = options.login ?? 'agentry-bot';
    this.apiPath = (options.apiPath ?? '').replace(/\/+$/, '');
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.webUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.url = `${this.webUrl}${this.apiPath}`;
  }

  gitUrl(repository: string): string {
    return `${this.webUrl}/${repository}.git`;
  }

  failNext(failure: FakeGitHubFailure): void {
    this.failures.push({ ...failure, left: failure.times ?? 1 });
  }

  async seedPullRequest(pull: {
    repository: string;
    head: string;
    base?: string;
    title: string;
    body?: string;
    draft?: boolean;
    user?: string;
  }): Promise<FakeGitHubPullRequest> {
    const repo = this.repository(pull.repository);
    try {
      return await this.createPull(pull.repository, repo, {
        title: pull.title,
        head: pull.head,
        base: pull.base ?? repo.defaultBranch ?? 'main',
        body: pull.body ?? null,
        draft: pull.draft ?? false,
        user: pull.user ?? 'a-person',
      });
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      throw new Error(`cannot seed the pull request: ${error.message} ${JSON.stringify(error.errors ?? [])}`);
    }
  }

  async mergePullRequest(
    repository: string,
    number: number,
    options: { mergedBy?: string } = {},
  ): Promise<FakeGitHubPullRequest> {
    const repo = this.repository(repository);
    const pull = this.pulls.find((each) => each.repository === repository && each.number === number);
    if (!pull) throw new Error(`no pull request #${number} in ${repository}`);
    if (pull.state !== 'open') throw new Error(`pull request #${number} is ${pull.state}, not open`);
    const bare = new BareRepository(repo.bare);
    const baseSha = await bare.branchCommit(pull.base);
    const headSha = await bare.branchCommit(pull.head);
    if (!baseSha || !headSha) throw new Error(`pull request #${number}: its base or head branch is gone`);
    const who = options.mergedBy ?? pull.user;
    const mergeSha = await bare.mergeCommit(baseSha, headSha, {
      message: `Merge pull request #${number} from ${repository.split('/')[0]}/${pull.head}\n\n${pull.title}`,
      name: who,
      email: `${who}@users.noreply.invalid`,
    });
    await bare.setBranch(pull.base, mergeSha, baseSha);
    const now = new Date().toISOString();
    Object.assign(pull, {
      state: 'closed',
      merged: true,
      mergedAt: now,
      updatedAt: now,
      mergeCommitSha: mergeSha,
      baseShaBeforeMerge: baseSha,
      headSha,
    });
    return pull;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.closeAllConnections();
      this.server.close((error) => (error ? reject(error) : resolve()));
    });
  }

  // -------------------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.webUrl);
    const recorded: FakeGitHubRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      accept: header(request, 'accept'),
      authorization: header(request, 'authorization'),
      body: undefined,
    };
    this.requests.push(recorded);
    response.on('finish', () => {
      recorded.status = response.statusCode;
    });

    const git = /^\/([^/]+\/[^/]+)\.git(\/.*)$/.exec(url.pathname);
    if (git) {
      const repo = this.options.repos[git[1]!];
      if (!repo) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Repository not found.\n');
        return;
      }
      if (!this.gitAuthorized(recorded.authorization)) {
        response
          .writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' })
          .end('Invalid username or token. Password authentication is not supported for Git operations.\n');
        return;
      }
      serveGitHttp(request, response, repo.bare, git[2]!, url.search.slice(1));
      return;
    }

    const raw = await readBody(request);
    let answer: Answer;
    try {
      if (raw.length > 0) {
        try {
          recorded.body = JSON.parse(raw);
        } catch {
          throw new ApiFailure(400, 'Problems parsing JSON');
        }
      }
      this.authenticate(recorded.authorization);
      this.injectedFailure(recorded.method, url.pathname.slice(this.apiPath.length));
      answer = await this.route(recorded, url);
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      answer = {
        status: error.status,
        json: {
          message: error.message,
          ...(error.errors ? { errors: error.errors } : {}),
          documentation_url: error.documentation,
          status: String(error.status),
        },
        headers: error.headers,
      };
    }
    this.send(response, answer);
  }

  private send(response: ServerResponse, answer: Answer): void {
    this.callCount += 1;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, 5000 - this.callCount)),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': String(this.callCount),
      'x-ratelimit-resource': 'core',
      'x-github-media-type': 'github.v3; format=json',
      ...answer.headers,
    };
    if (answer.text !== undefined) {
      response.writeHead(answer.status, {
        ...headers,
        'content-type': answer.contentType ?? 'text/plain; charset=utf-8',
      });
      response.end(answer.text);
      return;
    }
    response.writeHead(answer.status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    response.end(answer.json === undefined ? '' : JSON.stringify(answer.json));
  }

  private authenticate(authorization: string | undefined): void {
    if (this.options.token === undefined) return;
    if (!authorization) throw new ApiFailure(401, 'Requires authentication');
    const match = /^(?:token|bearer)\s+(.+)$/i.exec(authorization);
    if (!match || match[1] !== this.options.token) throw new ApiFailure(401, 'Bad credentials');
  }

  private gitAuthorized(authorization: string | undefined): boolean {
    if (this.options.token === undefined) return true;
    const basic = /^basic\s+(.+)$/i.exec(authorization ?? '');
    if (!basic) return false;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) === this.options.token;
  }

  private injectedFailure(method: string, path: string): void {
    const index = this.failures.findIndex(
      (failure) =>
        (failure.method === undefined || failure.method.toUpperCase() === method) &&
        (failure.path === undefined ||
          (typeof failure.path === 'string' ? path === failure.path : failure.path.test(path))),
    );
    if (index === -1) return;
    const failure = this.failures[index]!;
    failure.left -= 1;
    if (failure.left <= 0) this.failures.splice(index, 1);
    if (failure.rateLimit) {
      throw new ApiFailure(
        failure.status ?? 403,
        failure.message ?? 'API rate limit exceeded for user ID 1.',
        `${DOCS}/overview/rate-limits-for-the-rest-api`,
        undefined,
        {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1800),
          ...failure.headers,
        },
      );
    }
    const status = failure.status ?? 500;
    const message =
      failure.message ??
      (
        { 401: 'Bad credentials', 403: 'Forbidden', 404: 'Not Found', 422: 'Validation Failed' } as Record<
          number,
          string
        >
      )[status] ??
      'Server Error';
    throw new ApiFailure(status, message, DOCS, failure.errors, failure.headers);
  }

  private async route(request: FakeGitHubRequest, url: URL): Promise<Answer> {
    if (!url.pathname.startsWith(`${this.apiPath}/`)) throw new ApiFailure(404, 'Not Found');
    const path = url.pathname.slice(this.apiPath.length);
    const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!match) throw new ApiFailure(404, 'Not Found');
    const fullName = `${match[1]}/${match[2]}`;
    const repo = this.options.repos[fullName];
    if (!repo) throw new ApiFailure(404, 'Not Found', `${DOCS}/repos/repos#get-a-repository`);
    const rest = match[3] ?? '';
    const method = request.method;
    const body = (request.body ?? {}) as Record<string, unknown>;

    if (rest === '' && method === 'GET') return { status: 200, json: this.repositoryJson(fullName, repo) };
    if (rest === '/pulls' && method === 'POST') {
      if (typeof body.title !== 'string' || body.title === '') {
        throw new ApiFailure(422, 'Validation Failed', `${DOCS}/pulls/pulls#create-a-pull-request`, [
          { resource: 'PullRequest', code: 'missing_field', field: 'title' },
        ]);
      }
      const pull = await this.createPull(fullName, repo, {
        title: body.title,
        head: String(body.head ?? ''),
        base: String(body.base ?? ''),
        body: typeof body.body === 'string' ? body.body : null,
        draft: body.draft === true,
        user: this.login,
      });
      return { status: 201, json: await this.pullJson(pull, repo, true) };
    }
    if (rest === '/pulls' && method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const base = url.searchParams.get('base');
      const found = this.pulls.filter(
        (pull) =>
          pull.repository === fullName &&
          (state === 'all' || pull.state === state) &&
          (head === null || `${fullName.split('/')[0]}:${pull.head}` === head) &&
          (base === null || pull.base === base),
      );
      const page = this.page(url, found);
      return {
        status: 200,
        json: await Promise.all(page.items.map((pull) => this.pullJson(pull, repo, false))),
        headers: page.headers,
      };
    }

    const pullMatch = /^\/(pulls|issues)\/(\d+)(\/[a-z]+)?$/.exec(rest);
    if (!pullMatch) throw new ApiFailure(404, 'Not Found');
    const [, kind, numberText, tail = ''] = pullMatch;
    const number = Number(numberText);
    const pull = this.pulls.find((each) => each.repository === fullName && each.number === number);
    if (!pull) throw new ApiFailure(404, 'Not Found', `${DOCS}/pulls/pulls#get-a-pull-request`);
    const bare = new BareRepository(repo.bare);

    if (kind === 'pulls' && tail === '' && method === 'GET') {
      if (/diff/.test(request.accept ?? '')) {
        const range = await this.range(pull, bare);
        return {
          status: 200,
          text: await bare.diff(range.from, range.to),
          contentType: 'application/vnd.github.diff; charset=utf-8',
        };
      }
      return { status: 200, json: await this.pullJson(pull, repo, true) };
    }
    if (kind === 'pulls' && tail === '' && method === 'PATCH') {
      if (typeof body.title === 'string') pull.title = body.title;
      if (typeof body.body === 'string') pull.body = body.body;
      if (body.state === 'closed' || body.state === 'open') pull.state = body.state;
      pull.updatedAt = new Date().toISOString();
      return { status: 200, json: await this.pullJson(pull, repo, true) };
    }
    if (kind === 'pulls' && tail === '/files' && method === 'GET') {
      const range = await this.range(pull, bare);
      const files = await bare.files(range.from, range.to);
      const page = this.page(url, files);
      return {
        status: 200,
        json: page.items.map(({ commentableLines: _lines, ...file }) => ({
          sha: null,
          ...file,
          blob_url: `${this.webUrl}/${fullName}/blob/${range.to}/${file.filename}`,
        })),
        headers: page.headers,
      };
    }
    if (kind === 'pulls' && tail === '/reviews' && method === 'POST') {
      return { status: 200, json: await this.createReview(fullName, pull, bare, body) };
    }
    if (kind === 'issues' && tail === '/comments' && method === 'POST') {
      if (typeof body.body !== 'string' || body.body === '') {
        throw new ApiFailure(422, 'Validation Failed', `${DOCS}/issues/comments#create-an-issue-comment`, [
          { resource: 'IssueComment', code: 'missing_field', field: 'body' },
        ]);
      }
      const comment: FakeGitHubComment = {
        repository: fullName,
        number,
        id: this.nextId++,
        body: body.body,
        user: this.login,
      };
      this.comments.push(comment);
      const now = new Date().toISOString();
      return {
        status: 201,
        json: {
          id: comment.id,
          node_id: `IC_${comment.id}`,
          url: `${this.url}/repos/${fullName}/issues/comments/${comment.id}`,
          html_url: `${this.webUrl}/${fullName}/pull/${number}#issuecomment-${comment.id}`,
          issue_url: `${this.url}/repos/${fullName}/issues/${number}`,
          body: comment.body,
          user: this.user(this.login),
          created_at: now,
          updated_at: now,
          author_association: 'CONTRIBUTOR',
        },
      };
    }
    throw new ApiFailure(404, 'Not Found');
  }

  private async createPull(
    fullName: string,
    repo: FakeGitHubRepository,
    input: { title: string; head: string; base: string; body: string | null; draft: boolean; user: string },
  ): Promise<FakeGitHubPullRequest> {
    const docs = `${DOCS}/pulls/pulls#create-a-pull-request`;
    const owner = fullName.split('/')[0]!;
    // GitHub takes `owner:branch` for the head as well as a bare branch name.
    const head = input.head.startsWith(`${owner}:`) ? input.head.slice(owner.length + 1) : input.head;
    const bare = new BareRepository(repo.bare);
    const baseSha = input.base ? await bare.branchCommit(input.base) : undefined;
    if (!baseSha) {
      throw new ApiFailure(422, 'Validation Failed', docs, [
        { resource: 'PullRequest', field: 'base', code: 'invalid' },
      ]);
    }
    const headSha = head ? await bare.branchCommit(head) : undefined;
    if (!headSha) {
      throw new ApiFailure(422, 'Validation Failed', docs, [
        { resource: 'PullRequest', field: 'head', code: 'invalid' },
      ]);
    }
    if (head === input.base || (await bare.countCommits(baseSha, headSha)) === 0) {
      throw new ApiFailure(422, 'Validation Failed', docs, [
        { resource: 'PullRequest', code: 'custom', message: `No commits between ${input.base} and ${head}` },
      ]);
    }
    if (
      this.pulls.some((pull) => pull.repository === fullName && pull.head === head && pull.state === 'open')
    ) {
      throw new ApiFailure(422, 'Validation Failed', docs, [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${owner}:${head}.`,
        },
      ]);
    }
    const now = new Date().toISOString();
    const pull: FakeGitHubPullRequest = {
      repository: fullName,
      number: this.pulls.filter((each) => each.repository === fullName).length + 1,
      title: input.title,
      body: input.body,
      head,
      base: input.base,
      headSha,
      draft: input.draft,
      state: 'open',
      merged: false,
      user: input.user,
      createdAt: now,
      updatedAt: now,
    };
    this.pulls.push(pull);
    return pull;
  }

  private async createReview(
    fullName: string,
    pull: FakeGitHubPullRequest,
    bare: BareRepository,
    body: Record<string, unknown>,
  ): Promise<unknown> {
    const docs = `${DOCS}/pulls/reviews#create-a-review-for-a-pull-request`;
    const event = body.event === undefined ? 'PENDING' : String(body.event);
    if (!['COMMENT', 'REQUEST_CHANGES', 'APPROVE', 'PENDING'].includes(event)) {
      throw new ApiFailure(422, 'Unprocessable Entity', docs, [
        `event is not a valid review event: ${event}`,
      ]);
    }
    const text = typeof body.body === 'string' ? body.body : '';
    if (
      (event === 'REQUEST_CHANGES' || event === 'COMMENT') &&
      text === '' &&
      !Array.isArray(body.comments)
    ) {
      throw new ApiFailure(422, 'Unprocessable Entity', docs, [`Body is required for ${event}`]);
    }
    const range = await this.range(pull, bare);
    const files = new Map<string, BareRepositoryFile>(
      (await bare.files(range.from, range.to)).map((file) => [file.filename, file]),
    );
    const comments: FakeGitHubReview['comments'] = [];
    for (const entry of Array.isArray(body.comments) ? body.comments : []) {
      const comment = (entry ?? {}) as Record<string, unknown>;
      const path = String(comment.path ?? '');
      const line = Number(comment.line);
      const file = files.get(path);
      if (!file)
        throw new ApiFailure(422, 'Unprocessable Entity', docs, [
          'Pull request review thread path is invalid',
        ]);
      if ((comment.side ?? 'RIGHT') !== 'RIGHT' || !file.commentableLines.has(line)) {
        throw new ApiFailure(422, 'Unprocessable Entity', docs, [
          'Pull request review thread line must be part of the diff',
        ]);
      }
      comments.push({ path, line, side: 'RIGHT', body: String(comment.body ?? '') });
    }
    const state = (
      {
        COMMENT: 'COMMENTED',
        REQUEST_CHANGES: 'CHANGES_REQUESTED',
        APPROVE: 'APPROVED',
        PENDING: 'PENDING',
      } as const
    )[event as 'COMMENT'];
    const review: FakeGitHubReview = {
      repository: fullName,
      number: pull.number,
      id: this.nextId++,
      body: text,
      event: event as FakeGitHubReview['event'],
      state: state as FakeGitHubReview['state'],
      commitId: range.to,
      comments,
      user: this.login,
    };
    this.reviews.push(review);
    return {
      id: review.id,
      node_id: `PRR_${review.id}`,
      user: this.user(this.login),
      body: review.body,
      state: review.state,
      html_url: `${this.webUrl}/${fullName}/pull/${pull.number}#pullrequestreview-${review.id}`,
      pull_request_url: `${this.url}/repos/${fullName}/pulls/${pull.number}`,
      commit_id: review.commitId,
      submitted_at: new Date().toISOString(),
      author_association: 'CONTRIBUTOR',
    };
  }

  /** The commits a pull request shows: from the merge base of base and head to head. */
  private async range(
    pull: FakeGitHubPullRequest,
    bare: BareRepository,
  ): Promise<{ from: string; to: string }> {
    // A merged pull request keeps showing what it changed against the base it was merged onto.
    if (pull.baseShaBeforeMerge) {
      const from = (await bare.mergeBase(pull.baseShaBeforeMerge, pull.headSha)) ?? pull.baseShaBeforeMerge;
      return { from, to: pull.headSha };
    }
    pull.headSha = (await bare.branchCommit(pull.head)) ?? pull.headSha;
    const baseSha = (await bare.branchCommit(pull.base)) ?? pull.headSha;
    const from = (await bare.mergeBase(baseSha, pull.headSha)) ?? baseSha;
    return { from, to: pull.headSha };
  }

  private async pullJson(pull: FakeGitHubPullRequest, repo: FakeGitHubRepository, detailed: boolean) {
    const bare = new BareRepository(repo.bare);
    const range = await this.range(pull, bare);
    const base = `${this.url}/repos/${pull.repository}`;
    const owner = pull.repository.split('/')[0]!;
    const repositoryJson = this.repositoryJson(pull.repository, repo);
    const json: Record<string, unknown> = {
      url: `${base}/pulls/${pull.number}`,
      id: 500_000 + pull.number,
      node_id: `PR_${pull.number}`,
      html_url: `${this.webUrl}/${pull.repository}/pull/${pull.number}`,
      diff_url: `${this.webUrl}/${pull.repository}/pull/${pull.number}.diff`,
      patch_url: `${this.webUrl}/${pull.repository}/pull/${pull.number}.patch`,
      issue_url: `${base}/issues/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.user(pull.user),
      body: pull.body,
      labels: [],
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.mergedAt ?? null,
      merged_at: pull.mergedAt ?? null,
      merge_commit_sha: pull.mergeCommitSha ?? null,
      draft: pull.draft,
      head: {
        label: `${owner}:${pull.head}`,
        ref: pull.head,
        sha: pull.headSha,
        user: this.user(owner),
        repo: repositoryJson,
      },
      base: {
        label: `${owner}:${pull.base}`,
        ref: pull.base,
        sha: (await bare.branchCommit(pull.base)) ?? range.from,
        user: this.user(owner),
        repo: repositoryJson,
      },
      author_association: 'CONTRIBUTOR',
    };
    if (!detailed) return json;
    const files = await bare.files(range.from, range.to);
    return {
      ...json,
      merged: pull.merged,
      mergeable: null,
      comments: this.comments.filter(
        (each) => each.repository === pull.repository && each.number === pull.number,
      ).length,
      review_comments: this.reviews
        .filter((each) => each.repository === pull.repository && each.number === pull.number)
        .reduce((sum, review) => sum + review.comments.length, 0),
      commits: await bare.countCommits(range.from, range.to),
      additions: files.reduce((sum, file) => sum + file.additions, 0),
      deletions: files.reduce((sum, file) => sum + file.deletions, 0),
      changed_files: files.length,
    };
  }

  private repositoryJson(fullName: string, repo: FakeGitHubRepository) {
    const [owner, name] = fullName.split('/') as [string, string];
    return {
      id: 100_000 + Object.keys(this.options.repos).indexOf(fullName),
      node_id: `R_${fullName}`,
      name,
      full_name: fullName,
      private: repo.private ?? false,
      owner: this.user(owner),
      html_url: `${this.webUrl}/${fullName}`,
      url: `${this.url}/repos/${fullName}`,
      clone_url: this.gitUrl(fullName),
      default_branch: repo.defaultBranch ?? 'main',
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    };
  }

  private user(login: string) {
    return {
      login,
      id: login.length * 1000,
      node_id: `U_${login}`,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
    };
  }

  /** One page of `items` as `page`/`per_page` ask, with GitHub's `Link` header. */
  private page<T>(url: URL, items: T[]): { items: T[]; headers: Record<string, string> } {
    const perPage = Math.min(
      Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1),
      this.options.maxPerPage ?? 100,
    );
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const link = (number: number, rel: string) => {
      const target = new URL(url);
      target.searchParams.set('per_page', String(perPage));
      target.searchParams.set('page', String(number));
      return `<${target}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return {
      items: items.slice((page - 1) * perPage, page * perPage),
      headers: links.length > 0 ? { link: links.join(', ') } : {},
    };
  }

  private repository(fullName: string): FakeGitHubRepository {
    const repo = this.options.repos[fullName];
    if (!repo) throw new Error(`the fake GitHub has no repository ${fullName}`);
    return repo;
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
