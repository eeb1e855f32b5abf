import { RE2JSException } from 're2js';
import { ToolError } from './errors.js';
import { compileLinear, MAX_PATTERN_CHARS } from './pattern.js';

/** Matches one path (or name) against a compiled glob. */
export type GlobMatcher = (candidate: string) => boolean;

/**
 * Compiles a glob from the model for RE2, so matching is linear in the path: Node's
 * `path.matchesGlob` backtracks, and `*a*a*a*a*b` against a 250-character name took 53 s.
 *
 * Syntax: `*` (any characters but `/`, dotfiles included), `**` as a whole segment (any number of
 * directories, none included), `?` (one character but `/`), `[abc]`, `[a-z]`, `[!abc]` / `[^abc]`,
 * `{a,b}` (nested too) and `\` to escape. Anything else, extglobs `@(…)` and ranges `{1..3}`
 * included, is literal text. The whole candidate must match.
 */
export function compileGlob(glob: string, options: { caseSensitive: boolean; field: string }): GlobMatcher {
  if (glob.length > MAX_PATTERN_CHARS) {
    throw new ToolError(
      'tool.bad-pattern',
      `${options.field} is ${glob.length.toLocaleString('en-US')} characters long, over the ${MAX_PATTERN_CHARS.toLocaleString('en-US')} allowed`,
    );
  }
  let compiled: ReturnType<typeof compileLinear>;
  try {
    compiled = compileLinear(`^${globToRe2(glob)}$`, { caseSensitive: options.caseSensitive });
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    const reason = error.message.replace(/^error parsing regexp: /, '');
    throw new ToolError(
      'tool.bad-pattern',
      `${options.field} "${glob}" is not a glob Agentry can read (${reason}): check its [ ] and { } pairs`,
      { cause: error },
    );
  }
  // Matched on this thread against every entry of a walk: the work per entry grows with the
  // program, so a glob that no path needs (dozens of `{…,…}` full of `*`) is refused.
  if (compiled.programSize() > MAX_GLOB_PROGRAM) {
    throw new ToolError(
      'tool.bad-pattern',
      `${options.field} "${glob}" is too complex to match quickly: use a simpler glob, or several calls`,
    );
  }
  return (candidate) => compiled.test(candidate);
}

/** Longest stretch of {@link filterInTurns} without giving the event loop a turn. */
const SLICE_MS = 50;

/**
 * `items.filter(keep)` for a `keep` that matches a glob: a glob under the size limit can still
 * cost milliseconds per candidate, so thousands of them give timers (the run's timeout, a
 * cancel) and other requests a turn every {@link SLICE_MS}.
 */
export async function filterInTurns<T>(
  items: readonly T[],
  signal: AbortSignal,
  keep: (item: T) => boolean,
): Promise<T[]> {
  const kept: T[] = [];
  let sliceStarted = performance.now();
  for (const item of items) {
    if (performance.now() - sliceStarted > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
      sliceStarted = performance.now();
    }
    if (keep(item)) kept.push(item);
  }
  return kept;
}

/** Largest glob program (RE2 instructions) accepted; everyday globs compile to 15–60. */
const MAX_GLOB_PROGRAM = 400;

/** What one character of a glob is. */
const Role = {
  Text: 0,
  ClassOpen: 1,
  ClassBody: 2,
  ClassClose: 3,
  BraceOpen: 4,
  BraceComma: 5,
  BraceClose: 6,
} as const;
type Role = (typeof Role)[keyof typeof Role];

/**
 * The RE2 source (unanchored) of a glob. Brackets and braces are paired in one pass first, so a
 * glob full of unmatched `{` costs linear time here too.
 */
export function globToRe2(glob: string): string {
  const chars = [...glob];
  const roles = assignRoles(chars);
  let source = '';
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index]!;
    switch (roles[index]) {
      case Role.BraceOpen:
        source += '(?:';
        continue;
      case Role.BraceComma:
        source += '|';
        continue;
      case Role.BraceClose:
        source += ')';
        continue;
      case Role.ClassOpen: {
        let close = index + 1;
        while (roles[close] !== Role.ClassClose) close++;
        source += classSource(chars.slice(index + 1, close));
        index = close;
        continue;
      }
    }
    if (char === '\\' && index + 1 < chars.length) {
      source += escapeLiteral(chars[index + 1]!);
      index += 1;
    } else if (char === '*') {
      let last = index;
      while (chars[last + 1] === '*') last++;
      const segmentStart = index === 0 || chars[index - 1] === '/' || isBraceEdge(roles[index - 1]);
      const after = chars[last + 1];
      const segmentEnd = after === undefined || after === '/' || isBraceEdge(roles[last + 1]);
      if (last > index && segmentStart && segmentEnd) {
        // A whole-segment `**`: any number of directories, or anything at the end.
        if (after === '/') {
          source += '(?:[^/]*/)*';
          last += 1;
        } else {
          source += '(?s:.*)';
        }
      } else {
        source += '[^/]*';
      }
      index = last;
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += escapeLiteral(char);
    }
  }
  return source;
}

function isBraceEdge(role: Role | undefined): boolean {
  return role === Role.BraceOpen || role === Role.BraceComma || role === Role.BraceClose;
}

/** Which characters open and close classes and brace groups; all else is text. */
function assignRoles(chars: readonly string[]): Role[] {
  const roles: Role[] = chars.map(() => Role.Text);
  const open: number[] = [];
  /** For each open brace on the stack, the commas directly inside it. */
  const commas: number[][] = [];
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index]!;
    if (char === '\\') {
      index += 1;
      continue;
    }
    if (char === '[') {
      const close = classEnd(chars, index);
      if (close === undefined) continue;
      roles[index] = Role.ClassOpen;
      for (let inside = index + 1; inside < close; inside++) roles[inside] = Role.ClassBody;
      roles[close] = Role.ClassClose;
      index = close;
    } else if (char === '{') {
      open.push(index);
      commas.push([]);
    } else if (char === ',' && commas.length > 0) {
      commas.at(-1)!.push(index);
    } else if (char === '}' && open.length > 0) {
      const start = open.pop()!;
      const inside = commas.pop()!;
      // `{a}` is text, as in a shell: only a group with a comma is a choice.
      if (inside.length === 0) continue;
      roles[start] = Role.BraceOpen;
      for (const comma of inside) roles[comma] = Role.BraceComma;
      roles[index] = Role.BraceClose;
    }
  }
  return roles;
}

/** The index of the `]` that closes a class opened at `start`, if any. */
function classEnd(chars: readonly string[], start: number): number | undefined {
  let index = start + 1;
  if (chars[index] === '!' || chars[index] === '^') index++;
  // A `]` first in the class is a member, not its end.
  if (chars[index] === ']') index++;
  for (; index < chars.length; index++) {
    if (chars[index] === '\\') index++;
    else if (chars[index] === ']') return index;
  }
  return undefined;
}

/** An RE2 class for the body of `[…]`; never matches `/`. */
function classSource(body: readonly string[]): string {
  let negated = false;
  let index = 0;
  if (body[0] === '!' || body[0] === '^') {
    negated = true;
    index = 1;
  }
  let members = '';
  for (; index < body.length; index++) {
    const char = body[index]!;
    // A glob's class never matches the separator.
    if (char === '/') continue;
    if (char === '\\' && index + 1 < body.length) {
      members += escapeClassMember(body[index + 1]!);
      index += 1;
    } else if (char === '-' && members !== '' && index + 1 < body.length) {
      members += '-';
    } else {
      members += escapeClassMember(char);
    }
  }
  if (negated) return `[^/${members}]`;
  return members === '' ? '[^\\x00-\\x{10FFFF}]' : `[${members}]`;
}

function escapeLiteral(char: string): string {
  return /[\\.+*?()|[\]{}^$]/.test(char) ? `\\${char}` : char;
}

function escapeClassMember(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}
