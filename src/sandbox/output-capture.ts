/**
 * Keeps the head and the tail of a command's output within a byte budget, however much it
 * writes: the start says what ran, the end says how it ended. Memory stays bounded by the budget.
 */
export class OutputCapture {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;
  private newlines = 0;

  /** `headShare` of `maxBytes` goes to the head, the rest to the tail. */
  constructor(maxBytes: number, headShare = 0.4) {
    this.headLimit = Math.floor(maxBytes * headShare);
    this.tailLimit = maxBytes - this.headLimit;
  }

  /** Bytes written in all. */
  get totalBytes(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.newlines += countNewlines(chunk);
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const taken = rest.subarray(0, this.headLimit - this.headBytes);
      this.head.push(taken);
      this.headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    // Compact now and then, not on every chunk: the ring stays under twice the tail budget.
    if (this.tailBytes > this.tailLimit * 2) this.compactTail();
  }

  /** The text to show: all of it, or head, a note on what was cut, and tail. */
  result(): { text: string; truncated: boolean } {
    this.compactTail();
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    if (this.total <= this.headLimit + this.tailLimit) {
      return { text: Buffer.concat([head, tail]).toString('utf8'), truncated: false };
    }
    // Cut at line ends where one is near, so the model does not get half a line on either side.
    const headEnd = head.lastIndexOf(0x0a);
    const keptHead = headEnd >= head.length / 2 ? head.subarray(0, headEnd + 1) : head;
    const tailStart = tail.indexOf(0x0a);
    const keptTail = tailStart >= 0 && tailStart < tail.length / 2 ? tail.subarray(tailStart + 1) : tail;
    const cutBytes = this.total - keptHead.length - keptTail.length;
    const cutLines = Math.max(this.newlines - countNewlines(keptHead) - countNewlines(keptTail), 0);
    const note = `[… ${formatCount(cutBytes)} bytes (${formatCount(cutLines)} lines) cut from the middle of the output …]`;
    const headText = keptHead.toString('utf8');
    const separator = headText === '' || headText.endsWith('\n') ? '' : '\n';
    return { text: `${headText}${separator}${note}\n${keptTail.toString('utf8')}`, truncated: true };
  }

  private compactTail(): void {
    if (this.tailBytes <= this.tailLimit && this.tail.length <= 1) return;
    const joined = Buffer.concat(this.tail);
    const kept = joined.subarray(Math.max(joined.length - this.tailLimit, 0));
    this.tail = [kept];
    this.tailBytes = kept.length;
  }
}

function countNewlines(buffer: Buffer): number {
  let count = 0;
  let index = buffer.indexOf(0x0a);
  while (index !== -1) {
    count++;
    index = buffer.indexOf(0x0a, index + 1);
  }
  return count;
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}
