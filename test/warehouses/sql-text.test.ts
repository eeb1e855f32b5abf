import { describe, expect, test } from 'vitest';
import {
  bigQueryLabels,
  likePattern,
  MAX_VALUE_CHARS,
  parseTableName,
  postgresApplicationName,
  qualifiedName,
  queryTagComment,
  quoteIdentifier,
  quoteLiteral,
  RowCollector,
  snowflakeQueryTag,
  TableNotFoundError,
  tagStatement,
  toJsonValue,
} from '../../src/integrations/warehouses/index.js';

describe('quoting', () => {
  test('identifiers', () => {
    expect(quoteIdentifier('fct "orders"', 'postgres')).toBe('"fct ""orders"""');
    expect(quoteIdentifier('weird`name', 'bigquery')).toBe('`weird\\`name`');
    expect(qualifiedName({ catalog: 'db', schema: 'marts', name: 'orders' }, 'snowflake')).toBe(
      '"db"."marts"."orders"',
    );
  });

  test('literals: doubled quotes in Postgres and DuckDB, backslash escapes in Snowflake and BigQuery', () => {
    expect(quoteLiteral("o'brien\\", 'postgres')).toBe("'o''brien\\'");
    expect(quoteLiteral("o'brien\\", 'duckdb')).toBe("'o''brien\\'");
    expect(quoteLiteral("o'brien\\", 'snowflake')).toBe("'o\\'brien\\\\'");
    expect(quoteLiteral("a\nb'", 'bigquery')).toBe("'a\\nb\\''");
  });

  test('like patterns', () => {
    expect(likePattern('orders')).toBe('%orders%');
    expect(likePattern('raw_')).toBe('%raw_%');
    expect(likePattern('stg_%')).toBe('stg_%');
  });
});

describe('table names', () => {
  test.each([
    ['orders', { name: 'orders' }],
    ['analytics.orders', { schema: 'analytics', name: 'orders' }],
    ['db.analytics.orders', { catalog: 'db', schema: 'analytics', name: 'orders' }],
    ['"My Schema"."Orders.v2"', { schema: 'My Schema', name: 'Orders.v2' }],
    ['`acme-prod.marts.fct_orders`', { catalog: 'acme-prod', schema: 'marts', name: 'fct_orders' }],
    ['`acme-prod`.marts.fct_orders', { catalog: 'acme-prod', schema: 'marts', name: 'fct_orders' }],
    [' marts . orders ', { schema: 'marts', name: 'orders' }],
  ])('%s', (text, expected) => {
    expect(parseTableName(text)).toEqual(expected);
  });

  test.each(['a.b.c.d', 'marts.', '"unclosed', ''])('%j is not a table name', (text) => {
    expect(() => parseTableName(text)).toThrow(TableNotFoundError);
  });
});

describe('query tags', () => {
  const tag = { runId: '01J9ZRUNID', agent: 'incident-commander' };

  test('the comment cannot be closed early by the agent name', () => {
    expect(queryTagComment({ runId: 'x */ drop table t; /*', agent: 'a' })).toBe(
      '/* agentry run_id=x____drop_table_t____ agent=a */',
    );
    expect(tagStatement('select 1 -- trailing', tag)).toBe(
      '/* agentry run_id=01J9ZRUNID agent=incident-commander */\nselect 1 -- trailing',
    );
  });

  test('each warehouse gets it in its own form', () => {
    expect(postgresApplicationName(tag)).toBe('agentry run_id=01J9ZRUNID');
    expect(postgresApplicationName({ runId: 'x'.repeat(100), agent: 'a' })).toHaveLength(63);
    expect(JSON.parse(snowflakeQueryTag(tag))).toEqual({
      agentry_run_id: '01J9ZRUNID',
      agent: 'incident-commander',
    });
    expect(bigQueryLabels({ runId: '01J9ZRUNID', agent: 'Weird Agent!' })).toEqual({
      agentry_run_id: '01j9zrunid',
      agentry_agent: 'weird_agent_',
    });
  });
});

describe('row collector', () => {
  test('stops at the row cap, having read one row more', () => {
    const collector = new RowCollector(2, 10_000);
    expect(collector.add([1])).toBe(true);
    expect(collector.add([2])).toBe(true);
    expect(collector.add([3])).toBe(false);
    expect(collector.rows).toEqual([[1], [2]]);
    expect(collector.cut).toBe('rows');
    expect(collector.open).toBe(false);
  });

  test('stops at the byte cap, but always keeps the first row', () => {
    const collector = new RowCollector(100, 50);
    expect(collector.add(['x'.repeat(80)])).toBe(true);
    expect(collector.add(['y'])).toBe(false);
    expect(collector.cut).toBe('bytes');
    expect(collector.rows).toHaveLength(1);
  });

  test('values become JSON-safe and long ones are clipped', () => {
    expect(toJsonValue(12n)).toBe(12);
    expect(toJsonValue(2n ** 70n)).toBe('1180591620717411303424');
    expect(toJsonValue(Number.NaN)).toBe('NaN');
    expect(toJsonValue(new Date(Date.UTC(2020, 0, 2)))).toBe('2020-01-02T00:00:00.000Z');
    expect(toJsonValue(new Uint8Array([0xde, 0xad]))).toBe('\\xdead');
    expect(toJsonValue({ nested: [1n, 'a'] })).toEqual({ nested: ['1', 'a'] });
    const long = toJsonValue('z'.repeat(MAX_VALUE_CHARS + 5)) as string;
    expect(long.endsWith('… [5 more chars]')).toBe(true);
  });
});
