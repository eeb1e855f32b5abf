import type { Command } from 'commander';
import { createSandboxDriver } from '../../sandbox/index.js';
import { Redactor } from '../../secrets/index.js';
import { AgentReloader } from '../../server/agent-reloader.js';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../../server/connection-limits.js';
import { startServer } from '../../server/start-server.js';
import { webhookRoutes } from '../../server/webhooks/index.js';
import { formatIssue, loadProject } from '../../spec/index.js';
import { openStore } from '../../store/index.js';
import { builtinToolRegistry } from '../../tools/index.js';
import { type CronScheduler, type StartRun, startCronService } from '../../triggers/index.js';
import { projectRoot } from '../context.js';
import { CliUsageError } from '../errors.js';
import type { Io } from '../io.js';

/** Wraps a command action so its exit code reaches the process (see `buildProgram`). */
export type Act = <Args extends unknown[]>(
  action: (...args: Args) => Promise<number> | number,
) => (...args: Args) => Promise<void>;

export interface ServeOptions {
  host?: string;
  port?: string;
  concurrency?: string;
  /** False with `--no-auth`. */
  auth?: boolean;
  grace?: string;
  project?: string;
  maxConnections?: string;
  maxStreamsPerKey?: string;
  maxStreams?: string;
  headersTimeout?: string;
  requestTimeout?: string;
  /** False with `--no-reload`. */
  reload?: boolean;
}

/** Add `agentry serve` to the program. */
export function registerServeCommand(program: Command, io: Io, act: Act): void {
  program
    .command('serve')
    .description(
      'run the REST API, SSE and the run queue (Ctrl-C stops; runs still queued start at the next serve)',
    )
    .option('--host <host>', 'interface to listen on; anything but loopback requires API keys', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '7070')
    .option('--concurrency <n>', 'runs executing at once, over all agents', '4')
    .option('--no-auth', 'accept requests without an API key (loopback hosts only, for local development)')
    .option(
      '--grace <seconds>',
      'on Ctrl-C, how long running runs get to finish before they are cancelled',
      '10',
    )
    .option('-C, --project <dir>', 'the project root (default: nearest directory with .agentry/)')
    .option(
      '--max-connections <n>',
      'sockets open at once; past it the longest-idle one is closed (keep under ulimit -n)',
      String(DEFAULT_CONNECTION_LIMITS.maxConnections),
    )
    .option(
      '--headers-timeout <seconds>',
      'time a client has to send its request headers',
      String(DEFAULT_CONNECTION_LIMITS.headersTimeoutMs / 1000),
    )
    .option(
      '--request-timeout <seconds>',
      'time a client has to send its whole request',
      String(DEFAULT_CONNECTION_LIMITS.requestTimeoutMs / 1000),
    )
    .option(
      '--max-streams-per-key <n>',
      'event streams (SSE) one API key may hold open',
      String(DEFAULT_CONNECTION_LIMITS.maxStreamsPerKey),
    )
    .option(
      '--max-streams <n>',
      'event streams (SSE) open at once over all keys',
      String(DEFAULT_CONNECTION_LIMITS.maxStreams),
    )
    .option('--no-reload', 'do not reload agent files when they change (restart to pick up edits)')
    .action(act((options: ServeOptions) => serveCommand(options, io)));
}

/** `agentry serve`: listen until interrupted, then drain and stop. */
export async function serveCommand(options: ServeOptions, io: Io): Promise<number> {
  const port = wholeNumber(options.port ?? '7070', '--port', 0, 65_535);
  const concurrency = wholeNumber(options.concurrency ?? '4', '--concurrency', 1, 1000);
  const graceMs = wholeNumber(options.grace ?? '10', '--grace', 0, 86_400) * 1000;
  const limits = connectionLimits(options);
  const root = projectRoot(options.project);
  const tools = builtinToolRegistry();
  const { project, issues } = await loadProject(root, { knownTools: tools.names() });
  for (const issue of issues) io.err(`warning: ${formatIssue(issue, project.root)}`);
  const store = await openStore(project.config.store, project.root);
  let reloader: AgentReloader | undefined;
  try {
    // The cron service is rebuilt when agents change: its schedules come from their triggers.
    let cron: CronScheduler | undefined;
    const startCron = (startRun: StartRun) =>
      startCronService({ agents: project.agents.values(), store, startRun, log: (line) => io.err(line) });
    const { driver, warning } = createSandboxDriver(project.config.sandbox);
    if (warning) io.err(`warning: ${warning}`);
    const server = await startServer({
      project,
      store,
      sandbox: driver,
      tools,
      redactor: Redactor.fromConfig(project.config),
      host: options.host ?? '127.0.0.1',
      port,
      concurrency,
      noAuth: options.auth === false,
      limits,
      agentProblems: () => reloader?.problems() ?? [],
      log: (line) => io.err(line),
      extraRoutesFor: (dispatcher) => [
        webhookRoutes({
          project,
          startRun: (request) => dispatcher.trigger(request),
          deliveries: store,
          log: (line) => io.err(line),
        }),
      ],
    });
    const startRun: StartRun = (request) => server.dispatcher.trigger(request);
    cron = await startCron(startRun);
    if (options.reload !== false) {
      reloader = new AgentReloader({
        project,
        knownTools: tools.names(),
        initialIssues: issues,
        log: (line) => io.err(line),
        onChange: async () => {
          await cron?.stop();
          cron = undefined;
          cron = await startCron(startRun);
        },
      });
    }
    if (server.auth === 'none') io.err('warning: --no-auth: anyone who can reach this port can start runs');
    io.err(
      `agentry serve: ${project.agents.size} agent(s), concurrency ${concurrency}, auth ${server.auth === 'keys' ? 'API keys' : 'off'}`,
    );
    // The one line on stdout, so scripts can read where to connect.
    io.out(`listening on ${server.url}`);
    await new Promise<void>((resolve) => {
      const stop = io.onInterrupt(() => {
        stop();
        resolve();
      });
    });
    io.err(`stopping: running runs get ${graceMs / 1000}s to finish (Ctrl-C again to quit at once)`);
    await reloader?.close();
    await cron?.stop();
    await server.close({ graceMs });
    return 0;
  } finally {
    await reloader?.close();
    await store.close();
  }
}

function connectionLimits(options: ServeOptions): Partial<ConnectionLimits> {
  const headersTimeoutMs = wholeNumber(options.headersTimeout ?? '10', '--headers-timeout', 1, 3600) * 1000;
  const requestTimeoutMs = wholeNumber(options.requestTimeout ?? '30', '--request-timeout', 1, 3600) * 1000;
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new CliUsageError('--request-timeout must be at least --headers-timeout');
  }
  return {
    maxConnections: wholeNumber(options.maxConnections ?? '1024', '--max-connections', 1, 1_000_000),
    maxStreamsPerKey: wholeNumber(options.maxStreamsPerKey ?? '16', '--max-streams-per-key', 1, 1_000_000),
    maxStreams: wholeNumber(options.maxStreams ?? '256', '--max-streams', 1, 1_000_000),
    headersTimeoutMs,
    requestTimeoutMs,
  };
}

function wholeNumber(value: string, option: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new CliUsageError(`${option} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return number;
}
