import { describe, expect, test } from 'vitest';
import {
  columnCategory,
  describeAge,
  parseWarehouseTime,
  pickTimestampColumn,
  planProfile,
  readProfile,
} from '../../src/integrations/warehouses/index.js';

const table = { schema: 'marts', name: 'fct "orders"', type: 'table' };
const columns = [
  { name: 'order_id', type: 'BIGINT', nullable: false },
  { name: 'status', type: 'character varying', nullable: true },
  { name: 'is_paid', type: 'boolean', nullable: true },
  { name: 'payload', type: 'jsonb', nullable: true },
  { name: 'created_at', type: 'timestamp with time zone', nullable: true },
  { name: '_loaded_at', type: 'TIMESTAMP_NTZ(9)', nullable: true },
];

describe('column categories', () => {
  test.each([
    ['BIGINT', 'number'],
    ['DECIMAL(10,2)', 'number'],
    ['double precision', 'number'],
    ['NUMBER(38,0)', 'number'],
    ['INT64', 'number'],
    ['FLOAT64', 'number'],
    ['VARCHAR', 'text'],
    ['character varying(20)', 'text'],
    ['STRING', 'text'],
    ['DATE', 'time'],
    ['timestamp without time zone', 'time'],
    ['TIMESTAMP_LTZ(9)', 'time'],
    ['DATETIME', 'time'],
    ['BOOLEAN', 'boolean'],
    ['uuid', 'identifier'],
    ['jsonb', 'other'],
    ['INTEGER[]', 'other'],
    ['STRUCT("a" INTEGER)', 'other'],
    ['ARRAY<STRING>', 'other'],
    ['VARIANT', 'other'],
    ['interval', 'other'],
  ])('%s is %s', (type, category) => {
    expect(columnCategory(type)).toBe(category);
  });
});

describe('profile plan', () => {
  test('one statement, quoted identifiers, min/max only where ordered, distinct where comparable', () => {
    const plan = planProfile('postgres', table, columns, { approximateDistinct: false, maxColumns: 60 });
    expect(plan.sql).toBe(
      [
        'select count(*) as row_count,',
        '       current_timestamp as profiled_at,',
        '       count("order_id") as nn_0,',
        '       count(distinct "order_id") as nd_0,',
        '       min("order_id") as lo_0,',
        '       max("order_id") as hi_0,',
        '       count("status") as nn_1,',
        '       count(distinct "status") as nd_1,',
        '       min("status") as lo_1,',
        '       max("status") as hi_1,',
        '       count("is_paid") as nn_2,',
        '       count(distinct "is_paid") as nd_2,',
        '       count("payload") as nn_3,',
        '       count("created_at") as nn_4,',
        '       count(distinct "created_at") as nd_4,',
        '       min("created_at") as lo_4,',
        '       max("created_at") as hi_4,',
        '       count("_loaded_at") as nn_5,',
        '       count(distinct "_loaded_at") as nd_5,',
        '       min("_loaded_at") as lo_5,',
        '       max("_loaded_at") as hi_5',
        'from "marts"."fct ""orders"""',
      ].join('\n'),
    );
    expect(plan.timestampColumn).toBe('_loaded_at');
  });

  test('BigQuery and Snowflake use approximate distinct counts and their own quoting', () => {
    const plan = planProfile(
      'bigquery',
      { catalog: 'acme', schema: 'marts', name: 'orders', type: 'table' },
      columns.slice(0, 1),
      {
        approximateDistinct: true,
        maxColumns: 60,
      },
    );
    expect(plan.sql).toContain('approx_count_distinct(`order_id`) as nd_0');
    expect(plan.sql).toContain('from `acme`.`marts`.`orders`');
  });

  test('a freshness column outside the profiled columns is still read; extra columns are left out', () => {
    const plan = planProfile('duckdb', table, columns.slice(0, 2), {
      approximateDistinct: false,
      maxColumns: 1,
      timestampColumn: '_loaded_at',
    });
    expect(plan.columns.map((column) => column.name)).toEqual(['order_id']);
    expect(plan.omitted).toEqual(['status']);
    expect(plan.sql).toContain('max("_loaded_at") as fresh');
  });

  test('reading the row back', () => {
    const plan = planProfile('postgres', table, columns.slice(0, 2), {
      approximateDistinct: false,
      maxColumns: 60,
      timestampColumn: 'loaded',
    });
    const profile = readProfile(plan, {
      columns: [
        'row_count',
        'profiled_at',
        'nn_0',
        'nd_0',
        'lo_0',
        'hi_0',
        'nn_1',
        'nd_1',
        'lo_1',
        'hi_1',
        'fresh',
      ].map((name) => ({ name, type: '' })),
      rows: [
        [200, '2024-05-02 12:00:00+00', 200, 200, 1, 200, 150, 3, 'placed', 'shipped', '2024-05-01 09:30:00'],
      ],
      elapsedMs: 1,
    });
    expect(profile).toEqual({
      row_count: 200,
      profiled_at: '2024-05-02 12:00:00+00',
      distinct_counts: 'exact',
      columns: [
        { name: 'order_id', type: 'BIGINT', nulls: 0, null_percent: 0, distinct: 200, min: 1, max: 200 },
        {
          name: 'status',
          type: 'character varying',
          nulls: 50,
          null_percent: 25,
          distinct: 3,
          min: 'placed',
          max: 'shipped',
        },
      ],
      freshness: {
        column: 'loaded',
        latest: '2024-05-01 09:30:00',
        age_seconds: 95_400,
        age: '1 day 2 hours',
      },
    });
  });

  test('the freshness column is picked by name, then by type', () => {
    expect(pickTimestampColumn(columns)).toBe('_loaded_at');
    expect(pickTimestampColumn(columns.slice(0, 5))).toBe('created_at');
    expect(
      pickTimestampColumn([
        { name: 'shipped_on', type: 'date', nullable: true },
        { name: 'updated_at', type: 'timestamp', nullable: true },
      ]),
    ).toBe('updated_at');
    expect(pickTimestampColumn(columns.slice(0, 3))).toBeUndefined();
  });
});

describe('times and ages', () => {
  test.each([
    ['2018-04-09', Date.UTC(2018, 3, 9)],
    ['2018-04-09 10:11:12', Date.UTC(2018, 3, 9, 10, 11, 12)],
    ['2018-04-09 10:11:12.123456', Date.UTC(2018, 3, 9, 10, 11, 12, 123)],
    ['2018-04-09 10:11:12+02', Date.UTC(2018, 3, 9, 8, 11, 12)],
    ['2018-04-09 10:11:12.5-0530', Date.UTC(2018, 3, 9, 15, 41, 12, 500)],
    ['2018-04-09T10:11:12.000Z', Date.UTC(2018, 3, 9, 10, 11, 12)],
    ['2018-04-09 10:11:12 UTC', Date.UTC(2018, 3, 9, 10, 11, 12)],
  ])('%s', (text, expected) => {
    expect(parseWarehouseTime(text)).toBe(expected);
  });

  test('what is not a time', () => {
    expect(parseWarehouseTime('yesterday')).toBeUndefined();
    expect(parseWarehouseTime(42)).toBeUndefined();
    expect(parseWarehouseTime(null)).toBeUndefined();
  });

  test.each([
    [0, '0 seconds'],
    [42, '42 seconds'],
    [61, '1 minute 1 second'],
    [3600, '1 hour'],
    [95_400, '1 day 2 hours'],
    [86_400 * 12 + 60, '12 days'],
    [-120, '2 minutes in the future'],
  ])('%i seconds read as %s', (seconds, text) => {
    expect(describeAge(seconds)).toBe(text);
  });
});
