import type { ToolsPolicy } from '../spec/agent-spec.js';
import { keepArtifactTool } from './artifacts.js';
import { dbtTools } from './dbt.js';
import { editTools } from './edit.js';
import { listDirectoryTool, readFileTool, searchFilesTool } from './files.js';
import { gitTools } from './git.js';
import { githubTools } from './github.js';
import { invokeAgentTool } from './invoke-agent.js';
import { linearTools } from './linear.js';
import { logTools } from './logs.js';
import { findOwnerTool } from './owners.js';
import { postSlackMessageTool } from './slack.js';
import { sqlTools } from './sql.js';
import { runTerminalCommandTool } from './terminal.js';
import type { AnyToolDefinition } from './tool.js';

/** Every tool this build of Agentry knows, by name. */
export class ToolRegistry {
  private readonly tools = new Map<string, AnyToolDefinition>();

  constructor(tools: readonly AnyToolDefinition[]) {
    for (const tool of tools) {
      if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
      this.tools.set(tool.name, tool);
    }
  }

  get(name: string): AnyToolDefinition | undefined {
    return this.tools.get(name);
  }

  names(): string[] {
    return [...this.tools.keys()].sort();
  }

  /**
   * The tools an agent may call under its policy. No `tools` block means none: an agent gets a
   * tool only because its YAML says so.
   */
  allowedFor(policy: ToolsPolicy | undefined): string[] {
    if (!policy) return [];
    const listed = new Set(policy.list);
    if (policy.mode === 'allowlist') return this.names().filter((name) => listed.has(name));
    return this.names().filter((name) => !listed.has(name));
  }
}

/** The registry with every built-in tool. */
export function builtinToolRegistry(): ToolRegistry {
  return new ToolRegistry([
    readFileTool,
    listDirectoryTool,
    searchFilesTool,
    ...sqlTools,
    ...dbtTools,
    findOwnerTool,
    runTerminalCommandTool,
    keepArtifactTool,
    ...logTools,
    ...editTools,
    ...gitTools,
    ...githubTools,
    ...linearTools,
    invokeAgentTool,
    postSlackMessageTool,
  ]);
}
