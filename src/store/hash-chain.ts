import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { RunEvent, RunMessage } from './types.js';

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

/**
 * {@link computeEventHash} for a payload already written as canonical JSON: the store serializes
 * each payload once and hashes that text, rather than serializing the event a second time. The
 * string below is exactly `canonicalJson({runId, seq, time, type, payload})` (keys in sorted order).
 */
export function computeEventHashOfText(
  prevHash: string,
  event: Omit<HashedEventFields, 'payload'>,
  payloadText: string,
): string {
  const text = `{"payload":${payloadText},"runId":${JSON.stringify(event.runId)},"seq":${event.seq},"time":${JSON.stringify(event.time)},"type":${JSON.stringify(event.type)}}`;
  return createHash('sha256')
    .update(prevHash + text, 'utf8')
    .digest('hex');
}

/** The parts of a conversation message its hash covers. */
export type HashedMessageFields = Pick<
  RunMessage,
  'runId' | 'seq' | 'turn' | 'role' | 'content' | 'createdAt'
>;

/**
 * `sha256(prevHash + canonicalJson({content, createdAt, role, runId, seq, turn}))`: a run's messages
 * form a chain like its events, from {@link GENESIS_HASH}, anchored by `messageCount` and
 * `messageHead` on the run. Audit format 2; messages written before it were hashed once, when the
 * store was upgraded.
 */
export function computeMessageHash(prevHash: string, message: HashedMessageFields): string {
  return computeMessageHashOfText(prevHash, message, canonicalJson(message.content ?? null));
}

/** {@link computeMessageHash} for content already written as canonical JSON. */
export function computeMessageHashOfText(
  prevHash: string,
  message: Omit<HashedMessageFields, 'content'>,
  contentText: string,
): string {
  const text = `{"content":${contentText},"createdAt":${JSON.stringify(message.createdAt)},"role":${JSON.stringify(message.role)},"runId":${JSON.stringify(message.runId)},"seq":${message.seq},"turn":${message.turn}}`;
  return createHash('sha256')
    .update(prevHash + text, 'utf8')
    .digest('hex');
}

/** The outcome of checking a run's messages. `seq` is the first message found wrong. */
export type MessageChainVerdict =
  | { ok: true; count: number; head: string; hashes: string[] }
  | { ok: false; seq: number; reason: string };

/**
 * Recompute a run's message chain, given its messages in stored order. Returns every recomputed
 * hash so a caller can check an anchor taken at any earlier length.
 */
export function verifyMessageChain(messages: readonly RunMessage[]): MessageChainVerdict {
  const runId = messages[0]?.runId;
  let prevHash = GENESIS_HASH;
  const hashes: string[] = [];
  for (const [index, message] of messages.entries()) {
    const expectedSeq = index + 1;
    const where = `message ${expectedSeq}`;
    if (message.seq !== expectedSeq) {
      return {
        ok: false,
        seq: expectedSeq,
        reason: `expected message ${expectedSeq} but found message ${message.seq}: a message was deleted or the conversation reordered`,
      };
    }
    if (message.runId !== runId) {
      return {
        ok: false,
        seq: expectedSeq,
        reason: `${where} belongs to run ${message.runId}, not ${runId}`,
      };
    }
    const hash = computeMessageHash(prevHash, message);
    if (hash !== message.hash) {
      return {
        ok: false,
        seq: expectedSeq,
        reason: `${where} (turn ${message.turn}, ${message.role}) does not match its hash: its content, role or time was altered, or a message before it was`,
      };
    }
    hashes.push(hash);
    prevHash = hash;
  }
  return { ok: true, count: messages.length, head: prevHash, hashes };
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
