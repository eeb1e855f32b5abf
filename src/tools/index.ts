export { keepArtifactTool } from './artifacts.js';
export {
  configuredArtifactPath,
  dbtFailedNodesTool,
  dbtGetModelTool,
  dbtLineageTool,
  dbtListModelsTool,
  dbtModelsMissingTool,
  dbtTools,
  type LocatedArtifact,
  loadDbtManifest,
  loadDbtRunResults,
  locateArtifact,
} from './dbt.js';
export { editFileTool, editTools, MAX_EDIT_FILE_BYTES, MAX_WRITE_BYTES, writeFileTool } from './edit.js';
export { PathEscapeError, ToolDeniedError, ToolError } from './errors.js';
export { type ToolCallOutcome, ToolExecutor } from './executor.js';
export { listDirectoryTool, readFileTool, searchFilesTool } from './files.js';
export {
  commitWorkspaceChanges,
  gitBlameTool,
  gitCommitTool,
  gitDiffTool,
  gitLogTool,
  gitTools,
  type WorkspaceCommit,
} from './git.js';
export {
  githubCommentTool,
  githubCreatePullRequestTool,
  githubCreateReviewTool,
  githubGetPullRequestTool,
  githubTools,
} from './github.js';
export { invokeAgentTool } from './invoke-agent.js';
export {
  linearCommentTool,
  linearCreateIssueTool,
  linearGetIssueTool,
  linearListIssuesTool,
  linearProvenance,
  linearTools,
  MAX_LINEAR_COMMENT_CHARS,
  MAX_LINEAR_COMMENTS_PER_RUN,
  MAX_LINEAR_ISSUES_PER_RUN,
} from './linear.js';
export { logTools, readLogTool, searchLogTool } from './logs.js';
export {
  CODEOWNERS_LOCATIONS,
  type Codeowners,
  type CodeownersProblem,
  type CodeownersRule,
  type FileCommit,
  type FileHistory,
  fileHistory,
  findOwnerTool,
  matchCodeowners,
  parseCodeowners,
} from './owners.js';
export {
  DEFAULT_PROTECTED_PATHS,
  PathProtectedError,
  PROTECTED_BY_DEFAULT,
  ProtectedPaths,
  protectedPathsFor,
  resolveWritable,
  type WritablePath,
} from './protected-paths.js';
export { builtinToolRegistry, ToolRegistry } from './registry.js';
export { RunResources } from './run-resources.js';
export { MAX_SLACK_MESSAGE_CHARS, MAX_SLACK_MESSAGES_PER_RUN, postSlackMessageTool } from './slack.js';
export {
  describeTableTool,
  getQueryHistoryTool,
  listTablesTool,
  profileTableTool,
  runSqlQueryTool,
  sqlTools,
} from './sql.js';
export { chooseWarehouse, type WarehouseAccess, warehouseAccess } from './sql-access.js';
export type { ChildRunResult, SquadInvoker } from './squad.js';
export { describeResult, runTerminalCommandTool } from './terminal.js';
export {
  type AnyToolDefinition,
  defineTool,
  type ToolContext,
  type ToolDefinition,
  type ToolResult,
} from './tool.js';
