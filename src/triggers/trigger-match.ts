import type { RunTrigger } from '../store/types.js';
import { lookupPath } from './template.js';

/** Flat facts kept with a run (`RunTrigger.metadata`). */
export type TriggerMetadata = NonNullable<RunTrigger['metadata']>;

/** One agent a delivery or tick starts, with what it is told. */
export interface TriggerMatch {
  agent: string;
  /** The position of the matching entry in the agent's `triggers:` list. */
  triggerIndex: number;
  /** The first turn's message: the trigger's `message:` template rendered, or the source's default. */
  message: string;
  /** Free text naming the origin, e.g. `Codertocat/Hello-World#2`. */
  source: string;
  metadata: TriggerMetadata;
  /**
   * The commit the run's workspace is made from — a pull request's head commit, or its merge
   * commit once merged. Absent: the repository's HEAD.
   */
  baseRef?: string;
}

/** The string at `path` in a payload, or undefined when it is absent or not text. */
export function textAt(root: unknown, path: string): string | undefined {
  const value = lookupPath(root, path);
  return typeof value === 'string' ? value : undefined;
}

/** The number at `path` in a payload, or undefined. */
export function numberAt(root: unknown, path: string): number | undefined {
  const value = lookupPath(root, path);
  return typeof value === 'number' ? value : undefined;
}

/** Metadata without the facts a payload did not carry. */
export function compactMetadata(
  entries: Record<string, string | number | boolean | null | undefined>,
): TriggerMetadata {
  const metadata: TriggerMetadata = {};
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) metadata[key] = value;
  return metadata;
}

/** Lines of a default message, leaving out those whose value is missing. */
export function messageLines(lines: ReadonlyArray<readonly [label: string, value: unknown]>): string {
  return lines
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([label, value]) => (label === '' ? String(value) : `${label}: ${String(value)}`))
    .join('\n');
}
