/** How a run's numbers and states read in Slack. Shared by the report and the thread's status line. */
import { escapeSlackText } from './mrkdwn.js';

/** How a run ended or where it is, as its `status` says (`COMPLETED`, `FAILED`, …). */
export function statusEmoji(status: string): string {
  switch (status) {
    case 'COMPLETED':
      return ':white_check_mark:';
    case 'FAILED':
      return ':x:';
    case 'CANCELLED':
      return ':no_entry_sign:';
    case 'PENDING':
      return ':clock3:';
    default:
      return ':hourglass_flowing_sand:';
  }
}

/** `FAILED` + `timeout` → `failed (timeout)`. */
export function statusWord(status: string, failureReason?: string | null): string {
  const word = status === 'PENDING' ? 'queued' : status.toLowerCase();
  return failureReason ? `${word} (${failureReason})` : word;
}

/** 412 → `0.4s`, 12_300 → `12s`, 363_000 → `6m 3s`, 3_900_000 → `1h 5m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** `$0.42 · 12.3k tokens`; `—` when nothing was spent. */
export function formatCost(usage: { inputTokens: number; outputTokens: number; costUsd: number }): string {
  const tokens = usage.inputTokens + usage.outputTokens;
  if (tokens === 0 && usage.costUsd === 0) return '—';
  const cost = usage.costUsd < 0.01 && usage.costUsd > 0 ? '<$0.01' : `$${usage.costUsd.toFixed(2)}`;
  return `${cost} · ${formatTokens(tokens)} tokens`;
}

function formatTokens(tokens: number): string {
  if (tokens < 1000) return String(tokens);
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(1)}k`;
  return `${(tokens / 1_000_000).toFixed(1)}M`;
}

/** The context line that takes a reader from Slack to the whole run. */
export function runLink(runId: string): string {
  const id = escapeSlackText(runId);
  return `Run \`${id}\` · details: \`agentry runs show ${id}\``;
}
