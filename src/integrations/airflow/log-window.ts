import { ownString } from './line-splitter.js';
import type { KeptLine } from './log-ranges.js';
import type { LineVisitor } from './scan-log.js';

/** Which lines a {@link LogWindow} keeps: from `offset` on, or the last `tail`. */
export type WindowRequest = { offset: number; limit: number } | { tail: number };

/**
 * Keeps one window of lines of a streaming log and counts the rest: lines `offset` to
 * `offset + limit - 1`, or the last `tail` lines (a ring, so a 200 MB log costs `tail` lines).
 */
export class LogWindow implements LineVisitor {
  private readonly kept: KeptLine[] = [];
  private ringStart = 0;

  constructor(
    private readonly request: WindowRequest,
    private readonly maxLineChars: number,
  ) {}

  visit(lines: readonly string[], first: number): undefined {
    if ('tail' in this.request) {
      this.keepTail(lines, first, this.request.tail);
      return undefined;
    }
    const { offset, limit } = this.request;
    const last = offset + limit - 1;
    const from = Math.max(offset - first, 0);
    const to = Math.min(last - first, lines.length - 1);
    for (let index = from; index <= to; index++) {
      this.kept.push({ number: first + index, text: clip(lines[index]!, this.maxLineChars), hit: false });
    }
    return undefined;
  }

  /** The kept lines in order. */
  lines(): KeptLine[] {
    return [...this.kept.slice(this.ringStart), ...this.kept.slice(0, this.ringStart)];
  }

  private keepTail(lines: readonly string[], first: number, tail: number): void {
    // Only the batch's last `tail` lines can survive: skip the others without copying them.
    const from = Math.max(lines.length - tail, 0);
    for (let index = from; index < lines.length; index++) {
      const line = { number: first + index, text: clip(lines[index]!, this.maxLineChars), hit: false };
      if (this.kept.length < tail) {
        this.kept.push(line);
        continue;
      }
      this.kept[this.ringStart] = line;
      this.ringStart = (this.ringStart + 1) % tail;
    }
  }
}

function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return ownString(text);
  return ownString(
    `${text.slice(0, maxChars)}… [${(text.length - maxChars).toLocaleString('en-US')} more chars on this line]`,
  );
}
