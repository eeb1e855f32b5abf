import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_KEPT_LINE_CHARS } from '../../src/integrations/airflow/index.js';

/** Feeds `text` to a splitter in chunks of `size` bytes and collects every line. */
function splitInChunks(text: string | Buffer, size: number): string[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const splitter = new LineSplitter();
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; start += size) {
    lines.push(...splitter.push(bytes.subarray(start, start + size)).lines);
  }
  lines.push(...splitter.end());
  return lines;
}

describe('LineSplitter', () => {
  const text = 'première ligne — é\r\n[2024] ERROR - 💥 boom\n\nlast line without newline';
  const expected = ['première ligne — é', '[2024] ERROR - 💥 boom', '', 'last line without newline'];

  it('gives the same lines whatever the chunk size, even when a chunk ends inside a character', () => {
    for (const size of [1, 2, 3, 5, 7, 64, 1 << 20])
      expect(splitInChunks(text, size), `chunks of ${size}`).toEqual(expected);
  });

  it('does not count a final newline as a line', () => {
    expect(splitInChunks('a\nb\n', 1)).toEqual(['a', 'b']);
    expect(splitInChunks('', 4)).toEqual([]);
  });

  it('keeps the start of a line too long to hold, says how much was cut, and reads on', () => {
    const long = 'x'.repeat(MAX_KEPT_LINE_CHARS * 6);
    const lines = splitInChunks(`before\n${long}\nafter\n`, 10_000);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('before');
    expect(lines[1]!.startsWith('x'.repeat(MAX_KEPT_LINE_CHARS))).toBe(true);
    expect(lines[1]).toMatch(/… \[[\d,]+\+? more (bytes|chars) on this line\]$/);
    expect(lines[1]!.length).toBeLessThan(MAX_KEPT_LINE_CHARS + 100);
    expect(lines[2]).toBe('after');
  });

  it('hands over the decoded text of a batch when it holds exactly its lines', () => {
    const splitter = new LineSplitter();
    const batch = splitter.push(Buffer.from('one\r\ntwo\nthr'));
    expect(batch.lines).toEqual(['one', 'two']);
    expect(batch.text).toBe('one\r\ntwo');
    expect(splitter.push(Buffer.from('ee\n')).text).toBe('three');
  });
});
