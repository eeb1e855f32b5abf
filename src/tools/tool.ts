import type { z } from 'zod';
import type { SandboxSession } from '../sandbox/driver.js';
import type { AgentSpec } from '../spec/agent-spec.js';
import type { AgentryConfig } from '../spec/config.js';
import type { RunStore } from '../store/run-store.js';
import type { RunResources } from './run-resources.js';
import type { SquadInvoker } from './squad.js';

/**
 * What a tool may touch while it runs: the run's sandbox session, and — for broker tools that
 * reach a warehouse or a SaaS API from the worker — the config and the worker's environment.
 * Nothing here ever enters the sandbox.
 */
export interface ToolContext {
  runId: string;
  agent: string;
  /** The agent's spec, for per-agent grants (e.g. SQL writes). */
  spec: AgentSpec;
  config: AgentryConfig;
  /** The user's repository (not the workspace): where config-relative paths resolve. */
  projectRoot: string;
  /** The worker's environment: credentials for brokers. Never passed into the sandbox. */
  env: NodeJS.ProcessEnv;
  /** Connections and caches shared by this run's tool calls, closed when the run ends. */
  resources: RunResources;
  /** Read, write and exec inside the run's workspace. Creating and destroying it is the engine's. */
  session: SandboxSession;
  /** Aborted when the run is cancelled or times out. */
  signal: AbortSignal;
  /** The model's id for this call, when the engine runs it (it links child runs to the call). */
  callId?: string;
  /** Starts child runs of the agent's squad (`invoke_agent`); absent where no engine runs them. */
  squad?: SquadInvoker;
  /** The run's store, for tools that read the run's own trail (the Slack thread); absent outside an engine. */
  store?: RunStore;
}

/** What a tool may tailor to the agent it is offered to (e.g. `invoke_agent` lists the squad). */
export interface OfferContext {
  spec: AgentSpec;
  /** Another agent of the project, by name; undefined when there is none. */
  agent(name: string): AgentSpec | undefined;
}

/** What a tool hands back to the model. */
export interface ToolResult {
  /** Text or JSON the model reads. Already capped by the tool. */
  output: string | Record<string, unknown> | unknown[];
  /** True when the tool cut its output; `output` then says what was cut. */
  truncated?: boolean;
  /** A short line for the audit trail and the CLI's live view, e.g. `42 lines of models/orders.sql`. */
  summary?: string;
}

/** A tool the model may call. One file per tool family under `src/tools/`. */
export interface ToolDefinition<Input = unknown> {
  /** snake_case, as written in an agent's `tools.list`. */
  name: string;
  /** What the model reads to pick the tool: when to use it, what it returns, its limits. */
  description: string;
  inputSchema: z.ZodType<Input, unknown>;
  /**
   * True when calls may run at the same time as other calls of the same step: the tool only reads,
   * or works in its own sandbox (`invoke_agent`). Calls of tools without it run one at a time, in order.
   */
  concurrent?: boolean;
  /** The description offered to one agent, when it depends on the agent (its squad, its channel). */
  describeFor?(context: OfferContext): string;
  /**
   * Refuse a call before it runs, for reasons the allowlist cannot see (an agent outside the squad).
   * Returns why, and the call is recorded as `tool-call.denied`; undefined lets it run.
   */
  deny?(input: Input, context: ToolContext): string | undefined;
  /**
   * Do the work. Throw a `ToolError` (or any error) for failures the model should see as an
   * error result; the run goes on.
   */
  execute(input: Input, context: ToolContext): Promise<ToolResult>;
}

/** Erases the input type so tools of different inputs share one registry. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every input type
export type AnyToolDefinition = ToolDefinition<any>;

/** Type-checks a tool's execute against its schema. */
export function defineTool<Input>(tool: ToolDefinition<Input>): ToolDefinition<Input> {
  return tool;
}
