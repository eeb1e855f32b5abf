/**
 * How SQL results read to the model: a compact pipe-separated table (or JSON rows), and a note
 * saying what was cut and how to see the rest.
 */
import type { QueryResult } from '../integrations/warehouses/index.js';
import { formatCount } from './output-cap.js';

/** Characters of one cell shown in a text table; JSON rows keep the collector's longer clip. */
const MAX_CELL_CHARS = 200;

/** A result as a text table: a header, one line per row, `NULL` for nulls. */
export function renderTable(result: Pick<QueryResult, 'columns' | 'rows'>): string {
  const header = result.columns.map((column) => column.name).join(' | ');
  const lines = result.rows.map((row) => row.map(renderCell).join(' | '));
  return [header, ...lines].join('\n');
}

/** A result as row objects keyed by column name (duplicate names get a suffix). */
export function resultRows(result: Pick<QueryResult, 'columns' | 'rows'>): Record<string, unknown>[] {
  const names = uniqueNames(result.columns.map((column) => column.name));
  return result.rows.map((row) => Object.fromEntries(names.map((name, index) => [name, row[index] ?? null])));
}

/** The line that ends a cut result, e.g. `[… more rows cut: the first 100 rows are shown …]`. */
export function rowsCutNote(
  result: Pick<QueryResult, 'cut' | 'rows'>,
  maxRowsAllowed: number,
): string | undefined {
  if (!result.cut) return undefined;
  const shown = formatCount(result.rows.length);
  if (result.cut === 'rows') {
    const raise =
      result.rows.length < maxRowsAllowed ? `, or raise max_rows (up to ${formatCount(maxRowsAllowed)})` : '';
    return `[… more rows cut: the first ${shown} rows are shown and the query returned more: aggregate, filter or page with LIMIT/OFFSET${raise}]`;
  }
  return `[… more rows cut: the first ${shown} rows filled the output limit: select fewer or narrower columns, or aggregate]`;
}

function renderCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const flat = text.replace(/\r?\n/g, '\\n').replace(/\|/g, '\\|');
  return flat.length > MAX_CELL_CHARS ? `${flat.slice(0, MAX_CELL_CHARS)}…` : flat;
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    return count === 0 ? name : `${name}_${count + 1}`;
  });
}
