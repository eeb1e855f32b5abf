/**
 * Where a run reports in Slack: one thread per run (or the thread it was triggered from), a status
 * message edited as sub-agents start and end, and the final report as a Block Kit reply. Slack is
 * a courtesy, never a dependency: every failure is recorded as `notification.failed` and the run
 * goes on. Without a Slack token the messages go to the local outbox (`notification.sent` events
 * with the text and blocks), so a demo or a laptop shows what would have been posted.
 */
import { describeError } from '../errors.js';
import {
  type ChildProgress,
  findRunThread,
  hasThreadStart,
  type NotificationKind,
  type RunThread,
  renderRunReport,
  renderTurnStatus,
  reportOwnerEmails,
  SlackError,
  type SlackMessage,
  type SlackSetup,
  slackSetup,
  type TurnStatus,
} from '../integrations/slack/index.js';
import type { Redactor } from '../secrets/redactor.js';
import type { AgentryConfig } from '../spec/config.js';
import type { LoadedAgent } from '../spec/index.js';
import type { RunStore } from '../store/run-store.js';
import type { FailureReason, RunOutput, RunRecord, RunStatus, Usage } from '../store/types.js';

export { renderBlocksAsText } from '../integrations/slack/index.js';

/** What the notifier of one run needs. */
export interface RunNotifierInput {
  config: AgentryConfig;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  store: RunStore;
  /** `agent.spec.slack?.channel` is where its runs report. */
  agent: LoadedAgent;
  /** `run.trigger.slack` names the thread a run triggered from Slack continues. */
  run: RunRecord;
  /** Appends an audit event to the run (already redacts). */
  record(type: 'notification.sent' | 'notification.failed', payload: Record<string, unknown>): Promise<void>;
}

/** Tells a run's Slack thread what the run does. No method ever throws. */
export interface RunNotifier {
  /**
   * Turn start. First turn: post the thread's parent message (or into `trigger.slack.threadTs`'s
   * thread). Follow-up turn: post the follow-up message into the run's existing thread, found from
   * the run's earlier `notification.sent` events.
   */
  started(message: string): Promise<void>;
  /** A sub-agent started: the status message's progress line is edited (`chat.update`), nothing new is posted. */
  childStarted(child: { runId: string; agent: string }): Promise<void>;
  /** A sub-agent ended: the progress line is edited. */
  childEnded(child: {
    runId: string;
    agent: string;
    status: RunStatus;
    failureReason: FailureReason | null;
    error: string | null;
  }): Promise<void>;
  /** The turn ended: the Block Kit report is posted in the thread and the status message shows the final status. */
  finished(outcome: {
    status: RunStatus;
    failureReason: FailureReason | null;
    error: string | null;
    output: RunOutput | null;
    usage: Usage;
    durationMs: number;
  }): Promise<void>;
}

/**
 * The run's notifier, or undefined when the run reports nowhere: no `slack.channel` on the agent
 * and no Slack thread on the trigger. Never throws.
 */
export async function openRunNotifier(input: RunNotifierInput): Promise<RunNotifier | undefined> {
  const channel = input.run.trigger.slack?.channel ?? input.agent.spec.slack?.channel;
  if (!channel) return undefined;
  let events: Awaited<ReturnType<RunStore['listEvents']>> = [];
  try {
    events = await input.store.listEvents(input.run.id);
  } catch {
    // Without the trail this turn cannot find an earlier thread; it opens a new one instead.
  }
  return new SlackRunNotifier(input, channel, slackSetup(input.config, input.env), events);
}

type Payload = Record<string, unknown>;

class SlackRunNotifier implements RunNotifier {
  private thread: RunThread | undefined;
  /** The outbox already holds a thread-start: later turns are follow-ups. */
  private outboxOpened: boolean;
  private turn: TurnStatus | undefined;
  /** This turn's status message, once posted. */
  private statusTs: string | undefined;
  private readonly children = new Map<string, ChildProgress>();
  /** Slack failed to answer after retries: skip what can wait (progress, look-ups), still try the report. */
  private slackDown = false;
  private queue: Promise<void> = Promise.resolve();
  private queuedProgress: Promise<void> | undefined;

  constructor(
    private readonly input: RunNotifierInput,
    private readonly channel: string,
    private readonly setup: SlackSetup,
    events: Parameters<typeof findRunThread>[0],
  ) {
    this.thread = findRunThread(events);
    this.outboxOpened = hasThreadStart(events);
  }

  started(message: string): Promise<void> {
    return this.enqueue(async () => {
      this.children.clear();
      this.statusTs = undefined;
      const kind = this.openedBefore() ? 'follow-up' : 'thread-start';
      this.turn = {
        agent: this.input.agent.name,
        runId: this.input.run.id,
        message: this.input.redactor.redactText(message),
        kind,
        children: [],
      };
      const rendered = this.render(renderTurnStatus(this.turn));
      if (this.setup.mode === 'outbox') {
        this.outboxOpened = true;
        return this.recordOutbox(kind, rendered);
      }
      const { client } = this.setup;
      const thread = this.thread;
      const threadTs = thread ? thread.threadTs : this.input.run.trigger.slack?.threadTs;
      await this.attempt('chat.postMessage', kind, async () => {
        const posted = await client.postMessage({
          channel: thread?.channelId ?? this.channel,
          ...rendered,
          threadTs,
        });
        this.statusTs = posted.ts;
        this.thread ??= {
          channel: this.channel,
          channelId: posted.channelId,
          threadTs: threadTs ?? posted.ts,
          statusTs: posted.ts,
        };
        return { channelId: posted.channelId, ts: posted.ts, threadTs: this.thread.threadTs };
      });
    });
  }

  childStarted(child: { runId: string; agent: string }): Promise<void> {
    this.children.set(child.runId, { runId: child.runId, agent: child.agent, status: 'RUNNING' });
    return this.progress();
  }

  childEnded(child: {
    runId: string;
    agent: string;
    status: RunStatus;
    failureReason: FailureReason | null;
  }): Promise<void> {
    this.children.set(child.runId, {
      runId: child.runId,
      agent: child.agent,
      status: child.status,
      failureReason: child.failureReason,
    });
    return this.progress();
  }

  finished(outcome: Parameters<RunNotifier['finished']>[0]): Promise<void> {
    return this.enqueue(async () => {
      const redactor = this.input.redactor;
      const output = outcome.output ? redactor.redact(outcome.output) : null;
      const mentions = new Map<string, string>();
      if (this.setup.mode === 'slack' && !this.slackDown) {
        const { client } = this.setup;
        for (const email of reportOwnerEmails(output)) {
          try {
            const userId = await client.userIdByEmail(email);
            if (userId) mentions.set(email, userId);
          } catch (error) {
            await this.recordFailure('users.lookupByEmail', 'report', error);
          }
        }
      }
      const report = this.render(
        renderRunReport({
          agent: this.input.agent.name,
          runId: this.input.run.id,
          status: outcome.status,
          failureReason: outcome.failureReason,
          error: outcome.error === null ? null : redactor.redactText(outcome.error),
          output,
          usage: outcome.usage,
          durationMs: outcome.durationMs,
          mentions,
        }),
      );
      if (this.turn) {
        this.turn = {
          ...this.turn,
          children: [...this.children.values()],
          outcome: {
            status: outcome.status,
            failureReason: outcome.failureReason,
            durationMs: outcome.durationMs,
            usage: outcome.usage,
          },
        };
      }
      const status = this.turn ? this.render(renderTurnStatus(this.turn)) : undefined;

      if (this.setup.mode === 'outbox') {
        await this.recordOutbox('report', report);
        if (status) await this.recordOutbox('progress', status);
        return;
      }
      const { client } = this.setup;
      const thread = this.thread;
      const posted = await this.attempt('chat.postMessage', 'report', async () => {
        const message = await client.postMessage({
          channel: thread?.channelId ?? this.channel,
          ...report,
          threadTs: thread?.threadTs,
        });
        return { channelId: message.channelId, ts: message.ts, threadTs: thread?.threadTs ?? null };
      });
      if (posted) this.slackDown = false;
      if (status) await this.updateStatus(status);
    });
  }

  /** Edits the status message to show the children; coalesced, so a burst of children is one edit. */
  private progress(): Promise<void> {
    this.queuedProgress ??= this.enqueue(async () => {
      this.queuedProgress = undefined;
      if (!this.turn) return;
      this.turn = { ...this.turn, children: [...this.children.values()] };
      const rendered = this.render(renderTurnStatus(this.turn));
      if (this.setup.mode === 'outbox') return this.recordOutbox('progress', rendered);
      if (this.slackDown) return;
      await this.updateStatus(rendered);
    });
    return this.queuedProgress;
  }

  private async updateStatus(message: SlackMessage): Promise<void> {
    const thread = this.thread;
    const statusTs = this.statusTs;
    if (this.setup.mode !== 'slack' || !thread || !statusTs) return;
    const { client } = this.setup;
    await this.attempt('chat.update', 'progress', async () => {
      await client.updateMessage({ channelId: thread.channelId, ts: statusTs, ...message });
      return { channelId: thread.channelId, ts: statusTs, threadTs: thread.threadTs };
    });
  }

  /** Runs one Slack call; records `notification.sent` on success and `notification.failed` on failure. */
  private async attempt(
    method: string,
    kind: NotificationKind,
    call: () => Promise<{ channelId: string; ts: string; threadTs: string | null }>,
  ): Promise<boolean> {
    let sent: { channelId: string; ts: string; threadTs: string | null };
    try {
      sent = await call();
    } catch (error) {
      await this.recordFailure(method, kind, error);
      return false;
    }
    await this.record('notification.sent', { transport: 'slack', channel: this.channel, kind, ...sent });
    return true;
  }

  private async recordFailure(method: string, kind: NotificationKind, error: unknown): Promise<void> {
    const slackError = error instanceof SlackError ? error : undefined;
    if (slackError?.retryable) this.slackDown = true;
    await this.record('notification.failed', {
      transport: 'slack',
      channel: this.channel,
      method: slackError?.method ?? method,
      kind,
      error: describeError(error),
      code: slackError?.code ?? 'slack.failed',
    });
  }

  private recordOutbox(kind: NotificationKind, message: SlackMessage): Promise<void> {
    const reason = this.setup.mode === 'outbox' ? this.setup.reason : undefined;
    return this.record('notification.sent', {
      transport: 'outbox',
      channel: this.channel,
      kind,
      text: message.text,
      blocks: message.blocks,
      reason,
    });
  }

  private async record(type: 'notification.sent' | 'notification.failed', payload: Payload): Promise<void> {
    try {
      await this.input.record(type, payload);
    } catch {
      // The audit trail's own failure is the engine's to see at its next write; Slack must not add one.
    }
  }

  private openedBefore(): boolean {
    return this.setup.mode === 'outbox' ? this.outboxOpened : this.thread !== undefined;
  }

  /** Secrets never reach Slack: every string of the message is redacted, whatever produced it. */
  private render(message: SlackMessage): SlackMessage {
    return this.input.redactor.redact(message);
  }

  /** One call at a time, in order; a failure never escapes to the engine. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task).catch((error: unknown) =>
      this.record('notification.failed', {
        channel: this.channel,
        method: 'render',
        error: `Agentry could not build the Slack message: ${describeError(error)}`,
        code: 'notification.bug',
      }),
    );
    this.queue = next;
    return next;
  }
}
