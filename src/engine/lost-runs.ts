import type { SandboxDriver } from '../sandbox/driver.js';
import type { RunStore } from '../store/run-store.js';
import { isOwnerAlive } from './owner.js';

/** A RUNNING run whose owner has been silent this long is taken as lost. */
export const DEFAULT_STALE_AFTER_MS = 60_000;

/**
 * Resolve runs left RUNNING by a process that died (a killed CLI, a crashed worker) as FAILED
 * `worker-lost`, then remove the sandboxes no live run owns. Run at every start-up, so no run
 * stays stuck in RUNNING and no workspace lingers.
 */
export async function recoverLostRuns(
  store: RunStore,
  options: { sandbox?: SandboxDriver; repoRoot?: string; staleAfterMs?: number } = {},
): Promise<string[]> {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const lost: string[] = [];
  for (const run of await store.listRuns({ status: 'RUNNING', limit: 1000 })) {
    if (isOwnerAlive(run.owner, run.heartbeatAt, staleAfterMs)) continue;
    const error = `the process running it (${run.owner ?? 'unknown'}) stopped before the run finished`;
    const failed = await store.updateRun(run.id, ['RUNNING'], {
      status: 'FAILED',
      failureReason: 'worker-lost',
      error,
      endedAt: new Date().toISOString(),
      owner: null,
      heartbeatAt: null,
    });
    if (!failed) continue;
    await store.appendEvent(run.id, 'run.failed', {
      turn: run.turns,
      reason: 'worker-lost',
      error,
      usage: run.usage,
    });
    lost.push(run.id);
  }
  if (options.sandbox && options.repoRoot) {
    await options.sandbox.reap(
      options.repoRoot,
      async (runId) => (await store.getRun(runId))?.status === 'RUNNING',
    );
  }
  return lost;
}
