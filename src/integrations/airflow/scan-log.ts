import { type LineBatch, LineSplitter } from './line-splitter.js';
import type { LogStream } from './log-stream.js';

/** Takes the lines of a log in order, a batch at a time. */
export interface LineVisitor {
  /**
   * `lines[0]` is line number `first` (1-based). `text`, when given, is the text the lines were
   * cut from (see {@link LineBatch}). Return `false` to stop reading: the scan then ends without
   * counting the rest. A visitor that works elsewhere (a worker thread) returns a promise, and the
   * scan waits for it before reading on.
   */
  visit(
    lines: readonly string[],
    first: number,
    text?: string,
  ): boolean | undefined | Promise<boolean | undefined>;
}

/** What one pass over a log saw. */
export interface ScanResult {
  /** Lines read: all of them unless `stopped`. */
  lines: number;
  /** Bytes read. */
  bytes: number;
  /** The visitor stopped the scan before the end. */
  stopped: boolean;
  /** The log starts with a NUL byte in its first 8,000 bytes: not text, nothing was visited. */
  binary: boolean;
}

/** Like git: a NUL byte in the first 8,000 bytes makes a file binary. */
const BINARY_SNIFF_BYTES = 8000;

/**
 * Reads a log once, chunk by chunk, handing its lines to `visitor`. Memory stays at one chunk plus
 * what the visitor keeps, whatever the size of the log.
 */
export async function scanLog(
  stream: LogStream,
  visitor: LineVisitor,
  signal?: AbortSignal,
): Promise<ScanResult> {
  const splitter = new LineSplitter();
  let lines = 0;
  let bytes = 0;
  let firstChunk = true;
  for await (const chunk of stream.chunks) {
    signal?.throwIfAborted();
    if (firstChunk && typeof chunk !== 'string' && chunk.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
      return { lines: 0, bytes: chunk.length, stopped: true, binary: true };
    }
    firstChunk = false;
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const batch: LineBatch = splitter.push(chunk);
    if (batch.lines.length === 0) continue;
    const keepGoing = await visitor.visit(batch.lines, lines + 1, batch.text);
    lines += batch.lines.length;
    if (keepGoing === false) return { lines, bytes, stopped: true, binary: false };
  }
  const last = splitter.end();
  if (last.length > 0) {
    await visitor.visit(last, lines + 1);
    lines += last.length;
  }
  return { lines, bytes, stopped: false, binary: false };
}
