import type { FailureReason, RunOutput, RunStatus, Usage } from '../store/types.js';

/** How a child run ended, as `invoke_agent` hands it back to its parent. */
export interface ChildRunResult {
  runId: string;
  agent: string;
  status: RunStatus;
  failureReason: FailureReason | null;
  error: string | null;
  /** The child's final answer; `object` is its validated `output.schema` value when it has one. */
  output: RunOutput | null;
  usage: Usage;
  durationMs: number;
}

/**
 * Starts child runs for `invoke_agent`: the engine's side of a squad. The child gets its own run,
 * sandbox and audit trail, is linked to the parent, and lives within the parent's limits.
 */
export interface SquadInvoker {
  /**
   * Run `agent` (a member of the caller's `agents_squad`) on `message` to its end. Throws a
   * `ToolError` when a squad limit refuses it (depth, number of child runs); a child that fails is
   * a result, not a throw.
   */
  invoke(agent: string, message: string, options: { callId: string }): Promise<ChildRunResult>;
}
