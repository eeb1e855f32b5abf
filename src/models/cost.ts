import type { ModelConfig } from '../spec/config.js';

/** The price of `inputTokens` and `outputTokens` under `pricing`; 0 when the model has no pricing. */
export function costUsd(pricing: ModelConfig['pricing'], inputTokens: number, outputTokens: number): number {
  if (!pricing) return 0;
  return (
    (inputTokens * pricing.input_per_million_tokens + outputTokens * pricing.output_per_million_tokens) /
    1_000_000
  );
}
