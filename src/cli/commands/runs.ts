import { setTimeout as sleep } from 'node:timers/promises';
import type { RunStore } from '../../store/run-store.js';
import { loadRunTree, type RunTree } from '../../store/run-tree.js';
import {
  RUN_STATUSES,
  type RunFilter,
  type RunRecord,
  type RunStatus,
  TERMINAL_STATUSES,
} from '../../store/types.js';
import { openContext } from '../context.js';
import { CliUsageError } from '../errors.js';
import { brief, formatDuration, formatUsage, runDurationMs, table } from '../format.js';
import type { Io } from '../io.js';
import { renderEvent } from '../progress.js';

interface CommonOptions {
  project?: string;
  json?: boolean;
}

/** The whole run: record, events, messages, artifacts, and its child runs' tree. What `--json` prints. */
export async function runDetails(store: RunStore, runId: string) {
  const run = await requireRun(store, runId);
  return {
    run,
    events: await store.listEvents(runId),
    messages: await store.listMessages(runId),
    artifacts: await store.listArtifacts(runId),
    children: (await loadRunTree(store, run)).children,
  };
}

async function requireRun(store: RunStore, runId: string): Promise<RunRecord> {
  const run = await store.getRun(runId);
  if (!run) throw new CliUsageError(`no run ${runId}: list runs with 'agentry runs list'`);
  return run;
}

export async function listRunsCommand(
  options: CommonOptions & { agent?: string; status?: string; limit?: string },
  io: Io,
): Promise<number> {
  const filter: RunFilter = { limit: options.limit ? Number(options.limit) : 20 };
  if (options.agent) filter.agent = options.agent;
  if (options.status) {
    const status = options.status.toUpperCase() as RunStatus;
    if (!RUN_STATUSES.includes(status)) {
      throw new CliUsageError(`--status must be one of ${RUN_STATUSES.join(', ')}`);
    }
    filter.status = status;
  }
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    const runs = await context.store.listRuns(filter);
    if (options.json) {
      io.out(JSON.stringify(runs, null, 2));
      return 0;
    }
    if (runs.length === 0) {
      io.err('no runs yet: start one with agentry run AGENT -m "…"');
      return 0;
    }
    const rows = runs.map((run) => {
      const duration = runDurationMs(run);
      return [
        run.id,
        run.agent,
        run.status + (run.failureReason ? ` (${run.failureReason})` : ''),
        run.trigger.kind,
        run.createdAt.replace('T', ' ').slice(0, 19),
        duration === undefined ? '-' : formatDuration(duration),
        String(run.usage.inputTokens + run.usage.outputTokens),
      ];
    });
    io.out(table(['RUN', 'AGENT', 'STATUS', 'TRIGGER', 'CREATED', 'DURATION', 'TOKENS'], rows));
    return 0;
  } finally {
    await context.close();
  }
}

export async function showRunCommand(runId: string, options: CommonOptions, io: Io): Promise<number> {
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    const details = await runDetails(context.store, runId);
    if (options.json) {
      io.out(JSON.stringify(details, null, 2));
      return 0;
    }
    const { run } = details;
    const duration = runDurationMs(run);
    const lines = [
      `run       ${run.id}`,
      `agent     ${run.agent} (sha256 ${run.agentHash.slice(0, 12)})`,
      `status    ${run.status}${run.failureReason ? ` (${run.failureReason})` : ''}`,
      `trigger   ${run.trigger.kind}${run.trigger.source ? ` · ${run.trigger.source}` : ''}`,
      `commit    ${run.repoCommit ?? '-'} (base ${run.baseRef ?? 'HEAD'})`,
      `created   ${run.createdAt}`,
      `duration  ${duration === undefined ? '-' : formatDuration(duration)} · ${run.turns} turn(s)`,
      `usage     ${formatUsage(run.usage)}`,
      `audit     ${run.eventCount} events, head ${run.headHash.slice(0, 16)}`,
    ];
    if (run.parentRunId) lines.push(`parent    ${run.parentRunId}`);
    if (run.error) lines.push(`error     ${run.error}`);
    for (const artifact of details.artifacts)
      lines.push(`artifact  ${artifact.name} (${artifact.size} bytes)`);
    if (details.children.length > 0) lines.push('', 'child runs', ...treeLines(details.children, '  '));
    if (run.output?.object !== undefined) lines.push('', JSON.stringify(run.output.object, null, 2));
    else if (run.output) lines.push('', run.output.text);
    io.out(lines.join('\n'));
    return 0;
  } finally {
    await context.close();
  }
}

/** Child runs as an indented tree: one line each, then its structured output (or error) in brief. */
function treeLines(children: readonly RunTree[], indent: string): string[] {
  const lines: string[] = [];
  children.forEach((child, index) => {
    const last = index === children.length - 1;
    const { run } = child;
    const duration = runDurationMs(run);
    const status = run.status + (run.failureReason ? ` (${run.failureReason})` : '');
    const cost = run.usage.costUsd > 0 ? ` · $${run.usage.costUsd.toFixed(4)}` : '';
    const took = duration === undefined ? '' : ` · ${formatDuration(duration)}`;
    lines.push(`${indent}${last ? '└─' : '├─'} ${run.id}  ${run.agent}  ${status}${took}${cost}`);
    const below = `${indent}${last ? '   ' : '│  '}`;
    if (run.error) lines.push(`${below}error   ${brief(run.error, 160)}`);
    else if (run.output) lines.push(`${below}output  ${brief(run.output.object ?? run.output.text, 160)}`);
    lines.push(...treeLines(child.children, below));
  });
  return lines;
}

/** `runs logs RUN`: the audit trail as the live view shows it; `--follow` until the run ends. */
export async function logsCommand(
  runId: string,
  options: CommonOptions & { follow?: boolean; verbose?: boolean },
  io: Io,
): Promise<number> {
  const context = await openContext({ project: options.project, warn: io.err });
  let stop = false;
  const stopInterrupt = io.onInterrupt(() => {
    stop = true;
  });
  try {
    await requireRun(context.store, runId);
    let afterSeq = 0;
    while (!stop) {
      for (const event of await context.store.listEvents(runId, { afterSeq })) {
        afterSeq = event.seq;
        if (options.json) io.out(JSON.stringify(event));
        else
          io.out(
            options.verbose
              ? `${event.seq} ${event.time} ${event.type} ${brief(event.payload, 400)}`
              : `${renderEvent(event) ?? `  ${event.type}`}`,
          );
      }
      const run = await requireRun(context.store, runId);
      if (!options.follow || TERMINAL_STATUSES.includes(run.status)) break;
      await sleep(300);
    }
    return 0;
  } finally {
    stopInterrupt();
    await context.close();
  }
}

/** `runs cancel RUN`: ask the run's owner to stop it and wait until it has. */
export async function cancelCommand(
  runId: string,
  options: CommonOptions & { wait?: string },
  io: Io,
): Promise<number> {
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    const before = await requireRun(context.store, runId);
    if (TERMINAL_STATUSES.includes(before.status)) {
      io.err(`run ${runId} has already ended: ${before.status}`);
      return 0;
    }
    await context.engine.requestCancel(runId);
    const deadline = Date.now() + Number(options.wait ?? 30) * 1000;
    while (Date.now() < deadline) {
      const run = await requireRun(context.store, runId);
      if (TERMINAL_STATUSES.includes(run.status)) {
        io.err(`run ${runId}: ${run.status}`);
        return run.status === 'CANCELLED' ? 0 : 1;
      }
      await sleep(200);
    }
    io.err(
      `run ${runId} was asked to stop but is still RUNNING: is its process alive? 'agentry runs show ${runId}'`,
    );
    return 1;
  } finally {
    await context.close();
  }
}
