/**
 * The TypeScript SDK, shipped as `agentry/sdk`: a `fetch`-only client of `agentry serve`'s REST
 * API. Usable from a CI job in a few lines:
 *
 * @example
 * import { AgentryClient } from 'agentry/sdk';
 * const agentry = new AgentryClient({ url: process.env.AGENTRY_URL!, apiKey: process.env.AGENTRY_API_KEY });
 * const run = await agentry.triggerRunAndWait({ agent: 'test-maintainer', message: 'Review PR 42' }, { timeoutMs: 600_000 });
 */
export {
  AgentryClient,
  type ClientOptions,
  createClient,
  type StreamEventsOptions,
  type WaitOptions,
} from './client.js';
export {
  AgentryApiError,
  AgentryConnectionError,
  RunCancelledError,
  RunFailedError,
  RunWaitTimeoutError,
} from './errors.js';
export { parseSse, type SseMessage } from './sse.js';
export type * from './types.js';
