import { typedEvent } from '../engine/events.js';
import type { RunEvent } from '../store/types.js';
import { brief, formatDuration, formatUsage } from './format.js';

/** One readable line per event: the CLI's live view of a run (on stderr). Undefined: not shown. */
export function renderEvent(stored: RunEvent): string | undefined {
  const event = typedEvent(stored);
  switch (event.type) {
    case 'run.created':
      return `▶ run ${event.runId} · agent ${event.payload.agent} · trigger ${event.payload.trigger.kind}`;
    case 'run.started': {
      const { model, sandbox, tools } = event.payload;
      return `  model ${model.name} (${model.provider} ${model.id}) · sandbox ${sandbox} · tools: ${tools.join(', ') || 'none'}`;
    }
    case 'turn.started':
      return `  turn ${event.payload.turn}: ${brief(event.payload.message, 100)}`;
    case 'sandbox.provisioned': {
      const { method, baseCommit, branch, durationMs } = event.payload;
      return `  workspace ${method} at ${baseCommit.slice(0, 12)} on ${branch} (${formatDuration(durationMs)})`;
    }
    case 'model.response': {
      const { step, toolCalls, usage, durationMs } = event.payload;
      const calls = toolCalls.length;
      const what = calls > 0 ? `${calls} tool call${calls > 1 ? 's' : ''}` : 'answer';
      return `  step ${step} · model → ${what} (${usage.inputTokens} in / ${usage.outputTokens} out, ${formatDuration(durationMs)})`;
    }
    case 'tool-call.completed': {
      const { tool, summary, durationMs, truncated } = event.payload;
      return `    ✓ ${tool}${summary ? ` · ${brief(summary, 90)}` : ''} (${formatDuration(durationMs)})${truncated ? ' [cut]' : ''}`;
    }
    case 'tool-call.failed':
      return `    ✗ ${event.payload.tool} failed: ${brief(event.payload.error, 140)}`;
    case 'tool-call.denied':
      return `    ⛔ ${event.payload.tool} denied: ${brief(event.payload.reason, 140)}`;
    case 'sandbox.destroyed': {
      const { durationMs, error } = event.payload;
      return `  workspace removed (${formatDuration(durationMs)})${error ? `: ${error}` : ''}`;
    }
    case 'artifact.created':
      return `  kept ${event.payload.name} (${event.payload.size} bytes)`;
    case 'run.completed': {
      const { steps, usage, durationMs } = event.payload;
      return `✔ completed · ${steps} steps · ${formatUsage(usage)} · ${formatDuration(durationMs)}`;
    }
    case 'run.failed':
      return `✘ failed (${event.payload.reason}): ${event.payload.error}`;
    case 'run.cancelled':
      return `■ cancelled${event.payload.reason ? `: ${event.payload.reason}` : ''}`;
    case 'child-run.started':
      return `    ⇉ ${event.payload.agent} started (run ${event.payload.childRunId})`;
    case 'child-run.ended': {
      const { agent, status, failureReason, durationMs } = event.payload as {
        agent?: string;
        status: string;
        failureReason?: string | null;
        durationMs?: number;
      };
      const reason = failureReason ? ` (${failureReason})` : '';
      const took = durationMs === undefined ? '' : ` in ${formatDuration(durationMs)}`;
      return `    ⇇ ${agent ?? event.payload.childRunId} ${status.toLowerCase()}${reason}${took}`;
    }
    case 'notification.sent': {
      const { channel, kind, transport } = event.payload as {
        channel: string;
        kind?: string;
        transport?: string;
      };
      // Status-line edits follow the children, which the view already shows.
      if (kind === 'progress') return undefined;
      return `  ✉ ${kind ?? 'message'} → ${channel}${transport === 'outbox' ? ' (outbox: Slack is not configured)' : ''}`;
    }
    case 'notification.failed':
      return `  ✉ ${event.payload.channel} failed: ${brief(event.payload.error, 140)} (the run goes on)`;
    case 'model.request':
    case 'tool-call.started':
      return undefined;
    default:
      return `  ${stored.type} ${brief(stored.payload)}`;
  }
}

/** Events of child runs shown in a parent's live view: their steps and tool calls, nothing else. */
const CHILD_EVENTS = new Set([
  'model.response',
  'tool-call.completed',
  'tool-call.failed',
  'tool-call.denied',
]);

/**
 * A live view for a run and the child runs it starts: the engine reports every run's events, so
 * a child's lines are indented under its parent and labelled with its agent, and only its steps
 * and tool calls are shown (the parent says when it starts and ends).
 */
export function liveView(): (event: RunEvent) => string | undefined {
  const children = new Map<string, { label: string; depth: number }>();
  return (stored) => {
    const event = typedEvent(stored);
    if (event.type === 'run.created' && event.payload.parentRunId) {
      const parent = children.get(event.payload.parentRunId);
      children.set(event.runId, { label: event.payload.agent, depth: (parent?.depth ?? 0) + 1 });
      return undefined;
    }
    const child = children.get(event.runId);
    if (!child) {
      const line = renderEvent(stored);
      return line;
    }
    if (!CHILD_EVENTS.has(event.type) && !event.type.startsWith('child-run.')) return undefined;
    const line = renderEvent(stored);
    return line === undefined
      ? undefined
      : `${'  '.repeat(child.depth)}  [${child.label}] ${line.trimStart()}`;
  };
}
