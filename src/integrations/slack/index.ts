/**
 * Slack: a client over `@slack/web-api` (channels by name or id, posts, edits, users by email),
 * Block Kit for a run's thread and report, and the escaping that keeps model text from pinging
 * anyone. Runs reach it through the engine's run notifier and the `post_slack_message` tool.
 */
export {
  type ContextBlock,
  contextBlock,
  DIVIDER_BLOCK,
  type DividerBlock,
  fieldsBlock,
  type HeaderBlock,
  headerBlock,
  MAX_BLOCKS,
  MAX_FIELD_TEXT,
  MAX_HEADER_TEXT,
  MAX_MESSAGE_TEXT,
  MAX_SECTION_TEXT,
  mrkdwnText,
  type SectionBlock,
  type SlackBlock,
  type SlackMessage,
  type SlackText,
  sectionBlock,
  sectionBlocks,
} from './block-kit.js';
export { renderBlocksAsText } from './blocks-text.js';
export {
  DEFAULT_SLACK_API_URL,
  type PostedMessage,
  type SlackChannel,
  SlackClient,
  type SlackClientOptions,
  type SlackSetup,
  slackSetup,
} from './client.js';
export { SlackError, type SlackErrorCode } from './errors.js';
export { escapeSlackText, markdownToMrkdwn } from './mrkdwn.js';
export { type RunReport, renderRunReport, reportOwnerEmails } from './report-blocks.js';
export { findRunThread, hasThreadStart, type NotificationKind, type RunThread } from './run-thread.js';
export { type ChildProgress, renderTurnStatus, type TurnStatus } from './status-message.js';
