/*
 * The API's shapes as the SDK returns them: exactly the JSON the server sends (snake_case), so the
 * REST docs, curl, the Python client and this SDK share one vocabulary. Kept free of zod: the SDK
 * needs only `fetch`. A type test checks these equal the server's zod schemas.
 */

export type RunStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export type FailureReason = 'error' | 'timeout' | 'max-steps' | 'budget' | 'worker-lost';
export type TriggerKind =
  | 'cli'
  | 'api'
  | 'sdk'
  | 'cron'
  | 'github'
  | 'linear'
  | 'airflow'
  | 'webhook'
  | 'agent';
export type MetadataValue = string | number | boolean | null;

export type RunEventType =
  | 'run.created'
  | 'run.started'
  | 'turn.started'
  | 'model.request'
  | 'model.response'
  | 'tool-call.started'
  | 'tool-call.completed'
  | 'tool-call.failed'
  | 'tool-call.denied'
  | 'sandbox.provisioned'
  | 'sandbox.destroyed'
  | 'child-run.started'
  | 'child-run.ended'
  | 'artifact.created'
  | 'notification.sent'
  | 'notification.failed'
  | 'run.completed'
  | 'run.failed'
  | 'run.cancelled';

/** One execution of one agent. */
export interface Run {
  id: string;
  agent: string;
  agent_hash: string;
  status: RunStatus;
  failure_reason: FailureReason | null;
  error: string | null;
  message: string | null;
  trigger: {
    kind: TriggerKind;
    source: string | null;
    idempotency_key: string | null;
    metadata: Record<string, MetadataValue>;
    slack: { channel: string; thread_ts: string | null } | null;
  };
  base_ref: string | null;
  repo_commit: string | null;
  parent_run_id: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  turns: number;
  usage: { input_tokens: number; output_tokens: number; cost_usd: number };
  /** The final answer; `object` when the agent declares `output.schema`. */
  output: { text: string; object?: unknown } | null;
  cancel_requested_at: string | null;
  event_count: number;
  head_hash: string;
}

export interface RunMessage {
  seq: number;
  turn: number;
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: unknown;
  created_at: string;
}

export interface Artifact {
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  created_at: string;
}

/** A child run with the runs it started in turn (`output.object` is each one's structured answer). */
export interface RunTree extends Run {
  child_runs: RunTree[];
}

/** A run with its conversation, child runs (the whole tree) and artifacts (`GET /runs/{id}`). */
export interface RunDetail extends Run {
  messages: RunMessage[];
  child_runs: RunTree[];
  artifacts: Artifact[];
}

export interface RunList {
  runs: Run[];
  next_cursor: string | null;
}

/** One entry of a run's audit trail. `seq` is the SSE id. */
export interface RunEvent {
  run_id: string;
  seq: number;
  time: string;
  type: RunEventType;
  payload: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export interface AgentSummary {
  name: string;
  description: string | null;
  version: number;
  model: string;
  hash: string;
}

export interface AgentDetail extends AgentSummary {
  file: string;
  spec: Record<string, unknown>;
}

/** The body of `POST /runs`. */
export interface TriggerRunInput {
  agent: string;
  message: string;
  /** The same key for the same agent within 24 hours returns the first run instead of a new one. */
  idempotency_key?: string;
  /** Commit, branch or tag the workspace is made from; HEAD when absent. */
  base_ref?: string;
  slack?: { channel: string; thread_ts?: string };
  /** Flat facts about the trigger; read by the agent's `concurrency.group` template. */
  metadata?: Record<string, MetadataValue>;
  /** Who is calling; the SDK sends `kind: 'sdk'` unless told otherwise. */
  trigger?: { kind?: 'api' | 'sdk' | 'airflow'; source?: string };
}

/** Filters of `GET /runs`. */
export interface ListRunsInput {
  agent?: string;
  status?: RunStatus;
  trigger?: TriggerKind;
  limit?: number;
  cursor?: string;
}
