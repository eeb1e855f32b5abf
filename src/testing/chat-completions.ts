/**
 * Response bodies of OpenAI's chat completions API (`POST /v1/chat/completions`), built from a
 * resolved answer. Shapes follow what OpenAI sends, so clients with strict parsers
 * (`@ai-sdk/openai`'s `.chat()`) accept them as readily as lenient ones (`@ai-sdk/openai-compatible`).
 */

/** `usage` as OpenAI reports it. */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** An answer with everything decided: ids assigned, arguments serialised, usage counted. */
export interface ResolvedAnswer {
  text: string | undefined;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: WireUsage;
}

/** What every body of one response repeats. */
export interface ResponseMeta {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
}

const systemFingerprint = 'fp_agentry_scripted';

/** The `stream: false` body. */
export function completionBody(answer: ResolvedAnswer, meta: ResponseMeta): Record<string, unknown> {
  const toolCalls = answer.toolCalls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: systemFingerprint,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.text ?? null,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: answer.usage,
  };
}

/**
 * The `stream: true` chunks, in order: the role, the text in a few deltas, each tool call (id and
 * name first, then its arguments in fragments), the finish reason, and, when the client asked
 * with `stream_options.include_usage`, a last chunk with no choices and the usage. The caller
 * frames them as server-sent events and ends with `data: [DONE]`.
 */
export function completionChunks(
  answer: ResolvedAnswer,
  meta: ResponseMeta,
  includeUsage: boolean,
): Record<string, unknown>[] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    system_fingerprint: systemFingerprint,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for.
    ...(includeUsage ? { usage: null } : {}),
  });

  const chunks = [
    chunk({ role: 'assistant', content: answer.text === undefined ? null : '', refusal: null }),
  ];
  for (const piece of splitIntoPieces(answer.text ?? '', 3)) {
    chunks.push(chunk({ content: piece }));
  }
  answer.toolCalls.forEach((call, index) => {
    chunks.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    );
    for (const piece of splitIntoPieces(call.arguments, 3)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(chunk({}, answer.finishReason));
  if (!includeUsage) return chunks;
  return [
    ...chunks,
    {
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      system_fingerprint: systemFingerprint,
      choices: [],
      usage: answer.usage,
    },
  ];
}

/** An error body in OpenAI's shape, which every OpenAI client knows how to read. */
export function errorBody(error: { message: string; type: string; code?: string | undefined }) {
  return { error: { message: error.message, type: error.type, param: null, code: error.code ?? null } };
}

/**
 * Cuts `text` into at most `count` pieces of similar length, never inside a surrogate pair, so
 * clients are exercised on reassembling fragments.
 */
export function splitIntoPieces(text: string, count: number): string[] {
  const characters = Array.from(text);
  const size = Math.ceil(characters.length / count);
  const pieces: string[] = [];
  for (let start = 0; start < characters.length; start += size) {
    pieces.push(characters.slice(start, start + size).join(''));
  }
  return pieces;
}

/** A rough token count, about 4 characters a token, for steps that give no usage. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
