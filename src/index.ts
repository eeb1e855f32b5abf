/**
 * Agentry as a library: load a project, open its store, run agents. The CLI is built on exactly this.
 */
export { Engine, type EngineOptions, recoverLostRuns, type TriggerOptions } from './engine/index.js';
export { AgentryError, isAgentryError } from './errors.js';
export { resolveModel } from './models/index.js';
export {
  BwrapSandboxDriver,
  createSandboxDriver,
  LocalSandboxDriver,
  type SandboxDriver,
} from './sandbox/index.js';
export { Redactor } from './secrets/index.js';
export * from './spec/index.js';
export {
  openStore,
  type RunEvent,
  type RunRecord,
  type RunStatus,
  type RunStore,
  SqliteRunStore,
  verifyChain,
  verifyRunAudit,
  verifyStoreAudit,
} from './store/index.js';
export {
  builtinToolRegistry,
  defineTool,
  RunResources,
  readFileTool,
  type ToolContext,
  type ToolDefinition,
  ToolRegistry,
} from './tools/index.js';
