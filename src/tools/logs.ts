import { stat } from 'node:fs/promises';
import { z } from 'zod';
import {
  AirflowError,
  type DroppedRanges,
  describeTaskLogRef,
  FailureFinder,
  type FailureReport,
  type KeptLine,
  type LineVisitor,
  type LogRange,
  type LogStream,
  LogWindow,
  openLogFile,
  RegexFinder,
  type RegexReport,
  type ScanResult,
  scanLog,
  type TaskLogRef,
  type TaskLogSources,
  taskLogSourcesFromSettings,
  type WindowRequest,
} from '../integrations/airflow/index.js';
import { ToolError } from './errors.js';
import { cutNote, DEFAULT_MAX_OUTPUT_BYTES, formatCount } from './output-cap.js';
import { compileSearchPattern, type SearchPattern } from './pattern.js';
import { openPatternMatcher } from './pattern-matcher.js';
import { defineTool, type ToolContext, type ToolResult } from './tool.js';
import { resolveInWorkspace } from './workspace-path.js';

const READ_DEFAULT_LINES = 200;
const READ_MAX_LINES = 2000;
/** Lines longer than this are clipped: a task that prints a payload must not fill the context. */
const MAX_LINE_CHARS = 2000;
/** search_log answers smaller than read_log: it is the first look at a log, often of several. */
const SEARCH_MAX_OUTPUT_BYTES = 40 * 1024;
const SEARCH_LINE_CHARS = 1000;
const SEARCH_DEFAULT_CONTEXT = 3;
const SEARCH_MAX_CONTEXT = 20;
const SEARCH_DEFAULT_MATCHES = 50;
const SEARCH_MAX_MATCHES = 500;
/** Distinct exception lines listed in a failure search. */
const LISTED_EXCEPTIONS = 10;
/** Last lines shown when a failure search finds nothing. */
const ENDING_LINES = 20;

// ---------------------------------------------------------------------------------------------
// which log

const logTarget = {
  dag_id: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The DAG id of the task log, e.g. "jaffle_shop_daily". Give dag_id, run_id and task_id together.',
    ),
  run_id: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The DAG run id, e.g. "scheduled__2025-03-04T06:00:00+00:00" or "manual__2025-03-04T10:10:13+00:00", as in the failure alert.',
    ),
  task_id: z
    .string()
    .min(1)
    .optional()
    .describe('The task id, e.g. "dbt_run" or "transform.fct_orders" (task groups use dots).'),
  try_number: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'The attempt to read, 1-based. Default: the latest attempt. Earlier attempts may have failed differently.',
    ),
  map_index: z
    .number()
    .int()
    .min(-1)
    .optional()
    .describe('For a mapped task (.expand), the index of the mapped instance. Leave out for ordinary tasks.'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Instead of a task: a log file in the repository, relative to its root, e.g. "logs/dbt.log" or "target/run.log".',
    ),
  source: z
    .enum(['auto', 'api', 'folder'])
    .default('auto')
    .describe(
      'Where to read a task log: "api" (the Airflow REST API), "folder" (the configured log folder), or "auto" (default: the API, then the folder).',
    ),
};

const logTargetSchema = z.object(logTarget);
type LogTargetInput = z.infer<typeof logTargetSchema>;

/** An opened log and how to name it to the model. */
interface OpenedLog {
  stream: LogStream;
  /** `dag_id=… run_id=… task_id=… try 2 (Airflow REST API v2 at …)` or the path. */
  label: string;
}

async function openLog(input: LogTargetInput, context: ToolContext): Promise<OpenedLog> {
  if (input.path !== undefined) {
    if (input.dag_id || input.run_id || input.task_id) {
      throw new ToolError('tool.invalid-input', 'give either path or dag_id/run_id/task_id, not both');
    }
    const file = await resolveInWorkspace(context.session.root, input.path, { mustExist: true });
    if (!(await stat(file)).isFile()) {
      throw new ToolError('tool.not-a-file', `${input.path} is not a file: give the path of a log file`);
    }
    return { stream: await openLogFile(file, input.path, context.signal), label: input.path };
  }
  if (!input.dag_id || !input.run_id || !input.task_id) {
    throw new ToolError(
      'tool.invalid-input',
      'say which log: dag_id, run_id and task_id of an Airflow task (and try_number for an earlier attempt), or the path of a log file in the repository',
    );
  }
  const ref: TaskLogRef = {
    dagId: input.dag_id,
    runId: input.run_id,
    taskId: input.task_id,
    ...(input.try_number !== undefined ? { tryNumber: input.try_number } : {}),
    ...(input.map_index !== undefined ? { mapIndex: input.map_index } : {}),
  };
  const stream = await openTaskLog(ref, input.source, context);
  return { stream, label: `${describeTaskLogRef(ref, stream.tryNumber)} (${stream.origin})` };
}

/** The API first, the folder when the API cannot serve the log (as `log_folder` is documented). */
async function openTaskLog(ref: TaskLogRef, source: LogTargetInput['source'], context: ToolContext) {
  const sources = await context.resources.get<TaskLogSources>('airflow.log-sources', async () =>
    taskLogSourcesFromSettings(context.config.integrations.airflow, {
      projectRoot: context.projectRoot,
      env: context.env,
    }),
  );
  if (source === 'api' && !sources.api) throw notConfigured('integrations.airflow.base_url is not set');
  if (source === 'folder' && !sources.folder)
    throw notConfigured('integrations.airflow.log_folder is not set');
  if (!sources.api && !sources.folder) {
    throw notConfigured('no Airflow log source is configured');
  }
  const order = [
    source !== 'folder' ? sources.api : undefined,
    source !== 'api' ? sources.folder : undefined,
  ];
  const errors: AirflowError[] = [];
  for (const candidate of order) {
    if (!candidate) continue;
    try {
      return await candidate.open(ref, context.signal);
    } catch (error) {
      if (!(error instanceof AirflowError) || context.signal.aborted) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  throw new AirflowError(
    errors.every((error) => error.code === 'airflow.log-not-found')
      ? 'airflow.log-not-found'
      : errors[0]!.code,
    `the REST API and the log folder both failed: ${errors.map((error) => error.message).join('; ')}`,
  );
}

function notConfigured(what: string): AirflowError {
  return new AirflowError(
    'airflow.not-configured',
    `${what}: set integrations.airflow.base_url (the REST API) or log_folder in .agentry/config.yml, or read a log file with path`,
  );
}

/** Reads the whole log once through `visitors`; refuses binary files. */
async function scan(opened: OpenedLog, visitors: LineVisitor[], signal: AbortSignal): Promise<ScanResult> {
  const visitor: LineVisitor =
    visitors.length === 1
      ? visitors[0]!
      : {
          async visit(lines, first, text) {
            for (const each of visitors) await each.visit(lines, first, text);
            return undefined;
          },
        };
  const result = await scanLog(opened.stream, visitor, signal);
  if (result.binary) {
    throw new ToolError(
      'tool.binary-file',
      `${opened.label} is a binary file (it contains NUL bytes), not a log`,
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// read_log

const readLogInput = z.object({
  ...logTarget,
  offset: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'The first line to return, 1-based. Use the line numbers search_log gives to read around them.',
    ),
  limit: z
    .number()
    .int()
    .min(1)
    .max(READ_MAX_LINES)
    .optional()
    .describe(
      `With offset: how many lines to return (default ${READ_DEFAULT_LINES}, at most ${READ_MAX_LINES}).`,
    ),
  tail: z
    .number()
    .int()
    .min(1)
    .max(READ_MAX_LINES)
    .optional()
    .describe(
      `Return the last N lines (at most ${READ_MAX_LINES}). This is the default (${READ_DEFAULT_LINES} lines) when offset is not given.`,
    ),
});

/** `read_log`: a window of numbered lines of an Airflow task log or a log file, streamed. */
export const readLogTool = defineTool({
  name: 'read_log',
  description: [
    'Read a window of lines of an Airflow task log (by dag_id, run_id, task_id and optionally try_number, from the Airflow REST API or log folder)',
    'or of a log file in the repository (by path).',
    `By default returns the last ${READ_DEFAULT_LINES} lines, where a failure usually is; use tail for another count, or offset and limit for a window from a line.`,
    'Lines are numbered like "  1234| text"; the header gives the total line count and size.',
    `At most ${READ_MAX_LINES} lines and about 100 KB per call; lines over ${formatCount(MAX_LINE_CHARS)} characters are clipped.`,
    'Logs of any size are streamed, never loaded whole. To find the error in a long log first, use search_log.',
  ].join(' '),
  inputSchema: readLogInput,
  concurrent: true,
  async execute(input, context) {
    if (input.tail !== undefined && (input.offset !== undefined || input.limit !== undefined)) {
      throw new ToolError('tool.invalid-input', 'give tail, or offset (and limit), not both');
    }
    const request: WindowRequest =
      input.offset !== undefined
        ? { offset: input.offset, limit: input.limit ?? READ_DEFAULT_LINES }
        : { tail: input.tail ?? input.limit ?? READ_DEFAULT_LINES };
    const opened = await openLog(input, context);
    const window = new LogWindow(request, MAX_LINE_CHARS);
    const scanned = await scan(opened, [window], context.signal);
    const header = `Log of ${opened.label}: ${formatCount(scanned.lines)} lines, ${formatBytes(scanned.bytes)}.`;
    if (scanned.lines === 0)
      return { output: `${header}\nThe log is empty.`, summary: `${opened.label}: empty` };
    if ('offset' in request && request.offset > scanned.lines) {
      throw new ToolError(
        'tool.offset-out-of-range',
        `offset=${request.offset} is past the end of the log, which has ${formatCount(scanned.lines)} lines: use an offset from 1 to ${scanned.lines}, or tail`,
      );
    }
    return renderWindow(opened.label, header, window.lines(), scanned.lines, 'tail' in request);
  },
});

function renderWindow(
  label: string,
  header: string,
  lines: KeptLine[],
  total: number,
  fromEnd: boolean,
): ToolResult {
  const width = Math.max(4, String(total).length);
  const budget = DEFAULT_MAX_OUTPUT_BYTES - Buffer.byteLength(header) - 300;
  // A tail keeps its end, a window its start, when the bytes do not fit.
  const kept = fitBytes(
    lines.map((line) => formatLine(line, width)),
    budget,
    fromEnd,
  );
  const shown = fromEnd ? lines.slice(lines.length - kept.length) : lines.slice(0, kept.length);
  const first = shown[0]!.number;
  const last = shown.at(-1)!.number;
  const output = [header];
  if (first > 1) {
    const before = Math.min(first - 1, READ_DEFAULT_LINES);
    const hint = `read_log with offset=${first - before} to see the ${formatCount(before)} lines before, or search_log to find errors`;
    output.push(`[… ${formatCount(first - 1)} earlier lines not shown: ${hint}]`);
  }
  output.push(...kept);
  if (last < total)
    output.push(cutNote(total - last, 'lines', `read_log with offset=${last + 1} to see more`));
  return {
    output: output.join('\n'),
    truncated: first > 1 || last < total,
    summary: `${label}: lines ${first}-${last} of ${total}`,
  };
}

/** As many lines as fit in `budget` bytes, from the start or (`fromEnd`) the end; at least one. */
function fitBytes(lines: string[], budget: number, fromEnd: boolean): string[] {
  const ordered = fromEnd ? [...lines].reverse() : lines;
  const kept: string[] = [];
  let left = budget;
  for (const line of ordered) {
    left -= Buffer.byteLength(line) + 1;
    if (left < 0 && kept.length > 0) break;
    kept.push(line);
  }
  return fromEnd ? kept.reverse() : kept;
}

// ---------------------------------------------------------------------------------------------
// search_log

const searchLogInput = z.object({
  ...logTarget,
  pattern: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A regular expression (RE2 syntax: like JavaScript without lookaround or backreferences) matched against each line, e.g. "fct_orders" or "Database Error|timeout". ' +
        'Leave out to find the failure: tracebacks, ERROR/CRITICAL lines, exception lines and Airflow failure lines.',
    ),
  context: z
    .number()
    .int()
    .min(0)
    .max(SEARCH_MAX_CONTEXT)
    .default(SEARCH_DEFAULT_CONTEXT)
    .describe(
      `Lines of context before and after each match (default ${SEARCH_DEFAULT_CONTEXT}, at most ${SEARCH_MAX_CONTEXT}).`,
    ),
  case_sensitive: z.boolean().default(false).describe('Match pattern case-sensitively (default false).'),
  max_matches: z
    .number()
    .int()
    .min(1)
    .max(SEARCH_MAX_MATCHES)
    .default(SEARCH_DEFAULT_MATCHES)
    .describe(
      `With pattern: matching lines to show at most (default ${SEARCH_DEFAULT_MATCHES}); the rest are counted.`,
    ),
  start_line: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('With pattern: search from this line on (to continue after a cut note).'),
});

/** `search_log`: the failure in a task log, or regex matches, with context; streamed. */
export const searchLogTool = defineTool({
  name: 'search_log',
  description: [
    'Search an Airflow task log (by dag_id, run_id, task_id, optionally try_number) or a log file in the repository (by path), streaming it, so logs of hundreds of MB are fine.',
    'Without pattern it finds why the task failed: Python tracebacks (whole, chained ones together), ERROR/CRITICAL lines, exception lines',
    'and Airflow/dbt failure lines ("Marking task as FAILED", "Database Error"), each with context lines,',
    'plus the last exception and a count of each distinct exception. Start here when a task failed.',
    'With pattern (a regular expression) it returns the matching lines with context.',
    'Output: numbered lines, ">" marking matches, overlapping ranges merged, about 40 KB at most, with a note saying what was cut.',
    'Use read_log with offset to read more around a line number.',
  ].join(' '),
  inputSchema: searchLogInput,
  concurrent: true,
  async execute(input, context) {
    const regex =
      input.pattern === undefined
        ? undefined
        : compileSearchPattern(input.pattern, { caseSensitive: input.case_sensitive, field: 'pattern' });
    const opened = await openLog(input, context);
    if (!regex) return searchFailure(opened, input.context, context.signal);
    const matcher = openPatternMatcher(regex, context.signal);
    try {
      const finder = new RegexFinder(matcher, {
        context: input.context,
        maxMatches: input.max_matches,
        maxKeptChars: SEARCH_MAX_OUTPUT_BYTES,
        maxLineChars: SEARCH_LINE_CHARS,
        ...(input.start_line !== undefined ? { startLine: input.start_line } : {}),
      });
      const scanned = await scan(opened, [finder], context.signal);
      return renderRegexSearch(opened.label, regex, finder.finish(), scanned, input.start_line);
    } finally {
      await matcher.close();
    }
  },
});

async function searchFailure(
  opened: OpenedLog,
  contextLines: number,
  signal: AbortSignal,
): Promise<ToolResult> {
  const finder = new FailureFinder({
    context: contextLines,
    maxLineChars: SEARCH_LINE_CHARS,
    maxKeptChars: SEARCH_MAX_OUTPUT_BYTES * 1.5,
  });
  const ending = new LogWindow({ tail: ENDING_LINES }, SEARCH_LINE_CHARS);
  const scanned = await scan(opened, [finder, ending], signal);
  const report = finder.finish();
  const header = `Failure search in ${opened.label}: ${formatCount(scanned.lines)} lines, ${formatBytes(scanned.bytes)}.`;
  const width = Math.max(4, String(scanned.lines).length);
  const hits = report.tracebacks + report.errorLines + report.exceptionLines + report.markerLines;
  if (hits === 0) {
    const tail = ending.lines();
    const lines = [
      header,
      'No traceback, ERROR/CRITICAL line, exception or failure line found.',
      ...(tail.length > 0
        ? [`The last ${tail.length} lines:`, ...tail.map((line) => formatLine(line, width))]
        : []),
    ];
    return {
      output: lines.join('\n'),
      summary: `${opened.label}: no failure found in ${scanned.lines} lines`,
    };
  }
  const summaryLines = failureSummary(report);
  const intro = `Lines around them (">" marks a matching line; ${contextLines} lines of context):`;
  const budget = SEARCH_MAX_OUTPUT_BYTES - Buffer.byteLength([header, ...summaryLines, intro].join('\n'));
  const ranges = renderRanges(report.ranges.kept, report.ranges.dropped, budget, width, 'failure');
  const last = report.lastException ? `; last exception at line ${report.lastException.line}` : '';
  return {
    output: [header, ...summaryLines, intro, ...ranges.lines].join('\n'),
    truncated: ranges.truncated,
    summary: `${opened.label}: ${report.tracebacks} tracebacks, ${report.errorLines} error lines${last}`,
  };
}

function failureSummary(report: FailureReport): string[] {
  const counts = [
    countOf(report.tracebacks, 'traceback'),
    countOf(report.errorLines, 'ERROR/CRITICAL line'),
    countOf(report.exceptionLines, 'exception line'),
    countOf(report.markerLines, 'failure line'),
  ];
  const lines = [`Found ${counts.join(', ')}.`];
  if (report.lastException) {
    lines.push(
      `Last exception (line ${formatCount(report.lastException.line)}): ${report.lastException.text}`,
    );
  }
  if (report.exceptions.length > 1 || (report.exceptions[0]?.count ?? 0) > 1) {
    lines.push('Distinct exceptions, latest first:');
    for (const seen of report.exceptions.slice(0, LISTED_EXCEPTIONS)) {
      const where =
        seen.count === 1
          ? `line ${formatCount(seen.lastLine)}`
          : `${formatCount(seen.count)}×, lines ${formatCount(seen.firstLine)}…${formatCount(seen.lastLine)}`;
      lines.push(`  ${where}: ${seen.text.length > 300 ? `${seen.text.slice(0, 300)}…` : seen.text}`);
    }
    const more = report.exceptions.length - LISTED_EXCEPTIONS + report.exceptionsNotRemembered;
    if (more > 0) lines.push(`  [… ${formatCount(more)} more distinct exceptions]`);
  }
  return lines;
}

function renderRegexSearch(
  label: string,
  regex: SearchPattern,
  report: RegexReport,
  scanned: ScanResult,
  startLine: number | undefined,
): ToolResult {
  const from = startLine && startLine > 1 ? ` from line ${formatCount(startLine)}` : '';
  const header = `Search for ${regex} in ${label}${from}: ${countOf(report.matches, 'matching line')} of ${formatCount(scanned.lines)} lines.`;
  const summary = `${label}: ${report.matches} lines match ${regex}`;
  if (report.matches === 0) return { output: header, summary };
  const width = Math.max(4, String(scanned.lines).length);
  const budget = SEARCH_MAX_OUTPUT_BYTES - Buffer.byteLength(header) - 300;
  const ranges = renderRanges(report.ranges.kept, report.ranges.dropped, budget, width, 'search');
  const lines = [header, ...ranges.lines];
  const notShown = report.matches - ranges.shownHits;
  // What is shown is a prefix of the matches: the next one is the earliest of what was left out.
  const next = Math.min(
    ...[ranges.firstHiddenLine, report.ranges.dropped.start, report.nextMatchLine].filter((line) => line > 0),
  );
  if (notShown > 0 && Number.isFinite(next)) {
    lines.push(
      `[… ${formatCount(notShown)} more matching lines from line ${formatCount(next)}: search_log with start_line=${next} to see them, or narrow the pattern]`,
    );
  }
  return { output: lines.join('\n'), truncated: notShown > 0 || ranges.truncated, summary };
}

interface RenderedRanges {
  lines: string[];
  truncated: boolean;
  /** Matching lines in the ranges shown. */
  shownHits: number;
  /** First line of the first range left out here, 0 when none. */
  firstHiddenLine: number;
}

/**
 * Ranges as numbered lines within `budget` bytes. A failure search keeps its first range and the
 * latest, cutting in between; a pattern search keeps the first ranges, cutting at the end.
 */
function renderRanges(
  kept: LogRange[],
  dropped: DroppedRanges,
  budget: number,
  width: number,
  kind: 'failure' | 'search',
): RenderedRanges {
  kept = [...kept];
  const blocks = kept.map((range) => renderRange(range, width));
  const sizes = blocks.map((block) => Buffer.byteLength(block.join('\n')) + 1);
  const cut = { ...dropped };
  let firstHiddenLine = 0;
  const total = () => sizes.reduce((sum, size) => sum + size, 0);
  let firstKept = true;
  while (blocks.length > 1 && total() > budget - 400) {
    // A failure search drops the oldest range after the first, then the first rather than the
    // last (the failure itself); a pattern search drops from the end.
    const index = kind === 'search' ? blocks.length - 1 : blocks.length > 2 ? 1 : 0;
    if (index === 0) firstKept = false;
    const [range] = kept.splice(index, 1);
    blocks.splice(index, 1);
    sizes.splice(index, 1);
    cut.ranges += 1;
    cut.hits += range!.hits;
    cut.start = cut.start === 0 ? range!.start : Math.min(cut.start, range!.start);
    cut.end = Math.max(cut.end, range!.end);
    if (kind === 'search') firstHiddenLine = range!.start;
  }
  let truncated = cut.ranges > 0;
  if (blocks.length === 1 && sizes[0]! > budget) {
    blocks[0] = clipBlock(blocks[0]!, budget);
    truncated = true;
  }
  const lines: string[] = [];
  const note = `[… ${countOf(cut.ranges, 'more range')} with ${countOf(cut.hits, 'matching line')} between lines ${formatCount(cut.start)} and ${formatCount(cut.end)} cut: read_log with offset, or search_log with a pattern, to see them]`;
  const showNote = kind === 'failure' && cut.ranges > 0;
  if (showNote && !firstKept) lines.push(note);
  for (const [index, block] of blocks.entries()) {
    lines.push(...block);
    if (showNote && firstKept && index === 0) lines.push(note);
  }
  const shownHits = kept.reduce((sum, range) => sum + range.hits, 0);
  return { lines, truncated, shownHits, firstHiddenLine };
}

function renderRange(range: LogRange, width: number): string[] {
  const lines = [`── lines ${formatCount(range.start)}-${formatCount(range.end)} ──`];
  lines.push(...range.head.map((line) => formatLine(line, width)));
  if (range.omitted > 0) {
    lines.push(
      `[… ${formatCount(range.omitted)} lines of this range cut: read_log with offset=${range.head.at(-1)!.number + 1} to see them]`,
    );
  }
  lines.push(...range.tail.map((line) => formatLine(line, width)));
  return lines;
}

/** One range too large on its own: its head and its end, which holds the exception. */
function clipBlock(block: string[], budget: number): string[] {
  const head: string[] = [];
  const tail: string[] = [];
  let room = budget - 200;
  for (let index = 0, back = block.length - 1; index <= back; ) {
    const fromEnd = tail.length <= head.length * 2;
    const line = fromEnd ? block[back]! : block[index]!;
    const size = Buffer.byteLength(line) + 1;
    if (size > room) break;
    room -= size;
    if (fromEnd) {
      tail.unshift(line);
      back -= 1;
    } else {
      head.push(line);
      index += 1;
    }
  }
  const omitted = block.length - head.length - tail.length;
  return omitted > 0 ? [...head, `[… ${formatCount(omitted)} lines of this range cut]`, ...tail] : block;
}

function formatLine(line: KeptLine, width: number): string {
  return `${String(line.number).padStart(width)}${line.hit ? '>' : '|'} ${line.text}`;
}

function countOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The log tools, for the registry. */
export const logTools = [readLogTool, searchLogTool] as const;
