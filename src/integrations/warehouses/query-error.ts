import { describeError, isAgentryError } from '../../errors.js';
import { WarehouseQueryError } from './errors.js';

/**
 * What a failed query throws: our own errors pass through as they are (their messages are
 * already fit to show); anything from a driver becomes a {@link WarehouseQueryError} naming the
 * warehouse, with the driver's error kept as the cause.
 */
export function asQueryError(warehouse: string, error: unknown): Error {
  if (isAgentryError(error)) return error;
  return new WarehouseQueryError(warehouse, describeError(error), { cause: error });
}
