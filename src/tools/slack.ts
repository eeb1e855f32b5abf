/**
 * `post_slack_message`: an agent says something in Slack before its final report — an interim
 * finding, a question for the on-call. A broker: the token stays in the worker, the channel is the
 * one in the agent's YAML (the model cannot pick another), the text is escaped so it cannot ping
 * anyone, and a run posts at most ten messages.
 */
import { z } from 'zod';
import {
  contextBlock,
  escapeSlackText,
  findRunThread,
  hasThreadStart,
  markdownToMrkdwn,
  type SlackBlock,
  SlackError,
  type SlackSetup,
  sectionBlocks,
  slackSetup,
} from '../integrations/slack/index.js';
import { Redactor } from '../secrets/redactor.js';
import type { RunEvent } from '../store/types.js';
import { ToolError } from './errors.js';
import { defineTool, type OfferContext, type ToolContext } from './tool.js';

/** Messages one run may post with the tool, over all its turns. */
export const MAX_SLACK_MESSAGES_PER_RUN = 10;
/** Characters of one message, as the model writes it. */
export const MAX_SLACK_MESSAGE_CHARS = 3000;

const TOOL_NAME = 'post_slack_message';

const postSlackMessageInput = z.strictObject(
  {
    text: z
      .string()
      .trim()
      .min(1)
      .max(MAX_SLACK_MESSAGE_CHARS)
      .describe('The message: plain text or Markdown, at most 3,000 characters. Mentions are shown as text.'),
    thread: z
      .boolean()
      .default(true)
      .describe(
        "true (default): reply in this run's thread when there is one; false: a new message in the channel.",
      ),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `${TOOL_NAME} takes only text and thread (not ${issue.keys.join(', ')}): it always posts to the channel in your agent's YAML`
        : undefined,
  },
);

const DESCRIPTION = [
  "Post a message to your agent's Slack channel (slack.channel in its YAML), by default as a reply in this run's thread.",
  'Use it for something people should see before you finish: an interim finding, a question for the on-call.',
  'Your final answer is posted as the run report anyway: do not repeat it here.',
  `At most ${MAX_SLACK_MESSAGES_PER_RUN} messages per run; @mentions and links are shown as plain text.`,
].join(' ');

/** Facts the tool's counter keeps per run. */
interface PostCount {
  count: number;
}

export const postSlackMessageTool = defineTool({
  name: TOOL_NAME,
  description: DESCRIPTION,
  inputSchema: postSlackMessageInput,
  describeFor(context: OfferContext) {
    const channel = context.spec.slack?.channel;
    return channel ? `${DESCRIPTION} Your channel: ${channel}.` : DESCRIPTION;
  },
  deny(_input, context) {
    if (context.spec.slack?.channel) return undefined;
    return `${context.agent} has no slack.channel: add slack: { channel: "#name" } to .agentry/agents/${context.agent}.yml to let it post`;
  },
  async execute(input, context) {
    const channel = context.spec.slack?.channel;
    if (!channel) {
      throw new ToolError('slack.no-channel', `${context.agent} has no slack.channel to post to`);
    }
    const counter = await context.resources.get<PostCount>('slack.post-count', async () => ({ count: 0 }));
    const events = await runEvents(context);
    const posted = Math.max(counter.count, events.filter(isOwnCompletedCall).length);
    if (posted >= MAX_SLACK_MESSAGES_PER_RUN) {
      throw new ToolError(
        'slack.message-cap',
        `this run has posted ${posted} Slack messages, the most ${TOOL_NAME} allows: put anything else in your final answer`,
      );
    }

    // Secrets never reach Slack, even when the model read one and repeats it.
    const text = Redactor.fromConfig(context.config, context.env).redactText(input.text);
    const message = slackMessage(text, context);
    const setup = await context.resources.get<SlackSetup>('slack.setup', async () =>
      slackSetup(context.config, context.env),
    );

    if (setup.mode === 'outbox') {
      counter.count += 1;
      const inThread = input.thread && hasThreadStart(events);
      return {
        output: {
          posted: false,
          outbox: true,
          channel,
          in_thread: inThread,
          text: message.text,
          note: `Slack is not configured here (${setup.reason}): the message was not sent; it is kept in this run's audit trail.`,
        },
        summary: `outbox: would post to ${channel}${inThread ? " in the run's thread" : ''}`,
      };
    }

    try {
      const channelId = await setup.client.resolveChannel(channel);
      const thread = input.thread ? findRunThread(events) : undefined;
      // The run's thread counts only when it is in the agent's own channel (a trigger may have opened it elsewhere).
      const threadTs = thread && thread.channelId === channelId ? thread.threadTs : undefined;
      const sent = await setup.client.postMessage({ channel: channelId, ...message, threadTs });
      counter.count += 1;
      return {
        output: {
          posted: true,
          channel,
          channel_id: sent.channelId,
          ts: sent.ts,
          thread_ts: threadTs ?? null,
        },
        summary: `posted to ${channel}${threadTs ? " in the run's thread" : ''}`,
      };
    } catch (error) {
      if (error instanceof SlackError) throw new ToolError(error.code, error.message, { cause: error });
      throw error;
    }
  },
});

/** The message as posted: the model's text escaped into sections, and who posted it. */
function slackMessage(text: string, context: ToolContext): { text: string; blocks: SlackBlock[] } {
  return {
    text: escapeSlackText(text),
    blocks: [
      ...sectionBlocks(markdownToMrkdwn(text)),
      contextBlock(
        `Posted by *${escapeSlackText(context.agent)}* · run \`${escapeSlackText(context.runId)}\``,
      ),
    ],
  };
}

async function runEvents(context: ToolContext): Promise<RunEvent[]> {
  if (!context.store) return [];
  try {
    return await context.store.listEvents(context.runId);
  } catch {
    // Without the trail the tool posts top-level and counts this process's calls only.
    return [];
  }
}

function isOwnCompletedCall(event: RunEvent): boolean {
  return event.type === 'tool-call.completed' && event.payload.tool === TOOL_NAME;
}
