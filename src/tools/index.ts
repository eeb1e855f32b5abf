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
export { invokeAgentTool } from './invoke-agent.js';
export type { ChildRunResult, SquadInvoker } from './squad.js';
export { gitBlameTool, gitCommitTool, gitDiffTool, gitLogTool, gitTools } from './git.js';
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
  ProtectedPaths,
  protectedPathsFor,
  resolveWritable,
  type WritablePath,
} from './protected-paths.js';
export { builtinToolRegistry, ToolRegistry } from './registry.js';
export { RunResources } from './run-resources.js';
export {
  describeTableTool,
  getQueryHistoryTool,
  listTablesTool,
  profileTableTool,
  runSqlQueryTool,
  sqlTools,
} from './sql.js';
export { chooseWarehouse, type WarehouseAccess, warehouseAccess } from './sql-access.js';
export { describeResult, runTerminalCommandTool } from './terminal.js';
export {
  type AnyToolDefinition,
  defineTool,
  type ToolContext,
  type ToolDefinition,
  type ToolResult,
} from './tool.js';
