import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WarehouseConfig } from '../../spec/config.js';
import { BigQueryWarehouse } from './bigquery.js';
import { DuckDBWarehouse } from './duckdb.js';
import { WarehouseConfigError } from './errors.js';
import { PostgresWarehouse } from './postgres.js';
import { SnowflakeWarehouse } from './snowflake.js';
import type { QueryTag, Warehouse } from './warehouse.js';

/** What opening a configured warehouse needs. */
export interface OpenWarehouseOptions {
  /** The name under `warehouses:` in config.yml. */
  name: string;
  config: WarehouseConfig;
  /** Where a DuckDB `path` resolves. */
  projectRoot: string;
  /** The worker's environment, where credentials are read; nothing from it reaches the model. */
  env: NodeJS.ProcessEnv;
  /** Open for writing (DuckDB opens the file read-write): only for a granted agent. */
  writable: boolean;
  tag: QueryTag;
}

/** Opens the adapter for a configured warehouse. Missing credentials fail here, with the variable's name. */
export async function openWarehouse(options: OpenWarehouseOptions): Promise<Warehouse> {
  const { name, config } = options;
  switch (config.type) {
    case 'duckdb': {
      const file = config.path === undefined ? undefined : path.resolve(options.projectRoot, config.path);
      if (file !== undefined && !options.writable && !existsSync(file)) {
        throw new WarehouseConfigError(
          'warehouse.misconfigured',
          `${name}: the DuckDB file ${config.path} does not exist (paths are relative to the project root): build it first (e.g. dbt build) or fix path in .agentry/config.yml`,
        );
      }
      return DuckDBWarehouse.open({ name, path: file, writable: options.writable, settings: config.options });
    }
    case 'postgres': {
      const variable = config.url_env!;
      const connectionString = options.env[variable];
      if (!connectionString) {
        throw new WarehouseConfigError(
          'warehouse.misconfigured',
          `${name}: the environment variable ${variable} is not set: export the connection URL where the worker runs`,
        );
      }
      return PostgresWarehouse.open({ name, connectionString, tag: options.tag });
    }
    case 'snowflake':
      return SnowflakeWarehouse.open({ name, config, env: options.env, tag: options.tag });
    case 'bigquery':
      return BigQueryWarehouse.open({ name, config, env: options.env });
  }
}
