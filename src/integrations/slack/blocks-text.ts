/**
 * Block Kit as a terminal shows it: for the local outbox (`agentry demo`, runs without Slack), so
 * a person sees the report that would have been posted.
 */
import { CONTROL_CHARACTERS } from './mrkdwn.js';

/** The emoji codes Agentry's messages use, as the characters a terminal can show. */
const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  x: '❌',
  no_entry_sign: '🚫',
  clock3: '🕒',
  hourglass_flowing_sand: '⏳',
  rotating_light: '🚨',
  red_circle: '🔴',
  large_orange_circle: '🟠',
  large_yellow_circle: '🟡',
};

/**
 * Renders Block Kit blocks (as posted, or as stored in an outbox `notification.sent` event) as
 * plain text: headers underlined, section fields as `label: value` lines, quotes with a bar, context lines indented,
 * entities decoded, `<@U…>` as `@U…` and `<url|text>` as `text (url)`. Unknown blocks are skipped.
 */
export function renderBlocksAsText(blocks: readonly unknown[]): string {
  const lines: string[] = [];
  for (const raw of blocks) {
    const block = asRecord(raw);
    if (!block) continue;
    switch (block.type) {
      case 'header': {
        const text = plain(textOf(block.text));
        lines.push(text, '═'.repeat(Math.min(Math.max(visibleLength(text), 3), 80)));
        break;
      }
      case 'section': {
        const text = textOf(block.text);
        // Slack's quote marker (`>` at a line start) is the only markup a terminal would misread.
        if (text.trim()) lines.push(plain(text.replace(/^>/gm, '│ ')));
        const fields = Array.isArray(block.fields) ? block.fields : [];
        const rendered = fields.map((field) =>
          plain(textOf(field))
            .replace(/\n/g, ' ')
            .replace(/^\*(.+?)\*\s*/, '$1: '),
        );
        if (rendered.length > 0) lines.push(...rendered);
        lines.push('');
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        lines.push(`  ${elements.map((element) => plain(textOf(element))).join('  ')}`, '');
        break;
      }
      case 'divider':
        lines.push('─'.repeat(40));
        break;
      default:
        break;
    }
  }
  while (lines.at(-1) === '') lines.pop();
  return lines.join('\n');
}

function textOf(value: unknown): string {
  const object = asRecord(value);
  return typeof object?.text === 'string' ? object.text : '';
}

/** Slack's markup as a terminal reads it. */
function plain(text: string): string {
  return text
    .replace(/<([^<>|]+)\|([^<>]+)>/g, '$2 ($1)')
    .replace(/<([@#!])([^<>]+)>/g, '$1$2')
    .replace(/<([^<>]+)>/g, '$1')
    .replace(/:([a-z0-9_+-]+):/g, (code, name: string) => EMOJI[name] ?? code)
    .replace(/\u2060/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(CONTROL_CHARACTERS, '');
}

function visibleLength(text: string): number {
  return [...text].length;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}
