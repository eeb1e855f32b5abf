import { relative } from 'node:path';
import type { LoadedAgent } from '../spec/index.js';
import type { RunTree } from '../store/run-tree.js';
import type { Artifact, RunEvent, RunMessage, RunRecord } from '../store/types.js';
import type { AgentProblem } from './agent-reloader.js';
import type {
  AgentDetailView,
  AgentProblemView,
  AgentSummaryView,
  RunEventView,
  RunMessageView,
  RunTreeView,
  RunView,
} from './schemas.js';

/** A run on the wire (snake_case). */
export function runView(run: RunRecord): RunView {
  return {
    id: run.id,
    agent: run.agent,
    agent_hash: run.agentHash,
    status: run.status,
    failure_reason: run.failureReason,
    error: run.error,
    message: run.message,
    trigger: {
      kind: run.trigger.kind,
      source: run.trigger.source ?? null,
      idempotency_key: run.trigger.idempotencyKey ?? null,
      metadata: run.trigger.metadata ?? {},
      slack: run.trigger.slack
        ? { channel: run.trigger.slack.channel, thread_ts: run.trigger.slack.threadTs ?? null }
        : null,
    },
    base_ref: run.baseRef,
    repo_commit: run.repoCommit,
    parent_run_id: run.parentRunId,
    created_at: run.createdAt,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    turns: run.turns,
    usage: {
      input_tokens: run.usage.inputTokens,
      output_tokens: run.usage.outputTokens,
      cost_usd: run.usage.costUsd,
    },
    output: run.output,
    cancel_requested_at: run.cancelRequestedAt,
    event_count: run.eventCount,
    head_hash: run.headHash,
  };
}

/** A child run on the wire with its own child runs, recursively. */
export function runTreeView(tree: RunTree): RunTreeView {
  return { ...runView(tree.run), child_runs: tree.children.map(runTreeView) };
}

export function runMessageView(message: RunMessage): RunMessageView {
  return {
    seq: message.seq,
    turn: message.turn,
    role: message.role,
    content: message.content,
    created_at: message.createdAt,
  };
}

export function artifactView(artifact: Artifact) {
  return {
    name: artifact.name,
    media_type: artifact.mediaType,
    size: artifact.size,
    sha256: artifact.sha256,
    created_at: artifact.createdAt,
  };
}

export function runEventView(event: RunEvent): RunEventView {
  return {
    run_id: event.runId,
    seq: event.seq,
    time: event.time,
    type: event.type,
    payload: event.payload,
    prev_hash: event.prevHash,
    hash: event.hash,
  };
}

export function agentSummaryView(agent: LoadedAgent): AgentSummaryView {
  return {
    name: agent.name,
    description: agent.spec.description ?? null,
    version: agent.spec.version,
    model: agent.spec.model,
    hash: agent.hash,
  };
}

/** A broken agent file on the wire: paths relative to the project, issues without the file. */
export function agentProblemView(problem: AgentProblem, projectRoot: string): AgentProblemView {
  return {
    agent: problem.agent,
    file: relative(projectRoot, problem.file),
    issues: problem.issues.map((issue) => ({
      line: issue.line,
      column: issue.column,
      message: issue.message,
    })),
    keeping: problem.keeping,
    since: problem.since,
  };
}

export function agentDetailView(agent: LoadedAgent, projectRoot: string): AgentDetailView {
  return {
    ...agentSummaryView(agent),
    file: relative(projectRoot, agent.file),
    spec: agent.spec as unknown as Record<string, unknown>,
  };
}
