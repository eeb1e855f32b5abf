import type { WarehouseConfig } from '../../spec/config.js';
import { durationMs } from '../../spec/duration.js';

/** BigQuery's byte ceiling when config.yml sets none: 10 GB, about USD 0.06 on demand. */
export const DEFAULT_MAXIMUM_BYTES_BILLED = 10_000_000_000;

/** The limits of one configured warehouse, resolved once from config.yml. */
export interface WarehouseLimits {
  maxRows: number;
  maxBytes: number;
  timeoutMs: number;
  /** False only when config.yml says `read_only: false`. */
  readOnly: boolean;
}

/** Limits from a warehouse's config entry. */
export function warehouseLimits(config: WarehouseConfig): WarehouseLimits {
  return {
    maxRows: config.max_rows,
    maxBytes: config.max_bytes,
    timeoutMs: durationMs(config.statement_timeout),
    readOnly: config.read_only,
  };
}
