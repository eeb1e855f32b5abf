/**
 * What the Snowflake and BigQuery stand-ins share: the 30 days they cover, the models whose SQL
 * the dbt jobs ran, and how a query text becomes its parameterized hash.
 */
import { createHash } from 'node:crypto';

/** The first hour of the cost history: 2026-11-04T00:00:00Z. */
export const HISTORY_START = Date.UTC(2026, 10, 4);
/** Days of history, up to the night of the incident (2026-12-04T00:00:00Z, excluded). */
export const HISTORY_DAYS = 30;
export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const SECOND = 1_000;

/** A dbt model as the jobs ran it: its name, materialization and SQL as dbt compiled it for DuckDB. */
export interface CompiledModel {
  name: string;
  materialized: string;
  compiledCode: string;
}

/** The comment dbt puts at the head of every query it runs (its default `query-comment`). */
export function dbtQueryComment(model: string, target = 'prod'): string {
  return `/* {"app": "dbt", "dbt_version": "1.9.0", "profile_name": "jaffle_shop", "target_name": "${target}", "node_id": "model.jaffle_shop.${model}"} */`;
}

/** `model`'s compiled SQL with its relations renamed by `rename(name)`. */
export function compiledFor(model: CompiledModel, rename: (relation: string) => string): string {
  return model.compiledCode.replace(/"jaffle_shop"\."main"\."(\w+)"/g, (_match, name: string) =>
    rename(name),
  );
}

/** The model named `name`, or an error naming what the manifest holds. */
export function modelNamed(models: readonly CompiledModel[], name: string): CompiledModel {
  const model = models.find((candidate) => candidate.name === name);
  if (!model) {
    throw new Error(
      `the manifest has no model ${name} (it has ${models.map((each) => each.name).join(', ')})`,
    );
  }
  return model;
}

/**
 * A stable hash of a query with its literals, comments and spacing normalised: queries that differ
 * only in those share it, as Snowflake's QUERY_PARAMETERIZED_HASH and BigQuery's query hashes do.
 */
export function parameterizedHash(text: string): string {
  const normalized = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  return createHash('md5').update(normalized).digest('hex');
}

/** Midnight UTC of the history's `day`-th day (0-based), and whether it is a Monday to Friday. */
export function historyDay(day: number): { start: number; workday: boolean } {
  const start = HISTORY_START + day * 24 * HOUR;
  const weekday = new Date(start).getUTCDay();
  return { start, workday: weekday >= 1 && weekday <= 5 };
}
