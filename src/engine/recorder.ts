import type { Redactor } from '../secrets/redactor.js';
import type { RunStore } from '../store/run-store.js';
import type { RunEvent, RunEventType, RunMessage } from '../store/types.js';
import type { RunEventPayloads } from './events.js';

/** Called with every event as it is appended: the CLI's live view, SSE, the UI. */
export type RunEventListener = (event: RunEvent) => void;

/**
 * Writes a run's audit trail and conversation. Everything passes the redactor first, so no secret
 * value reaches the store or a listener.
 */
export class RunRecorder {
  constructor(
    private readonly store: RunStore,
    private readonly redactor: Redactor,
    readonly runId: string,
    private readonly listeners: Iterable<RunEventListener>,
  ) {}

  async event<Type extends RunEventType>(type: Type, payload: RunEventPayloads[Type]): Promise<RunEvent> {
    const redacted = this.redactor.redact(payload) as unknown as Record<string, unknown>;
    const event = await this.store.appendEvent(this.runId, type, redacted);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed terminal, a gone SSE client) must not fail the run.
      }
    }
    return event;
  }

  async messages(
    turn: number,
    messages: readonly { role: RunMessage['role']; content: unknown }[],
  ): Promise<void> {
    await this.store.appendMessages(
      this.runId,
      turn,
      messages.map((message) => ({ role: message.role, content: this.redactor.redact(message.content) })),
    );
  }
}
