import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogTool, searchLogTool } from '../../src/tools/logs.js';
import { type BigLog, CONNECTION_REFUSED_LOG, STARTUP_TIMEOUT_LOG, writeBigLog } from './big-log.js';
import { contextFor, runLogTool } from './helpers.js';

/** A log of hundreds of MB, as the issue asks; generated at test time, removed after. */
const SIZE = 200 * 1024 * 1024;

let root: string;
let log: BigLog;
let refused: string[];
let timeout: string[];

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), 'agentry-big-log-')));
  await mkdir(path.join(root, 'logs'));
  log = await writeBigLog(path.join(root, 'logs', 'attempt=1.log'), SIZE);
  refused = (await readFile(CONNECTION_REFUSED_LOG, 'utf8')).trimEnd().split('\n');
  timeout = (await readFile(STARTUP_TIMEOUT_LOG, 'utf8')).trimEnd().split('\n');
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The output line of log line `number`: `1234567> text`. */
function lineOf(number: number, marker: '>' | '|', text: string): string {
  return `${String(number).padStart(Math.max(4, String(log.lines).length))}${marker} ${text}`;
}

describe('a 200 MB task log, streamed', () => {
  it('is as big as asked', () => {
    expect(log.bytes).toBeGreaterThan(SIZE - 1024 * 1024);
    expect(log.lines).toBeGreaterThan(1_000_000);
  });

  it('search_log finds the final failure near the end and the first one near the start', async () => {
    const { text, truncated } = await runLogTool(
      searchLogTool,
      { path: 'logs/attempt=1.log' },
      contextFor(root),
    );
    expect(text).toContain(`${log.lines.toLocaleString('en-US')} lines`);
    expect(text).toContain('Found 5 tracebacks, 3 ERROR/CRITICAL lines, 5 exception lines, 4 failure lines.');
    const last = log.finalFailureLine + 36;
    expect(text).toContain(`Last exception (line ${last.toLocaleString('en-US')}): ${refused[36]}`);
    // The final failure, whole, with its line numbers.
    expect(text).toContain(
      lineOf(log.finalFailureLine + 9, '>', 'ConnectionRefusedError: [Errno 111] Connection refused'),
    );
    expect(text).toContain(lineOf(log.finalFailureLine + 11, '>', 'Traceback (most recent call last):'));
    expect(text).toContain(lineOf(last, '>', refused[36]!));
    // The first failure, thousands of lines earlier, is kept too.
    expect(text).toContain(lineOf(log.earlyFailureLine + 18, '>', timeout[18]!));
    // Nothing from the million lines of warnings between them.
    expect(
      text.split('\n').filter((line) => line.includes('Pod not yet started')).length,
    ).toBeLessThanOrEqual(6);
    expect(Buffer.byteLength(text)).toBeLessThan(48 * 1024);
    expect(truncated).toBe(false);
  }, 120_000);

  it('search_log with a pattern counts every match and shows them with line numbers', async () => {
    const { text } = await runLogTool(
      searchLogTool,
      { path: 'logs/attempt=1.log', pattern: 'Connection refused', context: 0 },
      contextFor(root),
    );
    expect(text).toContain('2 matching lines');
    expect(text).toContain(
      lineOf(log.finalFailureLine + 9, '>', 'ConnectionRefusedError: [Errno 111] Connection refused'),
    );
  }, 120_000);

  it('search_log with a frequent pattern caps its output and says where to go on', async () => {
    const { text, truncated } = await runLogTool(
      searchLogTool,
      { path: 'logs/attempt=1.log', pattern: 'Pod not yet started', context: 0, max_matches: 3 },
      contextFor(root),
    );
    expect(text).toContain('── lines 5-7 ──');
    expect(text).toMatch(
      /\[… [\d,]+ more matching lines from line 8: search_log with start_line=8 to see them/,
    );
    expect(truncated).toBe(true);
  }, 120_000);

  it('read_log returns the last lines and a window in the middle', async () => {
    const tail = await runLogTool(readLogTool, { path: 'logs/attempt=1.log', tail: 4 }, contextFor(root));
    expect(tail.summary).toBe(`logs/attempt=1.log: lines ${log.lines - 3}-${log.lines} of ${log.lines}`);
    expect(tail.text).toContain(lineOf(log.lines, '|', refused.at(-1)!));

    const window = await runLogTool(
      readLogTool,
      { path: 'logs/attempt=1.log', offset: log.finalFailureLine + 9, limit: 1 },
      contextFor(root),
    );
    expect(window.text).toContain(
      lineOf(log.finalFailureLine + 9, '|', 'ConnectionRefusedError: [Errno 111] Connection refused'),
    );
    expect(window.text).toContain(`read_log with offset=${log.finalFailureLine + 10} to see more`);
  }, 120_000);

  it('stops when the run is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await runLogTool(
      searchLogTool,
      { path: 'logs/attempt=1.log' },
      contextFor(root, { signal: controller.signal }),
    ).catch((thrown: unknown) => thrown);
    expect((error as Error).name).toBe('AbortError');
  });
});
