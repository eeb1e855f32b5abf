import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { Engine } from '../engine/engine.js';
import { currentOwner } from '../engine/owner.js';
import { Dispatcher, type DispatcherOptions, type RecoveryReport } from '../queue/dispatcher.js';
import { InProcessQueue } from '../queue/in-process.js';
import type { SandboxDriver } from '../sandbox/driver.js';
import type { Redactor } from '../secrets/redactor.js';
import type { Project } from '../spec/index.js';
import type { KeyStore } from '../store/key-store.js';
import type { RunStore } from '../store/run-store.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { AgentProblem } from './agent-reloader.js';
import { createApp, type RouteGroup } from './app.js';
import type { AppEnv } from './auth.js';
import {
  ConnectionGuard,
  type ConnectionLimits,
  type ConnectionStats,
  httpServerOptions,
  resolveConnectionLimits,
} from './connection-limits.js';
import { resolveAuth, ServeListenError } from './serve-policy.js';

/** How to start `agentry serve`. */
export interface ServerOptions {
  project: Project;
  store: RunStore & KeyStore;
  sandbox: SandboxDriver;
  tools?: ToolRegistry;
  redactor?: Redactor;
  env?: NodeJS.ProcessEnv;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` picks a free one (see `RunningServer.port`). Default 7070. */
  port?: number;
  /** Turns executing at once over every agent. Default 4. */
  concurrency?: number;
  /** Turn authentication off; refused unless `host` is loopback. */
  noAuth?: boolean;
  /** How long an idempotency key holds. Default 24 hours. */
  idempotencyWindowMs?: number;
  /** Engine heartbeat of running runs. Default 1000 ms. */
  heartbeatMs?: number;
  /** More route groups, e.g. webhooks: see `createApp`. */
  extraRoutes?: readonly RouteGroup[];
  /** Build extra route groups once the dispatcher exists (webhooks and cron trigger through it). */
  extraRoutesFor?: (dispatcher: Dispatcher) => readonly RouteGroup[];
  /** Where the server says what it did (recovered runs, errors). */
  log?: (line: string) => void;
  /**
   * Connection caps and timeouts (see `ConnectionLimits`): what keeps clients that never finish
   * a request, or open stream after stream, from exhausting the process. The defaults when absent.
   */
  limits?: Partial<ConnectionLimits>;
  /** Agent files that do not load, for `GET /api/v1/agents`: see `AgentReloader`. */
  agentProblems?: () => readonly AgentProblem[];
  /** SSE tuning: see `RouteDeps.ssePollMs` and `sseKeepAliveMs`. */
  ssePollMs?: number;
  sseKeepAliveMs?: number;
  /** How a run whose base commit the repository lacks fetches it; see `DispatcherOptions.baseCommit`. */
  baseCommit?: DispatcherOptions['baseCommit'];
}

/** A listening server. */
export interface RunningServer {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  host: string;
  port: number;
  auth: 'keys' | 'none';
  app: Hono<AppEnv>;
  engine: Engine;
  dispatcher: Dispatcher;
  /** What start-up recovery did with runs a dead process had left. */
  recovery: RecoveryReport;
  /** The limits in force. */
  limits: ConnectionLimits;
  /** Sockets open now, busy, and closed by the connection cap so far. */
  connections(): ConnectionStats;
  /**
   * Stop: no new connections or runs; running turns get `graceMs` (default 0) to finish and are
   * then cancelled; queued runs stay PENDING for the next start. Does not close the store.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Start `agentry serve` in this process: check the auth policy, resolve what a crashed server
 * left behind (RUNNING → FAILED worker-lost; PENDING accepted runs → queued again), then listen.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  // A bad limit fails here, before recovery touches the store.
  const limits = resolveConnectionLimits(options.limits);
  const activeKeys = (await options.store.listApiKeys()).filter((key) => key.revokedAt === null).length;
  const auth = resolveAuth({ host, noAuth: options.noAuth ?? false, activeKeys });

  const owner = currentOwner();
  const engine = new Engine({
    project: options.project,
    store: options.store,
    sandbox: options.sandbox,
    tools: options.tools,
    redactor: options.redactor,
    env: options.env,
    owner,
    heartbeatMs: options.heartbeatMs,
  });
  const queue = new InProcessQueue({
    concurrency: options.concurrency ?? 4,
    onError: (error, job) => log(`run ${job.runId}: ${String(error)}`),
  });
  const dispatcher = new Dispatcher({
    engine,
    store: options.store,
    project: options.project,
    queue,
    owner,
    sandbox: options.sandbox,
    idempotencyWindowMs: options.idempotencyWindowMs,
    baseCommit: options.baseCommit,
    log,
  });
  const recovery = await dispatcher.recover();
  for (const runId of recovery.lost)
    log(`run ${runId} was left RUNNING by a server that died: FAILED (worker-lost)`);
  for (const runId of recovery.failed)
    log(`run ${runId} was left PENDING by a process that died: FAILED (worker-lost)`);
  for (const runId of recovery.requeued) log(`run ${runId} was accepted by a server that died: queued again`);

  const app = createApp({
    dispatcher,
    store: options.store,
    keys: auth === 'keys' ? options.store : null,
    extraRoutes: [...(options.extraRoutes ?? []), ...(options.extraRoutesFor?.(dispatcher) ?? [])],
    log,
    limits,
    ssePollMs: options.ssePollMs,
    sseKeepAliveMs: options.sseKeepAliveMs,
    agentProblems: options.agentProblems,
  });
  let server: Server;
  let guard: ConnectionGuard;
  try {
    ({ server, guard } = await listen(app, host, options.port ?? 7070, limits));
  } catch (error) {
    await dispatcher.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    auth,
    app,
    engine,
    dispatcher,
    recovery,
    limits,
    connections: () => guard.stats(),
    close(closeOptions = {}) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await dispatcher.close({ graceMs: closeOptions.graceMs ?? 0 });
        // Open SSE streams end once their runs do; anything left is cut.
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

async function listen(
  app: Hono<AppEnv>,
  host: string,
  port: number,
  limits: ConnectionLimits,
): Promise<{ server: Server; guard: ConnectionGuard }> {
  const server = createHttpServer(httpServerOptions(limits));
  const guard = new ConnectionGuard(server, limits.maxConnections);
  server.on('request', guard.listener(getRequestListener(app.fetch)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(ServeListenError.from(error, host, port)));
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, guard };
}
