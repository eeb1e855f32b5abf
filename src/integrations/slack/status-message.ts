/**
 * The message that opens a run's thread (or a follow-up turn in it) and shows where the run is:
 * posted once when the turn starts, then edited in place as sub-agents start and end and when
 * the turn ends, so the channel gets one message per turn however busy the squad is.
 */
import { contextBlock, type SlackBlock, type SlackMessage, sectionBlock } from './block-kit.js';
import { cutText, escapeSlackText } from './mrkdwn.js';
import { formatCost, formatDuration, runLink, statusEmoji, statusWord } from './run-format.js';

/** A sub-agent as the progress line shows it. */
export interface ChildProgress {
  runId: string;
  agent: string;
  /** `RUNNING` while it works, then how it ended. */
  status: string;
  failureReason?: string | null;
}

/** Where a turn is. */
export interface TurnStatus {
  agent: string;
  runId: string;
  /** The message the turn answers (the trigger's, or a follow-up). Hostile: escaped here. */
  message: string;
  /** `follow-up` for the second and later turns of a run. */
  kind: 'thread-start' | 'follow-up';
  children: readonly ChildProgress[];
  /** Set when the turn ended. */
  outcome?: {
    status: string;
    failureReason: string | null;
    durationMs: number;
    usage: { inputTokens: number; outputTokens: number; costUsd: number };
  };
}

const MAX_QUOTED_CHARS = 1500;
const MAX_CHILDREN_SHOWN = 15;

/** The turn's status message: what it was asked, how far it got, where to see more. */
export function renderTurnStatus(turn: TurnStatus): SlackMessage {
  const agent = escapeSlackText(turn.agent);
  const headline = statusLine(turn, agent);
  const quoted = cutText(escapeSlackText(turn.message.trim() || '(no message)'), MAX_QUOTED_CHARS, '…')
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
  const blocks: SlackBlock[] = [sectionBlock(headline), sectionBlock(quoted)];
  if (turn.children.length > 0) blocks.push(progressLine(turn.children));
  blocks.push(contextBlock(runLink(turn.runId)));
  const fallback = `${turn.agent} ${turn.outcome ? statusWord(turn.outcome.status, turn.outcome.failureReason) : 'is working'}: ${turn.message.trim()}`;
  return { text: cutText(escapeSlackText(fallback), 300, '…'), blocks };
}

function statusLine(turn: TurnStatus, agent: string): string {
  if (!turn.outcome) {
    const what = turn.kind === 'follow-up' ? 'is working on a follow-up' : 'is on it';
    return `${statusEmoji('RUNNING')} *${agent}* ${what}`;
  }
  const { status, failureReason, durationMs, usage } = turn.outcome;
  const word = escapeSlackText(statusWord(status, failureReason));
  const cost = formatCost(usage);
  return `${statusEmoji(status)} *${agent}* ${word} in ${formatDuration(durationMs)}${cost === '—' ? '' : ` · ${cost}`}. The report is in the thread.`;
}

function progressLine(children: readonly ChildProgress[]) {
  const shown = children.slice(0, MAX_CHILDREN_SHOWN).map((child) => {
    const reason =
      child.status === 'FAILED' && child.failureReason ? ` (${escapeSlackText(child.failureReason)})` : '';
    return `${statusEmoji(child.status)} ${escapeSlackText(child.agent)}${reason}`;
  });
  const more = children.length > shown.length ? ` · +${children.length - shown.length} more` : '';
  const done = children.filter((child) => child.status !== 'RUNNING' && child.status !== 'PENDING').length;
  return contextBlock(`Sub-agents ${done}/${children.length}: ${shown.join(' · ')}${more}`);
}
