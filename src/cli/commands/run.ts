import type { RunRecord } from '../../store/types.js';
import { blockingIssues, openContext } from '../context.js';
import { CliUsageError } from '../errors.js';
import type { Io } from '../io.js';
import { liveView } from '../progress.js';
import { runDetails } from './runs.js';

export interface RunOptions {
  message?: string;
  baseRef?: string;
  json?: boolean;
  quiet?: boolean;
  project?: string;
}

/** Exit codes of `agentry run` and `agentry runs reply`. */
export function exitCodeFor(run: RunRecord): number {
  if (run.status === 'COMPLETED') return 0;
  if (run.status === 'CANCELLED') return 130;
  return 1;
}

/** `agentry run AGENT -m MSG`: progress on stderr, the answer on stdout. */
export async function runCommand(agent: string, options: RunOptions, io: Io): Promise<number> {
  if (!options.message) throw new CliUsageError(`say what ${agent} should do: agentry run ${agent} -m "…"`);
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    const issues = blockingIssues(context, agent);
    if (issues.length > 0) {
      for (const line of issues) io.err(line);
      return 1;
    }
    return await withProgress(context, options, io, (signal) =>
      context.engine.triggerRun(agent, options.message!, {
        trigger: { kind: 'cli', source: io.user },
        baseRef: options.baseRef,
        signal,
      }),
    );
  } finally {
    await context.close();
  }
}

/** `agentry runs reply RUN -m MSG`: a follow-up turn. */
export async function replyCommand(runId: string, options: RunOptions, io: Io): Promise<number> {
  if (!options.message) throw new CliUsageError(`say what to add: agentry runs reply ${runId} -m "…"`);
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    return await withProgress(context, options, io, (signal) =>
      context.engine.reply(runId, options.message!, { signal }),
    );
  } finally {
    await context.close();
  }
}

async function withProgress(
  context: Awaited<ReturnType<typeof openContext>>,
  options: RunOptions,
  io: Io,
  execute: (signal: AbortSignal) => Promise<RunRecord>,
): Promise<number> {
  const render = liveView();
  const unsubscribe = options.quiet
    ? () => undefined
    : context.engine.on((event) => {
        const line = render(event);
        if (line) io.err(context.redactor.redactText(line));
      });
  const controller = new AbortController();
  const stopInterrupt = io.onInterrupt(() => {
    io.err('■ cancelling… (Ctrl-C again to quit at once)');
    controller.abort();
  });
  try {
    const run = await execute(controller.signal);
    if (options.json) {
      io.out(JSON.stringify(await runDetails(context.store, run.id), null, 2));
    } else if (run.status === 'COMPLETED' && run.output) {
      io.out(run.output.object !== undefined ? JSON.stringify(run.output.object, null, 2) : run.output.text);
    }
    return exitCodeFor(run);
  } finally {
    stopInterrupt();
    unsubscribe();
  }
}
