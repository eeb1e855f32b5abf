import { ownString } from './line-splitter.js';

/**
 * Ranges of log lines around hits (error lines, regex matches), built while the log streams by:
 * a few lines of context before and after each hit, overlapping or touching ranges merged, each
 * range and the whole set capped so a log of millions of lines yields a bounded answer.
 */

/** One line kept for output. */
export interface KeptLine {
  /** 1-based line number in the log. */
  number: number;
  text: string;
  /** A line that matched (an error, a traceback start, a regex match), as opposed to context. */
  hit: boolean;
}

/** Consecutive lines `start`..`end` around one or more hits. */
export interface LogRange {
  start: number;
  end: number;
  /** The range's first lines; all of them when `omitted` is 0. */
  head: KeptLine[];
  /** The range's last lines when it was too long to keep whole. */
  tail: KeptLine[];
  /** Lines left out between `head` and `tail`. */
  omitted: number;
  hits: number;
}

/**
 * How a line takes part in a range: `Plain` is context only, `Block` belongs to a block kept whole
 * (a traceback's frames) without being a hit, `Hit` is shown marked.
 */
export const LineRole = { Plain: 0, Block: 1, Hit: 2 } as const;
export type LineRole = (typeof LineRole)[keyof typeof LineRole];

export interface RangeBuilderOptions {
  /** Lines of context before and after each hit. */
  context: number;
  /** Lines kept per range; a longer range keeps its head and tail. */
  maxRangeLines: number;
  /** Characters kept per line. */
  maxLineChars: number;
  onRange(range: LogRange): void;
}

/**
 * Builds ranges from lines fed one at a time, in order. Two hits whose context touches end up in
 * one range. Keeps at most `context` lines besides the open range.
 */
export class RangeBuilder {
  private readonly recent: string[];
  private recentStart = 0;
  private recentCount = 0;
  private open: MutableRange | undefined;
  private afterLeft = 0;
  /** Plain lines seen since the open range's after-context ran out. */
  private gap = 0;

  constructor(private readonly options: RangeBuilderOptions) {
    this.recent = new Array<string>(options.context);
  }

  line(number: number, text: string, role: LineRole): void {
    if (role !== LineRole.Plain) {
      this.include(number, text, role === LineRole.Hit);
      return;
    }
    if (this.open && this.afterLeft > 0) {
      this.open.add(number, text, false);
      this.afterLeft -= 1;
      return;
    }
    this.remember(text);
    if (!this.open) return;
    this.gap += 1;
    if (this.gap > this.options.context) this.close();
  }

  /**
   * Feeds `lines[from]` to `lines[to - 1]` as plain lines, numbered from `number`: the same as
   * calling {@link line} for each, at the cost of the few that can end up in a range.
   */
  plain(lines: readonly string[], from: number, to: number, number: number): void {
    let index = from;
    if (this.open && this.afterLeft > 0) {
      const take = Math.min(this.afterLeft, to - index);
      for (let offset = 0; offset < take; offset++)
        this.open.add(number + offset, lines[index + offset]!, false);
      this.afterLeft -= take;
      index += take;
    }
    const count = to - index;
    if (count <= 0) return;
    if (this.open) {
      this.gap += count;
      if (this.gap > this.options.context) this.close();
    }
    // Only the last `context` of them can be context for a later hit.
    for (let each = Math.max(index, to - this.recent.length); each < to; each++) this.remember(lines[each]!);
  }

  /** Ends the open range, if any. Call once after the last line. */
  finish(): void {
    this.close();
  }

  private include(number: number, text: string, hit: boolean): void {
    if (!this.open) this.open = new MutableRange(number - this.recentCount, this.options);
    // The remembered lines are the gap since the open range (at most `context`), or the new range's
    // before-context: either way they come right before this line.
    const capacity = this.recent.length;
    for (let index = 0; index < this.recentCount; index++) {
      const line = this.recent[(this.recentStart + index) % capacity]!;
      this.open.add(number - this.recentCount + index, line, false);
    }
    this.recentStart = 0;
    this.recentCount = 0;
    this.open.add(number, text, hit);
    this.afterLeft = this.options.context;
    this.gap = 0;
  }

  private remember(text: string): void {
    const capacity = this.recent.length;
    if (capacity === 0) return;
    if (this.recentCount < capacity) {
      this.recent[(this.recentStart + this.recentCount) % capacity] = text;
      this.recentCount += 1;
      return;
    }
    this.recent[this.recentStart] = text;
    this.recentStart = (this.recentStart + 1) % capacity;
  }

  private close(): void {
    if (!this.open) return;
    this.options.onRange(this.open.freeze());
    this.open = undefined;
    this.afterLeft = 0;
    this.gap = 0;
  }
}

class MutableRange {
  private readonly head: KeptLine[] = [];
  private readonly tail: KeptLine[] = [];
  private omitted = 0;
  private hits = 0;
  private end: number;
  private readonly headCap: number;
  private readonly tailCap: number;

  constructor(
    private readonly start: number,
    private readonly options: RangeBuilderOptions,
  ) {
    this.end = start - 1;
    this.headCap = Math.max(1, Math.ceil(options.maxRangeLines / 3));
    this.tailCap = Math.max(1, options.maxRangeLines - this.headCap);
  }

  add(number: number, text: string, hit: boolean): void {
    this.end = number;
    if (hit) this.hits += 1;
    const kept = { number, text: ownString(clip(text, this.options.maxLineChars)), hit };
    if (this.head.length < this.headCap) {
      this.head.push(kept);
      return;
    }
    this.tail.push(kept);
    if (this.tail.length > this.tailCap) {
      this.tail.shift();
      this.omitted += 1;
    }
  }

  freeze(): LogRange {
    return {
      start: this.start,
      end: this.end,
      head: this.head,
      tail: this.tail,
      omitted: this.omitted,
      hits: this.hits,
    };
  }
}

function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}… [${(text.length - maxChars).toLocaleString('en-US')} more chars on this line]`;
}

/** Ranges a collector let go of to stay within its budget. */
export interface DroppedRanges {
  ranges: number;
  hits: number;
  /** First line of the first range dropped, 0 when none was. */
  start: number;
  /** Last line of the last range dropped, 0 when none was. */
  end: number;
}

/** What a {@link RangeCollector} kept. */
export interface CollectedRanges {
  /** Kept ranges in log order. With `keep: 'first-and-last'`, dropped ranges sit between the first kept and the rest. */
  kept: LogRange[];
  dropped: DroppedRanges;
}

export interface RangeCollectorOptions {
  /**
   * `first`: keep ranges from the start until the budget is spent (a search reads on from there).
   * `first-and-last`: keep the first range and as many of the latest as fit (a failure is at the
   * end of a log, its root cause often at the first error).
   */
  keep: 'first' | 'first-and-last';
  /** Characters of kept text the collector may hold. */
  maxKeptChars: number;
}

/** Holds ranges within a budget of characters, dropping what the `keep` policy says. */
export class RangeCollector {
  private first: LogRange | undefined;
  private readonly recent: LogRange[] = [];
  private recentChars = 0;
  private readonly dropped: DroppedRanges = { ranges: 0, hits: 0, start: 0, end: 0 };

  constructor(private readonly options: RangeCollectorOptions) {}

  add(range: LogRange): void {
    if (this.options.keep === 'first-and-last' && !this.first) {
      this.first = range;
      return;
    }
    const size = rangeChars(range);
    if (this.options.keep === 'first') {
      // Once one range is dropped, every later one is too: what is kept stays a prefix of the log.
      const fits = this.recent.length === 0 || this.recentChars + size <= this.options.maxKeptChars;
      if (this.dropped.ranges === 0 && fits) this.keep(range, size);
      else this.drop(range);
      return;
    }
    this.keep(range, size);
    while (this.recent.length > 1 && this.recentChars > this.options.maxKeptChars) {
      const oldest = this.recent.shift()!;
      this.recentChars -= rangeChars(oldest);
      this.drop(oldest);
    }
  }

  result(): CollectedRanges {
    const kept = this.first ? [this.first, ...this.recent] : [...this.recent];
    return { kept, dropped: { ...this.dropped } };
  }

  private keep(range: LogRange, size: number): void {
    this.recent.push(range);
    this.recentChars += size;
  }

  private drop(range: LogRange): void {
    this.dropped.ranges += 1;
    this.dropped.hits += range.hits;
    if (this.dropped.start === 0 || range.start < this.dropped.start) this.dropped.start = range.start;
    this.dropped.end = Math.max(this.dropped.end, range.end);
  }
}

/** Characters a range takes once rendered, about. */
export function rangeChars(range: LogRange): number {
  let size = 40;
  for (const line of range.head) size += line.text.length + 10;
  for (const line of range.tail) size += line.text.length + 10;
  return size;
}
