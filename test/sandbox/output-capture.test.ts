import { describe, expect, it } from 'vitest';
import { OutputCapture } from '../../src/sandbox/output-capture.js';

describe('OutputCapture', () => {
  it('keeps everything under the budget, in the order it came', () => {
    const capture = new OutputCapture(100);
    capture.push(Buffer.from('one\n'));
    capture.push(Buffer.from('two\n'));
    expect(capture.result()).toEqual({ text: 'one\ntwo\n', truncated: false });
    expect(capture.totalBytes).toBe(8);
  });

  it('keeps the head and the tail at line ends, saying how much was cut between them', () => {
    const capture = new OutputCapture(200);
    const lines = Array.from({ length: 1000 }, (_, index) => `line ${index + 1}\n`);
    // Written in odd-sized chunks, as a pipe delivers them.
    const all = Buffer.from(lines.join(''));
    for (let offset = 0; offset < all.length; offset += 37) capture.push(all.subarray(offset, offset + 37));
    const { text, truncated } = capture.result();
    expect(truncated).toBe(true);
    expect(text.startsWith('line 1\nline 2\n')).toBe(true);
    expect(text.endsWith('line 999\nline 1000\n')).toBe(true);
    const note = /\[… ([\d,]+) bytes \(([\d,]+) lines\) cut from the middle of the output …\]/.exec(text);
    expect(note).not.toBeNull();
    const keptLines = text.split('\n').filter((line) => line.startsWith('line ')).length;
    expect(keptLines + Number(note![2]!.replaceAll(',', ''))).toBe(1000);
    expect(Buffer.byteLength(text)).toBeLessThan(300);
  });

  it('stays within its budget in memory for huge outputs', () => {
    const capture = new OutputCapture(1000);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let index = 0; index < 200; index++) capture.push(chunk);
    const { text } = capture.result();
    expect(capture.totalBytes).toBe(200 * 64 * 1024);
    expect(text.length).toBeLessThan(1200);
  });
});
