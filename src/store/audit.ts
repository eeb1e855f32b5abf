import { RunNotFoundError } from './errors.js';
import { type ChainVerdict, chainHead, verifyChain } from './hash-chain.js';
import type { RunStore } from './run-store.js';

/**
 * Prove a run's audit trail is intact: recompute its hash chain, then compare its length and
 * head with the anchor on the run record, which catches deleted trailing events that the chain
 * alone cannot. `seq` is the first bad event, or `count + 1` when events are missing at the end.
 * Throws `RunNotFoundError` when there is no such run.
 */
export async function verifyRunAudit(store: RunStore, runId: string): Promise<ChainVerdict> {
  const run = await store.getRun(runId);
  if (run === undefined) throw new RunNotFoundError(runId);
  const events = await store.listEvents(runId);
  const verdict = verifyChain(events);
  if (!verdict.ok) return verdict;

  const head = chainHead(events);
  if (head.eventCount < run.eventCount) {
    const missing = run.eventCount - head.eventCount;
    return {
      ok: false,
      seq: head.eventCount + 1,
      reason: `the run recorded ${run.eventCount} events but ${head.eventCount} remain: the last ${missing} were deleted`,
    };
  }
  if (head.eventCount > run.eventCount) {
    return {
      ok: false,
      seq: run.eventCount + 1,
      reason: `the run recorded ${run.eventCount} events but ${head.eventCount} exist: events were added outside the store`,
    };
  }
  if (head.headHash !== run.headHash) {
    return {
      ok: false,
      seq: Math.max(1, head.eventCount),
      reason: 'the last event does not match the head hash kept on the run: the trail was rewritten',
    };
  }
  return verdict;
}
