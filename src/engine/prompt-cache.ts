import { type LanguageModel, type LanguageModelMiddleware, type ModelMessage, wrapLanguageModel } from 'ai';

type CallOptions = Parameters<NonNullable<LanguageModelMiddleware['transformParams']>>[0]['params'];
type PromptMessage = CallOptions['prompt'][number];

/**
 * The conversation of one turn as the provider receives it, kept from step to step, so each
 * `generateText` call is handed only the messages added since the last one.
 *
 * Why: `generateText` validates every message it is given against the SDK's schema and converts
 * it to the provider's prompt. The engine calls it once per step with the whole conversation, so
 * that work grew with every step (about 2 ms a step at 20 steps, the largest part of the engine's
 * overhead over a bare SDK loop, which validates once). Here each message is validated and
 * converted once: the SDK sees the new messages, and a middleware puts the converted earlier ones
 * back in front of them before the provider is called. What the provider receives is the same
 * (`test/engine/prompt-cache.test.ts` compares the requests on the wire).
 *
 * Only a v3 language model object can be wrapped; for anything else (a gateway model id) and
 * whenever the conversation is not a plain continuation, `messagesFor` hands over everything.
 */
export class PromptCache {
  /** The model to call: the given one, with the middleware around it when it can be wrapped. */
  readonly model: LanguageModel;
  readonly #enabled: boolean;
  /** The converted prompt messages (system messages left out) of the first `#sent` messages. */
  #converted: PromptMessage[] = [];
  #sent = 0;
  /** What the SDK converted in the call under way: the new messages, to keep once it succeeds. */
  #captured: PromptMessage[] | undefined;
  #prefix: PromptMessage[] = [];

  constructor(model: LanguageModel) {
    this.#enabled = typeof model === 'object' && model.specificationVersion === 'v3';
    this.model = this.#enabled
      ? wrapLanguageModel({
          model: model as Parameters<typeof wrapLanguageModel>[0]['model'],
          middleware: {
            specificationVersion: 'v3',
            transformParams: async ({ params }) => this.#transform(params),
          },
        })
      : model;
  }

  /**
   * The messages to give `generateText` for a call over the whole `conversation`: only those it
   * has not converted yet. Call {@link keep} once the call succeeds.
   */
  messagesFor(conversation: readonly ModelMessage[]): ModelMessage[] {
    const fresh = conversation.slice(this.#sent);
    // The SDK merges consecutive tool messages; a continuation that starts with one (never the
    // engine's) is sent whole, so the merge happens as it would have.
    const continues =
      this.#enabled &&
      this.#sent > 0 &&
      fresh.length > 0 &&
      fresh[0]!.role !== 'tool' &&
      fresh[0]!.role !== 'system';
    if (!continues) {
      this.#converted = [];
      this.#sent = 0;
      this.#prefix = [];
      return [...conversation];
    }
    this.#prefix = this.#converted;
    return fresh;
  }

  /** The call over `conversation` succeeded: keep its converted messages for the next one. */
  keep(conversation: readonly ModelMessage[]): void {
    if (!this.#enabled || this.#captured === undefined) return;
    this.#converted = [...this.#prefix, ...this.#captured];
    this.#sent = conversation.length;
    this.#captured = undefined;
  }

  #transform(params: CallOptions): CallOptions {
    // The SDK puts the system prompt first; everything after it is the messages it was handed.
    let split = 0;
    while (split < params.prompt.length && params.prompt[split]!.role === 'system') split++;
    const system = params.prompt.slice(0, split);
    const fresh = params.prompt.slice(split);
    // A retry converts the same messages again: what is captured is the same each time.
    this.#captured = fresh;
    if (this.#prefix.length === 0) return params;
    return { ...params, prompt: [...system, ...this.#prefix, ...fresh] };
  }
}
