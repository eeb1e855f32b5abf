import { setTimeout as sleep } from 'node:timers/promises';
import { Octokit } from '@octokit/rest';
import { GitHubError } from './errors.js';

/** GitHub.com's REST API. GitHub Enterprise Server's is `https://HOST/api/v3`. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** How to build a {@link GitHubClient}. */
export interface GitHubClientOptions {
  /** The REST API's base URL; {@link DEFAULT_GITHUB_API_URL} when absent. */
  apiUrl?: string;
  token: string;
  /** Each attempt of a request is abandoned after this long (default 30 s). */
  timeoutMs?: number;
  /** Attempts after the first, for failures worth trying again (default 2). */
  retries?: number;
  /** The wait before the first retry (default 500 ms); doubled for each next one. */
  retryDelayMs?: number;
  /** The longest `Retry-After` waited for (default 10 s); a longer one fails as rate-limited. */
  maxRetryAfterMs?: number;
  /** Aborts every request (the run was cancelled). */
  signal?: AbortSignal;
}

/** Octokit, as {@link createGitHubClient} builds it. */
export type GitHubClient = Octokit;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Octokit against `apiUrl` with the token, a timeout per attempt and bounded retries: reads are
 * tried again after a 5xx, a timeout or a dropped connection; any request after a 429 or a
 * secondary rate limit whose `Retry-After` is short. A write that may have reached GitHub is
 * never sent twice. Octokit's own logging is off: nothing it would print may carry a secret.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 2;
  const firstDelay = options.retryDelayMs ?? 500;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
  const octokit = new Octokit({
    baseUrl: (options.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
    auth: options.token,
    userAgent: 'agentry',
    log: SILENT,
  });
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const method = String(requestOptions.method ?? 'GET').toUpperCase();
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      // Inner hooks (auth) were bound to this same options object: set the signal on it, in place.
      requestOptions.request = { ...requestOptions.request, signal };
      try {
        return await request(requestOptions);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const timedOut = timeout.aborted;
        const wait = retryWait(error, { method, timedOut, attempt, firstDelay, maxRetryAfterMs });
        if (wait === undefined || attempt >= retries) {
          if (timedOut) {
            throw new GitHubError(
              'github.timeout',
              `GitHub did not answer ${method} ${String(requestOptions.url)} within ${Math.round(timeoutMs / 1000)} s: try again later`,
              { kind: 'system', retryable: true, cause: error },
            );
          }
          throw error;
        }
        await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined);
      }
    }
  });
  return octokit;
}

/** How long to wait before trying again, or undefined when the failure is final. */
function retryWait(
  error: unknown,
  context: {
    method: string;
    timedOut: boolean;
    attempt: number;
    firstDelay: number;
    maxRetryAfterMs: number;
  },
): number | undefined {
  const backoff = context.firstDelay * 2 ** context.attempt;
  const idempotent = IDEMPOTENT.has(context.method);
  if (context.timedOut) return idempotent ? backoff : undefined;
  const status = statusOf(error);
  const headers = headersOf(error);
  if (status === undefined) return undefined;
  const retryAfter = Number(headers['retry-after']);
  const throttled =
    status === 429 ||
    (status === 403 &&
      (headers['retry-after'] !== undefined || /secondary rate limit/i.test(messageOf(error))));
  if (throttled && headers['x-ratelimit-remaining'] !== '0') {
    const wait = Number.isFinite(retryAfter) ? retryAfter * 1000 : backoff;
    return wait <= context.maxRetryAfterMs ? Math.max(wait, backoff) : undefined;
  }
  // Octokit reports a connection that failed before any answer as status 500 without a response.
  if (status >= 500 && idempotent) return backoff;
  return undefined;
}

/** The HTTP status of an Octokit error. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The response headers of an Octokit error (lower-case names), or `{}`. */
export function headersOf(error: unknown): Record<string, string | undefined> {
  const headers = (error as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
  if (!headers) return {};
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value as string]),
  );
}

function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data;
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string')
    return (data as { message: string }).message;
  return error instanceof Error ? error.message : String(error);
}
