import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH } from './hash-chain.js';
import type { RunRecord } from './types.js';

/**
 * Why the store wrote a ledger entry: `created` with the run, `sealed` when a turn ended (a terminal
 * event or status), `adopted` for a run that existed when the store was upgraded to audit format 2.
 */
export type LedgerEntryKind = 'created' | 'sealed' | 'adopted';

/**
 * The run's fields a reader sees (`runs show`, the API, the UI), as the ledger keeps them. Large
 * free-text fields are kept as their sha256 (`{ sha256 }`), the rest as they are, so a changed
 * field can be named without copying every answer into the ledger.
 */
export interface SealedRunFields {
  id: string;
  agent: string;
  agentHash: string;
  repoCommit: string | null;
  baseRef: string | null;
  parentRunId: string | null;
  status: RunRecord['status'];
  failureReason: RunRecord['failureReason'];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  usage: RunRecord['usage'];
  turns: number;
  trigger: { sha256: string };
  message: { sha256: string };
  output: { sha256: string };
  error: { sha256: string };
}

/** The names of the sealed run fields, in the order a report lists them. */
export const SEALED_RUN_FIELDS = [
  'id',
  'agent',
  'agentHash',
  'trigger',
  'message',
  'parentRunId',
  'baseRef',
  'repoCommit',
  'createdAt',
  'status',
  'failureReason',
  'error',
  'startedAt',
  'endedAt',
  'turns',
  'usage',
  'output',
] as const satisfies readonly (keyof SealedRunFields)[];

/** Fields that never change after a run is created: checked even while it runs. */
export const IMMUTABLE_RUN_FIELDS: readonly (keyof SealedRunFields)[] = [
  'id',
  'agent',
  'agentHash',
  'trigger',
  'message',
  'parentRunId',
  'baseRef',
  'createdAt',
];

/** Fields of the run record outside the seal: they change while a run lives and mean nothing after. */
export const UNSEALED_RUN_FIELDS = ['owner', 'heartbeatAt', 'cancelRequestedAt'] as const;

/** A kept artifact as the ledger records it. */
export interface SealedArtifact {
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
}

/** What a ledger entry records about its run at that moment. */
export interface LedgerState {
  run: SealedRunFields;
  /** The head of the run's event chain. */
  events: { count: number; head: string };
  /** The head of the run's message chain. */
  messages: { count: number; head: string };
  /** The run's artifacts, by name. */
  artifacts: SealedArtifact[];
}

/**
 * One entry of the store-wide ledger: a hash chain over every run's creation and every turn's end.
 * A deleted run leaves its entries behind (`audit verify --all` names it); a run rewritten after
 * its turn ended no longer matches its last seal.
 */
export interface LedgerEntry {
  /** 1, 2, 3, … across the whole store. */
  seq: number;
  runId: string;
  kind: LedgerEntryKind;
  time: string;
  state: LedgerState;
  /** The previous entry's hash; 64 zeros for the first. */
  prevHash: string;
  /** sha256(prevHash + canonical JSON of {kind, runId, seq, state, time}). */
  hash: string;
}

/** Where the ledger ends, kept apart from its entries so deleting the last ones is detectable. */
export interface LedgerHead {
  count: number;
  /** The last entry's hash, or 64 zeros for an empty ledger. */
  hash: string;
}

/** The empty ledger's head. */
export const EMPTY_LEDGER_HEAD: LedgerHead = { count: 0, hash: GENESIS_HASH };

/** sha256 of the canonical JSON of `value` (null when absent), as the seal keeps large fields. */
export function valueDigest(value: unknown): { sha256: string } {
  return { sha256: sha256Hex(canonicalJson(value ?? null)) };
}

/** The fields of `run` the ledger seals. */
export function sealedRunFields(run: RunRecord): SealedRunFields {
  return {
    id: run.id,
    agent: run.agent,
    agentHash: run.agentHash,
    repoCommit: run.repoCommit,
    baseRef: run.baseRef,
    parentRunId: run.parentRunId,
    status: run.status,
    failureReason: run.failureReason,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    usage: run.usage,
    turns: run.turns,
    trigger: valueDigest(run.trigger),
    message: valueDigest(run.message),
    output: valueDigest(run.output),
    error: valueDigest(run.error),
  };
}

/** The sealed fields that differ between `sealed` and `current`, in report order. */
export function changedRunFields(
  sealed: SealedRunFields,
  current: SealedRunFields,
  fields: readonly (keyof SealedRunFields)[] = SEALED_RUN_FIELDS,
): (keyof SealedRunFields)[] {
  return fields.filter(
    (field) => canonicalJson(sealed[field] ?? null) !== canonicalJson(current[field] ?? null),
  );
}

/** The ledger entry's hash, over exactly what it stores. */
export function computeLedgerHash(prevHash: string, entry: Omit<LedgerEntry, 'prevHash' | 'hash'>): string {
  return computeLedgerHashOfText(prevHash, entry, canonicalJson(entry.state));
}

/** {@link computeLedgerHash} for a state already written as canonical JSON. */
export function computeLedgerHashOfText(
  prevHash: string,
  entry: Pick<LedgerEntry, 'seq' | 'runId' | 'kind' | 'time'>,
  stateText: string,
): string {
  const text = `{"kind":${JSON.stringify(entry.kind)},"runId":${JSON.stringify(entry.runId)},"seq":${entry.seq},"state":${stateText},"time":${JSON.stringify(entry.time)}}`;
  return sha256Hex(prevHash + text);
}

/** The outcome of checking the ledger. `seq` is the first entry found wrong. */
export type LedgerVerdict = { ok: true; head: LedgerHead } | { ok: false; seq: number; reason: string };

/**
 * Recompute the ledger's chain from its first entry, then compare its end with the head kept
 * beside it. Detects an altered, deleted or reordered entry anywhere, and deleted last entries.
 */
export function verifyLedger(entries: readonly LedgerEntry[], head: LedgerHead): LedgerVerdict {
  let prevHash = GENESIS_HASH;
  for (const [index, entry] of entries.entries()) {
    const seq = index + 1;
    if (entry.seq !== seq) {
      return {
        ok: false,
        seq,
        reason: `expected ledger entry ${seq} but found entry ${entry.seq}: ledger entries were deleted`,
      };
    }
    const problem = checkLedgerEntry(entry, prevHash);
    if (problem !== undefined) return { ok: false, seq, reason: problem };
    prevHash = entry.hash;
  }
  if (entries.length < head.count) {
    return {
      ok: false,
      seq: entries.length + 1,
      reason: `the store recorded ${head.count} ledger entries but ${entries.length} remain: the last ${head.count - entries.length} were deleted`,
    };
  }
  if (entries.length > head.count || prevHash !== head.hash) {
    return {
      ok: false,
      seq: Math.max(1, entries.length),
      reason: "the ledger's last entry does not match the head the store keeps: the ledger was rewritten",
    };
  }
  return { ok: true, head: { count: entries.length, hash: prevHash } };
}

/** Why one entry is wrong given its predecessor's hash, or undefined. */
export function checkLedgerEntry(entry: LedgerEntry, prevHash: string): string | undefined {
  if (entry.prevHash !== prevHash) {
    return `ledger entry ${entry.seq} does not link to the entry before it: an entry before it was altered or removed`;
  }
  if (computeLedgerHash(prevHash, entry) !== entry.hash) {
    return `ledger entry ${entry.seq} (run ${entry.runId}, ${entry.kind}) does not match its hash: it was altered`;
  }
  return undefined;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
