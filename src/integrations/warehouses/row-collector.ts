import type { CutReason } from './warehouse.js';

/** Characters of one value kept at most: a JSON blob or a long text must not fill the result. */
export const MAX_VALUE_CHARS = 1000;

/**
 * Keeps rows up to a row and a byte cap while an adapter streams them, so a million-row query
 * costs the rows kept plus one. Values are made JSON-safe and long ones clipped on the way in.
 */
export class RowCollector {
  readonly rows: unknown[][] = [];
  /** Set once a row did not fit: the result was cut. */
  cut: CutReason | undefined;
  private bytes = 0;

  constructor(
    private readonly maxRows: number,
    private readonly maxBytes: number,
  ) {}

  /** True while more rows are wanted. */
  get open(): boolean {
    return this.cut === undefined;
  }

  /**
   * Adds a row. Returns false when it did not fit (the result is cut): stop reading then. The
   * first row is always kept, so a result is never empty because one row is wide.
   */
  add(row: readonly unknown[]): boolean {
    if (this.cut) return false;
    if (this.rows.length >= this.maxRows) {
      this.cut = 'rows';
      return false;
    }
    const values = row.map(toJsonValue);
    const size = JSON.stringify(values).length + 1;
    if (this.rows.length > 0 && this.bytes + size > this.maxBytes) {
      this.cut = 'bytes';
      return false;
    }
    this.rows.push(values);
    this.bytes += size;
    return true;
  }
}

/**
 * A value the model can read as JSON: big integers that fit become numbers (else strings),
 * dates become ISO strings, bytes a short hex preview, long text clipped with a count.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return clipText(value);
  if (typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return bytesPreview(value);
  const json = JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? item.toString() : item,
  );
  if (json === undefined) return String(value);
  return json.length > MAX_VALUE_CHARS ? clipText(json) : JSON.parse(json);
}

function clipText(text: string): string {
  if (text.length <= MAX_VALUE_CHARS) return text;
  return `${text.slice(0, MAX_VALUE_CHARS)}… [${(text.length - MAX_VALUE_CHARS).toLocaleString('en-US')} more chars]`;
}

function bytesPreview(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.subarray(0, 32)).toString('hex');
  return `\\x${shown}${bytes.length > 32 ? `… (${bytes.length.toLocaleString('en-US')} bytes)` : ''}`;
}
