export { PathEscapeError, ToolDeniedError, ToolError } from './errors.js';
export { type ToolCallOutcome, ToolExecutor } from './executor.js';
export { listDirectoryTool, readFileTool, searchFilesTool } from './files.js';
export { builtinToolRegistry, ToolRegistry } from './registry.js';
export { RunResources } from './run-resources.js';
export {
  type AnyToolDefinition,
  defineTool,
  type ToolContext,
  type ToolDefinition,
  type ToolResult,
} from './tool.js';
