import { AgentryError } from '../errors.js';
import {
  createGitHubClient,
  type GitHubClient,
  GitHubError,
  type GitHubRepository,
  type GitHubSettings,
  gitHubErrorFrom,
  gitHubSettings,
  type PushRemote,
  repositoryFromRemoteUrl,
  resolvePushRemote,
} from '../integrations/github/index.js';
import { ToolError } from './errors.js';
import type { ToolContext } from './tool.js';

/** What the GitHub tools need to call the API for one repository. */
export interface GitHubAccess {
  settings: GitHubSettings;
  repository: GitHubRepository;
  client: GitHubClient;
  /** The env var the token came from, named in messages. */
  tokenEnv: string;
  /**
   * Runs one API call; whatever it throws becomes a ToolError that says what to do.
   * `action` completes "GitHub refused to …"; `notFound` says what a 404 means here.
   */
  call<T>(action: string, request: (client: GitHubClient) => Promise<T>, notFound?: string): Promise<T>;
}

/** Why there is no token to call GitHub with, or undefined when there is one. */
export function missingToken(settings: GitHubSettings): string | undefined {
  if (!settings.tokenEnv) return 'integrations.github.token_env is not set in .agentry/config.yml';
  if (!settings.token)
    return `${settings.tokenEnv} (integrations.github.token_env) is not set in the worker's environment`;
  return undefined;
}

/** The settings, repository and an Octokit client for a tool call; a ToolError when something lacks. */
export async function gitHubAccess(context: ToolContext): Promise<GitHubAccess> {
  const settings = gitHubSettings(context.config, context.env);
  const missing = missingToken(settings);
  if (missing) {
    throw new ToolError(
      'github.not-configured',
      `GitHub cannot be called: ${missing}. A person must set a token with contents:write and pull-requests:write there`,
    );
  }
  const repository = await resolveRepository(context, settings);
  const tokenEnv = settings.tokenEnv!;
  const client = createGitHubClient({
    apiUrl: settings.apiUrl,
    token: settings.token!,
    signal: context.signal,
  });
  return {
    settings,
    repository,
    client,
    tokenEnv,
    async call(action, request, notFound) {
      try {
        return await request(client);
      } catch (error) {
        if (context.signal.aborted) throw error;
        throw toolError(
          gitHubErrorFrom(error, { action, repository: repository.fullName, tokenEnv, notFound }),
        );
      }
    },
  };
}

/**
 * The repository pull requests go to: `integrations.github.repository`, else the one the push
 * remote's URL names (read from the project's git config).
 */
export async function resolveRepository(
  context: ToolContext,
  settings: GitHubSettings,
  remote?: PushRemote,
): Promise<GitHubRepository> {
  if (settings.repository) return settings.repository;
  const pushRemote = remote ?? (await pushRemoteOf(context, settings));
  const repository = repositoryFromRemoteUrl(pushRemote.url);
  if (!repository) {
    throw new ToolError(
      'github.not-configured',
      `cannot tell the GitHub repository from the remote ${pushRemote.shown}: set integrations.github.repository: owner/name in .agentry/config.yml`,
    );
  }
  return repository;
}

/** The push remote of `integrations.github.remote`, from the project's git config. */
export async function pushRemoteOf(context: ToolContext, settings: GitHubSettings): Promise<PushRemote> {
  try {
    return await resolvePushRemote(context.projectRoot, settings.remote, { signal: context.signal });
  } catch (error) {
    throw toolError(error);
  }
}

/** Our errors keep their code and message as a ToolError; anything else passes through. */
export function toolError(error: unknown): unknown {
  if (error instanceof ToolError || !(error instanceof AgentryError)) return error;
  return new ToolError(error.code, error.message, { cause: error });
}

/** True for a GitHub 422 whose message says a pull request for the branch exists already. */
export function isPullRequestExists(error: unknown): boolean {
  const cause = error instanceof ToolError ? error.cause : error;
  return cause instanceof GitHubError && cause.status === 422 && /already exists/i.test(cause.message);
}

const BRANCH_CHARACTERS = /^[A-Za-z0-9._/-]+$/;

/**
 * Why `name` cannot be a branch here, or undefined. git's `check-ref-format` rules, narrowed to
 * letters, digits, `.`, `_`, `-` and `/`: model text never reaches a git command line otherwise.
 */
export function branchProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 200) return 'a branch name has 1 to 200 characters';
  if (!BRANCH_CHARACTERS.test(name)) return 'use only letters, digits, ".", "_", "-" and "/"';
  if (name.startsWith('-')) return 'a branch name may not start with "-"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return 'a branch name may not start or end with "/" or contain "//"';
  if (name.includes('..')) return 'a branch name may not contain ".."';
  if (name.endsWith('.')) return 'a branch name may not end with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.') || part.startsWith('-'))
      return 'no part of a branch name may start with "." or "-"';
    if (part.endsWith('.lock')) return 'no part of a branch name may end with ".lock"';
  }
  if (name === 'HEAD' || name === '@') return `${name} is not a branch name`;
  return undefined;
}
