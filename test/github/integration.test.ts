import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createGitHubClient,
  describeRemote,
  GitHubError,
  gitAuthEnvironment,
  gitHubErrorFrom,
  parseRepository,
  repositoryFromRemoteUrl,
  resolvePushRemote,
} from '../../src/integrations/github/index.js';
import { type FakeGitHub, startFakeGitHub } from '../../src/testing/index.js';
import { branchProblem } from '../../src/tools/github-access.js';
import { createProject, type TempProject } from '../helpers/project.js';

let project: TempProject | undefined;
let github: FakeGitHub | undefined;
let server: Server | undefined;

afterEach(async () => {
  project?.cleanup();
  await github?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
  }
  project = undefined;
  github = undefined;
  server = undefined;
});

describe('repository names', () => {
  it.each([
    ['https://github.com/acme/analytics.git', 'acme/analytics'],
    ['https://github.com/acme/analytics', 'acme/analytics'],
    ['https://x-access-token:abc@github.com/acme/analytics.git', 'acme/analytics'],
    ['https://ghe.example.com/data-eng/dbt.models.git', 'data-eng/dbt.models'],
    ['git@github.com:acme/analytics.git', 'acme/analytics'],
    ['ssh://git@ghe.example.com:2222/acme/analytics.git', 'acme/analytics'],
    ['http://127.0.0.1:4000/acme/analytics.git/', 'acme/analytics'],
  ])('%s is %s', (url, fullName) => {
    expect(repositoryFromRemoteUrl(url)?.fullName).toBe(fullName);
  });

  it.each([
    '/srv/git/analytics.git',
    '../remote.git',
    'file:///srv/acme/analytics.git',
    'https://github.com/acme',
    'C:/x/y',
  ])('%s names no repository', (url) => {
    expect(repositoryFromRemoteUrl(url)).toBeUndefined();
  });

  it('parses owner/name and refuses anything else', () => {
    expect(parseRepository('acme/analytics')).toEqual({
      owner: 'acme',
      name: 'analytics',
      fullName: 'acme/analytics',
    });
    for (const bad of ['acme', 'acme/analytics/x', 'acme/..', 'ac me/x', '/x'])
      expect(parseRepository(bad), bad).toBeUndefined();
  });
});

describe('push remotes', () => {
  it('reads the push URL from the project config, preferring pushurl, and says when the remote is missing', async () => {
    project = createProject({ 'a.txt': 'a\n' });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: project!.root, stdio: 'pipe' });
    git('remote', 'add', 'origin', 'https://github.com/acme/analytics.git');
    expect(await resolvePushRemote(project.root, 'origin')).toMatchObject({
      url: 'https://github.com/acme/analytics.git',
      transport: 'https',
      origin: 'https://github.com/',
      name: 'origin',
    });
    git('config', 'remote.origin.pushurl', 'git@github.com:acme/analytics-push.git');
    expect(await resolvePushRemote(project.root, 'origin')).toMatchObject({
      transport: 'ssh',
      name: 'origin',
    });

    const missing = await resolvePushRemote(project.root, 'upstream').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(GitHubError);
    expect((missing as GitHubError).message).toContain("no git remote named 'upstream'");

    expect(await resolvePushRemote(project.root, '../remote.git')).toMatchObject({
      transport: 'file',
      url: `${project.root.replace(/\/repo$/, '')}/remote.git`,
    });
  });

  it('refuses remote helpers and unknown transports', () => {
    for (const url of ['ext::sh -c touch% /tmp/pwned', 'fd::3', 'ftp://example.com/x.git', '-uhack']) {
      expect(() => describeRemote(url, '/tmp'), url).toThrow(GitHubError);
    }
  });

  it('scopes the token header to the remote host, never over plain http to another machine', () => {
    const https = describeRemote('https://ghe.example.com/acme/analytics.git', '/tmp');
    expect(gitAuthEnvironment(https, 'T0KEN')).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.https://ghe.example.com/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('x-access-token:T0KEN').toString('base64')}`,
      GIT_CONFIG_KEY_1: 'credential.helper',
      GIT_CONFIG_VALUE_1: '',
    });
    expect(gitAuthEnvironment(describeRemote('git@github.com:acme/a.git', '/tmp'), 'T0KEN')).toEqual({});
    expect(() =>
      gitAuthEnvironment(describeRemote('http://ghe.example.com/acme/a.git', '/tmp'), 'T0KEN'),
    ).toThrow(/plain http/);
    expect(
      gitAuthEnvironment(describeRemote('http://127.0.0.1:9/acme/a.git', '/tmp'), 'T0KEN'),
    ).toHaveProperty('GIT_CONFIG_KEY_0', 'http.http://127.0.0.1:9/.extraHeader');
  });

  it('accepts branch names by the rules of git check-ref-format, narrowed', () => {
    for (const good of ['agentry/fix-orders', 'agentry/tester-01jabc12', 'release/2024.10', 'a_b']) {
      expect(branchProblem(good), good).toBeUndefined();
    }
    for (const bad of [
      '',
      '-x',
      'a/-x',
      'a..b',
      'a//b',
      '/a',
      'a/',
      'a.',
      '.a',
      'a/.b',
      'a.lock',
      'a b',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[',
      'a\\b',
      'a@{1}',
      'HEAD',
      'x'.repeat(201),
    ]) {
      expect(branchProblem(bad), bad).toBeDefined();
    }
  });
});

describe('the GitHub client', () => {
  it('works against a GitHub Enterprise style base URL (/api/v3)', async () => {
    github = await startFakeGitHub({
      repos: { 'acme/analytics': { bare: '/nonexistent.git', defaultBranch: 'trunk' } },
      token: 't',
      apiPath: '/api/v3',
    });
    expect(github.url).toMatch(/\/api\/v3$/);
    const client = createGitHubClient({ apiUrl: `${github.url}/`, token: 't' });
    const repo = await client.rest.repos.get({ owner: 'acme', repo: 'analytics' });
    expect(repo.data.default_branch).toBe('trunk');
    expect(github.requests[0]).toMatchObject({
      path: '/api/v3/repos/acme/analytics',
      authorization: 'token t',
    });
  });

  it('retries reads after a 5xx, never a write; retries any call after a short Retry-After', async () => {
    github = await startFakeGitHub({ repos: { 'acme/analytics': { bare: '/nonexistent.git' } }, token: 't' });
    const client = createGitHubClient({ apiUrl: github.url, token: 't', retryDelayMs: 10 });
    github.failNext({ status: 503, times: 2 });
    await expect(client.rest.repos.get({ owner: 'acme', repo: 'analytics' })).resolves.toBeDefined();
    expect(github.requests.map((request) => request.status)).toEqual([503, 503, 200]);

    github.failNext({ status: 502, method: 'POST' });
    const write = await client.rest.issues
      .createComment({ owner: 'acme', repo: 'analytics', issue_number: 1, body: 'x' })
      .catch((error: unknown) => error);
    expect((write as { status?: number }).status).toBe(502);
    expect(github.requests.filter((request) => request.method === 'POST')).toHaveLength(1);

    github.failNext({
      status: 429,
      method: 'POST',
      headers: { 'retry-after': '0' },
      message: 'Too many requests',
    });
    const retried = await client.rest.issues
      .createComment({ owner: 'acme', repo: 'analytics', issue_number: 1, body: 'x' })
      .catch((error: unknown) => error);
    // The retry reached the route: there is no pull request #1, so GitHub says 404.
    expect((retried as { status?: number }).status).toBe(404);
    expect(
      github.requests.filter((request) => request.method === 'POST').map((request) => request.status),
    ).toEqual([502, 429, 404]);
  });

  it('gives up on a request after its timeout, as a retryable GitHubError', async () => {
    server = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createGitHubClient({
      apiUrl: url,
      token: 't',
      timeoutMs: 200,
      retries: 1,
      retryDelayMs: 10,
    });
    const error = await client.rest.repos.get({ owner: 'a', repo: 'b' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({ code: 'github.timeout', retryable: true });
  });

  it('turns 403s into what to do: scopes, or a secondary rate limit', async () => {
    github = await startFakeGitHub({ repos: { 'acme/analytics': { bare: '/nonexistent.git' } }, token: 't' });
    const client = createGitHubClient({ apiUrl: github.url, token: 't', retries: 0 });
    const context = { action: 'read acme/analytics', repository: 'acme/analytics', tokenEnv: 'GH_TOKEN' };

    github.failNext({ status: 403, message: 'Resource not accessible by integration' });
    const forbidden = gitHubErrorFrom(
      await client.rest.repos.get({ owner: 'acme', repo: 'analytics' }).catch((e) => e),
      context,
    );
    expect(forbidden.code).toBe('github.forbidden');
    expect(forbidden.message).toBe(
      'GitHub refused to read acme/analytics (Resource not accessible by integration): the token in GH_TOKEN needs contents:write and pull-requests:write on acme/analytics',
    );

    github.failNext({
      status: 403,
      message: 'You have exceeded a secondary rate limit.',
      headers: { 'retry-after': '60' },
    });
    const secondary = gitHubErrorFrom(
      await client.rest.repos.get({ owner: 'acme', repo: 'analytics' }).catch((e) => e),
      context,
    );
    expect(secondary).toMatchObject({ code: 'github.rate-limited', retryable: true });

    const missing = gitHubErrorFrom(
      await client.rest.repos.get({ owner: 'acme', repo: 'nope' }).catch((e) => e),
      {
        ...context,
        repository: 'acme/nope',
      },
    );
    expect(missing.code).toBe('github.not-found');
    expect(missing.message).toContain('check integrations.github.repository');
  });
});
