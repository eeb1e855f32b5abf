/**
 * Building SQL text safely: quoted identifiers and string literals per dialect, and table names
 * as the model writes them. Generated SQL (listing, describing, profiling) goes through here and
 * never pastes a name or a value in raw.
 */
import { TableNotFoundError } from './errors.js';
import type { SqlDialect, TableName } from './warehouse.js';

/** `"name"` (backticks in BigQuery), with the quote character escaped. */
export function quoteIdentifier(name: string, dialect: SqlDialect): string {
  if (dialect === 'bigquery') return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal. Snowflake and BigQuery read backslash escapes inside quotes; the others do not. */
export function quoteLiteral(value: string, dialect: SqlDialect): string {
  if (dialect === 'bigquery' || dialect === 'snowflake') {
    const escaped = value
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r');
    return `'${escaped}'`;
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** `catalog.schema.name` with each present part quoted. */
export function qualifiedName(table: TableName, dialect: SqlDialect): string {
  return [table.catalog, table.schema, table.name]
    .filter((part): part is string => part !== undefined && part !== '')
    .map((part) => quoteIdentifier(part, dialect))
    .join('.');
}

/**
 * A LIKE pattern from what the model typed: with a `%` it is used as written; without one it
 * matches anywhere (`orders` → `%orders%`). `_` matches any one character either way, so
 * `raw_` also finds `raw_orders` (and, rarely, a little more).
 */
export function likePattern(pattern: string): string {
  return pattern.includes('%') ? pattern : `%${pattern}%`;
}

/**
 * Splits `orders`, `analytics.orders`, `db.analytics."Orders"` or BigQuery's
 * `` `project.dataset.table` `` into parts. Quotes keep dots and case; at most three parts.
 */
export function parseTableName(text: string): TableName {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  let quotedPart = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote) {
      if (char === quote && text[index + 1] === quote) {
        current += char;
        index++;
      } else if (char === quote) {
        quote = undefined;
      } else {
        current += char;
      }
      continue;
    }
    if (char === '"' || char === '`') {
      quote = char;
      quotedPart = true;
      continue;
    }
    if (char === '.') {
      parts.push(current);
      current = '';
      quotedPart = false;
      continue;
    }
    current += char;
  }
  parts.push(quotedPart ? current : current.trim());
  // A whole BigQuery path in one pair of backticks: `project.dataset.table`.
  const flat = parts.length === 1 && text.trim().startsWith('`') ? parts[0]!.split('.') : parts;
  const cleaned = flat.map((part) => part.trim());
  if (quote || cleaned.length > 3 || cleaned.some((part) => part === '')) {
    throw new TableNotFoundError(
      `${JSON.stringify(text)} is not a table name: write table, schema.table or database.schema.table`,
    );
  }
  const [a, b, c] = cleaned;
  if (cleaned.length === 3) return { catalog: a, schema: b, name: c! };
  if (cleaned.length === 2) return { schema: a, name: b! };
  return { name: a! };
}

/** `schema.table` for messages. */
export function displayTableName(table: TableName): string {
  return [table.catalog, table.schema, table.name].filter(Boolean).join('.');
}
