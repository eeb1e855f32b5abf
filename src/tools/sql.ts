/**
 * Warehouse tools: `run_sql_query`, `list_tables`, `describe_table`, `profile_table`,
 * `get_query_history`. They run in the worker as brokers: credentials stay in the worker's
 * environment, the model sees bounded results, and every statement is classified by a real
 * parser and run under the engine's read-only mode unless the agent is granted writes.
 */
import { z } from 'zod';
import {
  displayTableName,
  parseTableName,
  pickTimestampColumn,
  planProfile,
  type QueryResult,
  readProfile,
  type TableDescription,
} from '../integrations/warehouses/index.js';
import { ToolError } from './errors.js';
import { formatCount } from './output-cap.js';
import { assertMayRun, warehouseAccess } from './sql-access.js';
import { renderTable, resultRows, rowsCutNote } from './sql-format.js';
import { defineTool } from './tool.js';

/** Rows `run_sql_query` returns when the model does not say; the warehouse's `max_rows` bounds it. */
const DEFAULT_ROWS = 100;
const LIST_DEFAULT_TABLES = 200;
const LIST_MAX_TABLES = 2000;
/** Columns one `profile_table` call profiles: one scan computes all of them. */
const PROFILE_MAX_COLUMNS = 60;
const MAX_SQL_CHARS = 100_000;

const warehouseInput = z
  .string()
  .min(1)
  .optional()
  .describe(
    "The warehouse's name from .agentry/config.yml; omit it to use the agent's default (or the only one).",
  );

// ---------------------------------------------------------------------------------------------
// run_sql_query

const runSqlInput = z.object({
  sql: z
    .string()
    .min(1)
    .max(MAX_SQL_CHARS)
    .describe(
      'Exactly one SQL statement in the warehouse\'s dialect, e.g. "select status, count(*) from orders group by 1".',
    ),
  warehouse: warehouseInput,
  max_rows: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      `Rows to return at most (default ${DEFAULT_ROWS}; the warehouse's max_rows in config.yml is the ceiling).`,
    ),
  format: z
    .enum(['table', 'json'])
    .optional()
    .describe(
      'table (default): a compact "a | b" text table; json: an object with columns and rows as objects.',
    ),
});

/** `run_sql_query`: one statement, read-only unless granted, bounded rows, tagged with the run id. */
export const runSqlQueryTool = defineTool({
  name: 'run_sql_query',
  description: [
    'Run one SQL statement on a configured warehouse (DuckDB, Postgres, Snowflake or BigQuery) and get its rows back.',
    'Use it to check data: counts, recent rows, duplicates, nulls, the rows behind a failed test.',
    'Read-only: SELECT, WITH, SHOW, DESCRIBE and EXPLAIN run (EXPLAIN ANALYZE runs its statement, and is judged as that statement); INSERT, UPDATE, DELETE, CREATE, DROP and the like are refused unless a person granted this agent writes, and COPY, ATTACH, SET, CALL, GRANT, file readers and several statements in one call are always refused.',
    `Returns at most ${DEFAULT_ROWS} rows by default and about 100 KB; a note says when rows were cut, so aggregate or filter in SQL rather than paging through raw rows.`,
    "Statements time out (60s unless configured). Write the warehouse's own dialect; to find tables and columns first, use list_tables and describe_table.",
  ].join(' '),
  inputSchema: runSqlInput,
  async execute(input, context) {
    const access = await warehouseAccess(context, input.warehouse);
    const verdict = await access.warehouse.classify(input.sql);
    assertMayRun(access, verdict, context);
    const maxRows = Math.min(input.max_rows ?? DEFAULT_ROWS, access.limits.maxRows);
    const result = await access.warehouse.query(input.sql, {
      maxRows,
      maxBytes: access.limits.maxBytes,
      timeoutMs: access.limits.timeoutMs,
      readOnly: verdict.kind === 'read',
      tag: access.queryContext.tag,
      signal: context.signal,
    });
    const note = rowsCutNote(result, access.limits.maxRows);
    const asked =
      input.max_rows !== undefined && input.max_rows > access.limits.maxRows
        ? `max_rows is capped at ${formatCount(access.limits.maxRows)} for ${access.name}`
        : undefined;
    const summary = querySummary(access.name, verdict.statement, result);
    if (input.format === 'json') {
      return {
        output: {
          warehouse: access.name,
          statement: verdict.statement,
          columns: result.columns,
          rows: resultRows(result),
          row_count: result.rows.length,
          ...(result.rowsAffected !== undefined ? { rows_affected: result.rowsAffected } : {}),
          ...(note ? { truncated: note } : {}),
          ...(asked ? { note: asked } : {}),
        },
        truncated: result.cut !== undefined,
        summary,
      };
    }
    const lines = [
      `${summary}.`,
      ...(result.columns.length > 0 ? [renderTable(result)] : []),
      ...(note ? [note] : []),
      ...(asked ? [`(${asked})`] : []),
    ];
    return { output: lines.join('\n'), truncated: result.cut !== undefined, summary };
  },
});

function querySummary(warehouse: string, statement: string, result: QueryResult): string {
  const rows = `${formatCount(result.rows.length)} row${result.rows.length === 1 ? '' : 's'}${result.cut ? ' (cut)' : ''}`;
  const affected =
    result.rowsAffected !== undefined ? `, ${formatCount(result.rowsAffected)} rows affected` : '';
  const scanned =
    result.bytesProcessed !== undefined ? `, ${formatCount(result.bytesProcessed)} bytes processed` : '';
  return `${statement} on ${warehouse}: ${rows}${affected}${scanned} in ${formatCount(result.elapsedMs)} ms`;
}

// ---------------------------------------------------------------------------------------------
// list_tables

const listTablesInput = z.object({
  warehouse: warehouseInput,
  schema: z
    .string()
    .min(1)
    .optional()
    .describe('Only tables in this schema (BigQuery: dataset), case-insensitive.'),
  pattern: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Only names matching this SQL LIKE pattern, case-insensitive; without % it matches anywhere, e.g. "orders" finds stg_orders.',
    ),
  limit: z
    .number()
    .int()
    .min(1)
    .max(LIST_MAX_TABLES)
    .optional()
    .describe(`Tables to return at most (default ${LIST_DEFAULT_TABLES}).`),
});

/** `list_tables`: tables and views of a warehouse, filtered by schema and name. */
export const listTablesTool = defineTool({
  name: 'list_tables',
  description: [
    'List the tables and views of a configured warehouse as schema.name, with their type and row estimate where the warehouse keeps one.',
    'Use it to find which tables exist before writing SQL; filter with schema and a name pattern.',
    `Returns at most ${LIST_DEFAULT_TABLES} tables by default; a note says when the list was cut.`,
    "To see a table's columns, use describe_table.",
  ].join(' '),
  inputSchema: listTablesInput,
  async execute(input, context) {
    const access = await warehouseAccess(context, input.warehouse);
    const limit = input.limit ?? LIST_DEFAULT_TABLES;
    const { tables, cut } = await access.warehouse.listTables(
      { schema: input.schema, pattern: input.pattern, limit },
      access.queryContext,
    );
    const filters = [
      input.schema ? `schema ${input.schema}` : '',
      input.pattern ? `pattern ${input.pattern}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const summary = `${formatCount(tables.length)}${cut ? '+' : ''} tables in ${access.name}${filters ? ` (${filters})` : ''}`;
    if (tables.length === 0) {
      return {
        output: `No tables or views in ${access.name}${filters ? ` match ${filters}` : ''}.`,
        summary,
      };
    }
    const lines = tables.map((table) => {
      const estimate = table.estimatedRows !== undefined ? `, ~${formatCount(table.estimatedRows)} rows` : '';
      return `${displayTableName(table)} (${table.type}${estimate})`;
    });
    if (cut) {
      lines.push(
        `[… more tables cut: the first ${formatCount(tables.length)} are shown: narrow with schema or pattern]`,
      );
    }
    return { output: lines.join('\n'), truncated: cut, summary };
  },
});

// ---------------------------------------------------------------------------------------------
// describe_table

const tableInput = z
  .string()
  .min(1)
  .max(1000)
  .describe(
    'The table: name, schema.name or database.schema.name (BigQuery: dataset.table or project.dataset.table).',
  );

const describeTableInput = z.object({ table: tableInput, warehouse: warehouseInput });

/** `describe_table`: a table's columns, types and nullability. */
export const describeTableTool = defineTool({
  name: 'describe_table',
  description: [
    'Show the columns of one table or view: name, type, whether it may be null, and its comment.',
    'Use it before writing SQL against a table, or to check a schema change. Names are matched case-insensitively;',
    'if the name exists in several schemas, you are asked to add the schema.',
    'For value distributions (nulls, distinct counts, min/max, freshness) use profile_table.',
  ].join(' '),
  inputSchema: describeTableInput,
  async execute(input, context) {
    const access = await warehouseAccess(context, input.warehouse);
    const description = await access.warehouse.describeTable(
      parseTableName(input.table),
      access.queryContext,
    );
    const name = displayTableName(description.table);
    return {
      output: renderDescription(description),
      summary: `${name}: ${formatCount(description.columns.length)} columns`,
    };
  },
});

function renderDescription(description: TableDescription): string {
  const { table, columns } = description;
  const estimate = table.estimatedRows !== undefined ? `, ~${formatCount(table.estimatedRows)} rows` : '';
  const header = `${displayTableName(table)} (${table.type}${estimate}), ${formatCount(columns.length)} columns:`;
  const body = renderTable({
    columns: [
      { name: 'column', type: '' },
      { name: 'type', type: '' },
      { name: 'nullable', type: '' },
      { name: 'comment', type: '' },
    ],
    rows: columns.map((column) => [
      column.name,
      column.type,
      column.nullable ? 'yes' : 'no',
      column.comment ?? '',
    ]),
  });
  return `${header}\n${body}`;
}

// ---------------------------------------------------------------------------------------------
// profile_table

const profileTableInput = z.object({
  table: tableInput,
  warehouse: warehouseInput,
  columns: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(`Only these columns (default: all, up to ${PROFILE_MAX_COLUMNS}).`),
  timestamp_column: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The column that says when a row arrived, for freshness; picked by name (updated_at, _loaded_at, …) when omitted.',
    ),
});

/** `profile_table`: row count, nulls, distinct counts, min/max and freshness in one scan. */
export const profileTableTool = defineTool({
  name: 'profile_table',
  description: [
    'Profile one table in a single scan: row count; per column the nulls (count and %), distinct values, min and max;',
    "and freshness: the newest value of a timestamp column and how long ago that was, by the warehouse's clock.",
    'Use it to check data quality or whether a table is stale (e.g. after a failed load). Returns JSON.',
    `Profiles up to ${PROFILE_MAX_COLUMNS} columns per call (pass columns to choose); Snowflake and BigQuery give approximate distinct counts.`,
  ].join(' '),
  inputSchema: profileTableInput,
  async execute(input, context) {
    const access = await warehouseAccess(context, input.warehouse);
    const description = await access.warehouse.describeTable(
      parseTableName(input.table),
      access.queryContext,
    );
    const columns = chosenColumns(description, input.columns);
    // Freshness looks at the whole table, not only the columns asked for.
    const timestampColumn = input.timestamp_column
      ? columnNamed(description, input.timestamp_column).name
      : pickTimestampColumn(description.columns);
    const plan = planProfile(access.warehouse.type, description.table, columns, {
      approximateDistinct: access.warehouse.capabilities.approximateDistinct,
      maxColumns: PROFILE_MAX_COLUMNS,
      ...(timestampColumn ? { timestampColumn } : {}),
    });
    const result = await access.warehouse.query(plan.sql, {
      maxRows: 1,
      maxBytes: 4 * 1024 * 1024,
      timeoutMs: access.limits.timeoutMs,
      readOnly: true,
      tag: access.queryContext.tag,
      signal: context.signal,
    });
    const profile = readProfile(plan, result);
    const name = displayTableName(description.table);
    const notes = [
      ...(plan.omitted.length > 0
        ? [
            `profiled the first ${PROFILE_MAX_COLUMNS} of ${formatCount(columns.length)} columns: pass columns=[…] to profile the others`,
          ]
        : []),
      ...(profile.freshness === undefined ? ['no date or timestamp column, so no freshness'] : []),
      ...(profile.freshness && profile.freshness.age === undefined
        ? ['the freshness column does not hold dates or times the profile can read, so no age']
        : []),
    ];
    return {
      output: { table: name, warehouse: access.name, ...profile, ...(notes.length > 0 ? { notes } : {}) },
      truncated: plan.omitted.length > 0,
      summary: `${name}: ${formatCount(profile.row_count)} rows, ${formatCount(profile.columns.length)} columns profiled${profile.freshness?.age ? `, newest ${profile.freshness.age} old` : ''}`,
    };
  },
});

function chosenColumns(description: TableDescription, names: string[] | undefined) {
  if (!names) return description.columns;
  return names.map((name) => columnNamed(description, name));
}

function columnNamed(description: TableDescription, name: string) {
  const exact = description.columns.find((column) => column.name === name);
  const column =
    exact ?? description.columns.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (column) return column;
  const known = description.columns.slice(0, 30).map((candidate) => candidate.name);
  throw new ToolError(
    'warehouse.column-not-found',
    `${displayTableName(description.table)} has no column ${name}: its columns are ${known.join(', ')}${description.columns.length > known.length ? ', …' : ''}`,
  );
}

// ---------------------------------------------------------------------------------------------
// get_query_history

const queryHistoryInput = z.object({
  warehouse: warehouseInput,
  hours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .optional()
    .describe('How far back to look, in hours (default 24, at most 720).'),
  limit: z.number().int().min(1).max(100).optional().describe('Queries to return at most (default 20).'),
  order: z
    .enum(['slowest', 'largest', 'recent'])
    .optional()
    .describe(
      'slowest (default): longest running first; largest: most bytes scanned or billed first; recent: newest first.',
    ),
});

/** `get_query_history`: past queries and what they cost, from the warehouse's own history. */
export const getQueryHistoryTool = defineTool({
  name: 'get_query_history',
  description: [
    "Read the warehouse's own record of past queries and their cost, for finding slow or expensive queries:",
    'Snowflake ACCOUNT_USAGE.QUERY_HISTORY plus credits per warehouse (WAREHOUSE_METERING_HISTORY),',
    'BigQuery INFORMATION_SCHEMA.JOBS (bytes billed, slot time), Postgres pg_stat_statements (or the statements running now when it is not installed).',
    "DuckDB keeps no history. Agentry's own queries carry the run id (query tag, job label or application_name).",
  ].join(' '),
  inputSchema: queryHistoryInput,
  async execute(input, context) {
    const access = await warehouseAccess(context, input.warehouse);
    const options = {
      hours: input.hours ?? 24,
      limit: input.limit ?? 20,
      order: input.order ?? ('slowest' as const),
    };
    const history = await access.warehouse.queryHistory(options, access.queryContext);
    const parts: string[] = [];
    let rows = 0;
    let cut = false;
    for (const section of history.sections) {
      rows += section.result.rows.length;
      cut ||= section.result.cut !== undefined;
      parts.push(`## ${section.title}`);
      parts.push(section.result.rows.length === 0 ? '(no rows)' : renderTable(section.result));
      const note = rowsCutNote(section.result, 100);
      if (note) parts.push(note);
    }
    for (const note of history.notes) parts.push(`Note: ${note}`);
    return {
      output: parts.join('\n'),
      truncated: cut,
      summary: `${formatCount(rows)} history rows from ${access.name} (${options.order}, last ${options.hours} h)`,
    };
  },
});

/** Every warehouse tool, for the registry. */
export const sqlTools = [
  runSqlQueryTool,
  listTablesTool,
  describeTableTool,
  profileTableTool,
  getQueryHistoryTool,
];
