import { type CollectedRanges, LineRole, RangeBuilder, RangeCollector } from './log-ranges.js';
import type { LineVisitor } from './scan-log.js';

export interface RegexFinderOptions {
  /** Lines of context around each match. */
  context: number;
  /** Matches shown at most; later ones are counted. */
  maxMatches: number;
  /** Lines before this 1-based line are not searched (to read on after a cut). */
  startLine?: number;
  /** Characters of ranges kept in all (default 60,000). */
  maxKeptChars?: number;
  /** Characters kept per line (default 1,000). */
  maxLineChars?: number;
}

/**
 * Finds the lines a pattern matches. Agentry's tools pass a matcher that runs the pattern in
 * linear time, off the event loop when it is not literal text (`openPatternMatcher` in tools):
 * a pattern from the model must not be able to stall the process.
 */
export interface LineMatcher {
  /** Indexes into `lines` of the lines that match, in order. */
  matchLines(lines: readonly string[]): Promise<{ hits: readonly number[] }>;
}

/** What {@link RegexFinder} found. */
export interface RegexReport {
  ranges: CollectedRanges;
  /** Every matching line from `startLine` on, shown or not. */
  matches: number;
  /** Matches kept in ranges. */
  shownMatches: number;
  /** The first matching line not shown, to search on from; 0 when every match is shown. */
  nextMatchLine: number;
}

/**
 * Matches a pattern line by line while a log streams by, keeping the first matches with context
 * in merged ranges and counting the rest.
 */
export class RegexFinder implements LineVisitor {
  private readonly builder: RangeBuilder;
  private readonly collector: RangeCollector;
  private matches = 0;
  private shown = 0;
  private nextMatchLine = 0;

  constructor(
    private readonly matcher: LineMatcher,
    private readonly options: RegexFinderOptions,
  ) {
    this.collector = new RangeCollector({ keep: 'first', maxKeptChars: options.maxKeptChars ?? 60_000 });
    this.builder = new RangeBuilder({
      context: options.context,
      maxRangeLines: Math.max(options.maxMatches * (2 * options.context + 1), 1),
      maxLineChars: options.maxLineChars ?? 1000,
      onRange: (range) => this.collector.add(range),
    });
  }

  async visit(lines: readonly string[], first: number): Promise<undefined> {
    const skipped = Math.max((this.options.startLine ?? 1) - first, 0);
    const searched = skipped === 0 ? lines : lines.slice(skipped);
    const { hits } = searched.length > 0 ? await this.matcher.matchLines(searched) : { hits: [] };
    // Lines between matches go to the builder in runs: only a few of them can be context.
    let runStart = 0;
    for (const hit of hits) {
      const index = hit + skipped;
      const number = first + index;
      this.matches += 1;
      this.builder.plain(lines, runStart, index, first + runStart);
      runStart = index + 1;
      if (this.shown < this.options.maxMatches) {
        this.shown += 1;
        this.builder.line(number, lines[index]!, LineRole.Hit);
        continue;
      }
      if (this.nextMatchLine === 0) this.nextMatchLine = number;
      this.builder.line(number, lines[index]!, LineRole.Plain);
    }
    this.builder.plain(lines, runStart, lines.length, first + runStart);
    return undefined;
  }

  finish(): RegexReport {
    this.builder.finish();
    const ranges = this.collector.result();
    // Ranges dropped for space hold matches that were counted as shown: give them back.
    const shownMatches = this.shown - ranges.dropped.hits;
    const nextMatchLine = ranges.dropped.ranges > 0 ? ranges.dropped.start : this.nextMatchLine;
    return { ranges, matches: this.matches, shownMatches, nextMatchLine };
  }
}
