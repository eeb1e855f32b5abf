import { ownString } from './line-splitter.js';
import { type CollectedRanges, LineRole, type LogRange, RangeBuilder, RangeCollector } from './log-ranges.js';
import type { LineVisitor } from './scan-log.js';

/**
 * Words without which a line cannot be part of a failure (outside a traceback). One global regex
 * runs over a whole batch of lines, factored by first letter: V8 then checks few positions, and
 * lines without a candidate (nearly all of a long log) are never looked at one by one.
 */
const CANDIDATE =
  /E(?:RROR|rror|xception|xit)|CRITICAL|FATAL|T(?:raceback|imeout|ask exited with return code)|Interrupt|Marking task as|Failure in test|"level": ?"(?:error|critical)"/g;
/**
 * What marks a failure in a task log. Airflow 2 writes `[time] {file.py:12} ERROR - …`, Airflow 3
 * structlog JSON `"level": "error"`, Python tracebacks come unprefixed (or prefixed line by line
 * when a subprocess printed them), and dbt adds its own words.
 */
const ERROR_LEVEL = /\b(?:ERROR|CRITICAL|FATAL)\b|"level": ?"(?:error|critical)"/;
const TRACEBACK_START = /Traceback \(most recent call last\):?\s*$/;
const CHAIN =
  /^\s*(?:During handling of the above exception, another exception occurred|The above exception was the direct cause of the following exception):\s*$/;
/** A line that ends a traceback: `module.Class: message`, or the class alone. */
const EXCEPTION_SHAPE = /^[A-Za-z_][\w.]*(?::\s.*|:)?$/;
/** An exception line outside a traceback (after an elided one, or printed by a task). */
const STANDALONE_EXCEPTION =
  /^(?:[A-Za-z_]\w*\.)*\w*(?:Error|Exception|Exit|Timeout|Interrupt)(?::\s|:?\s*$)/;
const FAILURE_MARKER =
  /Marking task as (?:FAILED|UP_FOR_RETRY)|Task exited with return code (?:[1-9]|-)|\b(?:Database|Compilation|Runtime|Dependency|Parsing) Error\b|Failure in test\b|returned a failure|Task failed with exception/;
/** Inside a traceback: indented frames, carets, blank lines, `....` where a log was elided. */
const TRACEBACK_BODY = /^(?:\s|$|\.{3,}|…)/;
/**
 * The head Airflow puts on each record, `[time] {file.py:12} LEVEL - ` (`{{…}}` before 2.0; Airflow 3
 * as rendered here: `[time] {logger} LEVEL - `). A traceback printed by a subprocess gets it on every line.
 */
const RECORD_PREFIX = /^\[[^\]]*\]\s+\{+[^}]*\}+\s+[A-Z]+\s+-\s/;

/** Distinct exception lines remembered; past this, new ones are only counted. */
const MAX_DISTINCT_EXCEPTIONS = 500;
/** Lines after an exception line in which a "During handling…" line continues the traceback. */
const CHAIN_LOOKAHEAD = 3;

/** One distinct exception line and where it occurred. */
export interface ExceptionSeen {
  /** The line, with memory addresses (`0x7f…`) blanked so repeats count as one. */
  text: string;
  count: number;
  firstLine: number;
  lastLine: number;
}

/** What {@link FailureFinder} found in a whole log. */
export interface FailureReport {
  ranges: CollectedRanges;
  /** `Traceback (most recent call last):` lines. */
  tracebacks: number;
  /** Lines logged at ERROR, CRITICAL or FATAL. */
  errorLines: number;
  /** Exception lines: the last line of each traceback, and ones printed alone. */
  exceptionLines: number;
  /** Airflow and dbt failure lines at other levels (`Marking task as FAILED`, `Database Error`). */
  markerLines: number;
  /** Distinct exception lines, the most recent first. */
  exceptions: ExceptionSeen[];
  /** Distinct exception lines not remembered (over the limit). */
  exceptionsNotRemembered: number;
  /** The last exception line of the log: usually why the task failed. */
  lastException?: { text: string; line: number };
}

export interface FailureFinderOptions {
  /** Lines of context around each error line (default 3). */
  context?: number;
  /** Lines kept per range; a longer traceback keeps its head and tail (default 120). */
  maxRangeLines?: number;
  /** Characters kept per line (default 1,000). */
  maxLineChars?: number;
  /** Characters of ranges kept in all: the first range and the latest ones that fit (default 60,000). */
  maxKeptChars?: number;
}

/**
 * Finds why a task failed while its log streams by: Python tracebacks (chained ones as one block),
 * ERROR/CRITICAL lines, exception lines and Airflow's own failure lines, each with context.
 * Keeps the first range and the latest ones, since a failure sits at the end of a log and its
 * root cause is often the first error.
 */
export class FailureFinder implements LineVisitor {
  private readonly builder: RangeBuilder;
  private readonly collector: RangeCollector;
  private readonly exceptions = new Map<string, ExceptionSeen>();
  private exceptionsNotRemembered = 0;
  private lastException: { text: string; line: number } | undefined;
  private tracebacks = 0;
  private errorLines = 0;
  private exceptionLines = 0;
  private markerLines = 0;
  private inTraceback = false;
  /** The open traceback's lines carry Airflow's record prefix. */
  private prefixedTraceback = false;
  /** Lines left in which a chain line continues the traceback that just ended. */
  private chainWindow = 0;

  constructor(options: FailureFinderOptions = {}) {
    this.collector = new RangeCollector({
      keep: 'first-and-last',
      maxKeptChars: options.maxKeptChars ?? 60_000,
    });
    this.builder = new RangeBuilder({
      context: options.context ?? 3,
      maxRangeLines: options.maxRangeLines ?? 120,
      maxLineChars: options.maxLineChars ?? 1000,
      onRange: (range: LogRange) => this.collector.add(range),
    });
  }

  visit(lines: readonly string[], first: number, text?: string): undefined {
    const candidates = candidateLines(lines, text);
    let next = 0;
    for (let index = 0; index < lines.length; ) {
      if (!this.inTraceback && this.chainWindow === 0) {
        while (next < candidates.length && candidates[next]! < index) next += 1;
        const candidate = next < candidates.length ? candidates[next]! : lines.length;
        if (candidate > index) {
          this.builder.plain(lines, index, candidate, first + index);
          index = candidate;
          continue;
        }
      }
      const line = lines[index]!;
      this.builder.line(first + index, line, this.role(line, first + index));
      index += 1;
    }
    return undefined;
  }

  /** The report, once every line was visited. */
  finish(): FailureReport {
    this.builder.finish();
    const exceptions = [...this.exceptions.values()].sort((a, b) => b.lastLine - a.lastLine);
    return {
      ranges: this.collector.result(),
      tracebacks: this.tracebacks,
      errorLines: this.errorLines,
      exceptionLines: this.exceptionLines,
      markerLines: this.markerLines,
      exceptions,
      exceptionsNotRemembered: this.exceptionsNotRemembered,
      ...(this.lastException ? { lastException: this.lastException } : {}),
    };
  }

  private role(line: string, number: number): LineRole {
    if (this.inTraceback) {
      const message = this.prefixedTraceback ? line.replace(RECORD_PREFIX, '') : line;
      if (TRACEBACK_START.test(message)) {
        this.tracebacks += 1;
        return LineRole.Hit;
      }
      if (TRACEBACK_BODY.test(message) || CHAIN.test(message)) return LineRole.Block;
      this.inTraceback = false;
      if (EXCEPTION_SHAPE.test(message)) return this.exception(message, number);
      return this.classify(line, number);
    }
    if (this.chainWindow > 0) {
      this.chainWindow -= 1;
      const message = line.replace(RECORD_PREFIX, '');
      if (CHAIN.test(message)) {
        this.inTraceback = true;
        return LineRole.Block;
      }
      if (message.trim() !== '') this.chainWindow = 0;
    }
    return this.classify(line, number);
  }

  private classify(line: string, number: number): LineRole {
    const message = line.replace(RECORD_PREFIX, '');
    const match = TRACEBACK_START.exec(message);
    if (match) {
      this.tracebacks += 1;
      this.inTraceback = true;
      this.prefixedTraceback = message !== line;
      return LineRole.Hit;
    }
    if (STANDALONE_EXCEPTION.test(message)) return this.exception(message, number);
    if (ERROR_LEVEL.test(line)) {
      this.errorLines += 1;
      return LineRole.Hit;
    }
    if (FAILURE_MARKER.test(message)) {
      this.markerLines += 1;
      return LineRole.Hit;
    }
    return LineRole.Plain;
  }

  private exception(line: string, number: number): LineRole {
    this.exceptionLines += 1;
    this.chainWindow = CHAIN_LOOKAHEAD;
    const text = ownString(
      line
        .trim()
        .replace(/0x[0-9a-fA-F]{6,}/g, '0x…')
        .slice(0, 500),
    );
    this.lastException = { text, line: number };
    const seen = this.exceptions.get(text);
    if (seen) {
      seen.count += 1;
      seen.lastLine = number;
    } else if (this.exceptions.size < MAX_DISTINCT_EXCEPTIONS) {
      this.exceptions.set(text, { text, count: 1, firstLine: number, lastLine: number });
    } else {
      this.exceptionsNotRemembered += 1;
    }
    return LineRole.Hit;
  }
}

/** Indexes of the lines holding a candidate word, ascending, each once. */
function candidateLines(lines: readonly string[], given: string | undefined): number[] {
  const text = given ?? lines.join('\n');
  const found: number[] = [];
  let line = 0;
  let lineStart = 0;
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match; match = CANDIDATE.exec(text)) {
    // Count the newlines up to the match: matches ascend, so the text is walked once at most.
    let newline = text.indexOf('\n', lineStart);
    while (newline !== -1 && newline < match.index) {
      line += 1;
      lineStart = newline + 1;
      newline = text.indexOf('\n', lineStart);
    }
    found.push(line);
    if (newline === -1) break;
    // One candidate per line is enough: go on from the next line.
    CANDIDATE.lastIndex = newline + 1;
  }
  return found;
}
