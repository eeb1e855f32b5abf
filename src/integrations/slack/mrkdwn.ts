/**
 * Text for Slack from text we did not write. Model output, webhook payloads and tool arguments are
 * hostile: in Slack's mrkdwn, `<!channel>` pings a whole channel, `<@U…>` pings a person and
 * `<https://evil|Grafana>` disguises a link. Escaping `&`, `<` and `>` (the only three characters
 * Slack decodes) makes all of them literal text; the only mentions we send are ones we build.
 */

const WORD_JOINER = '\u2060';

/** Control characters but tab and newline: they render as boxes, or drive a terminal (ANSI escapes). */
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Makes untrusted text literal for any Slack text field (mrkdwn, plain_text, a message's `text`):
 * escapes `&`, `<`, `>`, and puts an invisible word joiner after the `@` of `@channel`, `@here`
 * and `@everyone`, which Slack may otherwise turn into broadcasts when it parses a message.
 */
export function escapeSlackText(text: string): string {
  return text
    .replace(CONTROL_CHARACTERS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, `@${WORD_JOINER}$1`);
}

/**
 * Escapes untrusted text, then turns the Markdown models write into Slack's mrkdwn: `**bold**` →
 * `*bold*`, `# Heading` → a bold line, `- item` → `• item`, and `[text](url)` → `text (url)`, so
 * a link always shows where it goes.
 */
export function markdownToMrkdwn(text: string): string {
  return escapeSlackText(text)
    .split('\n')
    .map((line) => {
      const heading = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
      if (heading) return `*${heading[1]!.replace(/\*\*/g, '')}*`;
      return line
        .replace(/^(\s*)[-*+]\s+/, '$1• ')
        .replace(/\*\*(.+?)\*\*/g, '*$1*')
        .replace(/__(.+?)__/g, '_$1_')
        .replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, '$1 ($2)');
    })
    .join('\n');
}

/** `affected_models` → `Affected models`: a schema key as a person reads it. */
export function titleCase(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.length === 0 ? key : words[0]!.toUpperCase() + words.slice(1);
}

/**
 * Cuts escaped text to at most `maxChars`, ending with `separator` and `note`, without splitting an entity
 * (`&amp;`), a surrogate pair or, where a line ends near the cut, a line.
 */
export function cutText(text: string, maxChars: number, note = '… cut', separator = '\n'): string {
  if (text.length <= maxChars) return text;
  const suffix = `${separator}${note}`;
  const end = safeCut(text, Math.max(maxChars - suffix.length, 0));
  return `${text.slice(0, end).trimEnd()}${suffix}`;
}

/**
 * Splits escaped text into pieces of at most `maxChars`, at line ends where it can, never inside
 * an entity or a surrogate pair.
 */
export function splitText(text: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const end = safeCut(rest, maxChars);
    pieces.push(rest.slice(0, end).trimEnd());
    rest = rest.slice(end).replace(/^\n/, '');
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces.filter((piece, index) => piece.length > 0 || index === 0);
}

/** Where to cut `text` to keep at most `limit` characters: a line end in the last fifth, else `limit`. */
function safeCut(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  const newline = text.lastIndexOf('\n', limit);
  let end = newline >= limit * 0.8 ? newline : limit;
  // An entity is at most 5 characters (`&amp;`): back off when the cut falls inside one.
  const ampersand = text.lastIndexOf('&', end - 1);
  if (ampersand >= 0 && end - ampersand < 5 && !text.slice(ampersand, end).includes(';')) {
    const closing = text.indexOf(';', ampersand);
    if (closing >= end && closing - ampersand <= 4) end = ampersand;
  }
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return Math.max(end, 1);
}
