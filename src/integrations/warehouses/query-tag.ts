/**
 * The run id in every query, in the form each warehouse shows: a leading SQL comment (all),
 * Postgres `application_name`, Snowflake `QUERY_TAG`, BigQuery job labels. So a DBA looking at
 * a slow query can find the run, and `agentry runs show` can find the queries.
 */
import type { QueryTag } from './warehouse.js';

/** Only characters that cannot end a comment or a quoted value. */
function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

/** `/* agentry run_id=01J… agent=incident-commander *\/`, put before the statement. */
export function queryTagComment(tag: QueryTag): string {
  return `/* agentry run_id=${safe(tag.runId)} agent=${safe(tag.agent)} */`;
}

/** The statement with the tag comment in front, on its own line so a `--` comment cannot swallow it. */
export function tagStatement(sql: string, tag: QueryTag): string {
  return `${queryTagComment(tag)}\n${sql}`;
}

/** Postgres `application_name` (at most 63 bytes): `agentry run_id=01J…`. */
export function postgresApplicationName(tag: QueryTag): string {
  return `agentry run_id=${safe(tag.runId)}`.slice(0, 63);
}

/** Snowflake `QUERY_TAG` (at most 2,000 characters): a small JSON object. */
export function snowflakeQueryTag(tag: QueryTag): string {
  return JSON.stringify({ agentry_run_id: safe(tag.runId), agent: safe(tag.agent) }).slice(0, 2000);
}

/** BigQuery job labels: keys and values of lower-case letters, digits, `_` and `-`, at most 63 each. */
export function bigQueryLabels(tag: QueryTag): Record<string, string> {
  const label = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '_')
      .slice(0, 63);
  return { agentry_run_id: label(tag.runId), agentry_agent: label(tag.agent) };
}
