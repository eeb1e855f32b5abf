/**
 * The `server` module: `agentry serve`'s Hono app — the REST API under `/api/v1`, SSE, API-key
 * auth, the OpenAPI document — and `startServer`, which wires it to the engine, the dispatcher
 * and an in-process queue. Extra route groups (webhooks) mount through `createApp`'s
 * `extraRoutes` / `startServer`'s `extraRoutesFor`.
 */

export {
  type AgentProblem,
  type AgentReload,
  AgentReloader,
  type AgentReloaderOptions,
} from './agent-reloader.js';
export {
  API_KEY_MARKER,
  createApiKey,
  generateApiKey,
  grants,
  hashApiKey,
  InvalidScopeError,
  parseScopes,
} from './api-keys.js';
export { AGENTRY_VERSION, type AppOptions, createApp, MAX_BODY_BYTES, type RouteGroup } from './app.js';
export { type AppEnv, Authenticator, requireScope } from './auth.js';
export {
  ConnectionGuard,
  type ConnectionLimits,
  type ConnectionStats,
  DEFAULT_CONNECTION_LIMITS,
  httpServerOptions,
  resolveConnectionLimits,
} from './connection-limits.js';
export { ApiError, errorResponse, parseBody, parseWith, validationError } from './errors.js';
export { openApiDocument } from './openapi.js';
export * from './schemas.js';
export { isLoopbackHost, resolveAuth, ServeAuthError, ServeListenError } from './serve-policy.js';
export { type RunningServer, type ServerOptions, startServer } from './start-server.js';
export { STREAM_RETRY_AFTER_SECONDS, StreamLimiter } from './stream-limiter.js';
export {
  agentDetailView,
  agentProblemView,
  agentSummaryView,
  runEventView,
  runMessageView,
  runView,
} from './views.js';
