import { ApiError } from './errors.js';

/** How long a refused client is told to wait before it opens a stream again. */
export const STREAM_RETRY_AFTER_SECONDS = 5;

/**
 * Counts open event streams (SSE), per API key and in all. A stream holds a connection for as
 * long as its run goes on, so without a cap one key could take every connection the server has.
 */
export class StreamLimiter {
  readonly #perKey: number;
  readonly #total: number;
  readonly #open = new Map<string, number>();
  #count = 0;

  constructor(options: { maxStreamsPerKey: number; maxStreams: number }) {
    this.#perKey = options.maxStreamsPerKey;
    this.#total = options.maxStreams;
  }

  /**
   * Take a slot for `key` (an API key's id, or one shared bucket without auth). Returns the
   * function that gives it back (safe to call twice); throws a 429 `ApiError` when the key, or
   * the server, has no slot left.
   */
  acquire(key: string, label: string): () => void {
    const held = this.#open.get(key) ?? 0;
    if (held >= this.#perKey) {
      throw new ApiError(
        429,
        'stream.limit',
        `${label} already has ${held} event streams open, the most one key may: close one, or read events with Accept: application/json`,
      );
    }
    if (this.#count >= this.#total) {
      throw new ApiError(
        429,
        'stream.limit',
        `the server has ${this.#count} event streams open, the most it keeps: retry in ${STREAM_RETRY_AFTER_SECONDS} s, or read events with Accept: application/json`,
      );
    }
    this.#open.set(key, held + 1);
    this.#count++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#count--;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left > 0) this.#open.set(key, left);
      else this.#open.delete(key);
    };
  }

  /** Streams open now. */
  get open(): number {
    return this.#count;
  }
}
