import { verifyRunAudit } from '../../store/index.js';
import { openContext } from '../context.js';
import type { Io } from '../io.js';

/** `audit verify RUN…`: exit 0 when every chain is intact, 1 naming the first bad event otherwise. */
export async function auditVerifyCommand(
  runIds: string[],
  options: { project?: string; all?: boolean },
  io: Io,
) {
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    const ids = options.all
      ? (await context.store.listRuns({ limit: 100_000 })).map((run) => run.id)
      : runIds;
    let failures = 0;
    for (const runId of ids) {
      const verdict = await verifyRunAudit(context.store, runId);
      if (verdict.ok) {
        io.out(`ok    ${runId}: ${verdict.count} events, chain intact`);
      } else {
        failures++;
        io.out(`FAIL  ${runId}: event ${verdict.seq}: ${verdict.reason}`);
      }
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await context.close();
  }
}

/** `audit export RUN`: the trail as JSON lines, with hashes, for archiving or external checks. */
export async function auditExportCommand(runId: string, options: { project?: string }, io: Io) {
  const context = await openContext({ project: options.project, warn: io.err });
  try {
    const verdict = await verifyRunAudit(context.store, runId);
    for (const event of await context.store.listEvents(runId)) io.out(JSON.stringify(event));
    if (!verdict.ok) io.err(`warning: event ${verdict.seq}: ${verdict.reason}`);
    return verdict.ok ? 0 : 1;
  } finally {
    await context.close();
  }
}
