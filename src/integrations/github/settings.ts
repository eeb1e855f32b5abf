import type { AgentryConfig } from '../../spec/config.js';
import { DEFAULT_GITHUB_API_URL } from './client.js';
import { type GitHubRepository, parseRepository } from './repository.js';

/** `integrations.github` of config.yml with its defaults, and the token read from the worker's env. */
export interface GitHubSettings {
  apiUrl: string;
  /** `token_env`: the variable the token is read from (and redacted by). */
  tokenEnv: string | undefined;
  /** The token; undefined when `token_env` is not set or the variable is empty. */
  token: string | undefined;
  /** `repository`, when configured; otherwise it comes from the push remote's URL. */
  repository: GitHubRepository | undefined;
  /** A remote name of the project's repository, or a URL. */
  remote: string;
  /** `base_branch`; undefined means the repository's default branch. */
  baseBranch: string | undefined;
  staged: boolean;
  maxFilesChanged: number;
  draft: boolean;
  branchPrefix: string;
}

/**
 * The GitHub settings of a project. Only `token_env` gives a token: a variable config.yml names
 * is one the redactor masks, so a token read from anywhere else could leak into the audit trail.
 */
export function gitHubSettings(config: AgentryConfig, env: NodeJS.ProcessEnv): GitHubSettings {
  const github = config.integrations?.github;
  const tokenEnv = github?.token_env;
  const token = tokenEnv ? env[tokenEnv]?.trim() || undefined : undefined;
  return {
    apiUrl: github?.api_url ?? DEFAULT_GITHUB_API_URL,
    tokenEnv,
    token,
    repository: github?.repository ? parseRepository(github.repository) : undefined,
    remote: github?.remote ?? 'origin',
    baseBranch: github?.base_branch,
    staged: github?.staged ?? false,
    maxFilesChanged: github?.max_files_changed ?? 50,
    draft: github?.draft ?? false,
    branchPrefix: github?.branch_prefix ?? 'agentry/',
  };
}
