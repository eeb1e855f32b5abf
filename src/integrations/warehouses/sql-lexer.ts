import type { SqlDialect } from './warehouse.js';

/**
 * A small SQL tokenizer that knows where comments, strings and quoted names start and end in
 * each dialect. It reads only the first words of a statement (EXPLAIN's options, the leading
 * keyword): the statement itself is judged by a real parser.
 */

/** One token; comments and whitespace are skipped. */
export interface SqlToken {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'symbol';
  /** The token's text as written (words keep their case). */
  text: string;
  start: number;
  end: number;
}

/** Tokens of `sql` in order, without comments and whitespace. Stops at an unterminated token. */
export function* sqlTokens(sql: string, dialect: SqlDialect): Generator<SqlToken> {
  let index = 0;
  while (index < sql.length) {
    const char = sql[index]!;
    const next = sql[index + 1];
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    const commentEnd = skipComment(sql, index, dialect);
    if (commentEnd !== undefined) {
      if (commentEnd < 0) return;
      index = commentEnd;
      continue;
    }
    const start = index;
    if (char === "'" || ((char === 'E' || char === 'e') && next === "'" && dialect !== 'bigquery')) {
      const end = skipQuoted(sql, char === "'" ? index : index + 1, "'", backslashEscapes(dialect, char));
      if (end < 0) return;
      index = end;
      yield { kind: 'string', text: sql.slice(start, end), start, end };
      continue;
    }
    if (char === '"' || (char === '`' && dialect === 'bigquery')) {
      const end = skipQuoted(sql, index, char, dialect === 'bigquery');
      if (end < 0) return;
      index = end;
      yield {
        kind: char === '"' && dialect === 'bigquery' ? 'string' : 'quoted',
        text: sql.slice(start, end),
        start,
        end,
      };
      continue;
    }
    if (char === '$' && dialect !== 'bigquery') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(index));
      if (tag) {
        const close = sql.indexOf(tag[0], index + tag[0].length);
        if (close < 0) return;
        index = close + tag[0].length;
        yield { kind: 'string', text: sql.slice(start, index), start, end: index };
        continue;
      }
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(index, index + 256));
    if (word) {
      index += word[0].length;
      yield { kind: 'word', text: word[0], start, end: index };
      continue;
    }
    const number = /^[0-9]+(\.[0-9]*)?/.exec(sql.slice(index, index + 64));
    if (number) {
      index += number[0].length;
      yield { kind: 'number', text: number[0], start, end: index };
      continue;
    }
    index++;
    yield { kind: 'symbol', text: char, start, end: index };
  }
}

/** The first `count` tokens of `sql` (fewer when it is shorter). */
export function leadingTokens(sql: string, dialect: SqlDialect, count: number): SqlToken[] {
  const tokens: SqlToken[] = [];
  if (count <= 0) return tokens;
  for (const token of sqlTokens(sql, dialect)) {
    tokens.push(token);
    if (tokens.length >= count) break;
  }
  return tokens;
}

/** The first keyword of a statement in upper case, or `(` when it opens with a parenthesis. */
export function leadingKeyword(sql: string, dialect: SqlDialect): string | undefined {
  const [first] = leadingTokens(sql, dialect, 1);
  if (!first) return undefined;
  return first.kind === 'word' ? first.text.toUpperCase() : first.text;
}

/** Where a comment starting at `index` ends; undefined when none starts there, -1 when unterminated. */
function skipComment(sql: string, index: number, dialect: SqlDialect): number | undefined {
  const two = sql.slice(index, index + 2);
  const lineComment =
    two === '--' ||
    (two === '//' && dialect === 'snowflake') ||
    (sql[index] === '#' && dialect === 'bigquery');
  if (lineComment) {
    const newline = sql.indexOf('\n', index);
    return newline < 0 ? sql.length : newline + 1;
  }
  if (two !== '/*') return undefined;
  // Postgres and DuckDB nest block comments; the others end at the first `*/`.
  const nests = dialect === 'postgres' || dialect === 'duckdb';
  let depth = 0;
  let position = index;
  while (position < sql.length) {
    const pair = sql.slice(position, position + 2);
    if (pair === '/*' && (nests || depth === 0)) {
      depth++;
      position += 2;
    } else if (pair === '*/') {
      depth--;
      position += 2;
      if (depth === 0) return position;
    } else {
      position++;
    }
  }
  return -1;
}

/** Where a quoted token opening at `index` ends (after its closing quote); -1 when unterminated. */
function skipQuoted(sql: string, index: number, quote: string, backslash: boolean): number {
  let position = index + 1;
  while (position < sql.length) {
    const char = sql[position]!;
    if (backslash && char === '\\') {
      position += 2;
      continue;
    }
    if (char === quote) {
      if (sql[position + 1] === quote) {
        position += 2;
        continue;
      }
      return position + 1;
    }
    position++;
  }
  return -1;
}

/** Snowflake and BigQuery strings take backslash escapes; Postgres only in `E'…'` strings. */
function backslashEscapes(dialect: SqlDialect, opening: string): boolean {
  if (dialect === 'snowflake' || dialect === 'bigquery') return true;
  return opening === 'E' || opening === 'e';
}
