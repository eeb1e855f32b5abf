import { describeError, isAgentryError } from '../errors.js';
import { ToolDeniedError } from './errors.js';
import type { ToolRegistry } from './registry.js';
import type { ToolContext } from './tool.js';

/** How one tool call ended. Every outcome is answered to the model; the run goes on. */
export type ToolCallOutcome =
  | {
      status: 'completed';
      output: unknown;
      summary: string | undefined;
      truncated: boolean;
      durationMs: number;
    }
  | { status: 'failed'; code: string; error: string; durationMs: number }
  | { status: 'denied'; code: 'tool.denied'; error: string };

/**
 * Runs tool calls for one agent. The second enforcement of the allowlist: the model was offered
 * only allowed tools, and any other call is refused here (and recorded by the caller).
 */
export class ToolExecutor {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly registry: ToolRegistry,
    allowed: Iterable<string>,
    private readonly agent: string,
  ) {
    this.allowed = new Set(allowed);
  }

  async call(name: string, input: unknown, context: ToolContext): Promise<ToolCallOutcome> {
    const tool = this.registry.get(name);
    if (!tool || !this.allowed.has(name)) {
      const denied = new ToolDeniedError(name, this.agent, tool !== undefined);
      return { status: 'denied', code: denied.code, error: denied.message };
    }
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const parsed = tool.inputSchema.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`)
        .join('; ');
      return {
        status: 'failed',
        code: 'tool.invalid-input',
        error: `invalid input for ${name}: ${problems}`,
        durationMs: elapsed(),
      };
    }
    const refusal = tool.deny?.(parsed.data, context);
    if (refusal !== undefined) return { status: 'denied', code: 'tool.denied', error: refusal };
    try {
      const result = await tool.execute(parsed.data, context);
      return {
        status: 'completed',
        output: result.output,
        summary: result.summary,
        truncated: result.truncated ?? false,
        durationMs: elapsed(),
      };
    } catch (error) {
      const code = isAgentryError(error) ? error.code : 'tool.failed';
      return { status: 'failed', code, error: describeError(error), durationMs: elapsed() };
    }
  }
}
