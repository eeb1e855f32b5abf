import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editFileTool, MAX_WRITE_BYTES, writeFileTool } from '../../src/tools/edit.js';
import { contextOn, createProject, failure, run, type TempProject } from './helpers.js';

const ORDERS = `select
    order_id,
    customer_id,
    amount
from {{ ref('stg_orders') }}
where amount > 0
`;
const AGENT_YML = 'name: tester\nrole: r\ngoal: g\ntools: { list: [write_file] }\n';

let project: TempProject;

beforeEach(() => {
  project = createProject({
    'models/orders.sql': ORDERS,
    'models/finance/revenue.sql': 'select 1\n',
    '.agentry/agents/tester.yml': AGENT_YML,
    '.agentry/config.yml': 'version: 1\n',
    'seeds/countries.csv': 'code,name\n',
  });
});

afterEach(() => {
  project.cleanup();
});

const read = (relative: string) => readFile(path.join(project.root, relative), 'utf8');

describe('write_file', () => {
  it('creates a file and its parent directories', async () => {
    const result = await run(
      writeFileTool,
      { path: 'models/marts/new/fct_new.sql', content: 'select 1\nselect 2\n' },
      contextOn(project.root),
    );
    expect(result.text).toBe('Created models/marts/new/fct_new.sql (2 lines, 18 B).');
    expect(await read('models/marts/new/fct_new.sql')).toBe('select 1\nselect 2\n');
  });

  it('replaces a whole file and says what it had', async () => {
    const result = await run(
      writeFileTool,
      { path: 'models/orders.sql', content: 'select 1\n' },
      contextOn(project.root),
    );
    expect(result.text).toBe('Replaced models/orders.sql (1 line, 9 B; it had 6 lines).');
    expect(await read('models/orders.sql')).toBe('select 1\n');
  });

  it('keeps the mode of a file it replaces', async () => {
    await chmod(path.join(project.root, 'models/orders.sql'), 0o755);
    await run(writeFileTool, { path: 'models/orders.sql', content: 'select 1\n' }, contextOn(project.root));
    expect((await stat(path.join(project.root, 'models/orders.sql'))).mode & 0o777).toBe(0o755);
  });

  it('refuses content over the size cap and writes nothing', async () => {
    const error = await failure(
      writeFileTool,
      { path: 'models/huge.sql', content: 'x'.repeat(MAX_WRITE_BYTES + 1) },
      contextOn(project.root),
    );
    expect(error.code).toBe('tool.too-large');
    await expect(stat(path.join(project.root, 'models/huge.sql'))).rejects.toThrow();
  });

  it('refuses a directory', async () => {
    const error = await failure(writeFileTool, { path: 'models', content: 'x' }, contextOn(project.root));
    expect(error.code).toBe('tool.not-a-file');
  });
});

describe('protected paths', () => {
  const attempts = [
    '.agentry/agents/tester.yml',
    '.agentry/config.yml',
    '.agentry/agents/new-agent.yml',
    './.agentry/agents/tester.yml',
    'models/../.agentry/agents/tester.yml',
    '.AGENTRY/agents/tester.yml',
    '.git/config',
    '.git/hooks/pre-commit',
  ];

  it.each(attempts)('write_file refuses %s and leaves it as it was', async (target) => {
    const before = await read('.agentry/agents/tester.yml');
    const error = await failure(
      writeFileTool,
      { path: target, content: 'tools: { mode: denylist }\n' },
      contextOn(project.root),
    );
    expect(error.code).toBe('tool.path-protected');
    expect(error.message).toContain('is protected');
    expect(await read('.agentry/agents/tester.yml')).toBe(before);
    await expect(stat(path.join(project.root, '.agentry/agents/new-agent.yml'))).rejects.toThrow();
  });

  it('edit_file refuses the agent files, which stay unchanged', async () => {
    const error = await failure(
      editFileTool,
      {
        path: '.agentry/agents/tester.yml',
        old_string: '[write_file]',
        new_string: '[write_file, run_terminal_command]',
      },
      contextOn(project.root),
    );
    expect(error.code).toBe('tool.path-protected');
    expect(await read('.agentry/agents/tester.yml')).toBe(AGENT_YML);
  });

  it('refuses a symlink that leads to a protected file, by where it leads', async () => {
    await symlink('../.agentry/agents/tester.yml', path.join(project.root, 'models/innocent.yml'));
    const error = await failure(
      editFileTool,
      { path: 'models/innocent.yml', old_string: '[write_file]', new_string: '[write_file, git_commit]' },
      contextOn(project.root),
    );
    expect(error.code).toBe('tool.path-protected');
    expect(await read('.agentry/agents/tester.yml')).toBe(AGENT_YML);
  });

  it('adds the globs of config.yml and of the agent to the built-in ones', async () => {
    const context = contextOn(project.root, {
      config: { tools: { protected_paths: ['models/finance/**', '*.env'] } },
      spec: { tools: { list: ['write_file'], protected_paths: ['seeds/'] } },
    });
    for (const target of [
      'models/finance/revenue.sql',
      'models/finance/sub/new.sql',
      'deploy/prod.env',
      'seeds/countries.csv',
      'seeds/new.csv',
    ]) {
      const error = await failure(writeFileTool, { path: target, content: 'changed\n' }, context);
      expect(error.code, target).toBe('tool.path-protected');
    }
    expect(await read('models/finance/revenue.sql')).toBe('select 1\n');
    expect(await read('seeds/countries.csv')).toBe('code,name\n');
    await run(writeFileTool, { path: 'models/other.sql', content: 'select 2\n' }, context);
    expect(await read('models/other.sql')).toBe('select 2\n');
  });

  it('refuses escapes from the workspace', async () => {
    const outside = path.join(path.dirname(project.root), 'outside');
    await mkdir(outside);
    await symlink(outside, path.join(project.root, 'models/out'));
    const cases: [string, string][] = [
      ['../escape.sql', 'tool.path-escape'],
      ['/tmp/escape.sql', 'tool.path-escape'],
      ['models/../../escape.sql', 'tool.path-escape'],
      ['models/out/escape.sql', 'tool.path-escape'],
    ];
    for (const [target, code] of cases) {
      const error = await failure(writeFileTool, { path: target, content: 'x' }, contextOn(project.root));
      expect(error.code, target).toBe(code);
    }
    await expect(stat(path.join(outside, 'escape.sql'))).rejects.toThrow();
    await expect(stat(path.join(path.dirname(project.root), 'escape.sql'))).rejects.toThrow();
  });
});

describe('edit_file', () => {
  it('replaces one exact occurrence and shows the changed lines numbered', async () => {
    const result = await run(
      editFileTool,
      {
        path: 'models/orders.sql',
        old_string: 'where amount > 0',
        new_string: "where amount > 0\n  and status = 'completed'",
      },
      contextOn(project.root),
    );
    expect(result.text).toContain(
      'Edited models/orders.sql: replaced 1 occurrence at line 6. The file has 7 lines now.',
    );
    expect(result.text).toContain("   6| where amount > 0\n   7|   and status = 'completed'");
    expect(await read('models/orders.sql')).toBe(
      ORDERS.replace('where amount > 0', "where amount > 0\n  and status = 'completed'"),
    );
  });

  it('fails clearly when the text is not there, changing nothing', async () => {
    const error = await failure(
      editFileTool,
      { path: 'models/orders.sql', old_string: 'where amount < 0', new_string: 'x' },
      contextOn(project.root),
    );
    expect(error.code).toBe('tool.edit-not-found');
    expect(error.message).toContain('old_string is not in models/orders.sql');
    expect(await read('models/orders.sql')).toBe(ORDERS);
  });

  it('says where the text is when only the whitespace differs', async () => {
    const error = await failure(
      editFileTool,
      { path: 'models/orders.sql', old_string: 'order_id,\ncustomer_id,', new_string: 'x' },
      contextOn(project.root),
    );
    expect(error.code).toBe('tool.edit-not-found');
    expect(error.message).toContain('different whitespace or indentation at line 2');
  });

  it("says so when old_string carries read_file's line numbers", async () => {
    const error = await failure(
      editFileTool,
      { path: 'models/orders.sql', old_string: '   6| where amount > 0', new_string: 'x' },
      contextOn(project.root),
    );
    expect(error.message).toContain('line-number prefixes');
  });

  it('fails when the text is there more than once, saying how often and where', async () => {
    await writeFile(path.join(project.root, 'models/dup.sql'), 'a\n  x = 1\nb\n  x = 1\nc\n  x = 1\n');
    const error = await failure(
      editFileTool,
      { path: 'models/dup.sql', old_string: 'x = 1', new_string: 'x = 2' },
      contextOn(project.root),
    );
    expect(error.code).toBe('tool.edit-ambiguous');
    expect(error.message).toBe(
      'old_string is found 3 times in models/dup.sql (lines 2, 4, 6): add surrounding lines to old_string so it matches once, or set replace_all: true to change all 3',
    );
    expect(await read('models/dup.sql')).toBe('a\n  x = 1\nb\n  x = 1\nc\n  x = 1\n');

    const unique = await run(
      editFileTool,
      { path: 'models/dup.sql', old_string: 'b\n  x = 1', new_string: 'b\n  x = 2' },
      contextOn(project.root),
    );
    expect(unique.text).toContain('at line 3');
    const all = await run(
      editFileTool,
      { path: 'models/dup.sql', old_string: 'x = 1', new_string: 'x = 3', replace_all: true },
      contextOn(project.root),
    );
    expect(all.text).toContain('replaced 2 occurrences at lines 2, 6');
    expect(await read('models/dup.sql')).toBe('a\n  x = 3\nb\n  x = 2\nc\n  x = 3\n');
  });

  it('matches text written with \\n in a file with \\r\\n line ends, keeping them', async () => {
    await writeFile(path.join(project.root, 'models/windows.sql'), 'select\r\n    a\r\nfrom t\r\n');
    await run(
      editFileTool,
      { path: 'models/windows.sql', old_string: 'select\n    a', new_string: 'select\n    a,\n    b' },
      contextOn(project.root),
    );
    expect(await read('models/windows.sql')).toBe('select\r\n    a,\r\n    b\r\nfrom t\r\n');
  });

  it('refuses no-op edits, missing files and binary files', async () => {
    const same = await failure(
      editFileTool,
      { path: 'models/orders.sql', old_string: 'amount', new_string: 'amount' },
      contextOn(project.root),
    );
    expect(same.code).toBe('tool.edit-no-change');
    const missing = await failure(
      editFileTool,
      { path: 'models/nope.sql', old_string: 'a', new_string: 'b' },
      contextOn(project.root),
    );
    expect(missing.code).toBe('tool.path-not-found');
    await writeFile(
      path.join(project.root, 'seeds/data.parquet'),
      Buffer.from([0x50, 0x41, 0x52, 0x31, 0, 0, 1]),
    );
    const binary = await failure(
      editFileTool,
      { path: 'seeds/data.parquet', old_string: 'PAR1', new_string: 'X' },
      contextOn(project.root),
    );
    expect(binary.code).toBe('tool.binary-file');
  });
});
