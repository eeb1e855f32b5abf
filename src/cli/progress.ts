import type { RunEvent } from '../store/types.js';
import { brief, formatDuration, formatUsage } from './format.js';

/** Writes one readable line per event: the CLI's live view of a run (on stderr). */
export function renderEvent(event: RunEvent): string | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: read for display only; the engine documents each payload
  const p = event.payload as Record<string, any>;
  switch (event.type) {
    case 'run.created':
      return `▶ run ${event.runId} · agent ${p.agent} · trigger ${p.trigger?.kind ?? '?'}`;
    case 'run.started':
      return `  model ${p.model?.name} (${p.model?.provider} ${p.model?.id}) · sandbox ${p.sandbox} · tools: ${
        (p.tools as string[] | undefined)?.join(', ') || 'none'
      }`;
    case 'turn.started':
      return `  turn ${p.turn}: ${brief(p.message, 100)}`;
    case 'sandbox.provisioned':
      return `  workspace ${p.method} at ${String(p.baseCommit).slice(0, 12)} on ${p.branch} (${formatDuration(p.durationMs)})`;
    case 'model.request':
      return undefined;
    case 'model.response': {
      const calls = (p.toolCalls as unknown[]).length;
      const what = calls > 0 ? `${calls} tool call${calls > 1 ? 's' : ''}` : 'answer';
      return `  step ${p.step} · model → ${what} (${p.usage.inputTokens} in / ${p.usage.outputTokens} out, ${formatDuration(p.durationMs)})`;
    }
    case 'tool-call.started':
      return undefined;
    case 'tool-call.completed':
      return `    ✓ ${p.tool} ${p.summary ? `· ${brief(p.summary, 90)}` : ''} (${formatDuration(p.durationMs)})${p.truncated ? ' [cut]' : ''}`;
    case 'tool-call.failed':
      return `    ✗ ${p.tool} failed: ${brief(p.error, 140)}`;
    case 'tool-call.denied':
      return `    ⛔ ${p.tool} denied: ${brief(p.reason, 140)}`;
    case 'sandbox.destroyed':
      return `  workspace removed (${formatDuration(p.durationMs)})${p.error ? `: ${p.error}` : ''}`;
    case 'run.completed':
      return `✔ completed · ${p.steps} steps · ${formatUsage(p.usage)} · ${formatDuration(p.durationMs)}`;
    case 'run.failed':
      return `✘ failed (${p.reason}): ${p.error}`;
    case 'run.cancelled':
      return `■ cancelled${p.reason ? `: ${p.reason}` : ''}`;
    default:
      return `  ${event.type} ${brief(p)}`;
  }
}
