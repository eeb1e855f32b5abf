/**
 * Linear: a client of its GraphQL API (issues, comments, teams, labels) for the Linear tools.
 * The fake that speaks the same API for tests is `startFakeLinear` in `agentry/testing`.
 */
export {
  authorizationHeader,
  LINEAR_API_URL,
  type LinearCallOptions,
  LinearClient,
  type LinearClientOptions,
  type LinearComment,
  type LinearIssue,
  type LinearIssueCreate,
  type LinearIssuePage,
  type LinearIssueQuery,
  type LinearIssueUpdate,
  type LinearIssueWithComments,
  type LinearLabel,
  type LinearTeam,
} from './client.js';
export { LinearError, type LinearErrorCode } from './errors.js';
export type { LinearOperation } from './operations.js';
export { type LinearSettings, linearClientFromSettings } from './settings.js';
