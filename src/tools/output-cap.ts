/**
 * Caps on what a tool hands the model. A tool's output goes into the model's context on every
 * later step, so every tool cuts it and says, in the output itself, what was cut and how to see it.
 */

/** Bytes of output a tool returns at most, unless it has a reason for another cap. */
export const DEFAULT_MAX_OUTPUT_BYTES = 100 * 1024;

/** Limits on text; a missing limit is no limit. */
export interface CapLimits {
  maxLines?: number;
  maxBytes?: number;
}

/** The first lines that fit, and how many did not. */
export interface HeadSlice {
  kept: string[];
  /** Lines left out after `kept`. */
  omitted: number;
}

/** The first and last lines that fit, and how many were left out between them. */
export interface HeadTailSlice {
  head: string[];
  tail: string[];
  omitted: number;
}

/** Capped text ready for the model, with the cut note already in it. */
export interface CappedText {
  text: string;
  truncated: boolean;
}

/** Splits text into lines: `\n` or `\r\n` end a line, and a final newline does not start another. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/**
 * Keeps the first lines within the limits. A first line longer than `maxBytes` on its own is kept
 * clipped, so the model never gets nothing back.
 */
export function takeHead(lines: readonly string[], limits: CapLimits): HeadSlice {
  const maxLines = limits.maxLines ?? Number.POSITIVE_INFINITY;
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const kept: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (kept.length >= maxLines) break;
    const size = lineBytes(line);
    if (bytes + size > maxBytes) {
      if (kept.length === 0) kept.push(clipBytes(line, maxBytes - 1));
      break;
    }
    kept.push(line);
    bytes += size;
  }
  return { kept, omitted: lines.length - kept.length };
}

/**
 * Keeps the first and the last lines within the limits, for logs: the start says what ran, the
 * end says how it failed. `headShare` is the part of each limit given to the head (default 0.5).
 */
export function takeHeadAndTail(
  lines: readonly string[],
  limits: CapLimits,
  options: { headShare?: number } = {},
): HeadTailSlice {
  const maxLines = limits.maxLines ?? Number.POSITIVE_INFINITY;
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const whole = takeHead(lines, limits);
  if (whole.omitted === 0) return { head: whole.kept, tail: [], omitted: 0 };

  const share = Math.min(Math.max(options.headShare ?? 0.5, 0), 1);
  const head = takeHead(lines, {
    maxLines: Math.floor(maxLines * share),
    maxBytes: Math.floor(maxBytes * share),
  });
  let bytesLeft = maxBytes - head.kept.reduce((sum, line) => sum + lineBytes(line), 0);
  const linesLeft = maxLines - head.kept.length;
  const tail: string[] = [];
  for (let index = lines.length - 1; index >= head.kept.length; index--) {
    const line = lines[index]!;
    if (tail.length >= linesLeft || lineBytes(line) > bytesLeft) break;
    tail.push(line);
    bytesLeft -= lineBytes(line);
  }
  tail.reverse();
  return { head: head.kept, tail, omitted: lines.length - head.kept.length - tail.length };
}

/**
 * The note that ends a cut output, e.g.
 * `[… 1,234 more lines cut: read with offset=200 to see more]`.
 * `atLeast` says the count is a lower bound (the tool stopped counting).
 */
export function cutNote(
  omitted: number,
  noun: string,
  hint?: string,
  options: { atLeast?: boolean } = {},
): string {
  const count = `${options.atLeast ? 'at least ' : ''}${formatCount(omitted)}`;
  return `[… ${count} more ${noun} cut${hint ? `: ${hint}` : ''}]`;
}

/**
 * Caps text, keeping its head. `hint` gets the 1-based number of the first line left out and
 * says how to see the rest (e.g. `read with offset=201 to see more`).
 */
export function capHead(
  text: string,
  limits: CapLimits & { noun?: string; hint?: (firstOmittedLine: number) => string },
): CappedText {
  const lines = splitLines(text);
  const { kept, omitted } = takeHead(lines, limits);
  if (omitted === 0) return { text, truncated: false };
  const note = cutNote(omitted, limits.noun ?? 'lines', limits.hint?.(kept.length + 1));
  return { text: [...kept, note].join('\n'), truncated: true };
}

/** Caps text keeping its head and tail, with a note where the middle was cut. For logs. */
export function capHeadTail(
  text: string,
  limits: CapLimits & { noun?: string; headShare?: number },
): CappedText {
  const lines = splitLines(text);
  const { head, tail, omitted } = takeHeadAndTail(lines, limits, { headShare: limits.headShare });
  if (omitted === 0) return { text, truncated: false };
  const note = `[… ${formatCount(omitted)} ${limits.noun ?? 'lines'} cut from the middle …]`;
  return { text: [...head, note, ...tail].join('\n'), truncated: true };
}

/** Clips one line to `maxChars`, saying how much was cut: minified JSON and SQL have huge lines. */
export function clipLine(line: string, maxChars: number, fullLength = line.length): string {
  if (fullLength <= maxChars) return line;
  return `${line.slice(0, maxChars)}… [${formatCount(fullLength - maxChars)} more chars on this line]`;
}

/** `1234` → `1,234`: counts the model and a person read. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

function lineBytes(line: string): number {
  return Buffer.byteLength(line) + 1;
}

/** Cuts to at most `maxBytes` of UTF-8 without splitting a character. */
function clipBytes(line: string, maxBytes: number): string {
  const clipped = Buffer.from(line)
    .subarray(0, Math.max(maxBytes - 3, 0))
    .toString('utf8');
  return `${clipped.replace(/\uFFFD$/, '')}…`;
}
