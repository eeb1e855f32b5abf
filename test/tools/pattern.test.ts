import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RE2JS } from 're2js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/tools/errors.js';
import { searchFilesTool } from '../../src/tools/files.js';
import { compileGlob, filterInTurns, globToRe2 } from '../../src/tools/glob-pattern.js';
import { searchLogTool } from '../../src/tools/logs.js';
import { matchCodeowners, parseCodeowners } from '../../src/tools/owners.js';
import { compileSearchPattern, MAX_PATTERN_CHARS, requiredTexts } from '../../src/tools/pattern.js';
import { openPatternMatcher } from '../../src/tools/pattern-matcher.js';
import type { ToolDefinition, ToolResult } from '../../src/tools/tool.js';
import { makeToolContext } from '../helpers/tool-context.js';

/** The pattern of issue 15: exponential on a backtracking engine (V8's), linear on RE2. */
const HOSTILE = '(a+)+$';
/** A line it never matches: every way to split the a's is tried before the `!` says no. */
const HOSTILE_LINE = `${'a'.repeat(40)}!`;
/**
 * Linear on RE2 but slow: a program of 3,000 instructions whose DFA outgrows its memory on a
 * line of a's, so re2js falls back to the NFA, about 7 s per 64K line here. Stands for any
 * pattern that is merely slow, which only running off the event loop can make harmless.
 */
const SLOW = '(?:a?){1000}a{1000}[cd]';
const SLOW_LINE = 'a'.repeat(64 * 1024);

/**
 * A glob that is linear on RE2 but slow: 18 alternatives of `*a???…*c` (just under the size
 * limit), milliseconds for each of these 200-character names of random a's and b's, so a walk of
 * them takes seconds.
 */
const SLOW_GLOB = `{${Array.from({ length: 18 }, (_, index) => `*a${'?'.repeat((index % 20) + 3)}*c${index}`).join(',')}}`;
const SLOW_GLOB_NAMES = (() => {
  let seed = 1;
  const bit = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 16) & 1;
  };
  return Array.from({ length: 300 }, () => Array.from({ length: 200 }, () => (bit() ? 'a' : 'b')).join(''));
})();

let root: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'agentry-pattern-'));
  await mkdir(path.join(root, 'logs'));
  await mkdir(path.join(root, 'slow'));
  writeFileSync(
    path.join(root, 'logs', 'hostile.log'),
    `start\n${Array.from({ length: 50 }, () => HOSTILE_LINE).join('\n')}\n${'a'.repeat(10_000)}!\nend\n`,
  );
  writeFileSync(
    path.join(root, 'slow', 'wide.log'),
    `${Array.from({ length: 20 }, () => SLOW_LINE).join('\n')}\n`,
  );
  // A name Node's path.matchesGlob needs minutes for, given `*a*a*a*a*a*a*a*a*a*a*b`.
  writeFileSync(path.join(root, 'logs', `${'a'.repeat(200)}.log`), '');
  await mkdir(path.join(root, 'names'));
  for (const name of SLOW_GLOB_NAMES) writeFileSync(path.join(root, 'names', name), '');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function run<Input>(
  tool: ToolDefinition<Input>,
  input: unknown,
  signal?: AbortSignal,
): Promise<ToolResult> {
  return tool.execute(tool.inputSchema.parse(input), makeToolContext(root, signal ? { signal } : {}));
}

function refusal(source: string): ToolError {
  try {
    compileSearchPattern(source, { caseSensitive: false, field: 'regex' });
  } catch (error) {
    if (error instanceof ToolError) return error;
    throw error;
  }
  throw new Error(`expected ${source} to be refused`);
}

/** Counts ticks of a 10 ms timer while `work` runs: zero means the event loop was held. */
async function ticksDuring<T>(work: Promise<T>): Promise<{ ticks: number; result: PromiseSettledResult<T> }> {
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, 10);
  const [result] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { ticks, result: result! };
}

describe('compileSearchPattern', () => {
  it('refuses what RE2 cannot run with an error that says what to write instead', () => {
    expect(refusal('(?=select)sel').message).toContain('uses lookaround');
    expect(refusal('(?<!stg_)orders').message).toContain('uses lookaround');
    expect(refusal('(a)\\1').message).toContain('uses a backreference');
    expect(refusal('\\u0041').message).toContain('write a code point as \\x{41}');
    const syntax = refusal('ref\\((');
    expect(syntax.code).toBe('tool.bad-regex');
    // The case-insensitive flag re2js adds as `(?i)` is not shown back to the model.
    expect(syntax.message).toBe(
      'regex "ref\\\\((" is not a valid RE2 regular expression (missing closing ): `ref\\((`): escape special characters such as ( ) [ ] { } . * + ? | with a backslash',
    );
    expect(refusal('a'.repeat(MAX_PATTERN_CHARS + 1)).message).toContain('over the 1,000 allowed');
  });

  it('runs literal text on V8 and everything else on RE2', () => {
    const literal = (source: string) =>
      compileSearchPattern(source, { caseSensitive: false, field: 'regex' }).literal;
    expect(literal('Connection refused')?.source).toBe('Connection refused');
    expect(literal('Database Error|timeout')?.flags).toBe('iu');
    expect(literal("ref\\('stg_orders'\\)")?.source).toBe("ref\\('stg_orders'\\)");
    for (const source of ['select\\s+\\*', 'a|', 'Zürich', '^start', 'a.b', '\\d{4}', HOSTILE]) {
      expect(literal(source), source).toBeUndefined();
    }
    expect(String(compileSearchPattern('x', { caseSensitive: true, field: 'regex' }))).toBe('/x/');
  });

  it('gives literal patterns exactly the matches RE2 gives', () => {
    const lines = [
      'Connection refused',
      'CONNECTION REFUSED by host',
      'connection  refused',
      'KELVIN \u212a and long \u017f',
      'kelvin k and long s',
      "select * from {{ ref('stg_orders') }}",
      'a|b',
      '',
    ];
    const sources = [
      'Connection refused',
      'k',
      's',
      "ref\\('stg_orders'\\)",
      'a\\|b',
      'timeout|refused',
      '\\{\\{',
    ];
    for (const caseSensitive of [true, false]) {
      for (const source of sources) {
        const pattern = compileSearchPattern(source, { caseSensitive, field: 'regex' });
        const re2 = RE2JS.compile(source, pattern.flags);
        for (const line of lines) {
          expect(pattern.literal!.test(line), `${pattern} on ${JSON.stringify(line)}`).toBe(re2.test(line));
        }
      }
    }
  });
});

describe('requiredTexts (the prefilter of RE2 patterns)', () => {
  it('finds the literal text every match must contain', () => {
    expect(requiredTexts('Connection (refused|reset)')).toEqual(['Connection ']);
    expect(requiredTexts('timeout after \\d+ s')).toEqual(['timeout after ']);
    expect(requiredTexts('foo|bar.*baz')).toEqual(['foo', 'bar']);
    expect(requiredTexts('colou?r')).toEqual(['colo']);
    expect(requiredTexts("ref\\('stg_(orders|customers)'\\)")).toEqual(["ref('stg_"]);
    expect(requiredTexts('a{,3}bcd')).toEqual([',3}bcd']);
    for (const source of ['(a+)+$', 'foo|b', '(?i)abc', '\\Qabc\\E', 'ab?', '[abc]+']) {
      expect(requiredTexts(source), source).toBeUndefined();
    }
  });

  it('never drops a line RE2 matches', () => {
    const sources = [
      'Connection (refused|reset)',
      'error.*pod',
      'select\\s+\\*',
      '\\bstg_[a-z]+\\b',
      'colou?r|shade',
      'ab{0,2}cde',
      'x+yzw+',
      '(?:abc)?defg',
      'ref\\([\'"]stg_\\w+',
      '\\p{Greek}+ing',
      'Z\\x{FC}rich|K\\x{e4}sekuchen',
    ];
    const lines = [
      'CONNECTION RESET by peer',
      'connection refusedx',
      'Error: pod failed',
      'SELECT  * FROM t',
      'from stg_orders join',
      'colour and color',
      'acde abbcde',
      'xyyzwww xyzw',
      'defg',
      'abcdefg',
      `ref("stg_orders")`,
      'αβγing',
      'ZÜRICH and KÄSEKUCHEN',
      'nothing here',
      '',
    ];
    let checked = 0;
    for (const source of sources) {
      const required = requiredTexts(source);
      expect(required, source).toBeDefined();
      for (const caseSensitive of [true, false]) {
        const re2 = RE2JS.compile(source, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
        const fold = (text: string) => (caseSensitive ? text : text.toLowerCase());
        for (const line of lines) {
          if (!re2.test(line)) continue;
          const kept = required!.some((text) => fold(line).includes(fold(text)));
          expect(kept, `${source} on ${line}`).toBe(true);
          checked += 1;
        }
      }
    }
    // Every pattern matched some line, in both cases: the check above is not empty.
    expect(checked).toBeGreaterThanOrEqual(2 * sources.length);
  });
});

describe('openPatternMatcher', () => {
  it('matches on RE2 in a worker and says where long matches start', async () => {
    const pattern = compileSearchPattern('b+c', { caseSensitive: false, field: 'regex' });
    const matcher = openPatternMatcher(pattern, new AbortController().signal);
    try {
      const lines = ['abc', 'xyz', `${'😀'.repeat(200)}BBC`, 'bc'];
      expect(await matcher.matchLines(lines, { positionsOver: 100 })).toEqual({
        hits: [0, 2, 3],
        positions: [0, 400, 0],
      });
      expect((await matcher.matchLines(lines, { limit: 1 })).hits).toEqual([0]);
    } finally {
      await matcher.close();
    }
  });

  it('stops a slow match at once when the signal aborts, and never holds the event loop', async () => {
    const controller = new AbortController();
    const matcher = openPatternMatcher(
      compileSearchPattern(SLOW, { caseSensitive: true, field: 'regex' }),
      controller.signal,
    );
    const lines = Array.from({ length: 20 }, () => SLOW_LINE);
    setTimeout(() => controller.abort(new Error('run cancelled')), 300);
    const { ticks, result } = await ticksDuring(matcher.matchLines(lines));
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toEqual(new Error('run cancelled'));
    expect(ticks).toBeGreaterThan(5);
    await expect(matcher.matchLines(['a'])).rejects.toThrow('run cancelled');
  });
});

describe('hostile patterns in the search tools', () => {
  it(`search_files_and_directories answers ${HOSTILE} on long lines of a's`, async () => {
    const result = await run(searchFilesTool, { regex: HOSTILE, path: 'logs' });
    expect(result.output).toBe(`No lines match regex /${HOSTILE}/i under logs.`);
    const found = await run(searchFilesTool, { regex: '^(e+n+d+)+$', path: 'logs' });
    expect(found.output).toBe('logs/hostile.log:53: end');
  });

  it(`search_log answers ${HOSTILE} on long lines of a's`, async () => {
    const result = await run(searchLogTool, { path: 'logs/hostile.log', pattern: HOSTILE });
    expect(result.output).toBe(`Search for /${HOSTILE}/i in logs/hostile.log: 0 matching lines of 53 lines.`);
    const found = await run(searchLogTool, { path: 'logs/hostile.log', pattern: '^(e+n+d+)+$', context: 0 });
    expect(found.output).toContain('53> end');
  });

  it('a cancelled search_files_and_directories stops a slow pattern and leaves the event loop free', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 300);
    const { ticks, result } = await ticksDuring(
      run(searchFilesTool, { regex: SLOW, path: 'slow', case_sensitive: true }, controller.signal),
    );
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toEqual(new Error('run cancelled'));
    expect(ticks).toBeGreaterThan(5);
  });

  it('a cancelled search_log stops a slow pattern and leaves the event loop free', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 300);
    const { ticks, result } = await ticksDuring(
      run(searchLogTool, { path: 'slow/wide.log', pattern: SLOW, case_sensitive: true }, controller.signal),
    );
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toEqual(new Error('run cancelled'));
    expect(ticks).toBeGreaterThan(5);
  });

  it('a cancelled walk with a slow glob stops, and gives the event loop turns meanwhile', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 300);
    const { ticks, result } = await ticksDuring(
      run(searchFilesTool, { pattern: SLOW_GLOB, path: 'names' }, controller.signal),
    );
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toEqual(new Error('run cancelled'));
    // A turn every 50 ms or so: without them the timer never ticks and the abort is never seen.
    expect(ticks).toBeGreaterThan(2);
  });

  it('matches a hostile glob in linear time', async () => {
    const name = `${'a'.repeat(250)}.sql`;
    expect(compileGlob('*a*a*a*a*a*a*a*a*b', { caseSensitive: true, field: 'pattern' })(name)).toBe(false);
    expect(compileGlob('*a*a*a*a*a*a*a*a*.sql', { caseSensitive: true, field: 'pattern' })(name)).toBe(true);
    const result = await run(searchFilesTool, { pattern: '*a*a*a*a*a*a*a*a*a*a*b', path: 'logs' });
    expect(result.output).toBe('No files or directories match pattern "*a*a*a*a*a*a*a*a*a*a*b" under logs.');
  });
});

describe('CODEOWNERS patterns (from the repository)', () => {
  it('match a backtracking-hostile pattern in linear time, and report an overlong one', () => {
    const codeowners = parseCodeowners(
      `*a*a*a*a*a*a*a*a*a*a*b @data-team\n${'x'.repeat(501)} @nobody\n/models/ @analytics\n`,
    );
    expect(codeowners.problems).toEqual([
      { line: 2, text: `${'x'.repeat(501)} @nobody`, reason: 'the pattern is over 500 characters long' },
    ]);
    const file = `models/${'a'.repeat(300)}.sql`;
    expect(matchCodeowners(codeowners, file).rule?.owners).toEqual(['@analytics']);
    expect(matchCodeowners(codeowners, `${'a'.repeat(300)}b`).rule?.owners).toEqual(['@data-team']);
  });
});

describe('compileGlob', () => {
  const cases: [string, string, boolean][] = [
    ['*.sql', 'orders.sql', true],
    ['*.sql', '.hidden.sql', true],
    ['*.sql', 'models/orders.sql', false],
    ['models/**/*.sql', 'models/orders.sql', true],
    ['models/**/*.sql', 'models/staging/deep/orders.sql', true],
    ['models/**', 'models/a/b', true],
    ['models/**', 'models', false],
    ['**', 'a/b/c', true],
    ['**/b', 'b', true],
    ['a**b', 'a/x/b', false],
    ['a**b', 'axxb', true],
    ['?.yml', 'a.yml', true],
    ['?.yml', 'ab.yml', false],
    ['[abc].sql', 'b.sql', true],
    ['[!abc].sql', 'b.sql', false],
    ['[^abc].sql', 'd.sql', true],
    ['[a-c]-b', 'a-b', true],
    ['[]]', ']', true],
    ['[a', '[a', true],
    ['{a,b}.sql', 'b.sql', true],
    ['{a,{b,c}x}.sql', 'cx.sql', true],
    ['{a}', '{a}', true],
    ['{models/a,b}/*.sql', 'models/a/x.sql', true],
    ['stg_*', 'stg_orders', true],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['(x)|y+', '(x)|y+', true],
    ['@(ab|cd)', '@(ab|cd)', true],
  ];
  it.each(cases)('%s on %s is %s', (glob, candidate, expected) => {
    expect(compileGlob(glob, { caseSensitive: true, field: 'pattern' })(candidate)).toBe(expected);
  });

  it('agrees with path.matchesGlob on ordinary globs and names', () => {
    const globs = [
      '*.sql',
      'models/**/*.sql',
      '**/stg_*',
      'stg_?rders.sql',
      '{models,seeds}/**',
      '[a-m]*.yml',
    ];
    const names = [
      'orders.sql',
      'models/orders.sql',
      'models/staging/stg_orders.sql',
      'seeds/x.csv',
      'm.yml',
      'z.yml',
    ];
    for (const glob of globs) {
      for (const name of names) {
        expect(compileGlob(glob, { caseSensitive: true, field: 'pattern' })(name), `${glob} on ${name}`).toBe(
          path.posix.matchesGlob(name, glob),
        );
      }
    }
  });

  it('filterInTurns (the dbt tools) gives the event loop turns and stops when cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 200);
    // A predicate as slow as the slowest glob under the size limit: a few ms per candidate.
    const slow = (item: number) => {
      const until = performance.now() + 3;
      while (performance.now() < until);
      return item % 2 === 0;
    };
    const { ticks, result } = await ticksDuring(
      filterInTurns(
        Array.from({ length: 1000 }, (_, index) => index),
        controller.signal,
        slow,
      ),
    );
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toEqual(new Error('run cancelled'));
    expect(ticks).toBeGreaterThan(2);
    expect(await filterInTurns([1, 2, 3, 4], new AbortController().signal, slow)).toEqual([2, 4]);
  });

  it('pairs braces and brackets in linear time, even when none close', () => {
    expect(globToRe2('{'.repeat(500))).toBe('\\{'.repeat(500));
    expect(globToRe2('['.repeat(500))).toBe('\\['.repeat(500));
    const huge = `{${Array.from({ length: 30 }, (_, index) => `*a${'?'.repeat(10)}*c${index}`).join(',')}}`;
    expect(() => compileGlob(huge, { caseSensitive: true, field: 'pattern' })).toThrow(/too complex/);
    expect(() => compileGlob('[z-a]', { caseSensitive: true, field: 'pattern' })).toThrow(
      /not a glob Agentry can read/,
    );
  });
});
