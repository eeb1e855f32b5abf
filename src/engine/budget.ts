import type { Usage } from '../store/types.js';

/** Spend limits of one run: `limits.max_tokens` and `limits.max_cost_usd` of its agent. */
export interface BudgetLimits {
  maxTokens?: number;
  maxCostUsd?: number;
}

/** Which budget ran out, and a message for the run that hit it. */
export interface BudgetOverrun {
  /** The run whose limit is spent: this run, or an ancestor whose limit covers its children. */
  runId: string;
  agent: string;
  message: string;
}

/**
 * What a run and its child runs have spent against the run's limits. A child's budget has its
 * parent's as `parent`: every step a child pays for is added up the tree, so a squad spends one
 * budget however many members run at once, and any run whose ancestor's limit is spent stops.
 */
export class Budget {
  private used: Usage;

  constructor(
    readonly runId: string,
    readonly agent: string,
    private readonly limits: BudgetLimits,
    used: Usage,
    readonly parent?: Budget,
  ) {
    this.used = { ...used };
  }

  /** Spent by this run and its children so far. */
  get spent(): Usage {
    return { ...this.used };
  }

  /** Add a step's spend here and to every ancestor. */
  add(delta: Usage): void {
    this.used = {
      inputTokens: this.used.inputTokens + delta.inputTokens,
      outputTokens: this.used.outputTokens + delta.outputTokens,
      costUsd: this.used.costUsd + delta.costUsd,
    };
    this.parent?.add(delta);
  }

  /** The first budget over its limit, this run's first, then its ancestors' nearest first. */
  overrun(): BudgetOverrun | undefined {
    for (let budget: Budget | undefined = this; budget; budget = budget.parent) {
      const problem = budget.ownOverrun();
      if (!problem) continue;
      if (budget === this) return { runId: budget.runId, agent: budget.agent, message: problem };
      return {
        runId: budget.runId,
        agent: budget.agent,
        message: `the budget of parent run ${budget.runId} (${budget.agent}), which covers its child runs, is spent: ${problem}`,
      };
    }
    return undefined;
  }

  private ownOverrun(): string | undefined {
    const file = `.agentry/agents/${this.agent}.yml`;
    const tokens = this.used.inputTokens + this.used.outputTokens;
    const { maxTokens, maxCostUsd } = this.limits;
    if (maxTokens !== undefined && tokens > maxTokens) {
      return `used ${tokens} tokens, over limits.max_tokens ${maxTokens} in ${file}`;
    }
    if (maxCostUsd !== undefined && this.used.costUsd > maxCostUsd) {
      return `spent $${this.used.costUsd.toFixed(4)}, over limits.max_cost_usd $${maxCostUsd} in ${file}`;
    }
    return undefined;
  }
}

/** The sum of usages. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}
