import { z } from 'zod';

export type StructuredOutputResult = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * Reads the agent's final answer as JSON matching its `output.schema`. Models often wrap JSON in a
 * ```json fence; that is accepted.
 */
export function parseStructuredOutput(text: string, schema: Record<string, unknown>): StructuredOutputResult {
  const candidate = /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(text)?.[1] ?? text;
  let value: unknown;
  try {
    value = JSON.parse(candidate.trim());
  } catch {
    return { ok: false, problem: 'the reply is not JSON' };
  }
  const validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  const parsed = validator.safeParse(value);
  if (parsed.success) return { ok: true, value };
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  return { ok: false, problem: problems.join('; ') };
}
