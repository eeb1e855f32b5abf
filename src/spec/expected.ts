import { z } from 'zod';

/**
 * How error messages name what a schema accepts, when its type alone says too little
 * (`a duration such as 30s, 15m or 1h` rather than `a positive number or a string`).
 * A registry of its own so the phrase stays out of the published JSON Schema.
 */
export const expectedValues = z.registry<{ expected: string }>();
