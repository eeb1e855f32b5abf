import { isAbsolute, relative } from 'node:path';
import { AgentryError } from '../errors.js';

/** One problem in one YAML file, pinned to the node that caused it. Lines and columns are 1-based. */
export interface SpecIssue {
  /** The file as the loader was given it (absolute when it comes from `loadProject`). */
  file: string;
  line: number;
  column: number;
  /** One line saying what is wrong and, where we can tell, what to write instead. */
  message: string;
}

/**
 * `file:line:col: message`, the shape editors and CI annotations link to.
 * The file is shown relative to `root` when it lies inside it, absolute otherwise.
 */
export function formatIssue(issue: SpecIssue, root: string = process.cwd()): string {
  return `${displayPath(issue.file, root)}:${issue.line}:${issue.column}: ${issue.message}`;
}

function displayPath(file: string, root: string): string {
  if (!isAbsolute(file)) return file;
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return file;
  return inside;
}

/** The agent or config YAML is wrong. Each issue is a line of the message. */
export class SpecError extends AgentryError {
  readonly code = 'spec.invalid';
  readonly kind = 'user' as const;

  constructor(
    readonly issues: readonly SpecIssue[],
    options?: { root?: string },
  ) {
    super(issues.map((issue) => formatIssue(issue, options?.root)).join('\n'));
  }
}
