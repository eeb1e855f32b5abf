import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { agentSpecSchema } from '../../src/spec/agent-spec.js';
import { configSchema } from '../../src/spec/config.js';
import { builtinToolRegistry } from '../../src/tools/registry.js';
import { sqlTools } from '../../src/tools/sql.js';
import { chooseWarehouse } from '../../src/tools/sql-access.js';
import { makeToolContext } from '../helpers/tool-context.js';

describe('warehouse config', () => {
  test('defaults: read-only, 1,000 rows, 100 KB, 60s', () => {
    const config = configSchema.parse({ warehouses: { local: { type: 'duckdb', path: 'dev.duckdb' } } });
    expect(config.warehouses.local).toEqual({
      type: 'duckdb',
      path: 'dev.duckdb',
      read_only: true,
      max_rows: 1000,
      max_bytes: 102_400,
      statement_timeout: '60s',
      options: {},
    });
  });

  test.each([
    [{ type: 'postgres' }, ['url_env'], 'a postgres warehouse needs url_env: the variable holding its URL'],
    [{ type: 'bigquery' }, ['project'], 'a bigquery warehouse needs project: the project to run jobs in'],
    [
      { type: 'snowflake', account: 'a', user: 'u' },
      ['password_env'],
      'a snowflake warehouse needs password_env or private_key_env',
    ],
    [{ type: 'postgres', url: 'postgres://x' }, [], 'Unrecognized key: "url"'],
    [
      { type: 'duckdb', statement_timeout: 'forever' },
      ['statement_timeout'],
      'must be a duration such as 30s, 15m or 1h',
    ],
  ])('%j is refused with a message that says what is missing', (entry, path, message) => {
    const parsed = configSchema.safeParse({ warehouses: { w: entry } });
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues.find((candidate) => candidate.message === message);
    expect(issue?.path).toEqual(['warehouses', 'w', ...path]);
  });
});

describe('agent warehouse grants', () => {
  test('an agent names its default warehouse and the ones it may write to', () => {
    const spec = agentSpecSchema.parse({
      name: 'fixer',
      role: 'r',
      goal: 'g',
      warehouse: { default: 'dw', allow_writes: ['scratch'] },
    });
    expect(spec.warehouse).toEqual({ default: 'dw', allow_writes: ['scratch'] });
    expect(agentSpecSchema.parse({ name: 'a', role: 'r', goal: 'g', warehouse: {} }).warehouse).toEqual({
      allow_writes: [],
    });
    expect(
      agentSpecSchema.safeParse({ name: 'a', role: 'r', goal: 'g', warehouse: { writes: true } }).success,
    ).toBe(false);
  });

  test('which warehouse a call reaches', () => {
    const two = configSchema.parse({
      warehouses: { dw: { type: 'duckdb' }, pg: { type: 'postgres', url_env: 'PG_URL' } },
    });
    const context = (config = two, warehouse?: { default?: string }) =>
      makeToolContext(tmpdir(), {
        config,
        spec: agentSpecSchema.parse({
          name: 'tester',
          role: 'r',
          goal: 'g',
          ...(warehouse ? { warehouse } : {}),
        }),
      });
    expect(chooseWarehouse(context(), 'pg')).toBe('pg');
    expect(chooseWarehouse(context(two, { default: 'dw' }), undefined)).toBe('dw');
    expect(chooseWarehouse(context(two, { default: 'dw' }), 'pg')).toBe('pg');
    expect(() => chooseWarehouse(context(), undefined)).toThrow(
      'several warehouses are configured (dw, pg): pass warehouse=NAME',
    );
    const one = configSchema.parse({ warehouses: { only: { type: 'duckdb' } } });
    expect(chooseWarehouse(context(one), undefined)).toBe('only');
    expect(() => chooseWarehouse(context(configSchema.parse({})), undefined)).toThrow(
      'no warehouse is configured: a person must add one under warehouses: in .agentry/config.yml',
    );
    expect(() => chooseWarehouse(context(two, { default: 'gone' }), undefined)).toThrow(
      'there is no warehouse named gone in .agentry/config.yml (configured: dw, pg)',
    );
  });
});

describe('tool definitions', () => {
  test('the registry offers every warehouse tool', () => {
    const names = builtinToolRegistry().names();
    for (const tool of [
      'run_sql_query',
      'list_tables',
      'describe_table',
      'profile_table',
      'get_query_history',
    ]) {
      expect(names).toContain(tool);
    }
  });

  test('descriptions tell a model when to pick each tool and what it cannot do', () => {
    const byName = Object.fromEntries(sqlTools.map((tool) => [tool.name, tool.description]));
    expect(byName.run_sql_query).toMatch(/Read-only/);
    expect(byName.run_sql_query).toMatch(/several statements in one call are always refused/);
    expect(byName.run_sql_query).toMatch(/list_tables and describe_table/);
    expect(byName.list_tables).toMatch(/describe_table/);
    expect(byName.describe_table).toMatch(/profile_table/);
    expect(byName.profile_table).toMatch(/freshness/);
    expect(byName.get_query_history).toMatch(/QUERY_HISTORY.*INFORMATION_SCHEMA\.JOBS.*pg_stat_statements/s);
    for (const tool of sqlTools) expect(tool.description.length).toBeLessThan(1000);
  });

  test('inputs are validated before anything runs', () => {
    const run = sqlTools.find((tool) => tool.name === 'run_sql_query')!;
    expect(run.inputSchema.safeParse({ sql: '' }).success).toBe(false);
    expect(run.inputSchema.safeParse({ sql: 'select 1', max_rows: 0 }).success).toBe(false);
    expect(run.inputSchema.safeParse({ sql: 'select 1', format: 'csv' }).success).toBe(false);
    expect(
      run.inputSchema.safeParse({ sql: 'select 1', warehouse: 'dw', max_rows: 10, format: 'json' }).success,
    ).toBe(true);
  });
});
