import { mapStrings, type Redactor } from '../secrets/redactor.js';
import type { RunStore } from '../store/run-store.js';
import type {
  RunEvent,
  RunEventType,
  RunMessage,
  RunPatch,
  RunStatus,
  RunWriteBatch,
} from '../store/types.js';
import type { RunEventPayloads } from './events.js';

/** Called with every event as it is appended: the CLI's live view, SSE, the UI. */
export type RunEventListener = (event: RunEvent) => void;

/** Strings shorter than this are redacted directly: remembering them would cost more than scanning. */
const MEMO_MIN_LENGTH = 64;
/** The memo forgets everything past this many characters, so one turn's memory stays bounded. */
const MEMO_MAX_CHARS = 32 * 1024 * 1024;

/**
 * Writes a run's audit trail and conversation. Everything passes the redactor first, so no secret
 * value reaches the store or a listener.
 *
 * A step's writes are staged and go to the store together, in one transaction, at the next
 * `event` (or `flush`): the engine stages what happens between two outside calls (the model's
 * answer, the usage, the conversation) and writes it before the next call leaves the process (a
 * tool runs, the model is asked again, a message is posted). So the trail is never behind what
 * the run did to the world, and a step costs one commit instead of seven.
 *
 * Redaction is memoised for the recorder's life (one turn): the same text, which a step carries in
 * its event, its message and the tool result the model reads, is scanned for secrets once.
 */
export class RunRecorder {
  readonly #events: { type: RunEventType; payload: Record<string, unknown> }[] = [];
  readonly #messages: { turn: number; role: RunMessage['role']; content: unknown }[] = [];
  #patch: RunPatch | undefined;
  readonly #memo = new Map<string, string>();
  #memoChars = 0;

  constructor(
    private readonly store: RunStore,
    private readonly redactor: Redactor,
    readonly runId: string,
    private readonly listeners: Iterable<RunEventListener>,
  ) {}

  /** Append an event now, after everything staged, in one transaction. */
  async event<Type extends RunEventType>(type: Type, payload: RunEventPayloads[Type]): Promise<RunEvent> {
    this.stage(type, payload);
    return (await this.flush()).at(-1)!;
  }

  /**
   * Stage an event for the next write. Returns its payload as it will be stored (redacted), so
   * the caller can reuse what was redacted rather than redact it again.
   */
  stage<Type extends RunEventType>(type: Type, payload: RunEventPayloads[Type]): RunEventPayloads[Type] {
    const redacted = this.redact(payload);
    this.#events.push({ type, payload: redacted as unknown as Record<string, unknown> });
    return redacted;
  }

  /** Stage conversation messages of `turn` for the next write. */
  stageMessages(turn: number, messages: readonly { role: RunMessage['role']; content: unknown }[]): void {
    for (const message of messages) {
      this.#messages.push({ turn, role: message.role, content: this.redact(message.content) });
    }
  }

  /** Stage a change of the run (its running usage), applied with the next write while it is RUNNING. */
  stageUpdate(patch: RunPatch): void {
    this.#patch = { ...this.#patch, ...patch };
  }

  /**
   * Write everything staged in one transaction, then tell the listeners. On failure nothing is
   * lost: what was staged stays staged, ahead of anything staged since, for the next write.
   */
  async flush(): Promise<RunEvent[]> {
    if (this.#events.length === 0 && this.#messages.length === 0 && this.#patch === undefined) return [];
    // Taken synchronously: concurrent tool calls stage and flush while this write is under way.
    const events = this.#events.splice(0);
    const messages = this.#messages.splice(0);
    const patch = this.#patch;
    this.#patch = undefined;
    const batch: RunWriteBatch = {
      events,
      messages,
      ...(patch === undefined ? {} : { update: { from: ['RUNNING'] as RunStatus[], patch } }),
    };
    let written: RunEvent[];
    try {
      written = (await this.store.record(this.runId, batch)).events;
    } catch (error) {
      this.#events.unshift(...events);
      this.#messages.unshift(...messages);
      if (patch !== undefined) this.#patch = { ...patch, ...(this.#patch ?? {}) };
      throw error;
    }
    this.notify(written);
    return written;
  }

  /**
   * End the turn: write what is staged, then the run's terminal `patch` (a compare-and-set from
   * `from`) and its terminal event in one transaction, which the store seals in its ledger. When
   * the run is no longer in `from` (another process resolved it), nothing is written, so the
   * trail never contradicts the record. Returns whether it was written.
   */
  async end<Type extends 'run.completed' | 'run.failed' | 'run.cancelled'>(
    from: readonly RunStatus[],
    patch: RunPatch,
    type: Type,
    payload: RunEventPayloads[Type],
  ): Promise<boolean> {
    await this.flush();
    const result = await this.store.record(this.runId, {
      update: { from, patch, required: true },
      events: [{ type, payload: this.redact(payload) as unknown as Record<string, unknown> }],
    });
    this.notify(result.events);
    return result.updated;
  }

  /** `value` with every secret masked, as `Redactor.redact` does, scanning each long string once. */
  redact<T>(value: T): T {
    if (this.redactor.size === 0) return value;
    return mapStrings(value, (text) => this.redactText(text));
  }

  private redactText(text: string): string {
    if (text.length < MEMO_MIN_LENGTH) return this.redactor.redactText(text);
    const known = this.#memo.get(text);
    if (known !== undefined) return known;
    const redacted = this.redactor.redactText(text);
    if (this.#memoChars + text.length + redacted.length > MEMO_MAX_CHARS) {
      this.#memo.clear();
      this.#memoChars = 0;
    }
    this.#memo.set(text, redacted);
    this.#memoChars += text.length + redacted.length;
    return redacted;
  }

  private notify(events: readonly RunEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch {
          // A broken listener (a closed terminal, a gone SSE client) must not fail the run.
        }
      }
    }
  }
}
