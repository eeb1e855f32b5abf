/**
 * GitHub: the REST client (Octokit with a configurable base URL, timeouts and bounded retries),
 * the repository a project's pull requests go to, and git pushes that keep the token out of
 * every command line and config file.
 */

export {
  createGitHubClient,
  DEFAULT_GITHUB_API_URL,
  type GitHubClient,
  type GitHubClientOptions,
} from './client.js';
export { GitHubError, type GitHubErrorCode } from './errors.js';
export {
  describeRemote,
  gitAuthEnvironment,
  hideCredentials,
  type PushRemote,
  type RemoteTransport,
  resolvePushRemote,
} from './git-remote.js';
export { projectCommit, projectObjectsDirectory } from './project-git.js';
export { type GitHubRepository, parseRepository, repositoryFromRemoteUrl } from './repository.js';
export { type GitHubCallContext, gitHubErrorFrom } from './request-error.js';
export { type ChangedFile, type RemoteAuth, ScratchRepository } from './scratch-repository.js';
export { type GitHubSettings, gitHubSettings } from './settings.js';
