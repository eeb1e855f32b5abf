import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/tools/errors.js';
import { listDirectoryTool, readFileTool, searchFilesTool } from '../../src/tools/files.js';
import type { ToolDefinition, ToolResult } from '../../src/tools/tool.js';
import {
  createFakeDbtProject,
  type FakeDbtProject,
  GIT_MARKER,
  ORDERS_SQL,
  OUTSIDE_SECRET,
  SCHEMA_YML,
} from './fake-dbt-project.js';

let project: FakeDbtProject;

beforeAll(async () => {
  project = await createFakeDbtProject();
});

afterAll(async () => {
  await project.cleanup();
});

/** Runs a tool as the executor does: the input goes through its schema first. */
async function run<Input>(
  tool: ToolDefinition<Input>,
  input: unknown,
  signal?: AbortSignal,
): Promise<ToolResult> {
  return tool.execute(tool.inputSchema.parse(input), project.context(signal));
}

async function text<Input>(tool: ToolDefinition<Input>, input: unknown): Promise<string> {
  const result = await run(tool, input);
  if (typeof result.output !== 'string') throw new Error('expected text output');
  return result.output;
}

/** The ToolError a call throws, failing the test when it succeeds. */
async function failure<Input>(tool: ToolDefinition<Input>, input: unknown): Promise<ToolError> {
  const error = await run(tool, input).then(
    (result) => new Error(`expected a ToolError, got ${JSON.stringify(result.output).slice(0, 200)}`),
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ToolError)) throw error;
  return error;
}

function expectNoLeak(message: string): void {
  expect(message).not.toContain(OUTSIDE_SECRET);
  expect(message).not.toContain('root:x:0:0');
  expect(message).not.toContain(GIT_MARKER);
  expect(message).not.toContain(project.outside);
}

describe('read_file', () => {
  it('returns numbered lines and a summary', async () => {
    const result = await run(readFileTool, { path: 'models/orders.sql' });
    const lines = ORDERS_SQL.trimEnd().split('\n');
    expect(result.output).toBe(
      lines.map((line, index) => `${String(index + 1).padStart(4)}| ${line}`).join('\n'),
    );
    expect(result.summary).toBe(`models/orders.sql lines 1-${lines.length} of ${lines.length}`);
    expect(result.truncated).toBeFalsy();
  });

  it('reads from offset for limit lines', async () => {
    const result = await run(readFileTool, { path: 'models/schema.yml', offset: 4, limit: 2 });
    expect(result.output).toBe(
      '   4|   - name: orders\n   5|     columns:\n[… 4 more lines cut: read with offset=6 to see more (the file has 9 lines)]',
    );
    expect(result.summary).toBe('models/schema.yml lines 4-5 of 9');
    expect(SCHEMA_YML.split('\n')[3]).toBe('  - name: orders');
  });

  it('caps a 5,000-line file at 400 lines with a note saying where to go on', async () => {
    const result = await run(readFileTool, { path: 'logs/big.log' });
    const output = result.output as string;
    const lines = output.split('\n');
    expect(lines).toHaveLength(401);
    expect(lines[0]).toBe('   1| line 1 of the big log');
    expect(lines[399]).toBe(' 400| line 400 of the big log');
    expect(lines[400]).toBe(
      '[… 4,600 more lines cut: read with offset=401 to see more (the file has 5,000 lines)]',
    );
    expect(result.truncated).toBe(true);
    expect(result.summary).toBe('logs/big.log lines 1-400 of 5000');
  });

  it('pages to the end of a long file', async () => {
    const result = await run(readFileTool, { path: 'logs/big.log', offset: 4990, limit: 2000 });
    const lines = (result.output as string).split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('5000| line 5000 of the big log');
    expect(result.truncated).toBeFalsy();
  });

  it('caps bytes too, and the note gives the next offset', async () => {
    const result = await run(readFileTool, { path: 'logs/wide.log', limit: 2000 });
    const output = result.output as string;
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(100 * 1024 + 200);
    const lines = output.split('\n');
    const shown = lines.length - 1;
    expect(shown).toBeGreaterThan(50);
    expect(shown).toBeLessThan(200);
    expect(lines[shown - 1]).toMatch(new RegExp(`^ *${shown}\\| ${shown}:x+$`));
    expect(lines.at(-1)).toBe(
      `[… ${(2000 - shown).toLocaleString('en-US')} more lines cut: read with offset=${shown + 1} to see more (the file has 2,000 lines)]`,
    );
    expect(result.truncated).toBe(true);
  });

  it('clips a very long line and says so', async () => {
    const output = await text(readFileTool, { path: 'logs/one-long-line.json' });
    expect(output).toContain('… [8,019 more chars on this line]');
    expect(output.length).toBeLessThan(2100);
  });

  it('strips \\r from CRLF lines', async () => {
    expect(await text(readFileTool, { path: 'models/crlf.sql' })).toBe('   1| select 1\n   2| from dual');
  });

  it('says when a file is empty', async () => {
    const result = await run(readFileTool, { path: 'models/empty.sql' });
    expect(result.output).toBe('models/empty.sql is empty.');
  });

  it('refuses an offset past the end', async () => {
    const error = await failure(readFileTool, { path: 'models/schema.yml', offset: 50 });
    expect(error.code).toBe('tool.offset-out-of-range');
    expect(error.message).toContain('has 9 lines');
  });

  it('refuses a limit over 2,000 at the schema', () => {
    expect(readFileTool.inputSchema.safeParse({ path: 'a', limit: 2001 }).success).toBe(false);
    expect(readFileTool.inputSchema.safeParse({ path: 'a', offset: 0 }).success).toBe(false);
  });

  it('refuses a binary file', async () => {
    const error = await failure(readFileTool, { path: 'seeds/data.parquet' });
    expect(error.code).toBe('tool.binary-file');
    expect(error.message).toContain('seeds/data.parquet is a binary file');
  });

  it('refuses a directory, pointing to list_directory', async () => {
    const error = await failure(readFileTool, { path: 'models' });
    expect(error.code).toBe('tool.not-a-file');
    expect(error.message).toContain('list_directory');
  });

  it('says a missing file does not exist', async () => {
    expect((await failure(readFileTool, { path: 'models/nope.sql' })).code).toBe('tool.path-not-found');
  });

  it('reads a deeply nested file', async () => {
    expect(await text(readFileTool, { path: 'a/b/c/d/e/f/g/deep.sql' })).toBe(
      '   1| select 42 as the_answer -- deep',
    );
  });

  it('reads through a symlink that stays inside', async () => {
    expect(await text(readFileTool, { path: 'links/inside/schema.yml', limit: 1 })).toContain(
      '   1| version: 2',
    );
  });

  it.each([
    ['/etc/passwd', 'tool.path-escape'],
    ['../../../../etc/passwd', 'tool.path-escape'],
    ['links/passwd', 'tool.path-escape'],
    ['links/secret', 'tool.path-escape'],
    ['links/outside-dir/secret.txt', 'tool.path-escape'],
    ['links/outside-dir/sub/inner.sql', 'tool.path-escape'],
    ['.git/config', 'tool.path-forbidden'],
    ['links/git/config', 'tool.path-forbidden'],
  ])('refuses %s without leaking its content', async (requested, code) => {
    const error = await failure(readFileTool, { path: requested });
    expect(error.code).toBe(code);
    expectNoLeak(error.message);
  });

  it('stops when the run is cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    await expect(run(readFileTool, { path: 'logs/big.log' }, controller.signal)).rejects.toThrow(
      'run cancelled',
    );
  });
});

describe('list_directory', () => {
  it('lists the root one level deep, dirs with /, files with sizes, no .git', async () => {
    const result = await run(listDirectoryTool, {});
    const lines = (result.output as string).split('\n');
    expect(lines).toEqual([
      '.agentry/',
      'a/',
      'dbt_project.yml (54 B)',
      'links/',
      'logs/',
      'many/',
      'models/',
      'node_modules/',
      'seeds/',
      'target/',
    ]);
    expect(result.summary).toBe('.: 10 entries, depth 1');
    expect((await readFile(path.join(project.root, 'dbt_project.yml'))).length).toBe(54);
  });

  it('lists a subdirectory with paths from the repository root, nested to depth', async () => {
    const output = await text(listDirectoryTool, { path: 'models', depth: 2 });
    expect(output.split('\n')).toEqual([
      'models/Customers.sql (41 B)',
      'models/crlf.sql (21 B)',
      'models/empty.sql (0 B)',
      `models/orders.sql (${Buffer.byteLength(ORDERS_SQL)} B)`,
      `models/schema.yml (${Buffer.byteLength(SCHEMA_YML)} B)`,
      'models/staging/',
      'models/staging/stg_orders.sql (82 B)',
    ]);
  });

  it('shows symlinks without following them', async () => {
    const output = await text(listDirectoryTool, { path: 'links', depth: 5 });
    expect(output).toContain('links/outside-dir (symlink)');
    expect(output).toContain('links/passwd (symlink)');
    expect(output).not.toContain('secret.txt');
    expectNoLeak(output);
  });

  it('does not expand node_modules and never shows .git', async () => {
    const output = await text(listDirectoryTool, { depth: 3 });
    expect(output).toContain('node_modules/ (not expanded)');
    expect(output).not.toContain('node_modules/pkg');
    expect(output).not.toContain('.git/');
    expect(output).toContain('.agentry/agents/test-maintainer.yml');
    expect(output).toContain('a/b/c/');
    expect(output).not.toContain('a/b/c/d/');
  });

  it('shows at most 50 entries of a subdirectory, then says how many more it holds', async () => {
    const result = await run(listDirectoryTool, { depth: 2 });
    const output = result.output as string;
    expect(output).toContain(
      'many/file-0049.txt (8 B)\n[… 950 more entries in many/: list many to see them]\nmodels/',
    );
    expect(output).not.toContain('many/file-0050.txt');
    expect(output).toContain('models/staging/');
    expect(result.truncated).toBe(true);
  });

  it('formats sizes in KB and MB', async () => {
    const output = await text(listDirectoryTool, { path: 'logs' });
    expect(output).toContain('logs/big.log (121.0 KB)');
    expect(output).toContain('logs/wide.log (1.9 MB)');
  });

  it('reaches a deeply nested file at depth 5 and no further', async () => {
    const output = await text(listDirectoryTool, { path: 'a/b', depth: 5 });
    expect(output.split('\n')).toEqual([
      'a/b/c/',
      'a/b/c/d/',
      'a/b/c/d/e/',
      'a/b/c/d/e/f/',
      'a/b/c/d/e/f/g/',
    ]);
    expect(listDirectoryTool.inputSchema.safeParse({ depth: 6 }).success).toBe(false);
  });

  it('caps 1,000 entries at 500 with a note', async () => {
    const result = await run(listDirectoryTool, { path: 'many' });
    const lines = (result.output as string).split('\n');
    expect(lines).toHaveLength(501);
    expect(lines[0]).toBe('many/file-0000.txt (7 B)');
    expect(lines[499]).toBe('many/file-0499.txt (9 B)');
    expect(lines[500]).toBe(
      '[… 500 more entries cut: list a subdirectory, or use a smaller depth, to see them]',
    );
    expect(result.truncated).toBe(true);
    expect(result.summary).toBe('many: 1,000 entries, depth 1');
  });

  it('refuses a file, pointing to read_file', async () => {
    const error = await failure(listDirectoryTool, { path: 'models/orders.sql' });
    expect(error.code).toBe('tool.not-a-directory');
    expect(error.message).toContain('read_file');
  });

  it.each([
    ['..', 'tool.path-escape'],
    ['/etc', 'tool.path-escape'],
    ['links/outside-dir', 'tool.path-escape'],
    ['.git', 'tool.path-forbidden'],
  ])('refuses %s', async (requested, code) => {
    const error = await failure(listDirectoryTool, { path: requested });
    expect(error.code).toBe(code);
    expectNoLeak(error.message);
  });
});

describe('search_files_and_directories: by path', () => {
  it('finds paths by a glob from the root', async () => {
    const result = await run(searchFilesTool, { pattern: 'models/**/*.sql' });
    expect((result.output as string).split('\n')).toEqual([
      'models/Customers.sql',
      'models/crlf.sql',
      'models/empty.sql',
      'models/orders.sql',
      'models/staging/stg_orders.sql',
    ]);
    expect(result.summary).toBe('5 paths for pattern "models/**/*.sql" under .');
  });

  it('matches a pattern without / against names at any depth, dotfiles included', async () => {
    const output = await text(searchFilesTool, { pattern: '*.yml' });
    expect(output.split('\n')).toEqual([
      '.agentry/agents/test-maintainer.yml',
      'dbt_project.yml',
      'models/schema.yml',
    ]);
  });

  it('finds directories, with a / suffix', async () => {
    expect(await text(searchFilesTool, { pattern: 'staging' })).toBe('models/staging/');
  });

  it('ignores case unless asked', async () => {
    expect(await text(searchFilesTool, { pattern: 'customers.sql' })).toBe('models/Customers.sql');
    expect(await text(searchFilesTool, { pattern: 'customers.sql', case_sensitive: true })).toBe(
      'No files or directories match pattern "customers.sql" under ..',
    );
  });

  it('searches under path, matching the glob from there or from the root', async () => {
    expect(await text(searchFilesTool, { pattern: 'staging/*.sql', path: 'models' })).toBe(
      'models/staging/stg_orders.sql',
    );
    expect(await text(searchFilesTool, { pattern: 'models/staging/*.sql', path: 'models' })).toBe(
      'models/staging/stg_orders.sql',
    );
  });

  it('skips .git and node_modules and does not walk through symlinks', async () => {
    const output = await text(searchFilesTool, { pattern: '**', max_results: 1000 });
    expect(output).not.toMatch(/(^|\n)\.git/);
    expect(output).not.toContain('node_modules');
    expect(output).not.toContain('secret.txt');
    expect(output).not.toContain('inner.sql');
    expect(output).toContain('links/outside-dir');
  });

  it('caps results at max_results with a note', async () => {
    const result = await run(searchFilesTool, { pattern: 'many/*.txt', max_results: 10 });
    const lines = (result.output as string).split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[9]).toBe('many/file-0009.txt');
    expect(lines[10]).toBe(
      '[stopped after 10 results and there are more: narrow the pattern, regex or path, or raise max_results (at most 1,000)]',
    );
    expect(result.truncated).toBe(true);
    expect(result.summary).toBe('10+ paths for pattern "many/*.txt" under .');
  });

  it('returns exactly max_results without a note when there are no more', async () => {
    const result = await run(searchFilesTool, { pattern: 'models/staging/*', max_results: 1 });
    expect(result.output).toBe('models/staging/stg_orders.sql');
    expect(result.truncated).toBeFalsy();
  });

  it('refuses a pattern with ..', async () => {
    expect((await failure(searchFilesTool, { pattern: '../*' })).code).toBe('tool.bad-pattern');
  });
});

describe('search_files_and_directories: by content', () => {
  it('returns file:line: text with correct line numbers', async () => {
    const result = await run(searchFilesTool, { regex: "ref\\('stg_" });
    expect((result.output as string).split('\n')).toEqual([
      "models/orders.sql:2:     select * from {{ ref('stg_orders') }}",
      "models/orders.sql:6:     select * from {{ ref('stg_payments') }}",
      '[not searched: 1 file over 2 MB (target/huge.json: use read_file instead), 1 binary file]',
    ]);
    expect(ORDERS_SQL.split('\n')[5]).toContain('stg_payments');
    expect(result.summary).toBe("2 matching lines in 1 file for regex /ref\\('stg_/i under .");
  });

  it('gives the right line numbers deep into a large file', async () => {
    const output = await text(searchFilesTool, { regex: '^line (1234|4999) ', path: 'logs' });
    expect(output.split('\n')).toEqual([
      'logs/big.log:1234: line 1234 of the big log',
      'logs/big.log:4999: line 4999 of the big log',
    ]);
  });

  it('ignores case by default and honours case_sensitive', async () => {
    expect(await text(searchFilesTool, { regex: 'select \\* from \\{\\{ ref\\("', path: 'models' })).toBe(
      'models/Customers.sql:1: SELECT * FROM {{ ref("stg_customers") }}',
    );
    expect(
      await text(searchFilesTool, {
        regex: 'select \\* from \\{\\{ ref\\("',
        path: 'models',
        case_sensitive: true,
      }),
    ).toBe('No lines match regex /select \\* from \\{\\{ ref\\("/ under models.');
  });

  it('searches only the files the pattern picks', async () => {
    const output = await text(searchFilesTool, { regex: 'order_id', pattern: '*.yml' });
    expect(output).toBe('models/schema.yml:6:       - name: order_id');
  });

  it('searches a single file when path is a file', async () => {
    expect(await text(searchFilesTool, { regex: 'customer_id', path: 'models/staging/stg_orders.sql' })).toBe(
      'models/staging/stg_orders.sql:1: select id as order_id, user_id as customer_id',
    );
  });

  it('shows the match on a very long line', async () => {
    const output = await text(searchFilesTool, { regex: 'needle', path: 'logs' });
    expect(output).toMatch(/^logs\/one-long-line\.json:1: …y+","needle":1}$/);
    expect(output.length).toBeLessThan(400);
  });

  it('never finds content outside the workspace, in .git or in node_modules', async () => {
    const secret = await text(searchFilesTool, { regex: OUTSIDE_SECRET });
    expect(secret).toBe(
      `No lines match regex /${OUTSIDE_SECRET}/i under ..\n[not searched: 1 file over 2 MB (target/huge.json: use read_file instead), 1 binary file]`,
    );
    expect(await text(searchFilesTool, { regex: GIT_MARKER })).toMatch(/^No lines match/);
    expect(await text(searchFilesTool, { pattern: 'config' })).toBe(
      'No files or directories match pattern "config" under ..',
    );
    expect(await text(searchFilesTool, { regex: 'module\\.exports' })).toContain('No lines match');
  });

  it('caps matching lines at max_results', async () => {
    const result = await run(searchFilesTool, { regex: 'of the big log', max_results: 3 });
    const lines = (result.output as string).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'logs/big.log:1: line 1 of the big log',
      'logs/big.log:2: line 2 of the big log',
      'logs/big.log:3: line 3 of the big log',
    ]);
    expect(lines[3]).toContain('[stopped after 3 results and there are more');
    expect(result.truncated).toBe(true);
  });

  it('caps output bytes with a note', async () => {
    const result = await run(searchFilesTool, { regex: 'x{900}', path: 'logs', max_results: 1000 });
    const output = result.output as string;
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(100 * 1024 + 300);
    expect(output).toMatch(
      /\[… at least \d+ more results cut: narrow the pattern, regex or path to see them\]$/,
    );
    expect(result.truncated).toBe(true);
  });

  it('turns a bad regex into an error the model can read', async () => {
    const error = await failure(searchFilesTool, { regex: 'ref\\((' });
    expect(error.code).toBe('tool.bad-regex');
    expect(error.message).toContain('is not a valid RE2 regular expression (missing closing ): `ref\\((`)');
    expect(error.message).toContain('escape special characters');
  });

  it('asks for pattern or regex when both are missing', async () => {
    const error = await failure(searchFilesTool, {});
    expect(error.code).toBe('tool.invalid-input');
    expect(error.message).toContain('give pattern');
  });

  it.each([
    ['..', 'tool.path-escape'],
    ['/etc', 'tool.path-escape'],
    ['links/outside-dir', 'tool.path-escape'],
    ['.git', 'tool.path-forbidden'],
  ])('refuses to search under %s', async (requested, code) => {
    const error = await failure(searchFilesTool, { regex: '.', path: requested });
    expect(error.code).toBe(code);
    expectNoLeak(error.message);
  });

  it('stops when the run is cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    await expect(run(searchFilesTool, { regex: 'x' }, controller.signal)).rejects.toThrow('run cancelled');
  });
});
