import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ToolError } from './errors.js';
import type { SearchPattern } from './pattern.js';

/** What {@link PatternMatcher.matchLines} found in one batch of lines. */
export interface LineHits {
  /** Indexes into the batch of the lines that match, in order. */
  hits: number[];
  /**
   * For each hit, the UTF-16 index where its first match starts; 0 for lines no longer than
   * `positionsOver` (the caller shows those whole), and past the worker's time budget for this.
   */
  positions: number[];
}

/** Options of {@link PatternMatcher.matchLines}. */
export interface MatchOptions {
  /** Stop after this many matching lines (default: every one). */
  limit?: number;
  /** Find where the match starts only in lines longer than this (default: never). */
  positionsOver?: number;
}

/**
 * Matches one {@link SearchPattern} against batches of lines for the length of one tool call.
 * Close it when the call ends; when the call's signal aborts, pending and later calls reject
 * with the signal's reason at once, whatever the pattern.
 */
export interface PatternMatcher {
  matchLines(lines: readonly string[], options?: MatchOptions): Promise<LineHits>;
  close(): Promise<void>;
}

/** @internal The worker's start-up data. */
export interface PatternWorkerData {
  source: string;
  flags: number;
  /** See {@link SearchPattern.prefilter}. */
  prefilter: readonly string[] | undefined;
  caseSensitive: boolean;
}

/** @internal One batch for the worker. */
export interface MatchRequest {
  id: number;
  lines: readonly string[];
  limit: number;
  positionsOver: number;
}

/** @internal The worker's answer to one {@link MatchRequest}. */
export interface MatchReply extends LineHits {
  id: number;
}

/**
 * A matcher for one tool call. A literal pattern ({@link SearchPattern.literal}) runs here, on
 * JavaScript's engine, where it cannot backtrack. Any other pattern runs on RE2 in a worker
 * thread: linear time, and off the event loop, so that a pattern that is merely slow (a large
 * program on long lines) still cannot hold the run's timeout, a cancel or the server.
 */
export function openPatternMatcher(pattern: SearchPattern, signal: AbortSignal): PatternMatcher {
  return pattern.literal ? new NativeMatcher(pattern.literal, signal) : new WorkerMatcher(pattern, signal);
}

class NativeMatcher implements PatternMatcher {
  constructor(
    private readonly regex: RegExp,
    private readonly signal: AbortSignal,
  ) {}

  async matchLines(lines: readonly string[], options: MatchOptions = {}): Promise<LineHits> {
    this.signal.throwIfAborted();
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const positionsOver = options.positionsOver ?? Number.POSITIVE_INFINITY;
    const hits: number[] = [];
    const positions: number[] = [];
    for (let index = 0; index < lines.length && hits.length < limit; index++) {
      const line = lines[index]!;
      if (line.length <= positionsOver) {
        if (!this.regex.test(line)) continue;
        hits.push(index);
        positions.push(0);
      } else {
        const match = this.regex.exec(line);
        if (!match) continue;
        hits.push(index);
        positions.push(match.index);
      }
    }
    return { hits, positions };
  }

  async close(): Promise<void> {}
}

/** Heap for one search's worker: re2js bounds its own caches far below this. */
const WORKER_HEAP_MB = 128;

class WorkerMatcher implements PatternMatcher {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (hits: LineHits) => void; reject: (error: unknown) => void }
  >();
  private nextId = 1;
  /** Why every later call fails: the signal's reason, a crash of the worker, or the close. */
  private failure: unknown;
  private readonly onAbort = () => this.stop(this.signal.reason);

  constructor(
    pattern: SearchPattern,
    private readonly signal: AbortSignal,
  ) {
    const workerData: PatternWorkerData = {
      source: pattern.source,
      flags: pattern.flags,
      prefilter: pattern.prefilter,
      caseSensitive: pattern.caseSensitive,
    };
    this.worker = new Worker(workerEntry(), {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    // Never the reason the process stays up: close() or the abort ends it.
    this.worker.unref();
    this.worker.on('message', (reply: MatchReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve({ hits: reply.hits, positions: reply.positions });
    });
    this.worker.on('error', (error) => {
      this.stop(
        new ToolError(
          'tool.pattern-failed',
          `the search stopped (${error.message}): try a simpler pattern, or a narrower path`,
          { cause: error },
        ),
      );
    });
    this.worker.on('exit', () => {
      this.stop(new ToolError('tool.pattern-failed', 'the search stopped: try again'));
    });
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  matchLines(lines: readonly string[], options: MatchOptions = {}): Promise<LineHits> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const request: MatchRequest = {
      id: this.nextId++,
      lines,
      limit: options.limit ?? Number.MAX_SAFE_INTEGER,
      positionsOver: options.positionsOver ?? Number.MAX_SAFE_INTEGER,
    };
    return new Promise<LineHits>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.stop(new ToolError('tool.pattern-failed', 'the search was closed'));
  }

  /** Fails what is pending with `reason` and ends the worker, however busy it is. */
  private stop(reason: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.signal.removeEventListener('abort', this.onAbort);
    for (const waiting of this.pending.values()) waiting.reject(reason);
    this.pending.clear();
    // terminate() stops even a thread in the middle of a match; nothing waits for it to finish.
    void this.worker.terminate();
  }
}

/** The built worker next to this module, or its TypeScript source when Agentry runs unbuilt. */
function workerEntry(): URL {
  const built = new URL('./pattern-worker.js', import.meta.url);
  return existsSync(built) ? built : new URL('./pattern-worker.ts', import.meta.url);
}
