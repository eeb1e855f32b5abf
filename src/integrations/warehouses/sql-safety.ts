/**
 * Statement safety: which SQL a tool may run. A real parser of the warehouse's dialect
 * (node-sql-parser, and DuckDB's own parser for DuckDB) decides; anything it cannot read is
 * refused. The engine's read-only mode is the second wall (see each adapter).
 */
import { StatementRefusedError } from './errors.js';
import { leadingTokens, type SqlToken } from './sql-lexer.js';
import type { SqlDialect, StatementClass } from './warehouse.js';

/** What a read looks like, for messages. */
export const READ_STATEMENTS = 'SELECT, WITH, SHOW, DESCRIBE and EXPLAIN';

/** Keywords that open statements which never run through a tool, granted writes or not. */
const FORBIDDEN_KEYWORDS = new Set([
  'ABORT',
  'ANALYZE',
  'ANALYSE',
  'ATTACH',
  'BEGIN',
  'CALL',
  'CHECKPOINT',
  'CLUSTER',
  'COMMIT',
  'COPY',
  'DEALLOCATE',
  'DECLARE',
  'DETACH',
  'DISCARD',
  'DO',
  'END',
  'EXEC',
  'EXECUTE',
  'EXPORT',
  'FORCE',
  'GET',
  'GRANT',
  'IMPORT',
  'INSTALL',
  'LISTEN',
  'LOAD',
  'LOCK',
  'NOTIFY',
  'PREPARE',
  'PUT',
  'REINDEX',
  'RELEASE',
  'REMOVE',
  'RESET',
  'REVOKE',
  'ROLLBACK',
  'SAVEPOINT',
  'SECURITY',
  'SET',
  'START',
  'UNLISTEN',
  'UNLOCK',
  'UPDATE_EXTENSIONS',
  'USE',
  'VACUUM',
]);

/** Why each forbidden family is refused, for a message the model can act on. */
function forbiddenReason(keyword: string): string {
  if (['COPY', 'EXPORT', 'IMPORT', 'PUT', 'GET', 'REMOVE'].includes(keyword)) return 'reads or writes files';
  if (['ATTACH', 'DETACH', 'INSTALL', 'LOAD', 'FORCE', 'UPDATE_EXTENSIONS'].includes(keyword)) {
    return 'attaches databases or loads extensions';
  }
  if (['SET', 'RESET', 'USE'].includes(keyword)) return 'changes session settings';
  if (['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE'].includes(keyword)) {
    return 'controls transactions, which the tool manages itself';
  }
  if (['GRANT', 'REVOKE', 'SECURITY'].includes(keyword)) return 'changes privileges';
  return 'runs procedures, commands or maintenance';
}

/** Statement types a parser reports for reads. */
const READ_TYPES = new Set(['select', 'show', 'desc', 'describe']);
/** Statement types that change data or schema: run only with a grant. */
const WRITE_TYPES = new Set([
  'insert',
  'replace',
  'update',
  'delete',
  'create',
  'alter',
  'drop',
  'truncate',
  'rename',
  'merge',
]);

/**
 * Functions that write, read the host, execute SQL given as a string, or reach other sessions,
 * even inside a SELECT. Names are matched case-insensitively on every part of the name.
 */
const FORBIDDEN_FUNCTIONS: Record<SqlDialect, { names: Set<string>; prefixes: string[] }> = {
  postgres: {
    names: new Set([
      'set_config',
      'pg_stat_file',
      'pg_terminate_backend',
      'pg_cancel_backend',
      'pg_reload_conf',
      'pg_rotate_logfile',
      'pg_promote',
      'pg_switch_wal',
      'pg_start_backup',
      'pg_stop_backup',
      'pg_backup_start',
      'pg_backup_stop',
      'pg_notify',
      'query_to_xml',
      'query_to_xmlschema',
      'query_to_xml_and_xmlschema',
      'cursor_to_xml',
      'cursor_to_xmlschema',
      'nextval',
      'setval',
    ]),
    prefixes: [
      'lo_',
      'dblink',
      'pg_advisory',
      'pg_try_advisory',
      'pg_read_',
      'pg_ls_',
      'pg_file_',
      'pg_logical_',
      'pg_replication_',
      'pg_create_',
      'pg_drop_',
      'pg_import_',
    ],
  },
  duckdb: {
    names: new Set(['query', 'query_table', 'glob', 'getenv', 'st_read', 'sniff_csv']),
    prefixes: ['read_', 'parquet_', 'sqlite_', 'postgres_', 'mysql_', 'delta_', 'iceberg_'],
  },
  snowflake: { names: new Set(), prefixes: ['system$'] },
  bigquery: { names: new Set(), prefixes: [] },
};

/** node-sql-parser's name for each dialect; DuckDB is closest to PostgreSQL. */
const PARSER_DIALECT: Record<SqlDialect, string> = {
  duckdb: 'postgresql',
  postgres: 'postgresql',
  snowflake: 'snowflake',
  bigquery: 'bigquery',
};

const DIALECT_LABEL: Record<SqlDialect, string> = {
  duckdb: 'DuckDB',
  postgres: 'PostgreSQL',
  snowflake: 'Snowflake',
  bigquery: 'BigQuery',
};

/** A second parser, the engine's own, that reports the statement count and type. */
export type EngineStatementParser = (sql: string) => Promise<StatementClass>;

/** Options for {@link classifyStatement}. */
export interface ClassifyOptions {
  /**
   * The warehouse's own parser (DuckDB's). When given it is authoritative and must succeed;
   * node-sql-parser then only adds refusals where it can read the statement.
   */
  engineParser?: EngineStatementParser;
}

/**
 * Classifies one statement as a read or a write, or throws `StatementRefusedError`: empty SQL,
 * several statements, a statement that never runs through a tool, a forbidden function, or SQL
 * the parser cannot read (refused, fail closed).
 */
export async function classifyStatement(
  sql: string,
  dialect: SqlDialect,
  options: ClassifyOptions = {},
): Promise<StatementClass> {
  return classifyAt(sql, dialect, options, 0);
}

async function classifyAt(
  sql: string,
  dialect: SqlDialect,
  options: ClassifyOptions,
  depth: number,
): Promise<StatementClass> {
  const tokens = leadingTokens(sql, dialect, 64);
  const first = tokens[0];
  if (!first) {
    throw new StatementRefusedError(
      'warehouse.statement-refused',
      'refused: the SQL is empty (or only comments)',
    );
  }
  const keyword = first.kind === 'word' ? first.text.toUpperCase() : first.text;
  if (keyword === 'EXPLAIN') {
    if (depth > 0) throw refused('EXPLAIN EXPLAIN is not a statement');
    return classifyExplain(sql, dialect, tokens, options);
  }
  if (FORBIDDEN_KEYWORDS.has(keyword)) {
    throw refused(`${keyword} statements never run through a tool (${keyword} ${forbiddenReason(keyword)})`);
  }

  const parsed = await parseWithLibrary(sql, dialect);
  if (options.engineParser) {
    const engine = await options.engineParser(sql);
    // The engine's parser knows the dialect; the library's adds refusals where it could read it.
    if (parsed.ok && parsed.value.kind === 'write' && engine.kind === 'read') return parsed.value;
    return engine;
  }
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

/**
 * Words of EXPLAIN's parenthesized options that never make it run the statement. Anything else in
 * the list — ANALYZE, a quoted name (`("analyze")` is ANALYZE to PostgreSQL), `U&"…"`, an option
 * this list does not know — counts as ANALYZE: the statement is then judged as itself, which for a
 * read changes nothing and for a write is the safe answer.
 */
const EXPLAIN_OPTIONS_WITHOUT_EXECUTION = new Set([
  'VERBOSE',
  'COSTS',
  'SETTINGS',
  'GENERIC_PLAN',
  'BUFFERS',
  'SERIALIZE',
  'WAL',
  'TIMING',
  'SUMMARY',
  'MEMORY',
  'FORMAT',
  'TEXT',
  'XML',
  'JSON',
  'YAML',
  'NONE',
  'BINARY',
  'ON',
  'OFF',
  'TRUE',
  'FALSE',
]);

/**
 * `EXPLAIN [ANALYZE] stmt`, `EXPLAIN (ANALYZE, …) stmt`, `EXPLAIN USING TEXT stmt`. Without
 * ANALYZE nothing runs, so it is a read whatever it explains; with ANALYZE the statement runs
 * (in full: the row cap of a plain read does not stop it) and is judged as itself, so
 * `EXPLAIN ANALYZE SELECT` is a read and `EXPLAIN ANALYZE DELETE` a write (docs/warehouses.md).
 */
async function classifyExplain(
  sql: string,
  dialect: SqlDialect,
  tokens: SqlToken[],
  options: ClassifyOptions,
): Promise<StatementClass> {
  let index = 1;
  let analyze = false;
  const isWord = (token: SqlToken | undefined, ...words: string[]) =>
    token?.kind === 'word' && words.includes(token.text.toUpperCase());
  if (tokens[index]?.text === '(') {
    let depth = 0;
    for (; index < tokens.length; index++) {
      const token = tokens[index]!;
      if (token.text === '(') depth++;
      else if (token.text === ')') depth--;
      // Any mention of ANALYZE in the options counts: `ANALYZE false` is rare and refusing is safe.
      // So does anything not known to leave the statement unrun (a quoted `"analyze"` is ANALYZE).
      else if (token.kind === 'word' ? !isWord(token, ...EXPLAIN_OPTIONS_WITHOUT_EXECUTION) : !isInert(token))
        analyze = true;
      if (depth === 0) break;
    }
    index++;
  }
  while (isWord(tokens[index], 'ANALYZE', 'ANALYSE', 'VERBOSE', 'USING', 'TEXT', 'JSON', 'TABULAR')) {
    if (isWord(tokens[index], 'ANALYZE', 'ANALYSE')) analyze = true;
    index++;
  }
  const start = tokens[index]?.start;
  if (start === undefined) {
    throw refused('EXPLAIN needs a statement to explain, e.g. EXPLAIN SELECT …');
  }
  const inner = await classifyAt(sql.slice(start), dialect, options, 1);
  if (analyze) return { kind: inner.kind, statement: `EXPLAIN ANALYZE ${inner.statement}` };
  return { kind: 'read', statement: 'EXPLAIN' };
}

/** A number or a comma in EXPLAIN's options (`COSTS 0`, `BUFFERS, TIMING`): never ANALYZE. */
function isInert(token: SqlToken): boolean {
  return token.kind === 'number' || token.text === ',';
}

type Parsed = { ok: true; value: StatementClass } | { ok: false; error: StatementRefusedError };

/** Classifies with node-sql-parser. A refusal is thrown; a parse failure is returned. */
async function parseWithLibrary(sql: string, dialect: SqlDialect): Promise<Parsed> {
  const parser = await loadParser(dialect);
  let tableList: string[];
  let ast: unknown;
  try {
    ({ tableList, ast } = parser.parse(sql, { database: PARSER_DIALECT[dialect] }));
  } catch (error) {
    return { ok: false, error: unparsable(dialect, error) };
  }
  const statements = (Array.isArray(ast) ? ast : [ast]).filter((node) => node !== null && node !== undefined);
  if (statements.length !== 1) {
    throw refused(
      `one statement per call, and this SQL holds ${statements.length}: send each statement in its own call`,
    );
  }
  const root = statements[0] as AstNode;
  const type = String(root.type ?? '').toLowerCase();
  const statement = statementName(type);
  if (!READ_TYPES.has(type) && !WRITE_TYPES.has(type)) {
    throw refused(`${statement} statements never run through a tool`);
  }
  checkFunctions(root, dialect);
  const writes = WRITE_TYPES.has(type) || containsWrite(root) || tableList.some(isWriteOperation);
  if (writes && READ_TYPES.has(type))
    return { ok: true, value: { kind: 'write', statement: `${statement} (writes)` } };
  return { ok: true, value: { kind: writes ? 'write' : 'read', statement } };
}

interface AstNode {
  type?: unknown;
  [key: string]: unknown;
}

/** A write nested anywhere: a data-modifying CTE or subquery, or `SELECT … INTO new_table`. */
function containsWrite(node: unknown, root = true): boolean {
  if (Array.isArray(node)) return node.some((item) => containsWrite(item, false));
  if (node === null || typeof node !== 'object') return false;
  const object = node as AstNode;
  if (!root && typeof object.type === 'string' && WRITE_TYPES.has(object.type.toLowerCase())) return true;
  const into = object.into as AstNode | undefined | null;
  if (into && typeof into === 'object' && (into.expr || into.position)) return true;
  return Object.values(object).some((value) => containsWrite(value, false));
}

/** `select::null::orders` is a read; `delete::null::orders`, `insert::…` are not. */
function isWriteOperation(entry: string): boolean {
  const operation = entry.split('::', 1)[0]!.toLowerCase();
  return operation !== 'select';
}

/** Refuses calls to functions that write, read the host or run SQL from a string. */
function checkFunctions(node: unknown, dialect: SqlDialect): void {
  if (Array.isArray(node)) {
    for (const item of node) checkFunctions(item, dialect);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as AstNode;
  if (object.type === 'function' || object.type === 'aggr_func') {
    for (const part of functionNameParts(object.name)) {
      if (isForbiddenFunction(part, dialect)) {
        throw refused(`${part}() ${functionReason(part)}, and never runs through a tool`);
      }
    }
  }
  for (const value of Object.values(object)) checkFunctions(value, dialect);
}

/** Every identifier in a function name node (its shape differs by dialect and version). */
function functionNameParts(name: unknown): string[] {
  if (typeof name === 'string') return [name];
  const parts: string[] = [];
  const visit = (value: unknown) => {
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if ('value' in record) visit(record.value);
      if ('name' in record) visit(record.name);
      if ('schema' in record) visit(record.schema);
    }
  };
  visit(name);
  return parts;
}

/** Why a function is refused, in words the model can act on. */
function functionReason(name: string): string {
  const lower = name.toLowerCase();
  if (
    /^(query|query_table|query_to_xml|query_to_xmlschema|query_to_xml_and_xmlschema|cursor_to_xml|cursor_to_xmlschema)$|^dblink/.test(
      lower,
    )
  ) {
    return 'runs SQL given as a string';
  }
  if (/^(read_|parquet_|sniff_csv|glob|st_read|getenv|pg_read_|pg_ls_|pg_stat_file|lo_)/.test(lower)) {
    return 'reads files or the environment of the host';
  }
  if (/^(sqlite_|postgres_|mysql_|delta_|iceberg_)/.test(lower)) return 'reaches other databases or files';
  return 'changes state, settings or other sessions';
}

/** True when `name` is a function no tool may call in `dialect`. */
export function isForbiddenFunction(name: string, dialect: SqlDialect): boolean {
  const lower = name.toLowerCase();
  const rules = FORBIDDEN_FUNCTIONS[dialect];
  return rules.names.has(lower) || rules.prefixes.some((prefix) => lower.startsWith(prefix));
}

function statementName(type: string): string {
  if (type === 'desc' || type === 'describe') return 'DESCRIBE';
  return type.toUpperCase() || 'UNKNOWN';
}

function refused(reason: string): StatementRefusedError {
  return new StatementRefusedError('warehouse.statement-refused', `refused: ${reason}; nothing ran`);
}

function unparsable(dialect: SqlDialect, error: unknown): StatementRefusedError {
  const detail = error instanceof Error ? shortParserMessage(error) : String(error);
  return new StatementRefusedError(
    'warehouse.unparsable-sql',
    `refused: could not parse this as one ${DIALECT_LABEL[dialect]} statement (${detail}); nothing ran: rewrite it as a single plain SELECT`,
    { cause: error },
  );
}

/** A peg parser's message lists every expected token; keep where it failed and what it found. */
function shortParserMessage(error: Error): string {
  const location = (error as { location?: { start?: { line?: number; column?: number } } }).location?.start;
  const found = /but (.+) found\.?$/.exec(error.message)?.[1];
  const where = location?.line ? `line ${location.line}, column ${location.column}` : undefined;
  if (where && found) return `unexpected ${found} at ${where}`;
  return error.message.length > 160 ? `${error.message.slice(0, 160)}…` : error.message;
}

/** What we use of node-sql-parser's Parser. */
interface LibraryParser {
  parse(sql: string, options: { database: string }): { tableList: string[]; ast: unknown };
}

const parsers = new Map<SqlDialect, Promise<LibraryParser>>();

/** Loads only the dialect's grammar (a few hundred KB) instead of all of them (2.5 MB). */
function loadParser(dialect: SqlDialect): Promise<LibraryParser> {
  let parser = parsers.get(dialect);
  if (!parser) {
    parser = importGrammar(dialect).then((module) => {
      const exports = ((module as { default?: unknown }).default ?? module) as {
        Parser: new () => LibraryParser;
      };
      return new exports.Parser();
    });
    parsers.set(dialect, parser);
  }
  return parser;
}

function importGrammar(dialect: SqlDialect): Promise<unknown> {
  switch (PARSER_DIALECT[dialect]) {
    case 'snowflake':
      return import('node-sql-parser/build/snowflake.js');
    case 'bigquery':
      return import('node-sql-parser/build/bigquery.js');
    default:
      return import('node-sql-parser/build/postgresql.js');
  }
}
