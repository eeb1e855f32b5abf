/**
 * The few Block Kit shapes Agentry posts, and Slack's limits on them. Slack refuses a whole
 * message when one block breaks a limit (`invalid_blocks`), so every builder here cuts its text to
 * fit and says so, rather than lose the report.
 */
import { cutText, splitText } from './mrkdwn.js';

/** Blocks in one message. */
export const MAX_BLOCKS = 50;
/** Characters of a section's text. */
export const MAX_SECTION_TEXT = 3000;
/** Characters of one section field. */
export const MAX_FIELD_TEXT = 2000;
/** Fields of one section. */
export const MAX_FIELDS = 10;
/** Characters of a header. */
export const MAX_HEADER_TEXT = 150;
/** Elements of a context block. */
export const MAX_CONTEXT_ELEMENTS = 10;
/** Characters of a message's top-level `text`. */
export const MAX_MESSAGE_TEXT = 40_000;

/** A Block Kit text object. */
export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  /** plain_text: show `:emoji:` codes as emoji. */
  emoji?: boolean;
  /** mrkdwn: true stops Slack from turning bare names and URLs into mentions and links. */
  verbatim?: boolean;
}

export interface HeaderBlock {
  type: 'header';
  text: SlackText & { type: 'plain_text' };
}

export interface SectionBlock {
  type: 'section';
  text?: SlackText;
  fields?: SlackText[];
}

export interface ContextBlock {
  type: 'context';
  elements: SlackText[];
}

export interface DividerBlock {
  type: 'divider';
}

/** The blocks Agentry posts. */
export type SlackBlock = HeaderBlock | SectionBlock | ContextBlock | DividerBlock;

/** A message ready for `chat.postMessage` / `chat.update`: `text` is the notification fallback. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** mrkdwn that Slack shows as sent: no auto-linking of names, channels or URLs. */
export function mrkdwnText(text: string): SlackText {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** A header of already-escaped text on one line, cut to Slack's 150 characters. */
export function headerBlock(text: string): HeaderBlock {
  const line = text.replace(/\s+/g, ' ').trim() || ' ';
  return {
    type: 'header',
    text: { type: 'plain_text', text: cutText(line, MAX_HEADER_TEXT, '…', ''), emoji: true },
  };
}

/** A section of already-escaped mrkdwn, cut to fit. */
export function sectionBlock(text: string): SectionBlock {
  return { type: 'section', text: mrkdwnText(cutText(text.trim() ? text : '_(empty)_', MAX_SECTION_TEXT)) };
}

/** Sections holding all of `text` (already escaped), split at line ends. */
export function sectionBlocks(text: string): SectionBlock[] {
  return splitText(text, MAX_SECTION_TEXT).map((piece) => sectionBlock(piece));
}

/** A section of up to ten short `*label*\nvalue` fields (already escaped). */
export function fieldsBlock(fields: readonly { label: string; value: string }[]): SectionBlock {
  return {
    type: 'section',
    fields: fields
      .slice(0, MAX_FIELDS)
      .map(({ label, value }) => mrkdwnText(cutText(`*${label}*\n${value}`, MAX_FIELD_TEXT, '…'))),
  };
}

/** A context line of already-escaped mrkdwn. */
export function contextBlock(...texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts.slice(0, MAX_CONTEXT_ELEMENTS).map((text) => mrkdwnText(cutText(text, MAX_SECTION_TEXT))),
  };
}

export const DIVIDER_BLOCK: DividerBlock = { type: 'divider' };
