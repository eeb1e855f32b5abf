import { z } from 'zod';

/** A duration such as `90s`, `15m`, `2h`, `500ms`; a bare number is seconds. */
export const durationSchema = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'expected a duration such as 30s, 15m or 1h'),
]);

/** One way a system may start this agent. Exactly one of cron, github, linear, webhook. */
export const triggerSchema = z
  .strictObject({
    /** A five-field cron expression, e.g. `0 6 * * 1`. */
    cron: z.string().optional(),
    /** IANA time zone for `cron`, e.g. `Europe/Zurich`; UTC when absent. */
    timezone: z.string().optional(),
    /** GitHub webhook events (`pull_request.closed`, `push`) and branch filters. */
    github: z
      .strictObject({
        events: z.array(z.string()).min(1),
        branches: z.array(z.string()).optional(),
      })
      .optional(),
    /** Linear webhook filters. */
    linear: z
      .strictObject({
        labels: z.array(z.string()).optional(),
        teams: z.array(z.string()).optional(),
      })
      .optional(),
    /** A generic HMAC-signed webhook at `POST /webhooks/{agent}`. */
    webhook: z.strictObject({ secret_env: z.string() }).optional(),
    /** The message the agent receives; may use `{{ path.in.payload }}` placeholders. */
    message: z.string().optional(),
  })
  .refine((trigger) => [trigger.cron, trigger.github, trigger.linear, trigger.webhook].filter(Boolean).length === 1, {
    message: 'a trigger needs exactly one of cron, github, linear, webhook',
  });

/** Bounds on one run. Hitting any of them ends the run as FAILED with a reason. */
export const limitsSchema = z.strictObject({
  /** Model calls per turn before the run fails with `max-steps`. */
  max_steps: z.number().int().positive().default(25),
  /** Wall-clock time per turn before the run fails with `timeout`. */
  timeout: durationSchema.default('10m'),
  /** Spend per run, from the model's `pricing` in config.yml; over it the run fails with `budget`. */
  max_cost_usd: z.number().positive().optional(),
  /** Input plus output tokens per run; over it the run fails with `budget`. */
  max_tokens: z.number().int().positive().optional(),
});

/** Which tools the agent may call. No `tools` block means no tools at all. */
export const toolsPolicySchema = z.strictObject({
  mode: z.enum(['allowlist', 'denylist']).default('allowlist'),
  list: z.array(z.string()).default([]),
});

/** An agent, as written in `.agentry/agents/NAME.yml`. */
export const agentSpecSchema = z.strictObject({
  /** The agent's identity; must equal the file name without `.yml`. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, - and _ (it must equal the file name)'),
  /** Bump when the agent's behaviour changes; runs record it. */
  version: z.number().int().positive().default(1),
  description: z.string().optional(),
  /** Who the agent is; the first line of its system prompt. */
  role: z.string().min(1),
  /** What the agent is for; always in its system prompt. */
  goal: z.string().min(1),
  /** Optional context that shapes how the agent works. */
  backstory: z.string().optional(),
  /** A model name from config.yml, or `provider:model` such as `openai:gpt-4o-mini`. */
  model: z.string().default('default'),
  tools: toolsPolicySchema.optional(),
  /** Agents this one may start with `invoke_agent`. */
  agents_squad: z.array(z.string()).default([]),
  /** Where each run's thread is posted. */
  slack: z.strictObject({ channel: z.string() }).optional(),
  triggers: z.array(triggerSchema).default([]),
  limits: limitsSchema.default({ max_steps: 25, timeout: '10m' }),
  /** A structured result: the final answer must be JSON matching this JSON Schema. */
  output: z.strictObject({ schema: z.record(z.string(), z.unknown()) }).optional(),
});

export type AgentSpec = z.infer<typeof agentSpecSchema>;
export type AgentTrigger = z.infer<typeof triggerSchema>;
export type AgentLimits = z.infer<typeof limitsSchema>;
export type ToolsPolicy = z.infer<typeof toolsPolicySchema>;
