import { z } from 'zod';
import {
  RUN_EVENT_TYPES,
  RUN_STATUSES,
  type RunStatus,
  TRIGGER_KINDS,
  type TriggerKind,
} from '../store/types.js';

/*
 * The REST API's bodies, as zod schemas: requests are parsed with them at the boundary, and the
 * OpenAPI document is generated from them, so the document cannot drift from what the server does.
 * The wire uses snake_case throughout.
 */

const statusEnum = () => z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]);
const triggerKindEnum = () => z.enum(TRIGGER_KINDS as [TriggerKind, ...TriggerKind[]]);

const metadataValue = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);

/** Trigger kinds a caller may claim for itself; webhooks, cron and agents set theirs server-side. */
export const CALLER_TRIGGER_KINDS = ['api', 'sdk', 'airflow'] as const;

/** `POST /api/v1/runs`. */
export const triggerRunBodySchema = z
  .strictObject({
    agent: z.string().min(1).max(200).describe('The agent to run (.agentry/agents/NAME.yml).'),
    message: z.string().min(1).max(100_000).describe('What the agent should do: the first turn.'),
    idempotency_key: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        'The same key for the same agent within 24 hours returns the first run (200) instead of starting another.',
      ),
    base_ref: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9._/@{}^~-]+$/, 'must be a commit, branch or tag name')
      .refine((ref) => !ref.startsWith('-'), 'must not start with -')
      .optional()
      .describe('The commit, branch or tag the workspace is made from; HEAD when absent.'),
    slack: z
      .strictObject({
        channel: z.string().min(1).max(200).describe('Channel name or id.'),
        thread_ts: z.string().min(1).max(64).optional().describe("The thread's ts, to report into it."),
      })
      .optional()
      .describe('The Slack thread the run reports to.'),
    metadata: z
      .record(z.string().min(1).max(100), metadataValue)
      .refine((metadata) => Object.keys(metadata).length <= 50, 'must have at most 50 keys')
      .optional()
      .describe(
        'Flat facts about the trigger (dag_id, task_id, pr); kept with the run and read by concurrency.group templates.',
      ),
    trigger: z
      .strictObject({
        kind: z.enum(CALLER_TRIGGER_KINDS).default('api').describe('What kind of caller this is.'),
        source: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe('Who or what triggered: a DAG, a job, a person.'),
      })
      .optional()
      .describe("The caller's kind and source; the API key's name is the source when absent."),
  })
  .describe('Start a run of an agent.');

/** `POST /api/v1/runs/{id}/messages`. */
export const sendMessageBodySchema = z
  .strictObject({
    message: z.string().min(1).max(100_000).describe('The follow-up: a new turn in the same conversation.'),
  })
  .describe('Continue a finished run with a follow-up message.');

/** `GET /api/v1/runs` query. */
export const listRunsQuerySchema = z.strictObject({
  agent: z.string().min(1).optional().describe('Only runs of this agent.'),
  status: statusEnum().optional().describe('Only runs in this status.'),
  trigger: triggerKindEnum().optional().describe('Only runs of this trigger kind.'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('At most this many runs (1–200).'),
  cursor: z
    .string()
    .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a next_cursor from an earlier page')
    .optional()
    .describe('next_cursor of the previous page.'),
});

/** `GET /api/v1/runs/{id}/events` query. */
export const eventsQuerySchema = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Only events with a seq above this; Last-Event-ID takes precedence.'),
});

const usageSchema = z
  .object({
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cost_usd: z.number(),
  })
  .describe('Tokens and money spent, summed over turns.');

const runTriggerSchema = z
  .object({
    kind: triggerKindEnum(),
    source: z.string().nullable(),
    idempotency_key: z.string().nullable(),
    metadata: z.record(z.string(), metadataValue),
    slack: z.object({ channel: z.string(), thread_ts: z.string().nullable() }).nullable(),
  })
  .describe('What started the run.');

/** A run, as every endpoint returns it. */
export const runSchema = z
  .object({
    id: z.string().describe('Time-sortable (ULID).'),
    agent: z.string(),
    agent_hash: z.string().describe("sha256 of the agent file's bytes: pins what ran."),
    status: statusEnum(),
    failure_reason: z
      .enum(['error', 'timeout', 'max-steps', 'budget', 'worker-lost'])
      .nullable()
      .describe('Why the run FAILED.'),
    error: z.string().nullable().describe('What went wrong (FAILED) or why it was cancelled.'),
    message: z.string().nullable().describe("The first turn's message."),
    trigger: runTriggerSchema,
    base_ref: z.string().nullable(),
    repo_commit: z.string().nullable().describe('The commit the workspace was made from.'),
    parent_run_id: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    turns: z.number().int(),
    usage: usageSchema,
    output: z
      .object({ text: z.string(), object: z.unknown().optional() })
      .nullable()
      .describe('The final answer; object when the agent declares output.schema.'),
    cancel_requested_at: z.string().nullable(),
    event_count: z.number().int(),
    head_hash: z.string().describe("The hash of the run's last audit event."),
  })
  .describe('One execution of one agent.');

/** One conversation message of a run. */
export const runMessageSchema = z.object({
  seq: z.number().int(),
  turn: z.number().int(),
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.unknown().describe("A string or the AI SDK's content parts."),
  created_at: z.string(),
});

/** A file kept from a run. */
export const artifactSchema = z.object({
  name: z.string(),
  media_type: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  created_at: z.string(),
});

/** A child run with the runs it started in turn: the whole squad's outputs in one response. */
export const runTreeSchema = runSchema
  .extend({
    get child_runs() {
      return z.array(runTreeSchema).describe('Runs this run started with invoke_agent.');
    },
  })
  .describe('A child run with the runs it started.');

/** `GET /api/v1/runs/{id}`. */
export const runDetailSchema = runSchema
  .extend({
    messages: z.array(runMessageSchema),
    child_runs: z
      .array(runTreeSchema)
      .describe('Runs this run started with invoke_agent, each with its own child runs.'),
    artifacts: z.array(artifactSchema),
  })
  .describe('A run with its conversation, child runs and artifacts.');

/** `GET /api/v1/runs`. */
export const runListSchema = z.object({
  runs: z.array(runSchema).describe('Newest first.'),
  next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last.'),
});

/** One audit event, as SSE `data` and in JSON listings. */
export const runEventSchema = z
  .object({
    run_id: z.string(),
    seq: z.number().int().describe('1, 2, 3, … per run; the SSE id.'),
    time: z.string(),
    type: z.enum(RUN_EVENT_TYPES),
    payload: z.record(z.string(), z.unknown()),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .describe("One entry of a run's hash-chained audit trail.");

/** `GET /api/v1/runs/{id}/events` with `Accept: application/json`. */
export const runEventListSchema = z.object({
  events: z.array(runEventSchema),
  status: statusEnum().describe("The run's status when read."),
});

/** An agent, as listed. */
export const agentSummarySchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  version: z.number().int(),
  model: z.string(),
  hash: z.string().describe("sha256 of the agent file's bytes."),
});

/** `GET /api/v1/agents/{name}`. */
export const agentDetailSchema = agentSummarySchema.extend({
  file: z.string().describe('The YAML file, relative to the project root.'),
  spec: z.record(z.string(), z.unknown()).describe('The parsed agent, defaults applied.'),
});

/** An agent file that does not load, as `GET /api/v1/agents` reports it. */
export const agentProblemSchema = z.object({
  agent: z.string(),
  file: z.string().describe('The YAML file, relative to the project root.'),
  issues: z
    .array(z.object({ line: z.number().int(), column: z.number().int(), message: z.string() }))
    .describe('What is wrong, at its line and column.'),
  keeping: z
    .string()
    .nullable()
    .describe('The hash of the last good version, which keeps running; null when the agent never loaded.'),
  since: z.string().describe('When the problem was first seen.'),
});

export const agentListSchema = z.object({
  agents: z.array(agentSummarySchema),
  problems: z
    .array(agentProblemSchema)
    .describe('Agent files that do not load (edited while the server runs, or broken at start-up).'),
});

/** Every error response. */
export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable: match on it (request.invalid, auth.missing-key, run.not-found, …).'),
    message: z.string().describe('One line that says what to do.'),
    field: z.string().optional().describe('The body or query field at fault (422).'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Every problem with the body (422).'),
  }),
});

export const healthSchema = z.object({ status: z.literal('ok'), version: z.string() });

export type TriggerRunBody = z.infer<typeof triggerRunBodySchema>;
export type SendMessageBody = z.infer<typeof sendMessageBodySchema>;
export type ListRunsQuery = z.infer<typeof listRunsQuerySchema>;
export type RunView = z.infer<typeof runSchema>;
export type RunDetailView = z.infer<typeof runDetailSchema>;
export type RunTreeView = z.infer<typeof runTreeSchema>;
export type RunListView = z.infer<typeof runListSchema>;
export type RunEventView = z.infer<typeof runEventSchema>;
export type RunEventListView = z.infer<typeof runEventListSchema>;
export type RunMessageView = z.infer<typeof runMessageSchema>;
export type AgentSummaryView = z.infer<typeof agentSummarySchema>;
export type AgentDetailView = z.infer<typeof agentDetailSchema>;
export type AgentProblemView = z.infer<typeof agentProblemSchema>;
export type AgentListView = z.infer<typeof agentListSchema>;
export type ErrorView = z.infer<typeof errorSchema>;
