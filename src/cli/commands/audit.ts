import {
  type LedgerHead,
  type RunAuditVerdict,
  RunNotFoundError,
  type RunStore,
  verifyRunAudit,
  verifyStoreAudit,
} from '../../store/index.js';
import { loadRunTree, type RunTree } from '../../store/run-tree.js';
import { openContext } from '../context.js';
import { CliUsageError } from '../errors.js';
import type { Io } from '../io.js';

/**
 * `audit verify RUN…` / `audit verify --all [--anchor N:HASH]`: exit 0 when everything a reader
 * sees of the runs is what was recorded, 1 naming what was changed otherwise. A named run is
 * verified with its child runs (which `runs show` prints with it). `--all` also walks the
 * store-wide ledger, names runs that were deleted, and ends with the ledger's head as an anchor
 * to keep outside the store.
 */
export async function auditVerifyCommand(
  runIds: string[],
  options: { project?: string; all?: boolean; anchor?: string },
  io: Io,
) {
  const anchor = options.anchor === undefined ? undefined : parseAnchor(options.anchor);
  if (anchor !== undefined && !options.all)
    throw new CliUsageError('--anchor checks the whole store: add --all');
  if (!options.all && runIds.length === 0) {
    throw new CliUsageError("name the runs to verify, or pass --all: 'agentry audit verify --all'");
  }
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    if (!options.all) {
      let failures = 0;
      for (const runId of runIds) {
        if (!(await verifyOne(context.store, runId, io))) failures++;
      }
      return failures === 0 ? 0 : 1;
    }
    const report = await verifyStoreAudit(context.store, {
      ...(anchor === undefined ? {} : { anchor }),
      onRun: (runId, verdict) => printVerdict(runId, verdict, io),
    });
    for (const run of report.missing) {
      io.out(
        `FAIL  ${run.runId}: run of ${run.agent} created ${run.createdAt} is in the ledger (entry ${run.ledgerSeq}) but gone from the store: it was deleted`,
      );
    }
    if (!report.ledger.ok) io.out(`FAIL  ledger: entry ${report.ledger.seq}: ${report.ledger.reason}`);
    if (report.anchor !== undefined) {
      if (report.anchor.ok)
        io.out(`ok    anchor ${anchor!.count}:${anchor!.hash}: the ledger still holds it`);
      else io.out(`FAIL  anchor: ${report.anchor.reason}`);
    }
    io.out(
      `${report.ok ? 'ok  ' : 'FAIL'}  store: ${report.runs} runs, ${report.failed} altered, ${report.missing.length} deleted; ledger ${report.head.count} entries`,
    );
    // The head as a line a script can keep (a ticket, a log, a second machine) and pass back later.
    io.out(`anchor ${report.head.count}:${report.head.hash}`);
    return report.ok ? 0 : 1;
  } finally {
    await context.close();
  }
}

async function verifyOne(store: RunStore, runId: string, io: Io): Promise<boolean> {
  let verdict: RunAuditVerdict;
  try {
    verdict = await verifyRunAudit(store, runId);
  } catch (error) {
    if (!(error instanceof RunNotFoundError)) throw error;
    const [entry] = await store.listLedger({ runId, limit: 1 });
    if (entry === undefined) throw error;
    io.out(
      `FAIL  ${runId}: run of ${entry.state.run.agent} created ${entry.state.run.createdAt} is in the ledger (entry ${entry.seq}) but gone from the store: it was deleted`,
    );
    return false;
  }
  printVerdict(runId, verdict, io);
  let ok = verdict.ok;
  const run = await store.getRun(runId);
  const visit = async (children: readonly RunTree[]) => {
    for (const child of children) {
      const childVerdict = await verifyRunAudit(store, child.run.id);
      printVerdict(child.run.id, childVerdict, io, `child of ${child.run.parentRunId}`);
      ok &&= childVerdict.ok;
      await visit(child.children);
    }
  };
  if (run !== undefined) await visit((await loadRunTree(store, run)).children);
  return ok;
}

function printVerdict(runId: string, verdict: RunAuditVerdict, io: Io, relation?: string): void {
  if (verdict.ok) {
    io.out(`ok    ${runId}: ${verdict.count} events, chain intact${relation ? ` (${relation})` : ''}`);
    for (const note of verdict.notes ?? []) io.out(`      note: ${note}`);
    return;
  }
  const where = {
    events: `event ${verdict.seq}`,
    messages: `message ${verdict.seq}`,
    run: `run fields ${verdict.fields?.join(', ')}`,
    artifacts: `artifact ${verdict.fields?.join(', ')}`,
    ledger: verdict.seq > 0 ? `ledger entry ${verdict.seq}` : 'ledger',
  }[verdict.part];
  io.out(`FAIL  ${runId}: ${where}: ${verdict.reason}`);
}

function parseAnchor(text: string): LedgerHead {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (!match) {
    throw new CliUsageError(
      `--anchor must be COUNT:HASH as the last line of 'agentry audit verify --all' prints it, not '${text}'`,
    );
  }
  return { count: Number(match[1]), hash: match[2]! };
}

/** `audit export RUN`: the trail as JSON lines, with hashes, for archiving or external checks. */
export async function auditExportCommand(runId: string, options: { project?: string }, io: Io) {
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    const verdict = await verifyRunAudit(context.store, runId);
    for (const event of await context.store.listEvents(runId)) io.out(JSON.stringify(event));
    if (!verdict.ok) io.err(`warning: ${verdict.part} ${verdict.seq}: ${verdict.reason}`);
    return verdict.ok ? 0 : 1;
  } finally {
    await context.close();
  }
}
