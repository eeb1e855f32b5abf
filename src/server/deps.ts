import type { Dispatcher } from '../queue/dispatcher.js';
import type { RunStore } from '../store/run-store.js';
import type { Authenticator } from './auth.js';

/** What the API's routes work with, injected so tests and extra route groups share them. */
export interface RouteDeps {
  dispatcher: Dispatcher;
  store: RunStore;
  auth: Authenticator;
  /** How often an SSE stream looks for events written by another process. Default 1000 ms. */
  ssePollMs?: number;
  /** How often an idle SSE stream sends a comment so proxies keep it open. Default 15 s. */
  sseKeepAliveMs?: number;
  log: (line: string) => void;
}
