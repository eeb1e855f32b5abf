/**
 * Snowflake and BigQuery cannot be reached from here: these tests pin what the adapters send —
 * connection and job options, statement parameters, generated SQL — which is where the safety
 * (tags, timeouts, byte ceilings, one statement, dry-run check) lives.
 */
import { describe, expect, test } from 'vitest';
import {
  bigQueryClientOptions,
  bigQueryColumnsSql,
  bigQueryJobOptions,
  bigQueryJobsSql,
  bigQueryTablesSql,
  checkDryRunStatement,
  classifyStatement,
  StatementRefusedError,
  snowflakeColumnsSql,
  snowflakeConnectionOptions,
  snowflakeIdentifier,
  snowflakeMeteringSql,
  snowflakeQueryHistorySql,
  snowflakeStatementOptions,
  snowflakeTablesSql,
  WarehouseConfigError,
} from '../../src/integrations/warehouses/index.js';
import { configSchema, type WarehouseConfig } from '../../src/spec/config.js';

const tag = { runId: '01J9ZRUNID', agent: 'cost-optimizer' };

function warehouse(entry: Record<string, unknown>): WarehouseConfig {
  return configSchema.parse({ warehouses: { w: entry } }).warehouses.w!;
}

describe('Snowflake', () => {
  const config = warehouse({
    type: 'snowflake',
    account: 'myorg-myaccount',
    user: 'AGENTRY',
    password_env: 'SNOWFLAKE_PASSWORD',
    role: 'AGENTRY_READER',
    warehouse: 'AGENT_WH',
    database: 'ANALYTICS',
    schema: 'MARTS',
    options: { clientSessionKeepAlive: true, queryTag: 'overridden?', password: 'from-yaml' },
  });

  test('connection options take credentials from the environment, the tag from the run', () => {
    expect(snowflakeConnectionOptions('sf', config, { SNOWFLAKE_PASSWORD: 'hunter22' }, tag)).toEqual({
      clientSessionKeepAlive: true,
      account: 'myorg-myaccount',
      username: 'AGENTRY',
      password: 'hunter22',
      database: 'ANALYTICS',
      schema: 'MARTS',
      warehouse: 'AGENT_WH',
      role: 'AGENTRY_READER',
      application: 'agentry',
      queryTag: '{"agentry_run_id":"01J9ZRUNID","agent":"cost-optimizer"}',
    });
  });

  test('key-pair authentication when a private key variable is configured', () => {
    const keyed = warehouse({ type: 'snowflake', account: 'a', user: 'u', private_key_env: 'SF_KEY' });
    expect(
      snowflakeConnectionOptions('sf', keyed, { SF_KEY: '-----BEGIN PRIVATE KEY-----' }, tag),
    ).toMatchObject({
      authenticator: 'SNOWFLAKE_JWT',
      privateKey: '-----BEGIN PRIVATE KEY-----',
    });
  });

  test('a missing credential names the variable, not a value', () => {
    expect(() => snowflakeConnectionOptions('sf', config, {}, tag)).toThrow(
      new WarehouseConfigError(
        'warehouse.misconfigured',
        'sf: the environment variable SNOWFLAKE_PASSWORD is not set: export it where the worker runs',
      ),
    );
  });

  test('each statement carries the tag, the timeout and MULTI_STATEMENT_COUNT = 1', () => {
    expect(snowflakeStatementOptions('select 1', { tag, timeoutMs: 90_500 })).toEqual({
      sqlText: '/* agentry run_id=01J9ZRUNID agent=cost-optimizer */\nselect 1',
      streamResult: true,
      rowMode: 'array',
      fetchAsString: ['Number', 'Date'],
      parameters: {
        QUERY_TAG: '{"agentry_run_id":"01J9ZRUNID","agent":"cost-optimizer"}',
        STATEMENT_TIMEOUT_IN_SECONDS: 91,
        MULTI_STATEMENT_COUNT: 1,
      },
    });
  });

  test('identifiers: plain names resolve like Snowflake does, others are quoted', () => {
    expect(snowflakeIdentifier('analytics')).toBe('analytics');
    expect(snowflakeIdentifier('My DB')).toBe('"My DB"');
    expect(snowflakeIdentifier('x"; drop')).toBe('"x""; drop"');
  });

  test('table listing and columns escape the values they filter on', () => {
    expect(snowflakeTablesSql('ANALYTICS', { schema: 'marts', pattern: "o'rders" })).toBe(
      `select table_catalog, table_schema, table_name, table_type, row_count, bytes, last_altered
from ANALYTICS.INFORMATION_SCHEMA.TABLES
where table_schema <> 'INFORMATION_SCHEMA' and table_schema ilike 'marts' and table_name ilike '%o\\'rders%'
order by table_schema, table_name`,
    );
    expect(snowflakeTablesSql(undefined, { exactName: 'FCT_ORDERS' })).toContain(
      "from INFORMATION_SCHEMA.TABLES\nwhere table_schema <> 'INFORMATION_SCHEMA' and upper(table_name) = upper('FCT_ORDERS')",
    );
    expect(snowflakeColumnsSql({ catalog: 'ANALYTICS', schema: 'MARTS', name: 'FCT_ORDERS' })).toBe(
      `select column_name, data_type, is_nullable, comment
from ANALYTICS.INFORMATION_SCHEMA.COLUMNS
where table_schema = 'MARTS' and table_name = 'FCT_ORDERS'
order by ordinal_position`,
    );
  });

  test('query history and metering read ACCOUNT_USAGE over the window', () => {
    const history = snowflakeQueryHistorySql({ hours: 48, limit: 15, order: 'largest' });
    expect(history).toContain('from SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY');
    expect(history).toContain("where start_time >= dateadd('hour', -48, current_timestamp())");
    expect(history).toContain('order by bytes_scanned desc nulls last\nlimit 15');
    expect(snowflakeMeteringSql({ hours: 48, limit: 15, order: 'largest' })).toContain(
      "from SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY\nwhere start_time >= dateadd('hour', -48, current_timestamp())\ngroup by warehouse_name",
    );
  });

  test('generated SQL is itself a read in the Snowflake grammar', async () => {
    for (const sql of [
      snowflakeTablesSql('ANALYTICS', { schema: 'marts', pattern: 'orders' }),
      snowflakeColumnsSql({ schema: 'MARTS', name: 'FCT_ORDERS' }),
      snowflakeQueryHistorySql({ hours: 24, limit: 20, order: 'slowest' }),
      snowflakeMeteringSql({ hours: 24, limit: 20, order: 'slowest' }),
    ]) {
      expect(await classifyStatement(sql, 'snowflake')).toMatchObject({ kind: 'read' });
    }
  });
});

describe('BigQuery', () => {
  const config = warehouse({
    type: 'bigquery',
    project: 'acme-analytics',
    dataset: 'marts',
    location: 'EU',
    credentials_env: 'BQ_KEY',
    maximum_bytes_billed: 5_000_000_000,
  });

  test('client options: project, location, and the key from the environment', () => {
    expect(
      bigQueryClientOptions('bq', config, { BQ_KEY: '{"type":"service_account","project_id":"acme"}' }),
    ).toEqual({
      projectId: 'acme-analytics',
      location: 'EU',
      credentials: { type: 'service_account', project_id: 'acme' },
    });
    expect(bigQueryClientOptions('bq', warehouse({ type: 'bigquery', project: 'p' }), {})).toEqual({
      projectId: 'p',
      location: 'US',
    });
  });

  test('a bad or missing key is named, never echoed', () => {
    expect(() => bigQueryClientOptions('bq', config, { BQ_KEY: 'not json but secret' })).toThrow(
      'bq: BQ_KEY does not hold a JSON service-account key',
    );
    expect(() => bigQueryClientOptions('bq', config, {})).toThrow(
      /^bq: the environment variable BQ_KEY is not set/,
    );
  });

  test('jobs carry labels with the run id, a byte ceiling, a timeout and the default dataset', () => {
    expect(bigQueryJobOptions('select 1', { tag, timeoutMs: 60_000 }, config)).toEqual({
      query: '/* agentry run_id=01J9ZRUNID agent=cost-optimizer */\nselect 1',
      useLegacySql: false,
      labels: { agentry_run_id: '01j9zrunid', agentry_agent: 'cost-optimizer' },
      maximumBytesBilled: '5000000000',
      jobTimeoutMs: 60_000,
      location: 'EU',
      defaultDataset: { projectId: 'acme-analytics', datasetId: 'marts' },
    });
    expect(bigQueryJobOptions('select 1', { tag, timeoutMs: 60_000 }, config, true)).toMatchObject({
      dryRun: true,
    });
    expect(bigQueryJobOptions('select 1', { tag, timeoutMs: 1 }, { project: 'p' }).maximumBytesBilled).toBe(
      '10000000000',
    );
  });

  test('the dry run must plan a SELECT', () => {
    expect(() => checkDryRunStatement('SELECT')).not.toThrow();
    for (const type of [
      'INSERT',
      'DELETE',
      'MERGE',
      'CREATE_TABLE_AS_SELECT',
      'SCRIPT',
      'EXPORT_DATA',
      undefined,
    ]) {
      expect(() => checkDryRunStatement(type)).toThrow(StatementRefusedError);
    }
    expect(() => checkDryRunStatement('DROP_TABLE')).toThrow(
      'refused: BigQuery plans this as DROP_TABLE, not a SELECT; nothing ran',
    );
  });

  test('metadata and JOBS SQL: dataset or region scope, quoted names, escaped values', () => {
    expect(bigQueryTablesSql(config, { dataset: 'marts', pattern: 'orders' })).toBe(
      "select table_catalog, table_schema, table_name, table_type\nfrom `acme-analytics`.`marts`.INFORMATION_SCHEMA.TABLES\nwhere lower(table_name) like lower('%orders%')\norder by table_schema, table_name",
    );
    expect(bigQueryTablesSql(config, {})).toContain(
      'from `acme-analytics`.`region-eu`.INFORMATION_SCHEMA.TABLES',
    );
    expect(bigQueryColumnsSql('acme-analytics', { schema: 'marts', name: "it's" })).toContain(
      "from `acme-analytics`.`marts`.INFORMATION_SCHEMA.COLUMNS\nwhere table_name = 'it\\'s'",
    );
    const jobs = bigQueryJobsSql(config, { hours: 12, limit: 10, order: 'largest' });
    expect(jobs).toContain('from `acme-analytics`.`region-eu`.INFORMATION_SCHEMA.JOBS');
    expect(jobs).toContain('interval 12 hour');
    expect(jobs).toContain('order by total_bytes_billed desc\nlimit 10');
  });
});
