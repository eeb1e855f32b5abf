/**
 * How much of one line is kept while it is still being read. A log with a 500 MB line (a minified
 * payload printed by a task) must not need 500 MB: the rest is counted, not kept.
 */
export const MAX_KEPT_LINE_CHARS = 64 * 1024;
/** Bytes of an unfinished line held, at most: enough for {@link MAX_KEPT_LINE_CHARS} of any UTF-8. */
const MAX_PENDING_BYTES = MAX_KEPT_LINE_CHARS * 4;
const NEWLINE = 0x0a;

/** Lines completed by one chunk. */
export interface LineBatch {
  lines: string[];
  /**
   * The decoded text the lines were cut from, when it holds exactly them joined by `\n` (before a
   * `\r` was dropped or a long line clipped): lets a reader search a whole batch at once.
   */
  text?: string;
}

/**
 * Cuts a stream of UTF-8 chunks into lines. `\n` ends a line, a `\r` before it is dropped, and a
 * last line without a newline still counts. Each chunk is decoded up to its last newline, which
 * never falls inside a multi-byte character, so the rest waits for the next chunk as bytes.
 */
export class LineSplitter {
  private pending: Buffer | undefined;
  /** Bytes of the current line dropped because it outgrew {@link MAX_PENDING_BYTES}. */
  private dropped = 0;

  /** The lines that `chunk` completes, in order. */
  push(chunk: Uint8Array | string): LineBatch {
    let bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const lines: string[] = [];
    if (this.dropped > 0) {
      // The current line is already too long: skip to its end.
      const newline = bytes.indexOf(NEWLINE);
      if (newline === -1) {
        this.dropped += bytes.length;
        return { lines };
      }
      this.dropped += newline;
      lines.push(this.takePending());
      bytes = bytes.subarray(newline + 1);
    }
    const last = bytes.lastIndexOf(NEWLINE);
    if (last === -1) {
      this.hold(bytes);
      return { lines };
    }
    const whole = this.pending
      ? Buffer.concat([this.pending, bytes.subarray(0, last)])
      : bytes.subarray(0, last);
    this.pending = undefined;
    const text = whole.toString('utf8');
    const clipped = lines.length > 0;
    for (const line of text.split('\n')) lines.push(tidy(line));
    this.hold(bytes.subarray(last + 1));
    return clipped ? { lines } : { lines, text };
  }

  /** The last line, when the text does not end with a newline. */
  end(): string[] {
    if (!this.pending && this.dropped === 0) return [];
    return [this.takePending()];
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const held = this.pending?.length ?? 0;
    const room = MAX_PENDING_BYTES - held;
    const kept = bytes.length <= room ? bytes : bytes.subarray(0, Math.max(room, 0));
    // A copy: holding a slice would keep the whole chunk alive.
    this.pending = this.pending ? Buffer.concat([this.pending, kept]) : Buffer.from(kept);
    this.dropped += bytes.length - kept.length;
  }

  private takePending(): string {
    const text = this.pending ? this.pending.toString('utf8') : '';
    const dropped = this.dropped;
    this.pending = undefined;
    this.dropped = 0;
    if (dropped === 0) return tidy(text);
    return `${text.slice(0, MAX_KEPT_LINE_CHARS)}… [${dropped.toLocaleString('en-US')}+ more bytes on this line]`;
  }
}

function tidy(line: string): string {
  const withoutReturn = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  if (withoutReturn.length <= MAX_KEPT_LINE_CHARS) return withoutReturn;
  const extra = withoutReturn.length - MAX_KEPT_LINE_CHARS;
  return `${withoutReturn.slice(0, MAX_KEPT_LINE_CHARS)}… [${extra.toLocaleString('en-US')} more chars on this line]`;
}

/**
 * A copy of `text` that shares no memory with the chunk it was cut from. V8 makes substrings as
 * views of their parent, so one line kept from a 1 MB chunk would keep the whole chunk alive.
 */
export function ownString(text: string): string {
  return text.length < 16 ? text : Buffer.from(text, 'utf8').toString('utf8');
}
