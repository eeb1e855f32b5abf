import type { LoadedAgent } from '../spec/index.js';
import type { RunRecord } from '../store/types.js';
import { ToolError } from '../tools/errors.js';
import type { ChildRunResult, SquadInvoker } from '../tools/squad.js';
import type { Budget } from './budget.js';
import type { RunRecorder } from './recorder.js';

/** How deep and wide squads may grow: `squads` of config.yml and the agent's limits. */
export interface SquadLimits {
  /** Child runs below a top-level run, counting it as depth 0. */
  maxDepth: number;
  /** Child runs of one parent running at once; more wait for a slot. */
  maxParallel: number;
  /** Child runs one turn of the parent may start in all. */
  maxChildRuns: number;
}

/** What a squad needs of its parent's turn. */
export interface SquadParent {
  run: RunRecord;
  agent: LoadedAgent;
  recorder: RunRecorder;
  budget: Budget;
  /** The parent turn's abort signal: aborting it cancels every child. */
  signal: AbortSignal;
  /** The parent's depth; a top-level run is 0. */
  depth: number;
  /** The commit the parent works on: children see the same code. */
  baseCommit: string;
  /** Told when children start and end (the Slack thread's progress line). */
  onChild?: {
    started(child: { runId: string; agent: string }): Promise<void>;
    ended(child: ChildRunResult): Promise<void>;
  };
}

/** Runs a child run to its end: the engine's part, so this file holds no run state machine. */
export type ChildRunner = (
  agent: string,
  message: string,
  options: {
    parent: SquadParent;
    depth: number;
    signal: AbortSignal;
    onCreated(run: RunRecord): Promise<void>;
  },
) => Promise<RunRecord>;

/**
 * The engine's side of `invoke_agent` for one parent turn: enforces depth, fan-out and
 * parallelism, links each child to the parent in both audit trails, and cancels children with
 * their parent.
 */
export class Squad implements SquadInvoker {
  private started = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly parent: SquadParent,
    private readonly limits: SquadLimits,
    private readonly runChild: ChildRunner,
  ) {}

  async invoke(agent: string, message: string, options: { callId: string }): Promise<ChildRunResult> {
    const depth = this.parent.depth + 1;
    const file = `.agentry/agents/${this.parent.agent.name}.yml`;
    if (depth > this.limits.maxDepth) {
      throw new ToolError(
        'squad.too-deep',
        `${agent} would run ${depth} levels below the run that started this squad, over squads.max_depth ${this.limits.maxDepth} in .agentry/config.yml: do the work yourself or report without it`,
      );
    }
    if (this.started >= this.limits.maxChildRuns) {
      throw new ToolError(
        'squad.too-many',
        `this turn has started ${this.started} child runs, the most limits.max_child_runs in ${file} allows: compose your answer from what you have`,
      );
    }
    this.started += 1;
    await this.slot();
    try {
      return await this.run(agent, message, depth, options.callId);
    } finally {
      this.release();
    }
  }

  private async run(agent: string, message: string, depth: number, callId: string): Promise<ChildRunResult> {
    const { recorder } = this.parent;
    const started = performance.now();
    const controller = new AbortController();
    const cancel = () => controller.abort(parentAbortReason(this.parent));
    if (this.parent.signal.aborted) cancel();
    this.parent.signal.addEventListener('abort', cancel, { once: true });
    let childId: string | undefined;
    try {
      const child = await this.runChild(agent, message, {
        parent: this.parent,
        depth,
        signal: controller.signal,
        onCreated: async (run) => {
          childId = run.id;
          await recorder.event('child-run.started', { childRunId: run.id, agent, callId, depth });
          await this.parent.onChild?.started({ runId: run.id, agent });
        },
      });
      const result: ChildRunResult = {
        runId: child.id,
        agent,
        status: child.status,
        failureReason: child.failureReason,
        error: child.error,
        output: child.output,
        usage: child.usage,
        durationMs: Math.round(performance.now() - started),
      };
      await recorder.event('child-run.ended', {
        childRunId: child.id,
        agent,
        callId,
        status: child.status,
        failureReason: child.failureReason,
        error: child.error,
        usage: child.usage,
        durationMs: result.durationMs,
        output: child.output,
      });
      await this.parent.onChild?.ended(result);
      return result;
    } catch (error) {
      // The child could not be created or started (unknown agent, a model without a key).
      if (childId === undefined) {
        throw new ToolError(
          'child-run.not-started',
          `${agent} could not start: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      this.parent.signal.removeEventListener('abort', cancel);
    }
  }

  private async slot(): Promise<void> {
    if (this.running < this.limits.maxParallel) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

/** Why a child is cancelled when its parent stops; recorded on the child. */
function parentAbortReason(parent: SquadParent): string {
  const cause = parent.signal.reason as { kind?: string } | undefined;
  const what = cause?.kind === 'timeout' ? 'timed out' : 'was cancelled';
  return `parent run ${parent.run.id} (${parent.agent.name}) ${what}`;
}
