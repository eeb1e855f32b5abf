import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findProjectRoot, loadProject, type SpecIssue } from '../../src/spec/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'spec');

const validTools = [
  'read_file',
  'search_files_and_directories',
  'run_sql_query',
  'github_create_pull_request',
  'invoke_agent',
];

function issuesOf(issues: SpecIssue[], root: string, file: string): Array<Omit<SpecIssue, 'file'>> {
  return issues
    .filter((issue) => relative(root, issue.file) === file)
    .map(({ line, column, message }) => ({ line, column, message }));
}

describe('loadProject on a valid project', () => {
  const root = join(fixtures, 'valid');

  it('loads the config, both .agentry agents and the .dinoai agent without issues', async () => {
    const { project, issues } = await loadProject(root, { knownTools: validTools });

    expect(issues).toEqual([]);
    expect(project.root).toBe(root);
    expect(project.configFile).toBe(join(root, '.agentry', 'config.yml'));
    expect([...project.agents.keys()].sort()).toEqual(['log-analyzer', 'pr-reviewer', 'test-maintainer']);
    expect(project.config.models['default']).toMatchObject({
      provider: 'openai-compatible',
      model: 'llama3.1',
    });
    expect(project.config.sandbox).toMatchObject({
      driver: 'local',
      network: 'none',
      ignore: ['.env', 'profiles.yml'],
    });
    expect(project.config.secrets).toEqual(['SNOWFLAKE_PASSWORD']);
  });

  it('records file, source and the sha256 of the bytes, and applies defaults', async () => {
    const { project } = await loadProject(root);
    const maintainer = project.agents.get('test-maintainer')!;
    const file = join(root, '.agentry', 'agents', 'test-maintainer.yml');
    expect(maintainer.file).toBe(file);
    expect(maintainer.source).toBe('agentry');
    expect(maintainer.hash).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(maintainer.spec.limits).toEqual({
      max_steps: 40,
      timeout: '15m',
      max_cost_usd: 2,
      max_child_runs: 10,
    });
    expect(maintainer.spec.triggers).toHaveLength(2);
    expect(maintainer.spec.output?.schema).toMatchObject({ required: ['summary'] });

    const analyzer = project.agents.get('log-analyzer')!;
    expect(analyzer.file.endsWith('log-analyzer.yaml')).toBe(true);
    expect(analyzer.spec).toMatchObject({
      version: 1,
      model: 'careful',
      tools: { mode: 'allowlist', list: ['read_file'] },
      agents_squad: [],
      triggers: [],
      limits: { max_steps: 25, timeout: '10m', max_child_runs: 10 },
    });

    const reviewer = project.agents.get('pr-reviewer')!;
    expect(reviewer.source).toBe('dinoai');
    expect(reviewer.spec.agents_squad).toEqual(['test-maintainer']);
    expect(reviewer.spec.slack).toEqual({ channel: '#pr-reviews' });
  });

  it('checks tool names only when known tools are given, with a hint', async () => {
    const { project, issues } = await loadProject(root, {
      knownTools: ['read_file', 'search_file_and_directories'],
    });
    expect(issuesOf(issues, root, '.dinoai/agents/pr-reviewer.yml')).toEqual([
      {
        line: 19,
        column: 7,
        message:
          "unknown tool 'search_files_and_directories' in tools.list (did you mean 'search_file_and_directories'?)",
      },
      { line: 20, column: 7, message: "unknown tool 'invoke_agent' in tools.list" },
    ]);
    expect(project.agents.has('pr-reviewer')).toBe(false);
    expect(project.agents.has('log-analyzer')).toBe(true);
  });
});

describe('loadProject on broken agent files', () => {
  const root = join(fixtures, 'broken');
  let loading: Awaited<ReturnType<typeof loadProject>>;
  beforeAll(async () => {
    loading = await loadProject(root);
  });

  // [file, line, column, message fragment]: each issue pinned to the node at fault.
  const cases: Array<[string, number, number, string]> = [
    ['syntax-indent.yml', 5, 14, 'bad indentation'],
    ['bad-indent.yml', 6, 1, 'bad indentation: keys of one mapping must start at the same column'],
    ['tab-indent.yml', 5, 1, 'tabs'],
    ['unclosed-quote.yml', 4, 1, 'the quote opened at line 2, column 7 is never closed'],
    ['unknown-key.yml', 3, 1, "unknown key 'gaol' (did you mean 'goal'?)"],
    ['unknown-key.yml', 1, 1, "missing required key 'goal'"],
    ['unknown-nested-key.yml', 5, 3, "unknown key 'max_step' in 'limits' (did you mean 'max_steps'?)"],
    ['wrong-type.yml', 5, 14, `'limits.max_steps' must be a positive integer, got "ten"`],
    ['missing-role.yml', 3, 1, "missing required key 'role'"],
    ['name-mismatch.yml', 1, 7, "name 'other-name' must equal the file name 'name-mismatch'"],
    ['bad-duration.yml', 4, 34, `'limits.timeout' must be a duration such as 30s, 15m or 1h`],
    ['bad-duration.yml', 4, 34, 'got "15 minutes"'],
    ['unknown-squad.yml', 6, 5, "unknown agent 'helpr' in agents_squad (did you mean 'helper'?)"],
    ['unknown-model.yml', 4, 8, "model 'fsat' is not in .agentry/config.yml models (did you mean 'fast'?)"],
    [
      'bad-trigger.yml',
      6,
      5,
      "'triggers[1]' must have exactly one of cron, github, linear or webhook, got cron and github",
    ],
    [
      'bad-tools-mode.yml',
      5,
      9,
      `'tools.mode' must be one of allowlist, denylist, got "allowlst" (did you mean 'allowlist'?)`,
    ],
    ['empty.yml', 1, 1, 'the file is empty'],
    ['not-mapping.yml', 1, 1, 'must be a mapping of keys (key: value on each line), got a list'],
  ];

  it.each(cases)('%s: issue at %i:%i', (file, line, column, fragment) => {
    const { issues } = loading;
    const found = issuesOf(issues, root, `.agentry/agents/${file}`);
    expect(found).toContainEqual({ line, column, message: expect.stringContaining(fragment) });
  });

  it('reports each broken file once per mistake, in reading order', () => {
    const { issues } = loading;
    const counts = new Map<string, number>();
    for (const issue of issues)
      counts.set(relative(root, issue.file), (counts.get(relative(root, issue.file)) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({
      '.agentry/agents/bad-duration.yml': 1,
      '.agentry/agents/bad-indent.yml': 1,
      '.agentry/agents/bad-tools-mode.yml': 1,
      '.agentry/agents/bad-trigger.yml': 1,
      '.agentry/agents/empty.yml': 1,
      '.agentry/agents/missing-role.yml': 1,
      '.agentry/agents/name-mismatch.yml': 1,
      '.agentry/agents/not-mapping.yml': 1,
      '.agentry/agents/syntax-indent.yml': 1,
      '.agentry/agents/tab-indent.yml': 1,
      '.agentry/agents/unclosed-quote.yml': 1,
      '.agentry/agents/unknown-key.yml': 2,
      '.agentry/agents/unknown-model.yml': 1,
      '.agentry/agents/unknown-nested-key.yml': 1,
      '.agentry/agents/unknown-squad.yml': 1,
      '.agentry/agents/wrong-type.yml': 1,
      '.dinoai/agents/helper.yml': 1,
    });
    const unknownKey = issuesOf(issues, root, '.agentry/agents/unknown-key.yml');
    expect(unknownKey.map((issue) => issue.line)).toEqual([1, 3]);
  });

  it('keeps only agents without issues, and the first of two agents with one name', () => {
    const { project, issues } = loading;
    expect([...project.agents.keys()]).toEqual(['helper']);
    expect(project.agents.get('helper')!.source).toBe('agentry');
    expect(issuesOf(issues, root, '.dinoai/agents/helper.yml')).toEqual([
      {
        line: 1,
        column: 7,
        message: "agent 'helper' is also defined in .agentry/agents/helper.yml: keep one of the two files",
      },
    ]);
  });

  it('ignores files that are not YAML', () => {
    const { issues } = loading;
    expect(issues.some((issue) => issue.file.endsWith('README.md'))).toBe(false);
  });
});

describe('loadProject on a broken config', () => {
  const root = join(fixtures, 'bad-config');

  it('reports every config issue at its node and skips model checks it cannot make', async () => {
    const { project, issues } = await loadProject(root);
    expect(issuesOf(issues, root, '.agentry/config.yml')).toEqual([
      { line: 2, column: 1, message: "unknown key 'modles' (did you mean 'models'?)" },
      {
        line: 6,
        column: 8,
        message: `'store' must be sqlite:PATH or postgres://…, got "mysql://localhost/agentry"`,
      },
      { line: 8, column: 11, message: `'sandbox.driver' must be one of auto, bwrap, local, got "docker"` },
    ]);
    expect(issues).toHaveLength(3);
    // The agent names a model the broken config may well have defined: it is not blamed.
    expect([...project.agents.keys()]).toEqual(['reporter']);
    expect(project.config).toMatchObject({ store: 'sqlite:.agentry/agentry.db', models: {} });
  });
});

describe('loadProject in a temporary repository', () => {
  let root: string;

  function write(path: string, text: string): void {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }

  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function makeRoot(): void {
    root = mkdtempSync(join(tmpdir(), 'agentry-spec-'));
  }

  it('uses defaults without a config, and then blames agents that use the missing default model', async () => {
    makeRoot();
    write('.agentry/agents/implicit.yml', 'name: implicit\nrole: r\ngoal: g\n');
    write('.agentry/agents/explicit.yml', 'name: explicit\nrole: r\ngoal: g\nmodel: default\n');
    write(
      '.agentry/agents/direct.yml',
      'name: direct\nrole: r\ngoal: g\nmodel: anthropic:claude-sonnet-4-5\n',
    );
    write('.agentry/agents/gemini.yml', 'name: gemini\nrole: r\ngoal: g\nmodel: gemini:pro\n');

    const { project, issues } = await loadProject(root);

    expect(project.configFile).toBeNull();
    expect(project.config.store).toBe('sqlite:.agentry/agentry.db');
    expect(issuesOf(issues, root, '.agentry/agents/implicit.yml')).toEqual([
      {
        line: 1,
        column: 1,
        message: expect.stringContaining("model 'default' is not in .agentry/config.yml models"),
      },
    ]);
    expect(issuesOf(issues, root, '.agentry/agents/explicit.yml')).toEqual([
      {
        line: 4,
        column: 8,
        message: expect.stringContaining("model 'default' is not in .agentry/config.yml models"),
      },
    ]);
    expect(issuesOf(issues, root, '.agentry/agents/gemini.yml')).toEqual([
      { line: 4, column: 8, message: expect.stringContaining("unknown provider 'gemini'") },
    ]);
    expect([...project.agents.keys()]).toEqual(['direct']);
  });

  it('accepts a default model from config and reads config.yaml', async () => {
    makeRoot();
    write('.agentry/config.yaml', 'models:\n  default: { provider: openai, model: gpt-4o-mini }\n');
    write('.agentry/agents/implicit.yml', 'name: implicit\nrole: r\ngoal: g\n');
    const { project, issues } = await loadProject(root);
    expect(issues).toEqual([]);
    expect(project.configFile).toBe(join(root, '.agentry', 'config.yaml'));
    expect(project.agents.get('implicit')!.spec.model).toBe('default');
  });

  it('reports config.yml and config.yaml side by side, and reads config.yml', async () => {
    makeRoot();
    write('.agentry/config.yml', 'models:\n  default: { provider: openai, model: gpt-4o-mini }\n');
    write('.agentry/config.yaml', 'version: 1\n');
    write('.agentry/agents/implicit.yml', 'name: implicit\nrole: r\ngoal: g\n');
    const { project, issues } = await loadProject(root);
    expect(project.config.models['default']).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(project.agents.has('implicit')).toBe(true);
    expect(issues).toEqual([
      {
        file: join(root, '.agentry', 'config.yaml'),
        line: 1,
        column: 1,
        message: expect.stringContaining('both .agentry/config.yml and .agentry/config.yaml exist'),
      },
    ]);
  });

  it('gives a .dinoai agent without a tools block every tool, as Paradime does', async () => {
    makeRoot();
    write('.agentry/config.yml', 'models:\n  default: { provider: openai, model: gpt-4o-mini }\n');
    write('.dinoai/agents/open.yml', 'name: open\nversion: 1\nrole: r\ngoal: g\nbackstory: b\n');
    write('.agentry/agents/closed.yml', 'name: closed\nrole: r\ngoal: g\n');
    const { project, issues } = await loadProject(root);
    expect(issues).toEqual([]);
    expect(project.agents.get('open')!.spec.tools).toEqual({ mode: 'denylist', list: [] });
    expect(project.agents.get('closed')!.spec.tools).toBeUndefined();
  });

  it('works on a repository with no agents at all', async () => {
    makeRoot();
    mkdirSync(join(root, '.agentry'));
    const { project, issues } = await loadProject(root);
    expect(issues).toEqual([]);
    expect(project.agents.size).toBe(0);
  });
});

describe('findProjectRoot', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  it('walks up to the nearest directory holding .agentry or .dinoai', () => {
    root = mkdtempSync(join(tmpdir(), 'agentry-root-'));
    const nested = join(root, 'models', 'staging', 'orders');
    mkdirSync(nested, { recursive: true });
    mkdirSync(join(root, '.dinoai'));
    expect(findProjectRoot(nested)).toBe(root);

    mkdirSync(join(root, 'models', '.agentry'));
    expect(findProjectRoot(nested)).toBe(join(root, 'models'));
    expect(findProjectRoot(root)).toBe(root);
  });

  it('does not stop at a directory without either, nor at a file named .agentry', () => {
    root = mkdtempSync(join(tmpdir(), 'agentry-root-'));
    const nested = join(root, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(root, 'a', '.agentry'), 'not a directory');
    const found = findProjectRoot(nested);
    // Above the temp dir there may or may not be a project; inside it there is none.
    expect(found === undefined || !found.startsWith(root)).toBe(true);
  });
});
