import type { Dispatcher } from '../queue/dispatcher.js';
import type { RunStore } from '../store/run-store.js';
import type { Authenticator } from './auth.js';
import type { StreamLimiter } from './stream-limiter.js';

/** What the API's routes work with, injected so tests and extra route groups share them. */
export interface RouteDeps {
  dispatcher: Dispatcher;
  store: RunStore;
  auth: Authenticator;
  /**
   * How often an SSE stream of a run executed by another process (a CLI run sharing the store)
   * looks for its events. Streams of runs this server executes are woken by the engine instead.
   * Default 1000 ms.
   */
  ssePollMs?: number;
  /** How often an idle SSE stream sends a comment so proxies keep it open. Default 15 s. */
  sseKeepAliveMs?: number;
  /** Open SSE streams, per key and in all. */
  streams: StreamLimiter;
  log: (line: string) => void;
}
