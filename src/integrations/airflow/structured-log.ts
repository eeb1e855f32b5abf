/**
 * Airflow 3 serves task logs as structlog records (`{"timestamp", "level", "event", "logger", …}`),
 * one JSON object per line in its NDJSON stream. They are rendered back to text lines shaped like
 * Airflow 2's (`[time] {logger} LEVEL - event`), and an `error_detail` back to a Python traceback,
 * so one set of rules finds failures in logs of both versions.
 */

import { LineSplitter } from './line-splitter.js';

/** Keys rendered in the line's head, not repeated as `key=value`. */
const HEAD_KEYS = new Set(['timestamp', 'level', 'event', 'logger', 'error_detail', 'log_level']);
const MAX_EXTRA_CHARS = 2000;

/** One Airflow 3 log record as text lines (a multi-line event or a traceback gives several). */
export function renderStructuredRecord(record: unknown): string[] {
  if (typeof record === 'string') return record.split('\n');
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return [JSON.stringify(record)];
  const fields = record as Record<string, unknown>;
  const head: string[] = [];
  if (fields.timestamp !== undefined) head.push(`[${String(fields.timestamp)}]`);
  if (typeof fields.logger === 'string') head.push(`{${fields.logger}}`);
  const level = fields.level ?? fields.log_level;
  if (typeof level === 'string') head.push(`${level.toUpperCase()} -`);
  const event = typeof fields.event === 'string' ? fields.event : JSON.stringify(fields.event ?? '');
  const extras = renderExtras(fields);
  const [firstLine = '', ...rest] = event.split('\n');
  const lines = [[...head, firstLine].join(' ') + extras, ...rest];
  if (Array.isArray(fields.error_detail)) lines.push(...renderErrorDetail(fields.error_detail));
  return lines;
}

/**
 * Parses one NDJSON line and renders it. A line that is not a structlog record (no `event`) is
 * kept as it is: the stream's own notes ("(Log stream stopped …)"), other JSON loggers.
 */
export function renderStructuredLine(line: string): string[] {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return [line];
  try {
    const record: unknown = JSON.parse(trimmed);
    const isRecord = record !== null && typeof record === 'object' && 'event' in record;
    return isRecord ? renderStructuredRecord(record) : [line];
  } catch {
    return [line];
  }
}

/** A stream of NDJSON structlog records as rendered text lines, in chunks of one batch each. */
export async function* structuredAsText(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  for await (const chunk of chunks) {
    const { lines } = splitter.push(chunk);
    if (lines.length > 0) yield `${lines.flatMap(renderStructuredLine).join('\n')}\n`;
  }
  const last = splitter.end();
  if (last.length > 0) yield `${last.flatMap(renderStructuredLine).join('\n')}\n`;
}

/**
 * The chunks as they are, or rendered with {@link structuredAsText} when the log is JSON lines
 * (its first character is `{`): Airflow 3 writes task log files that way.
 */
export async function* textOrStructured(
  chunks: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Uint8Array | string> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest: AsyncIterable<Uint8Array | string> = {
    [Symbol.asyncIterator]: () => ({
      next: () => iterator.next(),
      return: async () => (await iterator.return?.()) ?? { done: true, value: undefined },
    }),
  };
  const head =
    typeof first.value === 'string' ? first.value : Buffer.from(first.value).toString('latin1', 0, 64);
  try {
    if (head.trimStart().startsWith('{')) {
      yield* structuredAsText(prepend(first.value, rest));
      return;
    }
    yield first.value;
    yield* rest;
  } finally {
    // A reader that stops at the first chunk (a cancelled search) never reached `rest`: the
    // source must still close its file.
    await iterator.return?.();
  }
}

async function* prepend<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first;
  yield* rest;
}

function renderExtras(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (HEAD_KEYS.has(key) || value === undefined || value === null) continue;
    parts.push(`${key}=${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value)}`);
  }
  if (parts.length === 0) return '';
  const text = ` ${parts.join(' ')}`;
  return text.length > MAX_EXTRA_CHARS ? `${text.slice(0, MAX_EXTRA_CHARS)}…` : text;
}

interface StackDetail {
  exc_type?: unknown;
  exc_value?: unknown;
  is_cause?: unknown;
  frames?: unknown;
}

/**
 * structlog's `dict_tracebacks` lists the raised exception first and its causes after; Python
 * prints the oldest cause first, so the stacks are rendered in reverse, joined by Python's own
 * chain lines.
 */
function renderErrorDetail(stacks: readonly unknown[]): string[] {
  const lines: string[] = [];
  const ordered = [...stacks].reverse() as StackDetail[];
  for (const [index, stack] of ordered.entries()) {
    if (stack === null || typeof stack !== 'object') continue;
    lines.push('Traceback (most recent call last):');
    for (const frame of Array.isArray(stack.frames) ? stack.frames : []) {
      const { filename, lineno, name } = (frame ?? {}) as Record<string, unknown>;
      lines.push(`  File "${String(filename)}", line ${String(lineno)}, in ${String(name)}`);
    }
    const type = String(stack.exc_type ?? 'Exception');
    const value =
      stack.exc_value === undefined || stack.exc_value === '' ? '' : `: ${String(stack.exc_value)}`;
    lines.push(...`${type}${value}`.split('\n'));
    if (index < ordered.length - 1) {
      lines.push(
        stack.is_cause === true
          ? 'The above exception was the direct cause of the following exception:'
          : 'During handling of the above exception, another exception occurred:',
      );
    }
  }
  return lines;
}
