import type { AgentLimits } from '../spec/agent-spec.js';
import type { FailureReason, RunEvent, RunEventType, RunOutput, RunTrigger, Usage } from '../store/types.js';

/**
 * The payload of each event type: one vocabulary for the audit trail, SSE, the CLI's live view and
 * the UI. Payloads are redacted before they are stored; fields are only ever added, never renamed.
 */
export interface RunEventPayloads {
  'run.created': {
    agent: string;
    agentHash: string;
    agentVersion: number;
    trigger: RunTrigger;
    baseRef: string | null;
    parentRunId: string | null;
  };
  'run.started': {
    agent: string;
    agentHash: string;
    model: { name: string; provider: string; id: string };
    /** The tools the model is offered. */
    tools: string[];
    limits: AgentLimits;
    sandbox: string;
    owner: string;
  };
  'turn.started': { turn: number; message: string };
  'model.request': {
    turn: number;
    step: number;
    model: string;
    tools: string[];
    messageCount: number;
    /** The system prompt, on the first request of each turn. */
    system?: string;
  };
  'model.response': {
    turn: number;
    step: number;
    text: string;
    toolCalls: { id: string; tool: string; input: unknown }[];
    finishReason: string;
    usage: { inputTokens: number; outputTokens: number };
    durationMs: number;
  };
  'tool-call.started': { step: number; callId: string; tool: string; input: unknown };
  'tool-call.completed': {
    step: number;
    callId: string;
    tool: string;
    summary: string | undefined;
    truncated: boolean;
    output: unknown;
    durationMs: number;
  };
  'tool-call.failed': {
    step: number;
    callId: string;
    tool: string;
    code: string;
    error: string;
    durationMs: number;
  };
  'tool-call.denied': { step: number; callId: string; tool: string; input: unknown; reason: string };
  'sandbox.provisioned': {
    driver: string;
    method: string;
    baseCommit: string;
    branch: string;
    durationMs: number;
    [detail: string]: unknown;
  };
  'sandbox.destroyed': { durationMs: number; error?: string; [detail: string]: unknown };
  'child-run.started': { childRunId: string; agent: string; [detail: string]: unknown };
  'child-run.ended': { childRunId: string; status: string; [detail: string]: unknown };
  'artifact.created': {
    name: string;
    mediaType: string;
    size: number;
    sha256: string;
    [detail: string]: unknown;
  };
  'notification.sent': { channel: string; [detail: string]: unknown };
  'notification.failed': { channel: string; error: string; [detail: string]: unknown };
  'run.completed': {
    turn: number;
    steps: number;
    usage: Usage;
    durationMs: number;
    output: RunOutput | null;
  };
  'run.failed': {
    turn: number;
    steps?: number;
    usage: Usage;
    durationMs?: number;
    reason: FailureReason | null;
    error: string | null;
  };
  'run.cancelled': {
    turn: number;
    steps?: number;
    usage?: Usage;
    durationMs?: number;
    reason?: string | null;
    by?: string;
  };
}

/** A stored event whose payload is typed by its `type`. */
export type TypedRunEvent<Type extends RunEventType = RunEventType> = {
  [T in Type]: Omit<RunEvent, 'type' | 'payload'> & { type: T; payload: RunEventPayloads[T] };
}[Type];

/** Reads a stored event as its typed form (the store keeps payloads as plain JSON). */
export function typedEvent(event: RunEvent): TypedRunEvent {
  return event as TypedRunEvent;
}
