/**
 * The `spec` module: agent and config YAML in, typed values and `file:line:col` issues out.
 * Everything else reads agents through here.
 */
export {
  type AgentConcurrency,
  type AgentLimits,
  type AgentSpec,
  type AgentTrigger,
  agentSpecSchema,
  concurrencySchema,
  durationSchema,
  limitsSchema,
  type ToolsPolicy,
  toolsPolicySchema,
  triggerSchema,
} from './agent-spec.js';
export {
  type AgentryConfig,
  configSchema,
  integrationsConfigSchema,
  type ModelConfig,
  modelConfigSchema,
  type SandboxConfig,
  sandboxConfigSchema,
  type ToolsConfig,
  toolsConfigSchema,
  warehouseConfigSchema,
} from './config.js';
export { didYouMean } from './did-you-mean.js';
export { durationMs } from './duration.js';
export { formatIssue, SpecError, type SpecIssue } from './errors.js';
export { agentJsonSchema, configJsonSchema, type JsonSchema } from './json-schema.js';
export {
  findProjectRoot,
  type LoadedAgent,
  type LoadProjectOptions,
  loadProject,
  type Project,
} from './load.js';
export {
  type AgentSource,
  agentNameOf,
  defaultConfig,
  type FileLoad,
  loadAgentFile,
  loadConfigFile,
} from './load-file.js';
export type { YamlDocument } from './yaml-document.js';
