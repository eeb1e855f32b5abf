import { DbtArtifactInvalidError } from './errors.js';
import { asNumber, asRecord, asString, asStringArray } from './json-values.js';
import { type DbtArtifactMetadata, readArtifactMetadata } from './schema-version.js';

/** The compact form of run_results.json (v4–v6); bump {@link RUN_RESULTS_DATA_FORMAT} when it changes. */
export interface DbtRunResultsData {
  metadata: DbtRunResultsMetadata;
  results: DbtRunResultRecord[];
}

/** Version of {@link DbtRunResultsData}'s shape. */
export const RUN_RESULTS_DATA_FORMAT = 1;

/** What ran: the command, its selection, how long it took. */
export interface DbtRunResultsMetadata extends DbtArtifactMetadata {
  /** `build`, `run`, `test`, `seed`, `snapshot`, `generate` (docs generate), … */
  command?: string;
  /** The `--select` arguments, when recorded. */
  select?: string[];
  elapsedSeconds?: number;
}

/** One node's result. */
export interface DbtRunResultRecord {
  uniqueId: string;
  /** `success`, `error`, `skipped` (models); `pass`, `fail`, `warn`, `error` (tests); … */
  status: string;
  message?: string;
  executionSeconds?: number;
  /** Rows a failing test found. */
  failures?: number;
  threadId?: string;
  /** When its `execute` (else `compile`) step started and ended, ISO 8601. */
  startedAt?: string;
  completedAt?: string;
  relationName?: string;
  /** Adapter figures (rows affected, bytes processed, query id), as compact JSON. */
  adapterResponse?: string;
  /** The compiled SQL, kept only for results that did not succeed, cut at {@link COMPILED_CODE_MAX_CHARS}. */
  compiledCode?: string;
}

/** Statuses that mean something went wrong, worst first. */
export const PROBLEM_STATUSES = ['error', 'fail', 'runtime error', 'warn'] as const;

const OK_STATUSES = new Set(['success', 'pass']);
const COMPILED_CODE_MAX_CHARS = 20_000;
const ADAPTER_RESPONSE_MAX_CHARS = 500;

/** Builds the compact form from a parsed run_results.json. */
export function buildRunResultsData(raw: unknown, shownPath: string): DbtRunResultsData {
  const base = readArtifactMetadata(raw, 'run-results', shownPath);
  const document = asRecord(raw)!;
  const results = document['results'];
  if (!Array.isArray(results)) {
    throw new DbtArtifactInvalidError('run-results', shownPath, 'it has no results list');
  }
  const args = asRecord(document['args']);
  const select = asStringArray(args?.['select']);
  return {
    metadata: {
      ...base,
      command: asString(args?.['which']) ?? asString(args?.['rpc_method']),
      select: select.length > 0 ? select : undefined,
      elapsedSeconds: asNumber(document['elapsed_time']),
    },
    results: results.flatMap((entry) => {
      const result = asRecord(entry);
      return result ? [toResultRecord(result)] : [];
    }),
  };
}

function toResultRecord(result: Record<string, unknown>): DbtRunResultRecord {
  const status = asString(result['status'])?.toLowerCase() ?? 'unknown';
  const timing = pickTiming(result['timing']);
  const adapterResponse = compactJson(result['adapter_response']);
  const compiledCode = OK_STATUSES.has(status) ? undefined : asString(result['compiled_code']);
  return {
    uniqueId: asString(result['unique_id']) ?? 'unknown',
    status,
    message: asString(result['message']),
    executionSeconds: asNumber(result['execution_time']),
    failures: asNumber(result['failures']),
    threadId: asString(result['thread_id']),
    startedAt: timing?.startedAt,
    completedAt: timing?.completedAt,
    relationName: asString(result['relation_name']),
    adapterResponse,
    compiledCode:
      compiledCode && compiledCode.length > COMPILED_CODE_MAX_CHARS
        ? `${compiledCode.slice(0, COMPILED_CODE_MAX_CHARS)}…`
        : compiledCode,
  };
}

/** The `execute` step's times, or the `compile` step's when the node never executed. */
function pickTiming(value: unknown): { startedAt?: string; completedAt?: string } | undefined {
  if (!Array.isArray(value)) return undefined;
  const steps = value.map(asRecord).filter((step) => step !== undefined);
  const step = steps.find((candidate) => candidate['name'] === 'execute') ?? steps[0];
  if (!step) return undefined;
  return { startedAt: asString(step['started_at']), completedAt: asString(step['completed_at']) };
}

function compactJson(value: unknown): string | undefined {
  const record = asRecord(value);
  if (!record || Object.keys(record).length === 0) return undefined;
  const text = JSON.stringify(record);
  return text.length > ADAPTER_RESPONSE_MAX_CHARS ? `${text.slice(0, ADAPTER_RESPONSE_MAX_CHARS)}…` : text;
}

/** A loaded run_results.json. */
export class DbtRunResults {
  readonly metadata: DbtRunResultsMetadata;
  private readonly byId = new Map<string, DbtRunResultRecord>();

  constructor(readonly data: DbtRunResultsData) {
    this.metadata = data.metadata;
    for (const result of data.results) this.byId.set(result.uniqueId, result);
  }

  /** Parses a run_results.json already read by `JSON.parse`. */
  static fromJson(raw: unknown, shownPath: string): DbtRunResults {
    return new DbtRunResults(buildRunResultsData(raw, shownPath));
  }

  get results(): readonly DbtRunResultRecord[] {
    return this.data.results;
  }

  get(uniqueId: string): DbtRunResultRecord | undefined {
    return this.byId.get(uniqueId);
  }

  /** How many results have each status, e.g. `{ success: 40, error: 1 }`. */
  countByStatus(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const result of this.data.results) counts[result.status] = (counts[result.status] ?? 0) + 1;
    return counts;
  }

  /** Results whose status is one of `statuses`, worst status first, then in run order. */
  withStatus(statuses: readonly string[]): DbtRunResultRecord[] {
    const order = new Map(statuses.map((status, index) => [status, index]));
    return this.data.results
      .filter((result) => order.has(result.status))
      .sort((a, b) => order.get(a.status)! - order.get(b.status)!);
  }
}
