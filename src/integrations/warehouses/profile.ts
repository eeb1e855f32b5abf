/**
 * Table profiles: row count, nulls, distinct counts, min/max and freshness in one generated
 * statement (one scan), every identifier quoted. Building the SQL and reading its result are
 * pure, so each dialect's SQL is tested without a warehouse.
 */
import { qualifiedName, quoteIdentifier } from './sql-text.js';
import type { ColumnInfo, QueryResult, SqlDialect, TableInfo } from './warehouse.js';

/** What a column's type allows: min/max needs an order, distinct needs equality. */
export type ColumnCategory = 'number' | 'text' | 'time' | 'boolean' | 'identifier' | 'other';

/** The category of a warehouse type name, e.g. `timestamp with time zone` → `time`. */
export function columnCategory(type: string): ColumnCategory {
  const lower = type.toLowerCase().trim();
  if (
    /\[\]$|^(array|struct|map|list|union|object|variant|json|jsonb|geography|geometry|record)\b/.test(lower)
  ) {
    return 'other';
  }
  if (/^(date|time|timestamp|datetime|timestamptz|timetz)/.test(lower)) return 'time';
  if (/^bool/.test(lower)) return 'boolean';
  if (/^uuid/.test(lower)) return 'identifier';
  if (
    /^(u?(tiny|small|big|huge)?int(eger)?|int\d+|float\d*|double|real|decimal|numeric|number|bignumeric|bigdecimal|(small|big)?serial|money)\b/.test(
      lower,
    )
  ) {
    return 'number';
  }
  if (/^(varchar|char|character|text|string|bpchar|name|citext|enum)/.test(lower)) return 'text';
  return 'other';
}

/** A column as it appears in the generated statement. */
export interface PlannedColumn {
  name: string;
  type: string;
  category: ColumnCategory;
  distinct: boolean;
  minMax: boolean;
}

/** The generated statement and how to read its one row back. */
export interface ProfilePlan {
  sql: string;
  table: TableInfo;
  columns: PlannedColumn[];
  /** The column whose max says how fresh the table is. */
  timestampColumn?: string;
  approximateDistinct: boolean;
  /** Columns not profiled because of `maxColumns`. */
  omitted: string[];
}

/** Options for {@link planProfile}. */
export interface ProfileOptions {
  /** Use `approx_count_distinct` (Snowflake, BigQuery: exact counts are costly there). */
  approximateDistinct: boolean;
  /** The freshness column; picked by name and type when absent. */
  timestampColumn?: string;
  /** Columns profiled at most in one statement. */
  maxColumns: number;
}

/** Names that say "when this row last arrived", strongest first. */
const FRESHNESS_NAMES = [
  /^(_fivetran_synced|_airbyte_extracted_at|_airbyte_emitted_at|_sdc_batched_at|_loaded_at|_etl_loaded_at|_dlt_load_id)$/i,
  /(updated|modified|loaded|ingested|synced|refreshed)/i,
  /(created|inserted)/i,
  /(_at|_ts|_time|timestamp)$/i,
  /date/i,
];

/** The time column a freshness check should use, or undefined when the table has none. */
export function pickTimestampColumn(columns: readonly ColumnInfo[]): string | undefined {
  const times = columns.filter((column) => columnCategory(column.type) === 'time');
  for (const pattern of FRESHNESS_NAMES) {
    const match = times.find((column) => pattern.test(column.name));
    if (match) return match.name;
  }
  return times[0]?.name;
}

/** Builds the profile statement for `table` in `dialect`. */
export function planProfile(
  dialect: SqlDialect,
  table: TableInfo,
  columns: readonly ColumnInfo[],
  options: ProfileOptions,
): ProfilePlan {
  const kept = columns.slice(0, options.maxColumns);
  const planned: PlannedColumn[] = kept.map((column) => {
    const category = columnCategory(column.type);
    return {
      name: column.name,
      type: column.type,
      category,
      distinct: category !== 'other',
      minMax: category === 'number' || category === 'text' || category === 'time',
    };
  });
  const timestampColumn = options.timestampColumn ?? pickTimestampColumn(kept);
  const distinct = (expression: string) =>
    options.approximateDistinct ? `approx_count_distinct(${expression})` : `count(distinct ${expression})`;
  const selects = ['count(*) as row_count', 'current_timestamp as profiled_at'];
  planned.forEach((column, index) => {
    const quoted = quoteIdentifier(column.name, dialect);
    selects.push(`count(${quoted}) as nn_${index}`);
    if (column.distinct) selects.push(`${distinct(quoted)} as nd_${index}`);
    if (column.minMax) selects.push(`min(${quoted}) as lo_${index}`, `max(${quoted}) as hi_${index}`);
  });
  if (timestampColumn !== undefined && !planned.some((column) => column.name === timestampColumn)) {
    selects.push(`max(${quoteIdentifier(timestampColumn, dialect)}) as fresh`);
  }
  return {
    sql: `select ${selects.join(',\n       ')}\nfrom ${qualifiedName(table, dialect)}`,
    table,
    columns: planned,
    ...(timestampColumn !== undefined ? { timestampColumn } : {}),
    approximateDistinct: options.approximateDistinct,
    omitted: columns.slice(options.maxColumns).map((column) => column.name),
  };
}

/** One column's numbers. */
export interface ColumnProfile {
  name: string;
  type: string;
  nulls: number;
  null_percent: number;
  distinct?: number;
  min?: unknown;
  max?: unknown;
}

/** How recent the newest row is, by the freshness column. */
export interface Freshness {
  column: string;
  latest: unknown;
  /** Seconds from `latest` to the warehouse's current time; absent when the value is not a time it can read. */
  age_seconds?: number;
  /** The same, for people: `3 days 4 hours`. */
  age?: string;
}

/** A table's profile, as `profile_table` returns it. */
export interface TableProfile {
  row_count: number;
  profiled_at: unknown;
  distinct_counts: 'exact' | 'approximate';
  freshness?: Freshness;
  columns: ColumnProfile[];
  omitted_columns?: string[];
}

/** Reads the one row of a profile statement. */
export function readProfile(plan: ProfilePlan, result: QueryResult): TableProfile {
  const names = result.columns.map((column) => column.name.toLowerCase());
  const row = result.rows[0] ?? [];
  const value = (alias: string) => row[names.indexOf(alias)];
  const rowCount = toNumber(value('row_count'));
  const profiledAt = value('profiled_at');
  const columns = plan.columns.map((column, index): ColumnProfile => {
    const nulls = rowCount - toNumber(value(`nn_${index}`));
    return {
      name: column.name,
      type: column.type,
      nulls,
      null_percent: rowCount === 0 ? 0 : Math.round((nulls / rowCount) * 10_000) / 100,
      ...(column.distinct ? { distinct: toNumber(value(`nd_${index}`)) } : {}),
      ...(column.minMax ? { min: value(`lo_${index}`), max: value(`hi_${index}`) } : {}),
    };
  });
  const profile: TableProfile = {
    row_count: rowCount,
    profiled_at: profiledAt,
    distinct_counts: plan.approximateDistinct ? 'approximate' : 'exact',
    columns,
  };
  if (plan.timestampColumn !== undefined) {
    const index = plan.columns.findIndex((column) => column.name === plan.timestampColumn);
    const latest = index >= 0 ? value(`hi_${index}`) : value('fresh');
    profile.freshness = freshness(plan.timestampColumn, latest, profiledAt);
  }
  if (plan.omitted.length > 0) profile.omitted_columns = plan.omitted;
  return profile;
}

function freshness(column: string, latest: unknown, now: unknown): Freshness {
  const latestMs = parseWarehouseTime(latest);
  const nowMs = parseWarehouseTime(now);
  if (latestMs === undefined || nowMs === undefined) return { column, latest };
  const seconds = Math.round((nowMs - latestMs) / 1000);
  return { column, latest, age_seconds: seconds, age: describeAge(seconds) };
}

/**
 * Milliseconds since the epoch of a time as warehouses print it: `2024-05-01`,
 * `2024-05-01 12:00:00.123456`, `2024-05-01 12:00:00+00`, ISO strings. A time without a zone is
 * read as UTC.
 */
export function parseWarehouseTime(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string') return undefined;
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      value.trim(),
    );
  if (!match) return undefined;
  const [, date, clock = '00:00', seconds = '00', fraction = '', zone = 'Z'] = match;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  let offset = zone.toUpperCase() === 'UTC' ? 'Z' : zone.toUpperCase();
  if (/^[+-]\d{2}$/.test(offset)) offset = `${offset}:00`;
  else if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const parsed = Date.parse(`${date}T${clock}:${seconds}.${millis}${offset}`);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** `42 seconds`, `5 minutes`, `3 hours 10 minutes`, `12 days 4 hours`; `… in the future` when negative. */
export function describeAge(seconds: number): string {
  if (seconds < 0) return `${describeAge(-seconds)} in the future`;
  const units: [string, number][] = [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  const plural = (count: number, name: string) => `${count} ${name}${count === 1 ? '' : 's'}`;
  const first = units.findIndex(([, size]) => seconds >= size);
  if (first < 0) return plural(seconds, 'second');
  const [name, size] = units[first]!;
  const count = Math.floor(seconds / size);
  const next = units[first + 1];
  const rest = next ? Math.floor((seconds - count * size) / next[1]) : 0;
  return rest > 0 && next ? `${plural(count, name)} ${plural(rest, next[0])}` : plural(count, name);
}

function toNumber(value: unknown): number {
  const number = typeof value === 'number' ? value : Number(value ?? 0);
  return Number.isFinite(number) ? number : 0;
}
