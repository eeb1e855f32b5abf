import { describe, expect, it } from 'vitest';
import {
  capHead,
  capHeadTail,
  clipLine,
  cutNote,
  formatCount,
  splitLines,
  takeHead,
  takeHeadAndTail,
} from '../../src/tools/output-cap.js';

const numbered = (count: number) => Array.from({ length: count }, (_, index) => `line ${index + 1}`);

describe('splitLines', () => {
  it('splits on \\n and \\r\\n without an extra line for the final newline', () => {
    expect(splitLines('a\r\nb\nc\n')).toEqual(['a', 'b', 'c']);
    expect(splitLines('a\n\nb')).toEqual(['a', '', 'b']);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('\n')).toEqual(['']);
  });
});

describe('takeHead', () => {
  it('keeps lines up to maxLines', () => {
    expect(takeHead(numbered(10), { maxLines: 3 })).toEqual({
      kept: ['line 1', 'line 2', 'line 3'],
      omitted: 7,
    });
  });

  it('keeps whole lines up to maxBytes, counting each newline and UTF-8 bytes', () => {
    // 'é' is two bytes: 'éé' + newline = 5 bytes a line.
    expect(takeHead(['éé', 'éé', 'éé'], { maxBytes: 10 })).toEqual({ kept: ['éé', 'éé'], omitted: 1 });
    expect(takeHead(['éé', 'éé', 'éé'], { maxBytes: 9 })).toEqual({ kept: ['éé'], omitted: 2 });
  });

  it('clips a first line that alone is over maxBytes instead of returning nothing', () => {
    const { kept, omitted } = takeHead(['x'.repeat(1000), 'next'], { maxBytes: 100 });
    expect(kept).toHaveLength(1);
    expect(kept[0]!.endsWith('…')).toBe(true);
    expect(Buffer.byteLength(kept[0]!)).toBeLessThanOrEqual(100);
    expect(omitted).toBe(1);
  });

  it('keeps everything without limits', () => {
    expect(takeHead(numbered(5), {})).toEqual({ kept: numbered(5), omitted: 0 });
  });
});

describe('takeHeadAndTail', () => {
  it('keeps the start and the end of a log', () => {
    const { head, tail, omitted } = takeHeadAndTail(numbered(100), { maxLines: 10 });
    expect(head).toEqual(numbered(5));
    expect(tail).toEqual(['line 96', 'line 97', 'line 98', 'line 99', 'line 100']);
    expect(omitted).toBe(90);
  });

  it('gives the tail more room with a smaller head share', () => {
    const { head, tail } = takeHeadAndTail(numbered(100), { maxLines: 10 }, { headShare: 0.2 });
    expect(head).toEqual(['line 1', 'line 2']);
    expect(tail).toHaveLength(8);
    expect(tail.at(-1)).toBe('line 100');
  });

  it('keeps everything when it fits', () => {
    expect(takeHeadAndTail(numbered(4), { maxLines: 10 })).toEqual({
      head: numbered(4),
      tail: [],
      omitted: 0,
    });
  });

  it('respects maxBytes across head and tail', () => {
    const lines = Array.from({ length: 100 }, (_, index) => `${String(index).padStart(9, '0')}`);
    const { head, tail, omitted } = takeHeadAndTail(lines, { maxBytes: 100 });
    expect(head).toHaveLength(5);
    expect(tail).toHaveLength(5);
    expect(tail.at(-1)).toBe('000000099');
    expect(omitted).toBe(90);
  });
});

describe('notes', () => {
  it('formats the cut note with thousands separators and a hint', () => {
    expect(cutNote(1234, 'lines', 'read with offset=200 to see more')).toBe(
      '[… 1,234 more lines cut: read with offset=200 to see more]',
    );
    expect(cutNote(5, 'entries', undefined, { atLeast: true })).toBe('[… at least 5 more entries cut]');
    expect(formatCount(1_000_000)).toBe('1,000,000');
  });

  it('capHead appends the note with the first line left out', () => {
    const capped = capHead(numbered(1000).join('\n'), {
      maxLines: 200,
      hint: (next) => `read with offset=${next}`,
    });
    const lines = capped.text.split('\n');
    expect(capped.truncated).toBe(true);
    expect(lines).toHaveLength(201);
    expect(lines[199]).toBe('line 200');
    expect(lines[200]).toBe('[… 800 more lines cut: read with offset=201]');
  });

  it('capHead leaves short text untouched', () => {
    expect(capHead('a\nb\n', { maxLines: 5 })).toEqual({ text: 'a\nb\n', truncated: false });
  });

  it('capHeadTail marks the cut middle', () => {
    const capped = capHeadTail(numbered(50).join('\n'), { maxLines: 4 });
    expect(capped).toEqual({
      text: 'line 1\nline 2\n[… 46 lines cut from the middle …]\nline 49\nline 50',
      truncated: true,
    });
  });

  it('clipLine says how much of a long line was cut', () => {
    expect(clipLine('abcdef', 3)).toBe('abc… [3 more chars on this line]');
    expect(clipLine('abc', 3)).toBe('abc');
  });
});
