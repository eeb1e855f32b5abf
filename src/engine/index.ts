export { Engine, type EngineOptions, type TriggerOptions } from './engine.js';
export { AgentNotFoundError, RunStateError } from './errors.js';
export { type RunEventPayloads, type TypedRunEvent, typedEvent } from './events.js';
export { DEFAULT_STALE_AFTER_MS, recoverLostRuns } from './lost-runs.js';
export { currentOwner, isOwnerAlive } from './owner.js';
export type { RunEventListener } from './recorder.js';
export {
  openRunNotifier,
  type RunNotifier,
  type RunNotifierInput,
  renderBlocksAsText,
} from './run-notifier.js';
export { buildSystemPrompt } from './system-prompt.js';
