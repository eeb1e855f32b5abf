import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { RunNotFoundError } from './errors.js';
import { chainHead, GENESIS_HASH, verifyChain, verifyMessageChain } from './hash-chain.js';
import {
  changedRunFields,
  checkLedgerEntry,
  IMMUTABLE_RUN_FIELDS,
  type LedgerEntry,
  type LedgerHead,
  type LedgerVerdict,
  type SealedRunFields,
  sealedRunFields,
  verifyLedger,
} from './ledger.js';
import type { RunStore } from './run-store.js';
import {
  type RunEvent,
  type RunEventType,
  type RunRecord,
  type RunStatus,
  TERMINAL_EVENT_TYPES,
  TERMINAL_STATUSES,
} from './types.js';

/** What part of a run a failed check is about. */
export type AuditPart = 'events' | 'messages' | 'run' | 'artifacts' | 'ledger';

/**
 * The outcome of `verifyRunAudit`. On success `count` is the number of events, and `notes` says
 * what the check could not cover (a run recorded before audit format 2). On failure `part` says
 * what was changed, `seq` is the first bad event or message (or ledger entry; 0 for run fields),
 * and `fields` names the run fields that no longer match.
 */
export type RunAuditVerdict =
  | { ok: true; count: number; notes?: string[] }
  | { ok: false; part: AuditPart; seq: number; reason: string; fields?: string[] };

const TERMINAL_EVENT_STATUS: Record<(typeof TERMINAL_EVENT_TYPES)[number], RunStatus> = {
  'run.completed': 'COMPLETED',
  'run.failed': 'FAILED',
  'run.cancelled': 'CANCELLED',
};

/**
 * Prove that what a reader sees of a run is what was recorded:
 * 1. its events form an intact chain that ends at the head kept on the run (`eventCount`, `headHash`);
 * 2. its conversation messages form an intact chain that ends at `messageCount`, `messageHead`;
 * 3. its entries in the store-wide ledger are intact and linked, and its latest one (written by
 *    the store when the run was created and whenever a turn ended) still matches the run's fields
 *    (all of them once the run has ended, the fixed ones while it runs), the heads of both chains
 *    and its artifacts;
 * 4. an ended run's status, output, usage, error, failure reason and turns agree with the events
 *    that recorded them, and its agent, commit and parent with `run.created` / `sandbox.provisioned`;
 * 5. every artifact's bytes still match their sha256.
 * Stops at the first part found wrong. Throws `RunNotFoundError` when there is no such run.
 */
export async function verifyRunAudit(store: RunStore, runId: string): Promise<RunAuditVerdict> {
  const run = await store.getRun(runId);
  if (run === undefined) throw new RunNotFoundError(runId);
  const events = await store.listEvents(runId);

  const chain = verifyChain(events);
  if (!chain.ok) return { ok: false, part: 'events', seq: chain.seq, reason: chain.reason };
  const anchored = checkEventHead(run, events);
  if (anchored !== undefined) return anchored;

  const messages = verifyMessageChain(await store.listMessages(runId));
  if (!messages.ok) return { ok: false, part: 'messages', seq: messages.seq, reason: messages.reason };
  if (messages.count !== run.messageCount || messages.head !== run.messageHead) {
    return {
      ok: false,
      part: 'messages',
      seq: Math.min(messages.count, run.messageCount) + 1,
      reason:
        messages.count < run.messageCount
          ? `the run recorded ${run.messageCount} messages but ${messages.count} remain: the last ${run.messageCount - messages.count} were deleted`
          : messages.count > run.messageCount
            ? `the run recorded ${run.messageCount} messages but ${messages.count} exist: messages were added outside the store`
            : 'the last message does not match the head kept on the run: the conversation was rewritten',
    };
  }

  const entries = await store.listLedger({ runId });
  const latest = entries.at(-1);
  if (latest === undefined) {
    return {
      ok: false,
      part: 'ledger',
      seq: 0,
      reason: `run ${runId} is not in the store's ledger: it was written behind the store's back, or its ledger entries were deleted`,
    };
  }
  for (const entry of entries) {
    const broken = await checkLedgerLink(store, entry);
    if (broken !== undefined) return broken;
  }

  const ended = TERMINAL_STATUSES.includes(run.status);
  const current = sealedRunFields(run);
  const fields = new Set<string>(
    changedRunFields(latest.state.run, current, ended ? undefined : IMMUTABLE_RUN_FIELDS),
  );
  const disagreements = ended ? disagreementsWithEvents(run, events) : [];
  for (const { field } of disagreements) fields.add(field);
  if (fields.size > 0) return runFieldsChanged(run, latest, [...fields], disagreements);

  const sealedEvents = checkSealedHead(
    'events',
    latest,
    latest.state.events,
    events.map((event) => event.hash),
    ended,
  );
  if (sealedEvents !== undefined) return sealedEvents;
  const sealedMessages = checkSealedHead('messages', latest, latest.state.messages, messages.hashes, ended);
  if (sealedMessages !== undefined) return sealedMessages;

  const artifacts = await checkArtifacts(store, run, latest, ended);
  if (artifacts !== undefined) return artifacts;

  const notes = entries[0]?.kind === 'adopted' ? [adoptedNote(entries[0])] : undefined;
  return notes === undefined ? { ok: true, count: events.length } : { ok: true, count: events.length, notes };
}

function checkEventHead(run: RunRecord, events: readonly RunEvent[]): RunAuditVerdict | undefined {
  const head = chainHead(events);
  if (head.eventCount < run.eventCount) {
    const missing = run.eventCount - head.eventCount;
    return {
      ok: false,
      part: 'events',
      seq: head.eventCount + 1,
      reason: `the run recorded ${run.eventCount} events but ${head.eventCount} remain: the last ${missing} were deleted`,
    };
  }
  if (head.eventCount > run.eventCount) {
    return {
      ok: false,
      part: 'events',
      seq: run.eventCount + 1,
      reason: `the run recorded ${run.eventCount} events but ${head.eventCount} exist: events were added outside the store`,
    };
  }
  if (head.headHash !== run.headHash) {
    return {
      ok: false,
      part: 'events',
      seq: Math.max(1, head.eventCount),
      reason: 'the last event does not match the head hash kept on the run: the trail was rewritten',
    };
  }
  return undefined;
}

/** An entry's own hash, and its link to the entry after it (or to the ledger head when last). */
async function checkLedgerLink(store: RunStore, entry: LedgerEntry): Promise<RunAuditVerdict | undefined> {
  const ownProblem = checkLedgerEntry(entry, entry.prevHash);
  if (ownProblem !== undefined) return { ok: false, part: 'ledger', seq: entry.seq, reason: ownProblem };
  const [next] = await store.listLedger({ afterSeq: entry.seq, limit: 1 });
  if (next !== undefined) {
    if (next.seq === entry.seq + 1 && next.prevHash === entry.hash) return undefined;
    return {
      ok: false,
      part: 'ledger',
      seq: entry.seq,
      reason: `ledger entry ${entry.seq} of this run no longer links to the entry after it: it was rewritten, or entries after it were deleted`,
    };
  }
  const head = await store.getLedgerHead();
  if (head.count === entry.seq && head.hash === entry.hash) return undefined;
  return {
    ok: false,
    part: 'ledger',
    seq: entry.seq,
    reason: `ledger entry ${entry.seq} of this run does not match the ledger head (${head.count} entries): the ledger was rewritten or truncated`,
  };
}

function runFieldsChanged(
  run: RunRecord,
  latest: LedgerEntry,
  fields: string[],
  disagreements: readonly { field: string; event: RunEvent | undefined }[],
): RunAuditVerdict {
  const sealed = new Set(changedRunFields(latest.state.run, sealedRunFields(run)) as string[]);
  const against: string[] = [];
  if (fields.some((field) => sealed.has(field))) {
    against.push(`what ledger entry ${latest.seq} sealed (${latest.kind} ${latest.time})`);
  }
  const events = [...new Set(disagreements.map(({ event }) => event).filter((event) => event !== undefined))];
  for (const event of events) against.push(`its ${event.type} event (event ${event.seq})`);
  return {
    ok: false,
    part: 'run',
    seq: 0,
    fields,
    reason: `the run's ${fields.join(', ')} ${fields.length === 1 ? 'was' : 'were'} changed after it was recorded: ${fields.length === 1 ? 'it no longer matches' : 'they no longer match'} ${against.join(' and ')}`,
  };
}

function checkSealedHead(
  part: 'events' | 'messages',
  latest: LedgerEntry,
  sealed: { count: number; head: string },
  hashes: readonly string[],
  ended: boolean,
): RunAuditVerdict | undefined {
  const noun = part === 'events' ? 'event' : 'message';
  const atSeal = sealed.count === 0 ? GENESIS_HASH : hashes[sealed.count - 1];
  if (sealed.count > hashes.length || atSeal !== sealed.head) {
    return {
      ok: false,
      part,
      seq: Math.min(sealed.count, hashes.length),
      reason: `the run's ${noun}s no longer match the ${sealed.count} ${noun}s that ledger entry ${latest.seq} sealed: they were rewritten or deleted`,
    };
  }
  if (ended && hashes.length > sealed.count) {
    return {
      ok: false,
      part,
      seq: sealed.count + 1,
      reason: `${hashes.length - sealed.count} ${noun}(s) were added after the run ended (ledger entry ${latest.seq} sealed ${sealed.count})`,
    };
  }
  return undefined;
}

async function checkArtifacts(
  store: RunStore,
  run: RunRecord,
  latest: LedgerEntry,
  ended: boolean,
): Promise<RunAuditVerdict | undefined> {
  const artifacts = await store.listArtifacts(run.id);
  if (ended) {
    const current = artifacts.map(({ name, mediaType, size, sha256 }) => ({ name, mediaType, size, sha256 }));
    const sealed = new Map(
      latest.state.artifacts.map((artifact) => [artifact.name, canonicalJson(artifact)]),
    );
    const now = new Map(current.map((artifact) => [artifact.name, canonicalJson(artifact)]));
    const names = [...new Set([...sealed.keys(), ...now.keys()])].sort();
    const changed = names.filter((name) => sealed.get(name) !== now.get(name));
    if (changed.length > 0) {
      return {
        ok: false,
        part: 'artifacts',
        seq: 0,
        fields: changed,
        reason: `artifact ${changed.join(', ')} no longer ${changed.length === 1 ? 'matches' : 'match'} what ledger entry ${latest.seq} sealed: replaced, added or deleted`,
      };
    }
  }
  for (const artifact of artifacts) {
    const content = await store.getArtifactContent(run.id, artifact.name);
    const sha256 = content === undefined ? undefined : createHash('sha256').update(content).digest('hex');
    if (sha256 !== artifact.sha256) {
      return {
        ok: false,
        part: 'artifacts',
        seq: 0,
        fields: [artifact.name],
        reason: `artifact ${artifact.name} does not match its sha256: its bytes were altered`,
      };
    }
  }
  return undefined;
}

/**
 * Where an ended run's fields contradict the events that recorded them. This is what still
 * protects runs recorded before the ledger existed, and it makes a forged answer cost a rewritten
 * trail too. Only facts every writer records are compared, so an honest run never fails here.
 */
function disagreementsWithEvents(
  run: RunRecord,
  events: readonly RunEvent[],
): { field: keyof SealedRunFields; event: RunEvent | undefined }[] {
  const found: { field: keyof SealedRunFields; event: RunEvent | undefined }[] = [];
  const differs = (a: unknown, b: unknown) => canonicalJson(a ?? null) !== canonicalJson(b ?? null);
  const created = events[0]?.type === 'run.created' ? events[0] : undefined;
  if (created !== undefined) {
    for (const field of ['agent', 'agentHash', 'baseRef', 'parentRunId'] as const) {
      if (field in created.payload && differs(created.payload[field], run[field])) {
        found.push({ field, event: created });
      }
    }
  }
  const provisioned = events.find((event) => event.type === 'sandbox.provisioned');
  if (provisioned !== undefined && run.repoCommit !== null) {
    if (differs(provisioned.payload['baseCommit'], run.repoCommit)) {
      found.push({ field: 'repoCommit', event: provisioned });
    }
  }
  const last = findLast(events, (type) => (TERMINAL_EVENT_TYPES as readonly string[]).includes(type));
  // A run ended without its last event (a crash between the two writes): the seal still covers it.
  if (last === undefined) return found;
  const payload = last.payload;
  const type = last.type as (typeof TERMINAL_EVENT_TYPES)[number];
  if (TERMINAL_EVENT_STATUS[type] !== run.status) found.push({ field: 'status', event: last });
  if ('turn' in payload && differs(payload['turn'], run.turns)) found.push({ field: 'turns', event: last });
  if ('usage' in payload && differs(payload['usage'], run.usage)) found.push({ field: 'usage', event: last });
  const failureReason = type === 'run.failed' ? payload['reason'] : null;
  if (differs(failureReason, run.failureReason)) found.push({ field: 'failureReason', event: last });
  if (type === 'run.completed' && differs(null, run.error)) found.push({ field: 'error', event: last });
  if (type === 'run.failed' && differs(payload['error'], run.error))
    found.push({ field: 'error', event: last });
  if (type === 'run.cancelled' && 'reason' in payload && differs(payload['reason'], run.error)) {
    found.push({ field: 'error', event: last });
  }
  // The answer a run shows is that of its last completed turn (a failed follow-up keeps it).
  const completed = findLast(events, (eventType) => eventType === 'run.completed');
  if (differs(completed?.payload['output'], run.output))
    found.push({ field: 'output', event: completed ?? last });
  return found;
}

function findLast(events: readonly RunEvent[], match: (type: RunEventType) => boolean): RunEvent | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    if (match(events[index]!.type)) return events[index];
  }
  return undefined;
}

function adoptedNote(entry: LedgerEntry): string {
  return `recorded before audit format 2: its fields, messages and artifacts are anchored as they were when the store was upgraded (${entry.time}); a change made before then is caught only where its events disagree`;
}

/** A run the ledger knows but the store no longer holds. */
export interface MissingRun {
  runId: string;
  /** The agent and creation time the ledger recorded, to tell a person which run it was. */
  agent: string;
  createdAt: string;
  /** The run's first ledger entry. */
  ledgerSeq: number;
}

/** The outcome of `verifyStoreAudit`. */
export interface StoreAuditReport {
  ok: boolean;
  /** The ledger's own chain. */
  ledger: LedgerVerdict;
  /** Runs the ledger recorded that are gone from the store. */
  missing: MissingRun[];
  /** How many runs were verified, and how many failed. */
  runs: number;
  failed: number;
  /** The check of an anchor kept outside the store, when one was given. */
  anchor?: { ok: true } | { ok: false; reason: string };
  /** The ledger head as stored now: keep it outside the store to check later with `anchor`. */
  head: LedgerHead;
}

/**
 * Verify the whole store: the ledger's chain and head, every run the store holds (as
 * {@link verifyRunAudit}, reported through `onRun` as it goes), and every run the ledger recorded
 * that the store no longer holds. With `anchor` (a ledger length and hash kept outside the store,
 * from an earlier report), also prove the ledger still holds that entry: a store rewritten
 * wholesale, ledger included, cannot match a head it never saw.
 */
export async function verifyStoreAudit(
  store: RunStore,
  options: {
    anchor?: LedgerHead;
    onRun?: (runId: string, verdict: RunAuditVerdict) => void;
  } = {},
): Promise<StoreAuditReport> {
  const entries: LedgerEntry[] = [];
  const firstEntry = new Map<string, LedgerEntry>();
  for (let afterSeq = 0; ; ) {
    const page = await store.listLedger({ afterSeq, limit: 5000 });
    if (page.length === 0) break;
    for (const entry of page) {
      entries.push(entry);
      if (!firstEntry.has(entry.runId)) firstEntry.set(entry.runId, entry);
    }
    afterSeq = page.at(-1)!.seq;
  }
  const head = await store.getLedgerHead();
  const ledger = verifyLedger(entries, head);

  let runs = 0;
  let failed = 0;
  const present = new Set<string>();
  for (let beforeId: string | undefined; ; ) {
    const page = await store.listRuns({ limit: 1000, ...(beforeId === undefined ? {} : { beforeId }) });
    if (page.length === 0) break;
    for (const run of page) {
      present.add(run.id);
      const verdict = await verifyRunAudit(store, run.id);
      runs++;
      if (!verdict.ok) failed++;
      options.onRun?.(run.id, verdict);
    }
    beforeId = page.at(-1)!.id;
  }

  const missing: MissingRun[] = [];
  for (const [runId, entry] of firstEntry) {
    if (present.has(runId)) continue;
    missing.push({
      runId,
      agent: entry.state.run.agent,
      createdAt: entry.state.run.createdAt,
      ledgerSeq: entry.seq,
    });
  }

  const anchor = options.anchor === undefined ? undefined : checkAnchor(entries, options.anchor);
  const ok = ledger.ok && failed === 0 && missing.length === 0 && (anchor === undefined || anchor.ok);
  return { ok, ledger, missing, runs, failed, head, ...(anchor === undefined ? {} : { anchor }) };
}

function checkAnchor(
  entries: readonly LedgerEntry[],
  anchor: LedgerHead,
): { ok: true } | { ok: false; reason: string } {
  if (anchor.count === 0) return { ok: true };
  const entry = entries[anchor.count - 1];
  if (entry === undefined) {
    return {
      ok: false,
      reason: `the anchor names ledger entry ${anchor.count} but the ledger holds ${entries.length}: it was truncated`,
    };
  }
  if (entry.seq !== anchor.count || entry.hash !== anchor.hash) {
    return {
      ok: false,
      reason: `ledger entry ${anchor.count} no longer has the anchored hash ${anchor.hash.slice(0, 16)}…: the ledger was rewritten since the anchor was taken`,
    };
  }
  return { ok: true };
}
