/**
 * Integrations: the systems Agentry reads and reports to. Each family has its own folder and
 * face; tools import from here.
 */

export * from './airflow/index.js';
export * from './dbt/index.js';
export * from './github/index.js';
export * from './linear/index.js';
export * from './slack/index.js';
export * from './warehouses/index.js';
