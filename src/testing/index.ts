/**
 * Test doubles for agents built on Agentry, shipped as `agentry/testing`.
 *
 * `startScriptedModel` runs a local server that speaks OpenAI's chat completions protocol and
 * answers from a script, so the production model client runs in tests without a real model.
 * `startFakeSlack` runs one that speaks Slack's Web API, so run threads and reports can be checked
 * without a workspace. `startFakeLinear` speaks Linear's GraphQL API (issues, comments, teams,
 * labels) for agents that read and file Linear issues. `startFakeGitHub` speaks GitHub's REST API
 * (pull requests, files, diffs, comments, reviews) over real bare git repositories, and git over HTTP.
 */
export {
  type FakeGitHub,
  type FakeGitHubComment,
  type FakeGitHubFailure,
  type FakeGitHubOptions,
  type FakeGitHubPullRequest,
  type FakeGitHubRepository,
  type FakeGitHubRequest,
  type FakeGitHubReview,
  startFakeGitHub,
} from './fake-github.js';
export {
  type FakeLinear,
  type FakeLinearComment,
  type FakeLinearFailure,
  type FakeLinearIssue,
  type FakeLinearIssueSeed,
  type FakeLinearIssueView,
  type FakeLinearLabel,
  type FakeLinearLabelSeed,
  type FakeLinearOptions,
  type FakeLinearRequest,
  type FakeLinearState,
  type FakeLinearStateType,
  type FakeLinearTeam,
  type FakeLinearTeamSeed,
  type FakeLinearUser,
  type FakeLinearUserSeed,
  startFakeLinear,
} from './fake-linear.js';
export {
  FAKE_SLACK_TOKEN,
  type FakeSlack,
  type FakeSlackChannel,
  type FakeSlackFailure,
  type FakeSlackMessage,
  type FakeSlackOptions,
  type FakeSlackRequest,
  type FakeSlackUser,
  startFakeSlack,
} from './fake-slack.js';
export {
  type ErrorStep,
  InvalidScriptError,
  parseScript,
  type ScriptedToolCall,
  type ScriptStep,
  type StepUsage,
  type TextStep,
  type ToolCallStep,
} from './script.js';
export {
  type RecordedRequest,
  type ScriptedModelOptions,
  type ScriptedModelServer,
  startScriptedModel,
} from './scripted-model-server.js';
