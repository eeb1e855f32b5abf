import { describe, expect, test } from 'vitest';
import {
  classifyStatement,
  isForbiddenFunction,
  leadingKeyword,
  type SqlDialect,
  StatementRefusedError,
  sqlTokens,
} from '../../src/integrations/warehouses/index.js';

async function verdict(sql: string, dialect: SqlDialect) {
  try {
    return await classifyStatement(sql, dialect);
  } catch (error) {
    if (error instanceof StatementRefusedError) return { refused: error.code, message: error.message };
    throw error;
  }
}

const READ = { kind: 'read' };
const WRITE = { kind: 'write' };
const REFUSED = { refused: 'warehouse.statement-refused' };
const UNPARSABLE = { refused: 'warehouse.unparsable-sql' };

describe('classifyStatement (PostgreSQL)', () => {
  test.each([
    ['select 1', 'SELECT'],
    ['SELECT id, status FROM raw_orders WHERE status = $1', 'SELECT'],
    ['with recent as (select * from raw_orders) select count(*) from recent', 'SELECT'],
    ['(select 1) union all (select 2)', 'SELECT'],
    ["select ';drop table raw_orders' as text", 'SELECT'],
    ['select 1 /* ; drop table raw_orders */', 'SELECT'],
    ['select $$ ; drop table raw_orders $$', 'SELECT'],
    ['select 1;', 'SELECT'],
    ['-- why\nselect 1', 'SELECT'],
    ['show statement_timeout', 'SHOW'],
    ['explain select * from raw_orders', 'EXPLAIN'],
    // Without ANALYZE nothing runs, so explaining a write is a read.
    ['explain delete from raw_orders', 'EXPLAIN'],
    ['select count(*) from pg_stat_activity', 'SELECT'],
    ['select pg_sleep(1)', 'SELECT'],
  ])('%s is a read', async (sql, statement) => {
    expect(await verdict(sql, 'postgres')).toEqual({ ...READ, statement });
  });

  test.each([
    ['insert into raw_orders values (1, 1, current_date, $$x$$)', 'INSERT'],
    ['update raw_orders set status = null', 'UPDATE'],
    ['delete from raw_orders', 'DELETE'],
    ['drop table raw_orders', 'DROP'],
    ['create table copy_of as select * from raw_orders', 'CREATE'],
    ['alter table raw_orders add column x int', 'ALTER'],
    ['truncate raw_orders', 'TRUNCATE'],
    ['/* just a comment */ drop table raw_orders', 'DROP'],
    ['-- a comment\n delete from raw_orders', 'DELETE'],
    ['select * into new_table from raw_orders', 'SELECT (writes)'],
    ['explain analyze delete from raw_orders', 'EXPLAIN ANALYZE DELETE'],
    ['explain (analyze, format json) update raw_orders set status = null', 'EXPLAIN ANALYZE UPDATE'],
  ])('%s is a write', async (sql, statement) => {
    expect(await verdict(sql, 'postgres')).toEqual({ ...WRITE, statement });
  });

  test.each([
    'select 1; drop table raw_orders',
    'select 1; select 2',
    "copy raw_orders to '/tmp/orders.csv'",
    "copy raw_orders from program 'id'",
    'set statement_timeout = 0',
    "set local default_transaction_read_only = 'off'",
    'reset all',
    'call refresh_everything()',
    'begin',
    'commit',
    'grant select on raw_orders to public',
    'lock table raw_orders',
    'vacuum raw_orders',
    'analyze raw_orders',
    'do $$ begin delete from raw_orders; end $$',
    "select pg_read_file('/etc/passwd')",
    "select pg_catalog.pg_read_file('/etc/passwd')",
    "select lo_export(1234, '/tmp/x')",
    "select set_config('default_transaction_read_only', 'off', false)",
    "select * from (select query_to_xml('delete from raw_orders returning 1', true, false, '')) x",
    'select pg_terminate_backend(42)',
    "select nextval('orders_id_seq')",
    'explain explain select 1',
    '',
    '   \n ',
    '-- only a comment',
  ])('%j is refused', async (sql) => {
    expect(await verdict(sql, 'postgres')).toMatchObject(REFUSED);
  });

  test.each([
    'with gone as (delete from raw_orders returning *) select * from gone',
    'selec 1',
    'select * from raw_orders for update',
  ])('%j cannot be parsed and is refused', async (sql) => {
    const result = await verdict(sql, 'postgres');
    expect(result).toMatchObject(UNPARSABLE);
    expect((result as { message: string }).message).toMatch(
      /could not parse this as one PostgreSQL statement/,
    );
  });

  test('a nested comment hides nothing: Postgres nests them, so only the SELECT is left', async () => {
    // The lexer and Postgres both see `select 1`; if the library parser disagrees it refuses.
    const result = await verdict('/* /* */ drop table raw_orders */ select 1', 'postgres');
    expect(result).not.toMatchObject(WRITE);
    expect(['read', undefined]).toContain((result as { kind?: string }).kind);
  });

  test('refusals say what to do', async () => {
    const several = await verdict('select 1; drop table raw_orders', 'postgres');
    expect((several as { message: string }).message).toBe(
      'refused: one statement per call, and this SQL holds 2: send each statement in its own call; nothing ran',
    );
    const copy = await verdict("copy raw_orders to '/tmp/x'", 'postgres');
    expect((copy as { message: string }).message).toContain('COPY reads or writes files');
    const file = await verdict("select pg_read_file('/etc/passwd')", 'postgres');
    expect((file as { message: string }).message).toContain(
      'pg_read_file() reads files or the environment of the host',
    );
  });
});

describe('classifyStatement (Snowflake)', () => {
  test.each([
    [
      'select * from analytics.orders qualify row_number() over (partition by id order by updated_at desc) = 1',
      'SELECT',
    ],
    ['select v:customer.name::string from raw.events', 'SELECT'],
    ['show tables', 'SHOW'],
    ['-- note\nselect 1', 'SELECT'],
    ['select * from db.sch.t limit 10 offset 5', 'SELECT'],
  ])('%s is a read', async (sql, statement) => {
    expect(await verdict(sql, 'snowflake')).toEqual({ ...READ, statement });
  });

  test.each([
    ['insert into t values (1)', 'INSERT'],
    ['drop table t', 'DROP'],
    ['truncate table t', 'TRUNCATE'],
  ])('%s is a write', async (sql, statement) => {
    expect(await verdict(sql, 'snowflake')).toEqual({ ...WRITE, statement });
  });

  test.each([
    'select 1; drop table t',
    'copy into @stage/orders from orders',
    'put file:///etc/passwd @stage',
    'get @stage file:///tmp/',
    'use role accountadmin',
    "call system$cancel_all_queries('x')",
    "select system$cancel_all_queries('x')",
    'grant role accountadmin to user me',
    '// only a comment',
  ])('%j is refused', async (sql) => {
    expect(await verdict(sql, 'snowflake')).toMatchObject({ refused: expect.stringMatching(/^warehouse\./) });
  });
});

describe('classifyStatement (BigQuery)', () => {
  test.each([
    ['select * from `project.dataset.orders` where status = "completed"', 'SELECT'],
    ['select count(*) from `region-us`.INFORMATION_SCHEMA.JOBS', 'SELECT'],
    ['select * except (email) from dataset.customers', 'SELECT'],
    ['# a comment\nselect 1', 'SELECT'],
  ])('%s is a read', async (sql, statement) => {
    expect(await verdict(sql, 'bigquery')).toEqual({ ...READ, statement });
  });

  test.each([
    ['insert into dataset.orders (id) values (1)', 'INSERT'],
    ['drop table dataset.orders', 'DROP'],
  ])('%s is a write', async (sql, statement) => {
    expect(await verdict(sql, 'bigquery')).toEqual({ ...WRITE, statement });
  });

  test.each([
    'select 1; drop table dataset.orders',
    "export data options (uri = 'gs://bucket/*.csv', format = 'CSV') as select 1",
    'call dataset.procedure()',
    'begin transaction',
    'declare x int64',
  ])('%j is refused', async (sql) => {
    expect(await verdict(sql, 'bigquery')).toMatchObject({ refused: expect.stringMatching(/^warehouse\./) });
  });

  test('a statement the BigQuery grammar cannot read is refused, even a write that could be granted', async () => {
    expect(await verdict('delete from dataset.orders where true', 'bigquery')).toMatchObject(UNPARSABLE);
  });
});

describe('forbidden functions', () => {
  test.each([
    ['read_csv', 'duckdb', true],
    ['READ_PARQUET', 'duckdb', true],
    ['glob', 'duckdb', true],
    ['query', 'duckdb', true],
    ['count', 'duckdb', false],
    ['pg_read_binary_file', 'postgres', true],
    ['dblink_exec', 'postgres', true],
    ['pg_try_advisory_lock', 'postgres', true],
    ['pg_size_pretty', 'postgres', false],
    ['pg_total_relation_size', 'postgres', false],
    ['SYSTEM$ABORT_SESSION', 'snowflake', true],
    ['approx_count_distinct', 'snowflake', false],
  ] as const)('%s in %s forbidden: %s', (name, dialect, forbidden) => {
    expect(isForbiddenFunction(name, dialect)).toBe(forbidden);
  });
});

describe('sql lexer', () => {
  const words = (sql: string, dialect: SqlDialect) => [...sqlTokens(sql, dialect)].map((token) => token.text);

  test('skips comments but not what looks like one inside strings', () => {
    expect(words("select '-- not a comment' -- a comment\n, 2", 'postgres')).toEqual([
      'select',
      "'-- not a comment'",
      ',',
      '2',
    ]);
  });

  test('Postgres nests block comments; Snowflake does not', () => {
    expect(leadingKeyword('/* a /* b */ c */ select 1', 'postgres')).toBe('SELECT');
    expect(leadingKeyword('/* a /* b */ delete', 'snowflake')).toBe('DELETE');
  });

  test('dialect comments: // in Snowflake, # in BigQuery', () => {
    expect(leadingKeyword('// note\nselect 1', 'snowflake')).toBe('SELECT');
    expect(leadingKeyword('# note\nselect 1', 'bigquery')).toBe('SELECT');
    expect(leadingKeyword('# note\nselect 1', 'postgres')).toBe('#');
  });

  test('dollar quotes and escape strings are one token', () => {
    expect(words("select $tag$ a; drop $tag$, E'it\\'s'", 'postgres')).toEqual([
      'select',
      '$tag$ a; drop $tag$',
      ',',
      "E'it\\'s'",
    ]);
  });

  test('an unterminated comment ends the tokens', () => {
    expect(words('select 1 /* never closed drop table x', 'postgres')).toEqual(['select', '1']);
  });
});

describe('EXPLAIN ANALYZE runs its statement, so it is judged as that statement', () => {
  test.each([
    ['explain analyze select * from raw_orders', 'EXPLAIN ANALYZE SELECT'],
    ['explain (analyze, buffers) select * from raw_orders', 'EXPLAIN ANALYZE SELECT'],
    ['explain ("analyze") select * from raw_orders', 'EXPLAIN ANALYZE SELECT'],
    // Options that do not run the statement leave it an EXPLAIN: nothing runs.
    ['explain (verbose, costs off, format json) delete from raw_orders', 'EXPLAIN'],
    ['explain (costs 0, timing false) delete from raw_orders', 'EXPLAIN'],
  ])('%s is a read', async (sql, statement) => {
    for (const dialect of ['postgres', 'duckdb'] as const)
      expect(await verdict(sql, dialect)).toEqual({ ...READ, statement });
  });

  test.each([
    // PostgreSQL takes a quoted option name as the option: this DELETE would run.
    ['explain ("analyze") delete from raw_orders', 'EXPLAIN ANALYZE DELETE'],
    ['explain (format json, "analyze" on) delete from raw_orders', 'EXPLAIN ANALYZE DELETE'],
    ['explain (u&"\\0061nalyze") delete from raw_orders', 'EXPLAIN ANALYZE DELETE'],
    // An option this list does not know is taken as one that runs the statement.
    ['explain (some_new_option) update raw_orders set status = null', 'EXPLAIN ANALYZE UPDATE'],
    ["explain (format 'json') delete from raw_orders", 'EXPLAIN ANALYZE DELETE'],
  ])('%s is a write', async (sql, statement) => {
    expect(await verdict(sql, 'postgres')).toEqual({ ...WRITE, statement });
  });

  test('a forbidden function inside EXPLAIN ANALYZE is refused like the SELECT itself', async () => {
    expect(await verdict("explain analyze select pg_read_file('/etc/passwd')", 'postgres')).toMatchObject(
      REFUSED,
    );
  });
});
