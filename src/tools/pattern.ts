import { RE2JS, RE2JSException } from 're2js';
import { ToolError } from './errors.js';

/**
 * Longest pattern a tool accepts. RE2 needs no limit to stay linear, but the work per character
 * grows with the pattern, and a search pattern longer than this is a mistake, not a search.
 */
export const MAX_PATTERN_CHARS = 1000;

/**
 * Top-level alternatives a pattern may have and still run on JavaScript's own engine (see
 * {@link SearchPattern.literal}); `a|b|…` costs one scan per alternative there.
 */
const MAX_LITERAL_ALTERNATIVES = 16;

/** How a tool compiles the pattern the model (or a user) gave. */
export interface PatternOptions {
  /** Match letter case exactly; false folds case the Unicode way (`k` also finds `K` and `K`). */
  caseSensitive: boolean;
  /** The input field that held the pattern, as errors should name it: `regex`, `pattern`. */
  field: string;
}

/**
 * A regular expression from the model or a user, checked and compiled for RE2 semantics, which
 * match in time linear in the text: no pattern can make a search backtrack for minutes.
 * Matching is line by line; see `docs/tools.md` ("Patterns") for what differs from JavaScript.
 */
export interface SearchPattern {
  /** The pattern as given. */
  readonly source: string;
  readonly caseSensitive: boolean;
  /** Flags for `RE2JS.compile`. */
  readonly flags: number;
  /**
   * Set when the pattern is only literal text, or `|` between literal texts, in printable ASCII:
   * a JavaScript regular expression that matches exactly the same lines, which V8 searches about
   * ten times faster than re2js and which cannot backtrack (it has no quantifier and no group).
   * Undefined for every other pattern: those run on RE2 (see `openPatternMatcher`).
   */
  readonly literal: RegExp | undefined;
  /**
   * For a pattern that is not literal, texts one of which every matching line contains (`timeout`
   * for `timeout after \d+ s`), or undefined when there are none worth checking. The worker skips
   * lines without any of them at V8's speed before RE2 looks: RE2 in JavaScript is slow when it
   * folds case.
   */
  readonly prefilter: readonly string[] | undefined;
  /** `/source/i`, as tools show it back to the model. */
  toString(): string;
}

/**
 * Checks and compiles a pattern from the model or a user. Throws a {@link ToolError}
 * `tool.bad-regex` the model can act on when RE2 cannot run it (lookaround, backreferences,
 * a syntax error, a pattern over {@link MAX_PATTERN_CHARS}).
 */
export function compileSearchPattern(source: string, options: PatternOptions): SearchPattern {
  const { caseSensitive, field } = options;
  if (source.length > MAX_PATTERN_CHARS) {
    throw new ToolError(
      'tool.bad-regex',
      `${field} is ${source.length.toLocaleString('en-US')} characters long, over the ${MAX_PATTERN_CHARS.toLocaleString('en-US')} allowed: search for a shorter, distinctive part`,
    );
  }
  const flags = caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE;
  // Compiled here only to check it: matching compiles again where it runs (a worker thread).
  compileRe2(source, flags, field);
  const literal = literalRegExp(source, caseSensitive);
  const prefilter = literal ? undefined : requiredTexts(source);
  const shown = `/${source}/${caseSensitive ? '' : 'i'}`;
  return { source, caseSensitive, flags, literal, prefilter, toString: () => shown };
}

/**
 * A regular expression built by Agentry itself from a glob or a CODEOWNERS line, compiled for
 * RE2: such text comes from the model or the repository, and a pattern with many `*` would
 * backtrack for minutes on JavaScript's engine. Matches on the calling thread: the strings are
 * paths, short enough that even a large program costs milliseconds.
 */
export function compileLinear(source: string, options: { caseSensitive?: boolean } = {}): RE2JS {
  return RE2JS.compile(source, options.caseSensitive === false ? RE2JS.CASE_INSENSITIVE : 0);
}

function compileRe2(source: string, flags: number, field: string): RE2JS {
  try {
    return RE2JS.compile(source, flags);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw new ToolError(
      'tool.bad-regex',
      `${field} ${JSON.stringify(source)} ${unsupported(source, error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Why RE2 refused a pattern, and what to write instead. */
function unsupported(source: string, error: RE2JSException): string {
  // The case-insensitive flag is a `(?i)` prefix to re2js: not something the model wrote.
  const reason = error.message.replace(/^error parsing regexp: /, '').replace('`(?i)', '`');
  if (/\(\?<?[=!]/.test(source)) {
    return 'uses lookaround ((?=…), (?!…), (?<=…), (?<!…)), which the linear-time engine (RE2) does not run: match the surrounding text itself, or search twice and compare';
  }
  if (/\\[1-9]|\\k</.test(source)) {
    return 'uses a backreference (\\1, \\k<name>), which the linear-time engine (RE2) does not run: spell out the repeated text, or match it loosely and check the lines';
  }
  if (/\\u[0-9a-fA-F{]/.test(source)) {
    return `is not valid RE2 syntax (${reason}): write a code point as \\x{41} instead of \\u0041`;
  }
  return `is not a valid RE2 regular expression (${reason}): escape special characters such as ( ) [ ] { } . * + ? | with a backslash`;
}

/**
 * The equivalent JavaScript regular expression of a pattern made only of literal text and
 * top-level `|`, or undefined. Printable ASCII only, so both engines read every character alike;
 * with the `u` flag JavaScript folds case by Unicode simple case folding, as RE2 does.
 */
function literalRegExp(source: string, caseSensitive: boolean): RegExp | undefined {
  const alternatives: string[] = [''];
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!;
    const code = char.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return undefined;
    if (char === '|') {
      alternatives.push('');
      continue;
    }
    if (char === '\\') {
      const next = source[index + 1];
      // Only escaped punctuation is literal: \d, \b, \x41, \Q … are not.
      if (next === undefined || !/[!-/:-@[-`{-~]/.test(next)) return undefined;
      alternatives[alternatives.length - 1] += next;
      index += 1;
      continue;
    }
    if ('.+*?()[]{}^$'.includes(char)) return undefined;
    alternatives[alternatives.length - 1] += char;
  }
  // An empty alternative matches every line: RE2 knows that, no need for a special case here.
  if (alternatives.includes('') || alternatives.length > MAX_LITERAL_ALTERNATIVES) return undefined;
  const escaped = alternatives.map((text) => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'));
  return new RegExp(escaped.join('|'), caseSensitive ? 'u' : 'iu');
}

/** Shorter required texts filter out too little to pay for the extra pass. */
const MIN_PREFILTER_CHARS = 3;

/**
 * For each top-level alternative of `source`, the longest run of literal characters outside any
 * group that every match of it contains; undefined when one alternative has none (then a line
 * may match without any text in common). Conservative: anything it does not understand (inline
 * flags, `\Q…\E`) gives undefined, which only costs speed.
 */
export function requiredTexts(source: string): string[] | undefined {
  if (/\(\?[imsU-]|\\Q/.test(source)) return undefined;
  const chars = [...source];
  const best: string[] = [];
  let longest = '';
  let run: string[] = [];
  let depth = 0;
  const endRun = () => {
    if (run.length > longest.length) longest = run.join('');
    run = [];
  };
  const endAlternative = () => {
    endRun();
    best.push(longest);
    longest = '';
  };
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index]!;
    let literal: string | undefined;
    if (char === '\\') {
      const next = chars[index + 1];
      if (next === undefined) return undefined;
      index += 1;
      if (/[!-/:-@[-`{-~]/.test(next)) literal = next;
      else if ((next === 'x' || next === 'p' || next === 'P') && chars[index + 1] === '{') {
        while (index < chars.length && chars[index] !== '}') index++;
      } else if (next === 'x') index += 2;
      else if (next === 'p' || next === 'P') index += 1;
    } else if (char === '[') {
      index = classEnd(chars, index);
      if (index === -1) return undefined;
    } else if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === '|' && depth === 0) {
      endAlternative();
      continue;
    } else if (!'.^$*+?{'.includes(char)) literal = char;

    const quantifier = quantifierAt(chars, index + 1);
    if (depth > 0 || literal === undefined) {
      // A group, class or escape: not literal text, and neither is what a quantifier repeats.
      endRun();
      if (quantifier) index += quantifier.length;
      continue;
    }
    if (!quantifier) {
      run.push(literal);
      continue;
    }
    // `a+` or `a{2,}` still needs one `a`; `a?`, `a*`, `a{0,3}` need none.
    if (quantifier.optional) endRun();
    else {
      run.push(literal);
      endRun();
    }
    index += quantifier.length;
  }
  if (depth !== 0) return undefined;
  endAlternative();
  if (best.some((text) => text.length < MIN_PREFILTER_CHARS)) return undefined;
  return best;
}

/** The quantifier starting at `index` (with a lazy `?`), if any. */
function quantifierAt(
  chars: readonly string[],
  index: number,
): { length: number; optional: boolean } | undefined {
  const char = chars[index];
  let length: number;
  let optional: boolean;
  if (char === '*' || char === '?') {
    length = 1;
    optional = true;
  } else if (char === '+') {
    length = 1;
    optional = false;
  } else if (char === '{') {
    // RE2 reads `{` as a repetition only in these forms; otherwise it is a literal brace.
    const match = /^\{(\d+)(,\d*)?\}/.exec(chars.slice(index, index + 16).join(''));
    if (!match) return undefined;
    length = [...match[0]].length;
    optional = Number(match[1]) === 0;
  } else return undefined;
  if (chars[index + length] === '?') length += 1;
  return { length, optional };
}

/** The index of the `]` closing the class that opens at `start`, or -1. */
function classEnd(chars: readonly string[], start: number): number {
  let index = start + 1;
  if (chars[index] === '^') index++;
  if (chars[index] === ']') index++;
  for (; index < chars.length; index++) {
    if (chars[index] === '\\') index++;
    else if (chars[index] === '[' && chars[index + 1] === ':') {
      const close = chars.indexOf(']', index + 2);
      if (close === -1) return -1;
      index = close;
    } else if (chars[index] === ']') return index;
  }
  return -1;
}
