import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Dispatcher } from '../queue/dispatcher.js';
import type { KeyStore } from '../store/key-store.js';
import type { RunStore } from '../store/run-store.js';
import type { AgentProblem } from './agent-reloader.js';
import { type AppEnv, Authenticator } from './auth.js';
import { type ConnectionLimits, resolveConnectionLimits } from './connection-limits.js';
import type { RouteDeps } from './deps.js';
import { ApiError, errorResponse } from './errors.js';
import { openApiDocument } from './openapi.js';
import { agentRoutes } from './routes/agents.js';
import { eventRoutes } from './routes/events.js';
import { runRoutes } from './routes/runs.js';
import { StreamLimiter } from './stream-limiter.js';

/** A group of routes mounted beside the API, e.g. webhooks at `/webhooks`. */
export interface RouteGroup {
  /** Where the group is mounted, e.g. `/webhooks`. */
  basePath: string;
  routes: Hono<AppEnv>;
  /** OpenAPI path items of the group, keyed by full path; merged into `/api/v1/openapi.json`. */
  openapiPaths?: Record<string, unknown>;
}

/** What the app is built from: everything injected, so tests and other faces build the same app. */
export interface AppOptions {
  dispatcher: Dispatcher;
  store: RunStore;
  /** Where API keys are checked; null turns authentication off (`--no-auth`, loopback only). */
  keys: KeyStore | null;
  /**
   * More route groups (webhooks, cron status): mounted after the API, sharing its error shape.
   * A group reaches the dispatcher through its own closure; use `requireScope` for key auth.
   */
  extraRoutes?: readonly RouteGroup[];
  /** Where errors the client is not shown go. */
  log?: (line: string) => void;
  /** SSE tuning; see `RouteDeps`. */
  ssePollMs?: number;
  sseKeepAliveMs?: number;
  /** The caps on event streams (`maxStreamsPerKey`, `maxStreams`); the defaults when absent. */
  limits?: Partial<ConnectionLimits>;
  /** Agent files that do not load, for `GET /api/v1/agents` (an `AgentReloader`'s `problems`). */
  agentProblems?: () => readonly AgentProblem[];
}

/** The largest body a request may send. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** This package's version, for `/healthz` and the OpenAPI document. */
export const AGENTRY_VERSION: string = (() => {
  try {
    const packageJson = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/**
 * Build the Hono app of `agentry serve`: `/healthz`, the REST API under `/api/v1` (runs, events,
 * agents, the OpenAPI document) and any `extraRoutes`. Every error is answered as
 * `{ error: { code, message } }`. Serve it with `@hono/node-server` (see `startServer`), or call
 * `app.request()` directly.
 */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const log = options.log ?? (() => undefined);
  const deps: RouteDeps = {
    dispatcher: options.dispatcher,
    store: options.store,
    auth: new Authenticator(options.keys),
    ssePollMs: options.ssePollMs,
    sseKeepAliveMs: options.sseKeepAliveMs,
    streams: new StreamLimiter(resolveConnectionLimits(options.limits)),
    log,
  };
  const extra = options.extraRoutes ?? [];
  const openapi = openApiDocument({
    version: AGENTRY_VERSION,
    extraPaths: Object.assign({}, ...extra.map((group) => group.openapiPaths ?? {})),
  });

  const app = new Hono<AppEnv>();
  app.onError((error, context) => errorResponse(context, error, log));
  app.notFound((context) =>
    errorResponse(
      context,
      new ApiError(
        404,
        'not-found',
        `no route ${context.req.method} ${context.req.path}: see /api/v1/openapi.json`,
      ),
    ),
  );
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(
          413,
          'request.too-large',
          `the body is too large: send at most ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
  );

  app.get('/healthz', (context) => context.json({ status: 'ok' as const, version: AGENTRY_VERSION }));

  const api = new Hono<AppEnv>();
  api.get('/openapi.json', (context) => context.json(openapi));
  api.route('/runs', runRoutes(deps));
  api.route('/runs', eventRoutes(deps));
  api.route('/agents', agentRoutes(deps, options.dispatcher.project, options.agentProblems));
  app.route('/api/v1', api);

  for (const group of extra) app.route(group.basePath, group.routes);
  return app;
}
