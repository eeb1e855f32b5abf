import { z } from 'zod';
import { AgentryError } from '../errors.js';

/** Token counts the scripted model reports for one step, as the provider's `usage` would. */
export interface StepUsage {
  /** Sent on the wire as `prompt_tokens`. */
  inputTokens: number;
  /** Sent on the wire as `completion_tokens`. */
  outputTokens: number;
}

/** One tool call the scripted model asks for. */
export interface ScriptedToolCall {
  /** The tool's name, as offered in the request's `tools`. */
  name: string;
  /**
   * The call's input. An object is sent as its JSON; a string is sent as it is, so a test can
   * hand the client malformed JSON on purpose.
   */
  arguments: Record<string, unknown> | string;
  /** The call id the client must answer with; `call_<n>` (counting from 1 per server) when absent. */
  id?: string;
}

/** A final answer: text and no tool calls. */
export interface TextStep {
  text: string;
  /** `length` pretends the model hit its output limit; `stop` when absent. */
  finishReason?: 'stop' | 'length';
  /** Estimated from the request and the answer (about 4 characters a token) when absent. */
  usage?: StepUsage;
  /** Milliseconds to wait before answering, to test timeouts and cancellation. */
  delayMs?: number;
}

/** A step that asks the client to call tools, with optional text before the calls. */
export interface ToolCallStep {
  toolCalls: ScriptedToolCall[];
  text?: string;
  /** Estimated from the request and the answer (about 4 characters a token) when absent. */
  usage?: StepUsage;
  /** Milliseconds to wait before answering, to test timeouts and cancellation. */
  delayMs?: number;
}

/** A step answered with an HTTP error in OpenAI's error shape, e.g. a 429 or a 503. */
export interface ErrorStep {
  error: {
    /** The HTTP status, 400 to 599. Clients retry 429 and 5xx, and each retry takes the next step. */
    status: number;
    message: string;
    /** OpenAI's `error.type`; `server_error` for 5xx and `invalid_request_error` otherwise when absent. */
    type?: string;
    /** OpenAI's `error.code`, e.g. `rate_limit_exceeded`. */
    code?: string;
    /**
     * Sent as the `retry-after-ms` and `retry-after` headers, which clients honour before retrying;
     * `0` makes a retry test instant instead of waiting out the client's backoff.
     */
    retryAfterMs?: number;
  };
  /** Milliseconds to wait before answering. */
  delayMs?: number;
}

/** What the scripted model answers to one request. Requests take the steps in order. */
export type ScriptStep = TextStep | ToolCallStep | ErrorStep;

/** A script file (JSON or YAML) is not a list of valid steps. */
export class InvalidScriptError extends AgentryError {
  readonly code = 'testing.invalid-script';
  readonly kind = 'user' as const;
}

const usageSchema = z.strictObject({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});

const delaySchema = z.number().int().nonnegative().optional();

const textStepSchema = z.strictObject({
  text: z.string(),
  finishReason: z.enum(['stop', 'length']).optional(),
  usage: usageSchema.optional(),
  delayMs: delaySchema,
});

const toolCallStepSchema = z.strictObject({
  toolCalls: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        arguments: z.union([z.record(z.string(), z.unknown()), z.string()]),
        id: z.string().min(1).optional(),
      }),
    )
    .min(1),
  text: z.string().optional(),
  usage: usageSchema.optional(),
  delayMs: delaySchema,
});

const errorStepSchema = z.strictObject({
  error: z.strictObject({
    status: z.number().int().min(400).max(599),
    message: z.string().min(1),
    type: z.string().min(1).optional(),
    code: z.string().min(1).optional(),
    retryAfterMs: z.number().int().nonnegative().optional(),
  }),
  delayMs: delaySchema,
});

/**
 * Picks the step's kind by its telling key before validating, so a mistake is reported against
 * the kind the author meant rather than as "matches none of three shapes".
 */
function schemaFor(step: unknown): z.ZodType<ScriptStep> {
  if (typeof step === 'object' && step !== null) {
    if ('error' in step) return errorStepSchema;
    if ('toolCalls' in step) return toolCallStepSchema;
  }
  return textStepSchema;
}

function hasKindKey(step: unknown): boolean {
  return (
    typeof step === 'object' && step !== null && ('text' in step || 'toolCalls' in step || 'error' in step)
  );
}

function describeIssue(index: number, issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return `script step ${index + 1}${path ? ` (${path})` : ''}: ${issue.message}`;
}

/**
 * Validates a script read from a JSON or YAML file. Throws `InvalidScriptError` naming the first
 * bad step; each step is one of `{ text }`, `{ toolCalls, text? }` or `{ error: { status, message } }`.
 */
export function parseScript(value: unknown): ScriptStep[] {
  if (!Array.isArray(value)) {
    throw new InvalidScriptError('a script must be a list of steps such as [{ text: "done" }]');
  }
  return value.map((step, index) => {
    if (!hasKindKey(step)) {
      throw new InvalidScriptError(
        `script step ${index + 1} needs one of text, toolCalls or error, e.g. { text: "done" }`,
      );
    }
    const result = schemaFor(step).safeParse(step);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    throw new InvalidScriptError(
      issue ? describeIssue(index, issue) : `script step ${index + 1} is not a valid step`,
    );
  });
}
