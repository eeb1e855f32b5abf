/** Where a run is in its lifecycle. */
export type RunStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** Every status, for filters and validation. */
export const RUN_STATUSES: readonly RunStatus[] = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];

/** The states a run never leaves (but for a follow-up turn, which starts a new RUNNING phase). */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Why a run ended in FAILED. Stable: stored, shown in the UI, used by alerts. */
export type FailureReason = 'error' | 'timeout' | 'max-steps' | 'budget' | 'worker-lost';

/** What started a run. */
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

/** Every trigger kind, for filters and validation. */
export const TRIGGER_KINDS: readonly TriggerKind[] = [
  'cli',
  'api',
  'sdk',
  'cron',
  'github',
  'linear',
  'airflow',
  'webhook',
  'agent',
];

export interface RunTrigger {
  kind: TriggerKind;
  /** Free text naming the origin: a user, a DAG, a delivery id. */
  source?: string;
  /** The same key within the idempotency window yields the same run. */
  idempotencyKey?: string;
  /**
   * Facts about the trigger (a DAG id, a PR number), flat. Shown with the run; agents'
   * `concurrency.group` templates read them (`{{ metadata.dag_id }}`).
   */
  metadata?: Record<string, string | number | boolean | null>;
  /** The Slack thread the run reports to, when the trigger came from one. */
  slack?: { channel: string; threadTs?: string };
}

/** How long an idempotency key holds by default: 24 hours. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Tokens and money spent by a run, summed over its turns. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface RunOutput {
  text: string;
  /** Present when the agent declares `output.schema`. */
  object?: unknown;
}

/** One execution of one agent. */
export interface RunRecord {
  /** Time-sortable (ULID). */
  id: string;
  agent: string;
  /** sha256 of the agent file's bytes: pins what ran. */
  agentHash: string;
  /** The commit the workspace was made from. */
  repoCommit: string | null;
  /** The ref the caller asked for (`HEAD` when none). */
  baseRef: string | null;
  trigger: RunTrigger;
  /** The first turn's message, kept from the trigger so a queued run can start later. */
  message: string | null;
  parentRunId: string | null;
  status: RunStatus;
  failureReason: FailureReason | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  usage: Usage;
  output: RunOutput | null;
  /** How many turns the run has had (1 after the first message). */
  turns: number;
  /** `host:pid` of the process executing it, while RUNNING. */
  owner: string | null;
  /** Last sign of life from the owner, while RUNNING. */
  heartbeatAt: string | null;
  /** Set by `runs cancel` from another process; the owner aborts when it sees it. */
  cancelRequestedAt: string | null;
  /**
   * How many events the run's audit trail holds, updated in the same transaction as each append.
   * With `headHash` it anchors the trail: deleting its last events is detectable only against it.
   */
  eventCount: number;
  /** The hash of the run's last event; 64 zeros while it has none. */
  headHash: string;
  /** How many conversation messages the run holds; anchors their chain as `eventCount` does the trail's. */
  messageCount: number;
  /** The hash of the run's last message; 64 zeros while it has none. */
  messageHead: string;
}

/** What a caller gives to create a run. */
export interface NewRun {
  agent: string;
  agentHash: string;
  baseRef?: string | null;
  trigger: RunTrigger;
  parentRunId?: string | null;
  /** The first turn's message (redacted), kept so a queued run can start later or after a restart. */
  message?: string | null;
  /** `host:pid` of the process that will execute it, so a restart can tell its queued runs were orphaned. */
  owner?: string | null;
  /**
   * How long `trigger.idempotencyKey` holds: while a run of the same agent created within this
   * window holds the key, `createRun` throws `DuplicateRunError` naming it. Default 24 hours.
   */
  idempotencyWindowMs?: number;
}

/** Fields a state change may set. */
export type RunPatch = Partial<
  Pick<
    RunRecord,
    | 'status'
    | 'failureReason'
    | 'error'
    | 'startedAt'
    | 'endedAt'
    | 'usage'
    | 'output'
    | 'turns'
    | 'owner'
    | 'heartbeatAt'
    | 'cancelRequestedAt'
    | 'repoCommit'
  >
>;

/**
 * What one `RunStore.record` call writes in one transaction: a step's events, its conversation
 * messages and the run's running totals, so a step costs one commit instead of one per write.
 */
export interface RunWriteBatch {
  /**
   * A compare-and-set of the run, applied first. When the status is not in `from` it is skipped
   * (not an error), and with `required` the whole batch is: nothing is written.
   */
  update?: { from: readonly RunStatus[]; patch: RunPatch; required?: boolean };
  /** Conversation messages, appended in order after the run's earlier ones. Already redacted. */
  messages?: readonly { turn: number; role: RunMessage['role']; content: unknown }[];
  /** Audit events, appended in order to the run's chain. Payloads already redacted. */
  events?: readonly { type: RunEventType; payload: Record<string, unknown> }[];
}

/** What a `RunStore.record` call wrote. */
export interface RunWriteResult {
  /** The events as stored (with `seq`, `time` and hashes), in order. */
  events: RunEvent[];
  /** Whether `update` matched the run's status (false when there was no update). */
  updated: boolean;
}

/** The event types that end a turn: the store seals the run in its ledger when one is appended. */
export const TERMINAL_EVENT_TYPES = ['run.completed', 'run.failed', 'run.cancelled'] as const;

/** The audit trail's vocabulary, shared by the store, SSE, the CLI's live view and the UI. */
export const RUN_EVENT_TYPES = [
  'run.created',
  'run.started',
  'turn.started',
  'model.request',
  'model.response',
  'tool-call.started',
  'tool-call.completed',
  'tool-call.failed',
  'tool-call.denied',
  'sandbox.provisioned',
  'sandbox.destroyed',
  'child-run.started',
  'child-run.ended',
  'artifact.created',
  'notification.sent',
  'notification.failed',
  'run.completed',
  'run.failed',
  'run.cancelled',
] as const;

export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** One entry of a run's append-only, hash-chained audit trail. */
export interface RunEvent {
  runId: string;
  /** 1, 2, 3, … per run. */
  seq: number;
  /** ISO-8601 with milliseconds. */
  time: string;
  type: RunEventType;
  /** Secrets are redacted before an event is written. */
  payload: Record<string, unknown>;
  /** The previous event's hash; 64 zeros for the first. */
  prevHash: string;
  /** sha256(prevHash + canonical JSON of {runId, seq, time, type, payload}). */
  hash: string;
}

/** One message of a run's conversation with its model, in the AI SDK's ModelMessage shape. */
export interface RunMessage {
  runId: string;
  seq: number;
  turn: number;
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** The message's content (a string or the AI SDK's content parts), as JSON; `role` is beside it. */
  content: unknown;
  createdAt: string;
  /**
   * sha256(previous message's hash + canonical JSON of {runId, seq, turn, role, content, createdAt}):
   * the run's messages form a chain like its events (`computeMessageHash`).
   */
  hash: string;
}

/** A file kept from a run (report, patch, diff). */
export interface Artifact {
  runId: string;
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
  createdAt: string;
}

export interface RunFilter {
  agent?: string;
  status?: RunStatus;
  /** Newest first; at most this many. */
  limit?: number;
  /** Only runs with an id lower than this (paging). */
  beforeId?: string;
  /** Only runs started by this kind of trigger. */
  trigger?: TriggerKind;
  /** Only the child runs of this run. */
  parentRunId?: string;
}
