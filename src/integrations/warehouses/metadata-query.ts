import type { QueryContext, QueryResult, Warehouse } from './warehouse.js';

/** Catalog results are small; this only guards against a catalog of absurd size. */
const METADATA_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Runs one of the adapter's own catalog queries (tables, columns, history) through its normal
 * query path, so it gets the run's tag, timeout and cancellation: read-only, at most `maxRows` rows.
 */
export function metadataQuery(
  warehouse: Pick<Warehouse, 'query'>,
  sql: string,
  maxRows: number,
  context: QueryContext,
): Promise<QueryResult> {
  return warehouse.query(sql, { ...context, maxRows, maxBytes: METADATA_MAX_BYTES, readOnly: true });
}
