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
    case 'model.request':
    case 'tool-call.started':
      return undefined;
    default:
      return `  ${event.type} ${brief(event.payload)}`;
  }
}
