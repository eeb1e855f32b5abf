import { describe, expect, it } from 'vitest';
import {
  LineRole,
  type LogRange,
  RangeBuilder,
  RangeCollector,
} from '../../src/integrations/airflow/index.js';

/** Builds ranges over lines `1..total`, hits at `hits`, feeding plain lines in runs like the finders do. */
function ranges(total: number, hits: number[], context: number, maxRangeLines = 1000): LogRange[] {
  const found: LogRange[] = [];
  const builder = new RangeBuilder({
    context,
    maxRangeLines,
    maxLineChars: 100,
    onRange: (range) => found.push(range),
  });
  const lines = Array.from({ length: total }, (_, index) => `line ${index + 1}`);
  let runStart = 0;
  for (const hit of hits) {
    builder.plain(lines, runStart, hit - 1, runStart + 1);
    builder.line(hit, lines[hit - 1]!, LineRole.Hit);
    runStart = hit;
  }
  builder.plain(lines, runStart, total, runStart + 1);
  builder.finish();
  return found;
}

const span = (range: LogRange) => [range.start, range.end];

describe('RangeBuilder', () => {
  it('puts context around hits and merges ranges that touch', () => {
    expect(ranges(100, [10, 16, 30], 2).map(span)).toEqual([
      [8, 12],
      [14, 18],
      [28, 32],
    ]);
    // 10+2 and 15-2 touch: one range.
    expect(ranges(100, [10, 15], 2).map(span)).toEqual([[8, 17]]);
    expect(ranges(100, [10, 14], 2).map(span)).toEqual([[8, 16]]);
  });

  it('clips context at the start and the end of the log', () => {
    expect(ranges(10, [1, 10], 3).map(span)).toEqual([
      [1, 4],
      [7, 10],
    ]);
  });

  it('with no context keeps only the hits, merging adjacent ones', () => {
    expect(ranges(20, [3, 4, 9], 0).map(span)).toEqual([
      [3, 4],
      [9, 9],
    ]);
  });

  it('keeps the numbers and texts of context lines and marks hits', () => {
    const [range] = ranges(20, [10], 1);
    expect(range!.head).toEqual([
      { number: 9, text: 'line 9', hit: false },
      { number: 10, text: 'line 10', hit: true },
      { number: 11, text: 'line 11', hit: false },
    ]);
  });

  it('keeps the head and tail of a range longer than its cap', () => {
    const hits = Array.from({ length: 50 }, (_, index) => index + 11);
    const [range] = ranges(100, hits, 0, 9);
    expect(span(range!)).toEqual([11, 60]);
    expect(range!.head.map((line) => line.number)).toEqual([11, 12, 13]);
    expect(range!.tail.map((line) => line.number)).toEqual([55, 56, 57, 58, 59, 60]);
    expect(range!.omitted).toBe(41);
    expect(range!.hits).toBe(50);
  });
});

describe('RangeCollector', () => {
  const range = (start: number, size = 100): LogRange => ({
    start,
    end: start,
    head: [{ number: start, text: 'x'.repeat(size), hit: true }],
    tail: [],
    omitted: 0,
    hits: 1,
  });

  it('first-and-last keeps the first range and the latest that fit', () => {
    const collector = new RangeCollector({ keep: 'first-and-last', maxKeptChars: 500 });
    for (let start = 1; start <= 100; start++) collector.add(range(start));
    const { kept, dropped } = collector.result();
    expect(kept[0]!.start).toBe(1);
    expect(kept.at(-1)!.start).toBe(100);
    expect(kept.slice(1).map((each) => each.start)).toEqual([98, 99, 100].slice(-(kept.length - 1)));
    expect(dropped.ranges).toBe(100 - kept.length);
    expect(dropped.start).toBe(2);
  });

  it('first keeps a prefix and counts the rest', () => {
    const collector = new RangeCollector({ keep: 'first', maxKeptChars: 500 });
    for (let start = 1; start <= 100; start++) collector.add(range(start));
    const { kept, dropped } = collector.result();
    expect(kept.map((each) => each.start)).toEqual(kept.map((_, index) => index + 1));
    expect(dropped.start).toBe(kept.length + 1);
    expect(dropped.hits).toBe(100 - kept.length);
  });
});
