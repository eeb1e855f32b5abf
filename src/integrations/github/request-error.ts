import { headersOf, statusOf } from './client.js';
import { GitHubError } from './errors.js';

/** What a failed call was doing, for the message. */
export interface GitHubCallContext {
  /** What the call did, as a verb phrase: `open a pull request on acme/analytics`. */
  action: string;
  /** `owner/name`. */
  repository: string;
  /** The env var holding the token (`integrations.github.token_env`). */
  tokenEnv: string;
  /** What a 404 means here; by default, that the repository is not there or not visible. */
  notFound?: string;
}

const MAX_GITHUB_TEXT = 500;

/**
 * Turns whatever an Octokit call threw into a {@link GitHubError} that says what to do: a bad
 * token names its env var, a 404 the repository to check, a 422 carries GitHub's own messages.
 */
export function gitHubErrorFrom(error: unknown, context: GitHubCallContext): GitHubError {
  if (error instanceof GitHubError) return error;
  const status = statusOf(error);
  const headers = headersOf(error);
  const body = bodyOf(error);
  const said = clip(body.message ?? '');
  const options = { status, cause: error };
  const scopes = `the token in ${context.tokenEnv} needs contents:write and pull-requests:write on ${context.repository}`;

  if (status === 401) {
    return new GitHubError(
      'github.bad-credentials',
      `GitHub rejected the token in ${context.tokenEnv} (${said || 'Bad credentials'}): put a valid token in the worker's ${context.tokenEnv} (the variable integrations.github.token_env names); ${scopes}`,
      options,
    );
  }
  if ((status === 403 || status === 429) && headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    const until =
      Number.isFinite(reset) && reset > 0
        ? ` until ${new Date(reset * 1000).toISOString().slice(11, 16)} UTC`
        : '';
    return new GitHubError(
      'github.rate-limited',
      `GitHub's API rate limit for the token in ${context.tokenEnv} is used up${until}: try again after that`,
      { ...options, kind: 'system', retryable: true },
    );
  }
  if (status === 429 || (status === 403 && /rate limit/i.test(said))) {
    return new GitHubError(
      'github.rate-limited',
      `GitHub is throttling requests (${said || 'secondary rate limit'}): wait a minute before the next call`,
      { ...options, kind: 'system', retryable: true },
    );
  }
  if (status === 403) {
    return new GitHubError(
      'github.forbidden',
      `GitHub refused to ${context.action} (${said || 'Forbidden'}): ${scopes}`,
      options,
    );
  }
  if (status === 404) {
    return new GitHubError(
      'github.not-found',
      context.notFound ??
        `GitHub has no repository ${context.repository} that the token in ${context.tokenEnv} can see: check integrations.github.repository (or the push remote's URL) and that the token has access to it`,
      options,
    );
  }
  if (status === 422) {
    const details = body.errors.length > 0 ? body.errors.join('; ') : said;
    return new GitHubError(
      'github.validation-failed',
      `GitHub refused to ${context.action}: ${clip(details || 'Validation Failed')}`,
      options,
    );
  }
  if (status !== undefined && status >= 500) {
    const reached = (error as { response?: unknown }).response !== undefined;
    const why = reached ? `HTTP ${status}${said ? `: ${said}` : ''}` : clip(causeText(error));
    return new GitHubError(
      'github.unavailable',
      `GitHub could not ${context.action} (${why}): try again later`,
      { ...options, kind: 'system', retryable: true },
    );
  }
  if (status !== undefined) {
    return new GitHubError(
      'github.validation-failed',
      `GitHub refused to ${context.action} (HTTP ${status}${said ? `: ${said}` : ''})`,
      options,
    );
  }
  return new GitHubError(
    'github.unavailable',
    `GitHub could not ${context.action}: ${clip(causeText(error))}`,
    {
      ...options,
      kind: 'system',
    },
  );
}

/** GitHub's error body: `{message, errors?: (string | {resource, field, code, message?})[]}`. */
function bodyOf(error: unknown): { message?: string; errors: string[] } {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data;
  if (!data || typeof data !== 'object') return { errors: [] };
  const record = data as { message?: unknown; errors?: unknown };
  const errors = Array.isArray(record.errors)
    ? record.errors.map((entry) => {
        if (typeof entry === 'string') return clip(entry);
        const item = (entry ?? {}) as {
          message?: unknown;
          field?: unknown;
          code?: unknown;
          resource?: unknown;
        };
        if (typeof item.message === 'string') return clip(item.message);
        const code = String(item.code ?? 'invalid').replaceAll('_', ' ');
        return clip(`${String(item.field ?? item.resource ?? 'a field')} is ${code}`);
      })
    : [];
  return { message: typeof record.message === 'string' ? record.message : undefined, errors };
}

function causeText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const deeper = cause?.cause instanceof Error ? cause.cause : undefined;
  return deeper?.message ?? cause?.message ?? error.message;
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_GITHUB_TEXT ? line : `${line.slice(0, MAX_GITHUB_TEXT)}…`;
}
