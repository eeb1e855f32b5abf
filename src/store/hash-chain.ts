import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { RunEvent } from './types.js';

/** The `prevHash` of a run's first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The parts of an event its hash covers. */
export type HashedEventFields = Pick<RunEvent, 'runId' | 'seq' | 'time' | 'type' | 'payload'>;

/**
 * `sha256(prevHash + canonicalJson({runId, seq, time, type, payload}))` as lowercase hex.
 * This is the stored format: changing it breaks every trail already written
 * (`test/fixtures/store/events-v1.json` pins it).
 */
export function computeEventHash(prevHash: string, event: HashedEventFields): string {
  const { runId, seq, time, type, payload } = event;
  return createHash('sha256')
    .update(prevHash + canonicalJson({ runId, seq, time, type, payload }), 'utf8')
    .digest('hex');
}

/** The outcome of checking a trail. `seq` is the first event found wrong. */
export type ChainVerdict = { ok: true; count: number } | { ok: false; seq: number; reason: string };

/**
 * Recompute a run's chain, given its events in stored order. Detects an altered payload, type or
 * time, a replaced hash, a broken `prevHash` link, a gap or reorder in `seq`, an event of another
 * run, and a deleted event anywhere but at the end.
 *
 * Deleting the *last* events leaves a shorter chain that is still valid: that is only detectable
 * against an anchor kept elsewhere. The run record keeps one (`eventCount`, `headHash`, see
 * {@link chainHead}); `verifyRunAudit` checks the chain against it.
 */
export function verifyChain(events: readonly RunEvent[]): ChainVerdict {
  const runId = events[0]?.runId;
  let prevHash = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const problem = checkEvent(event, index + 1, runId, prevHash);
    if (problem !== undefined) return { ok: false, seq: index + 1, reason: problem };
    prevHash = event.hash;
  }
  return { ok: true, count: events.length };
}

function checkEvent(
  event: RunEvent,
  expectedSeq: number,
  runId: string | undefined,
  prevHash: string,
): string | undefined {
  if (event.seq !== expectedSeq) {
    return `expected event ${expectedSeq} but found event ${event.seq}: an event was deleted or the trail reordered`;
  }
  if (event.runId !== runId) return `event ${expectedSeq} belongs to run ${event.runId}, not ${runId}`;
  if (event.prevHash !== prevHash) {
    return `event ${expectedSeq} does not link to the previous event's hash: an event before it was altered or removed`;
  }
  if (computeEventHash(prevHash, event) !== event.hash) {
    return `event ${expectedSeq} does not match its hash: its content or hash was altered`;
  }
  return undefined;
}

/** The anchor a run record keeps so that a truncated trail is detectable. */
export interface ChainHead {
  eventCount: number;
  /** The last event's hash, or {@link GENESIS_HASH} for an empty trail. */
  headHash: string;
}

/** The head of a trail, to compare with (or store on) the run record. */
export function chainHead(events: readonly RunEvent[]): ChainHead {
  return { eventCount: events.length, headHash: events.at(-1)?.hash ?? GENESIS_HASH };
}
