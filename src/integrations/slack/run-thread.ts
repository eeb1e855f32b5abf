/**
 * Where a run's Slack thread is, read back from its audit trail: the run notifier records every
 * message it posts as `notification.sent`, so a follow-up turn, another worker or the
 * `post_slack_message` tool finds the thread without any other state.
 */

/** What a `notification.sent` event says was posted. */
export type NotificationKind = 'thread-start' | 'progress' | 'report' | 'follow-up';

/** A run's thread in Slack. */
export interface RunThread {
  /** The channel as configured (`#incidents`) or given by the trigger. */
  channel: string;
  channelId: string;
  /** The thread replies go to. */
  threadTs: string;
  /** The run's first status message (the thread's parent, or the first reply in a trigger's thread). */
  statusTs: string;
}

/** The smallest part of a stored event this reads, so any event shape fits. */
interface EventLike {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * The run's thread: from its first `notification.sent` of kind `thread-start` posted to Slack.
 * Undefined when the run posted no thread (Slack failed, or it reported to the local outbox).
 */
export function findRunThread(events: readonly EventLike[]): RunThread | undefined {
  for (const event of events) {
    if (event.type !== 'notification.sent') continue;
    const { transport, kind, channel, channelId, threadTs, ts } = event.payload;
    if (transport !== 'slack' || kind !== 'thread-start') continue;
    if (typeof channelId !== 'string' || typeof ts !== 'string') continue;
    return {
      channel: typeof channel === 'string' ? channel : channelId,
      channelId,
      threadTs: typeof threadTs === 'string' ? threadTs : ts,
      statusTs: ts,
    };
  }
  return undefined;
}

/** True when the run already opened its thread (in Slack or in the outbox): later turns follow up. */
export function hasThreadStart(events: readonly EventLike[]): boolean {
  return events.some((event) => event.type === 'notification.sent' && event.payload.kind === 'thread-start');
}
