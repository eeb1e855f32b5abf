import { Cron } from 'croner';
import { z } from 'zod';
import { expectedValues } from './expected.js';

/** A duration such as `90s`, `15m`, `2h`, `500ms`; a bare number is seconds. */
export const durationSchema = z
  .union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as 30s, 15m or 1h'),
  ])
  .describe('A duration such as 90s, 15m, 2h or 500ms; a bare number is seconds.')
  .register(expectedValues, { expected: 'a duration such as 30s, 15m or 1h (or a number of seconds)' });

const triggerKinds = ['cron', 'github', 'linear', 'webhook'] as const;

/** The trigger kinds a trigger entry sets; a valid entry sets exactly one. */
function kindsIn(trigger: unknown): string[] {
  if (trigger === null || typeof trigger !== 'object') return [];
  return triggerKinds.filter((kind) => (trigger as Record<string, unknown>)[kind] !== undefined);
}

/** Whether croner can schedule `pattern` as five fields (or a nickname such as `@daily`), as `agentry serve` does. */
function isCronPattern(pattern: string): boolean {
  try {
    new Cron(pattern, { mode: '5-part', paused: true });
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** One way a system may start this agent. Exactly one of cron, github, linear, webhook. */
export const triggerSchema = z
  .strictObject({
    /** A five-field cron expression, e.g. `0 6 * * 1`. */
    cron: z
      .string()
      .refine(
        isCronPattern,
        'must be a five-field cron expression such as "0 6 * * 1" (minute hour day month weekday)',
      )
      .optional()
      .describe('A five-field cron expression, e.g. "0 6 * * 1".'),
    /** IANA time zone for `cron`, e.g. `Europe/Zurich`; UTC when absent. */
    timezone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Zurich or UTC')
      .optional()
      .describe('IANA time zone for cron, e.g. Europe/Zurich; UTC when absent.'),
    /** GitHub webhook events (`pull_request.closed`, `push`) and branch filters. */
    github: z
      .strictObject({
        events: z
          .array(z.string())
          .min(1)
          .describe('GitHub webhook events with their action, e.g. pull_request.closed, push.'),
        branches: z
          .array(z.string())
          .optional()
          .describe('Only these branches (base branch for pull requests).'),
      })
      .optional()
      .describe('Start on GitHub webhook events.'),
    /** Linear webhook filters. */
    linear: z
      .strictObject({
        labels: z.array(z.string()).optional().describe('Only issues carrying one of these labels.'),
        teams: z.array(z.string()).optional().describe('Only issues of these teams (team keys).'),
      })
      .optional()
      .describe('Start on Linear webhook events.'),
    /** A generic HMAC-signed webhook at `POST /webhooks/{agent}`. */
    webhook: z
      .strictObject({
        secret_env: z.string().describe('The environment variable holding the HMAC secret.'),
      })
      .optional()
      .describe('Start on an HMAC-signed POST to /webhooks/{agent}.'),
    /** The message the agent receives; may use `{{ path.in.payload }}` placeholders. */
    message: z
      .string()
      .optional()
      .describe('The message the agent receives; may use {{ path.in.payload }} placeholders.'),
  })
  .refine((trigger) => kindsIn(trigger).length === 1, {
    error: (issue) => {
      const kinds = kindsIn(issue.input);
      return `must have exactly one of cron, github, linear or webhook, got ${kinds.length > 0 ? kinds.join(' and ') : 'none'}`;
    },
  })
  .describe('One way a system may start this agent: exactly one of cron, github, linear, webhook.')
  // Editors cannot run the refinement above; this says the same to them.
  .meta({ oneOf: triggerKinds.map((kind) => ({ required: [kind] })) });

/** Bounds on one run. Hitting any of them ends the run as FAILED with a reason. */
export const limitsSchema = z.strictObject({
  /** Model calls per turn before the run fails with `max-steps`. */
  max_steps: z
    .number()
    .int()
    .positive()
    .default(25)
    .describe('Model calls per turn before the run fails with max-steps.'),
  /** Wall-clock time per turn before the run fails with `timeout`. */
  timeout: durationSchema
    .default('10m')
    .describe('Wall-clock time per turn before the run fails with timeout.'),
  /** Spend per run, from the model's `pricing` in config.yml; over it the run fails with `budget`. */
  max_cost_usd: z
    .number()
    .positive()
    .optional()
    .describe(
      "Spend per run in USD, from the model's pricing in config.yml; over it the run fails with budget.",
    ),
  /** Input plus output tokens per run; over it the run fails with `budget`. */
  max_tokens: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Input plus output tokens per run; over it the run fails with budget.'),
  /** Child runs (`invoke_agent`) one turn may start in all; more are refused to the model. */
  max_child_runs: z
    .number()
    .int()
    .nonnegative()
    .default(10)
    .describe('Child runs (invoke_agent) one turn may start in all; more are refused to the model.'),
});

/** Gitignore-style globs of paths the file and git tools may not change; `!` cannot unprotect. */
export const protectedPathsSchema = z.array(
  z
    .string()
    .min(1)
    .refine((glob) => !glob.startsWith('!'), 'negations (!) cannot unprotect a path'),
);

/** Which tools the agent may call. No `tools` block means no tools at all. */
export const toolsPolicySchema = z.strictObject({
  /** `allowlist`: only the listed tools. `denylist`: every tool except the listed ones. */
  mode: z
    .enum(['allowlist', 'denylist'])
    .default('allowlist')
    .describe('allowlist: only the listed tools; denylist: every tool except the listed ones.'),
  list: z.array(z.string()).default([]).describe('Tool names to allow or deny.'),
  /**
   * More paths (gitignore-style globs) this agent's write_file, edit_file and git_commit may not
   * change, on top of config.yml's `tools.protected_paths` and the built-in `.agentry/**`, `.git/**`.
   */
  protected_paths: protectedPathsSchema
    .optional()
    .describe(
      "More globs this agent's file and git tools may not change, on top of config.yml's tools.protected_paths.",
    ),
});

/**
 * How many runs of this agent may run at once, and what a trigger does while its concurrency
 * group is busy. Enforced by the dispatcher of `agentry serve`.
 */
export const concurrencySchema = z.strictObject({
  /** At most this many runs of this agent at once; more wait in the queue. No limit but the server's when absent. */
  limit: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "At most this many runs of this agent at once; more wait. Only the server's limit when absent.",
    ),
  /**
   * Runs with the same rendered group run one at a time, e.g. `"{{ metadata.dag_id }}"` for one run
   * per DAG. A template over `agent`, `metadata.*` and `trigger.kind`/`trigger.source`; groups are
   * shared across agents, so add `{{ agent }}` to keep them apart.
   */
  group: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Runs with the same rendered group run one at a time, e.g. "{{ metadata.dag_id }}". A template over agent, metadata.* and trigger.kind/source; shared across agents.',
    ),
  /** What a trigger does while its group has a run: wait (`queue`), stop the others (`cancel-previous`), or not run (`skip`). */
  on_conflict: z
    .enum(['queue', 'cancel-previous', 'skip'])
    .default('queue')
    .describe(
      'While the group has a run: queue waits for it, cancel-previous cancels it, skip records the new run as CANCELLED without running it.',
    ),
});

/** Which configured warehouse SQL tools use, and where this agent may write. See docs/warehouses.md. */
export const agentWarehouseSchema = z.strictObject({
  /** The warehouse a SQL tool call uses when it names none; a name under `warehouses:` in config.yml. */
  default: z
    .string()
    .optional()
    .describe('The warehouse SQL tools use when a call names none; a name under warehouses: in config.yml.'),
  /**
   * Warehouses this agent may write to (INSERT, UPDATE, DELETE, CREATE, ALTER, DROP). The warehouse
   * must also say `read_only: false` in config.yml. Everything else is read-only.
   */
  allow_writes: z
    .array(z.string())
    .default([])
    .describe(
      'Warehouses this agent may write to; each must also have read_only: false in config.yml. All others are read-only.',
    ),
});

/** Per-agent sandbox settings, overriding config.yml's. */
export const agentSandboxSchema = z.strictObject({
  /** `host` lets this agent's commands reach the network (a package index, a warehouse); `none` cuts it. */
  network: z
    .enum(['none', 'host'])
    .optional()
    .describe(
      "host lets this agent's commands reach the network; none cuts it. config.yml's sandbox.network when absent.",
    ),
});

/** An agent, as written in `.agentry/agents/NAME.yml`. */
export const agentSpecSchema = z.strictObject({
  /** The agent's identity; must equal the file name without `.yml`. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must use lower-case letters, digits, - and _ (and equal the file name)')
    .describe("The agent's identity; must equal the file name without .yml."),
  /** Bump when the agent's behaviour changes; runs record it. */
  version: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe("Bump when the agent's behaviour changes; runs record it."),
  description: z
    .string()
    .optional()
    .describe('What the agent does, in a sentence, for people browsing agents.'),
  /** Who the agent is; the first line of its system prompt. */
  role: z.string().min(1).describe('Who the agent is; the first line of its system prompt.'),
  /** What the agent is for; always in its system prompt. */
  goal: z.string().min(1).describe('What the agent is for; always in its system prompt.'),
  /** Optional context that shapes how the agent works. */
  backstory: z.string().optional().describe('Optional context that shapes how the agent works.'),
  /** A model name from config.yml, or `provider:model` such as `openai:gpt-4o-mini`. */
  model: z
    .string()
    .default('default')
    .describe('A model name from .agentry/config.yml, or provider:model such as openai:gpt-4o-mini.'),
  tools: toolsPolicySchema
    .optional()
    .describe('Which tools the agent may call. No tools block means no tools at all.'),
  /** Agents this one may start with `invoke_agent`. */
  agents_squad: z.array(z.string()).default([]).describe('Agents this one may start with invoke_agent.'),
  /** Where each run's thread is posted. */
  slack: z
    .strictObject({ channel: z.string().describe('Channel name (#analytics-eng) or id.') })
    .optional()
    .describe("Where each run's thread is posted."),
  triggers: z
    .array(triggerSchema)
    .default([])
    .describe('Systems that start this agent besides people and code.'),
  limits: limitsSchema
    .default({ max_steps: 25, timeout: '10m', max_child_runs: 10 })
    .describe('Bounds on one run; hitting one ends the run as FAILED.'),
  concurrency: concurrencySchema
    .optional()
    .describe('How many runs may run at once, and what a trigger does while its concurrency group is busy.'),
  /** A structured result: the final answer must be JSON matching this JSON Schema. */
  output: z
    .strictObject({
      schema: z.record(z.string(), z.unknown()).describe('A JSON Schema the final answer must match.'),
    })
    .optional()
    .describe('A structured result: the final answer must be JSON matching output.schema.'),
  warehouse: agentWarehouseSchema
    .optional()
    .describe('Which warehouse SQL tools use by default, and which ones this agent may write to.'),
  /** This agent's sandbox, where it differs from `sandbox` of config.yml. See docs/sandbox.md. */
  sandbox: agentSandboxSchema
    .optional()
    .describe("This agent's sandbox, where it differs from sandbox of config.yml."),
});

export type AgentSpec = z.infer<typeof agentSpecSchema>;
export type AgentTrigger = z.infer<typeof triggerSchema>;
export type AgentLimits = z.infer<typeof limitsSchema>;
export type AgentConcurrency = z.infer<typeof concurrencySchema>;
export type ToolsPolicy = z.infer<typeof toolsPolicySchema>;
export type AgentWarehouse = z.infer<typeof agentWarehouseSchema>;
export type AgentSandbox = z.infer<typeof agentSandboxSchema>;
