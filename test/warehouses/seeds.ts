import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';

/** The jaffle_shop seeds: real CSVs from dbt-labs/jaffle_shop_duckdb. */
export const SEEDS_DIR = path.resolve(
  import.meta.dirname,
  '../../../shared/realdata/dbt-labs_jaffle_shop_duckdb/seeds',
);

/** Seed tables and their column types (as the CSVs hold them). */
export const SEED_TABLES = {
  raw_customers: { id: 'integer', first_name: 'text', last_name: 'text' },
  raw_orders: { id: 'integer', user_id: 'integer', order_date: 'date', status: 'text' },
  raw_payments: { id: 'integer', order_id: 'integer', payment_method: 'text', amount: 'integer' },
} as const;

export type SeedTable = keyof typeof SEED_TABLES;

/** A seed CSV as header and rows of strings (the seeds hold no quotes or embedded commas). */
export function readSeed(table: SeedTable): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path.join(SEEDS_DIR, `${table}.csv`), 'utf8')
    .trim()
    .split(/\r?\n/);
  const [header, ...rows] = lines.map((line) => line.split(','));
  return { header: header!, rows };
}

/** Creates a DuckDB file holding the three seed tables, the way `dbt seed` would. */
export async function createSeededDuckDB(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    for (const table of Object.keys(SEED_TABLES) as SeedTable[]) {
      const csv = path.join(SEEDS_DIR, `${table}.csv`).replace(/'/g, "''");
      await connection.run(`create table ${table} as select * from read_csv('${csv}', header = true)`);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Loads the seed tables into a Postgres database. */
export async function seedPostgres(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    for (const [table, columns] of Object.entries(SEED_TABLES) as [SeedTable, Record<string, string>][]) {
      const definitions = Object.entries(columns).map(([name, type]) => `${name} ${type}`);
      await client.query(`create table ${table} (${definitions.join(', ')})`);
      const { rows } = readSeed(table);
      const width = Object.keys(columns).length;
      const placeholders = rows.map(
        (_row, rowIndex) =>
          `(${Array.from({ length: width }, (_, column) => `$${rowIndex * width + column + 1}`).join(', ')})`,
      );
      await client.query(`insert into ${table} values ${placeholders.join(', ')}`, rows.flat());
    }
  } finally {
    await client.end();
  }
}

/** A throwaway Postgres database on the local server, created and dropped by a test file. */
export async function createThrowawayDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `agentry_wh_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
