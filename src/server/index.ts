/**
 * The `server` module: `agentry serve`'s Hono app — the REST API under `/api/v1`, SSE, API-key
 * auth, the OpenAPI document — and `startServer`, which wires it to the engine, the dispatcher
 * and an in-process queue. Extra route groups (webhooks) mount through `createApp`'s
 * `extraRoutes` / `startServer`'s `extraRoutesFor`.
 */
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
export { ApiError, errorResponse, parseBody, parseWith, validationError } from './errors.js';
export { openApiDocument } from './openapi.js';
export * from './schemas.js';
export { isLoopbackHost, resolveAuth, ServeAuthError, ServeListenError } from './serve-policy.js';
export { type RunningServer, type ServerOptions, startServer } from './start-server.js';
export { agentDetailView, agentSummaryView, runEventView, runMessageView, runView } from './views.js';
