import { describe, expect, it } from 'vitest';
import { loadAgentFile, loadConfigFile, type SpecIssue } from '../../src/spec/index.js';

const base = 'name: probe\nrole: Probes.\ngoal: Probe.\n';

function agentIssues(text: string, file = '/repo/.agentry/agents/probe.yml'): Array<Omit<SpecIssue, 'file'>> {
  const result = loadAgentFile(file, text);
  if (result.ok) return [];
  return result.issues.map(({ line, column, message }) => ({ line, column, message }));
}

function configIssues(text: string): Array<Omit<SpecIssue, 'file'>> {
  const result = loadConfigFile('/repo/.agentry/config.yml', text);
  if (result.ok) return [];
  return result.issues.map(({ line, column, message }) => ({ line, column, message }));
}

describe('loadAgentFile', () => {
  it('returns the typed spec with defaults applied', () => {
    const result = loadAgentFile('/repo/.agentry/agents/probe.yml', base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual({
      name: 'probe',
      version: 1,
      role: 'Probes.',
      goal: 'Probe.',
      model: 'default',
      agents_squad: [],
      triggers: [],
      limits: { max_steps: 25, timeout: '10m', max_child_runs: 10 },
    });
  });

  it('keeps the issue file exactly as given', () => {
    const result = loadAgentFile('agents/probe.yml', 'name: probe\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.every((issue) => issue.file === 'agents/probe.yml')).toBe(true);
  });

  it('points at the key of an empty value', () => {
    expect(agentIssues('name: probe\nrole:\ngoal: Probe.\n')).toEqual([
      { line: 2, column: 1, message: "'role' must be a string, got an empty value" },
    ]);
  });

  it('says an empty string is empty', () => {
    expect(agentIssues('name: probe\nrole: ""\ngoal: Probe.\n')).toEqual([
      { line: 2, column: 7, message: "'role' must not be empty" },
    ]);
  });

  it('names a missing key inside a nested mapping, at that mapping', () => {
    expect(agentIssues(`${base}slack:\n  chanel: "#data"\n`)).toEqual([
      { line: 5, column: 3, message: "missing required key 'channel' in 'slack'" },
      { line: 5, column: 3, message: "unknown key 'chanel' in 'slack' (did you mean 'channel'?)" },
    ]);
  });

  it('lists the keys a small mapping accepts when nothing is close', () => {
    expect(agentIssues(`${base}limits:\n  budget: 3\n`)).toEqual([
      {
        line: 5,
        column: 3,
        message:
          "unknown key 'budget' in 'limits': expected one of max_steps, timeout, max_cost_usd, max_tokens, max_child_runs",
      },
    ]);
  });

  it('describes a value of the wrong kind against every accepted kind', () => {
    expect(agentIssues(`${base}limits: { timeout: [1] }\n`)).toEqual([
      {
        line: 4,
        column: 20,
        message:
          "'limits.timeout' must be a duration such as 30s, 15m or 1h (or a number of seconds), got a list",
      },
    ]);
    expect(agentIssues(`${base}limits: { timeout: -5 }\n`)).toEqual([
      { line: 4, column: 20, message: expect.stringContaining("'limits.timeout' must be a duration") },
    ]);
  });

  it('pins issues inside lists of mappings', () => {
    expect(agentIssues(`${base}triggers:\n  - github: { events: [] }\n  - cron: 5\n`)).toEqual([
      { line: 5, column: 23, message: "'triggers[0].github.events' must have at least 1 item" },
      { line: 6, column: 11, message: "'triggers[1].cron' must be a string, got 5" },
    ]);
    expect(agentIssues(`${base}triggers:\n  - message: hello\n`)).toEqual([
      {
        line: 5,
        column: 5,
        message: "'triggers[0]' must have exactly one of cron, github, linear or webhook, got none",
      },
    ]);
  });

  it('checks the name pattern and the file name together', () => {
    expect(agentIssues('name: Probe\nrole: r\ngoal: g\n')).toEqual([
      {
        line: 1,
        column: 7,
        message: `'name' must use lower-case letters, digits, - and _ (and equal the file name), got "Probe"`,
      },
      {
        line: 1,
        column: 7,
        message: "name 'Probe' must equal the file name 'probe': rename the file or change the name",
      },
    ]);
  });

  it('reports a scalar file and a multi-document file', () => {
    expect(agentIssues('just a sentence\n')).toEqual([
      { line: 1, column: 1, message: expect.stringContaining('must be a mapping of keys') },
    ]);
    expect(agentIssues(`${base}---\nname: other\n`)).toEqual([
      { line: 4, column: 1, message: expect.stringContaining('a file holds one YAML document') },
    ]);
  });

  it('reports a duplicate key at the second occurrence', () => {
    expect(agentIssues(`${base}goal: Again.\n`)).toEqual([
      { line: 4, column: 1, message: "duplicate key 'goal': each key may appear once in a mapping" },
    ]);
  });

  it('reads a .dinoai agent without tools as allowed every tool, and one with tools as written', () => {
    const open = loadAgentFile('/repo/.dinoai/agents/probe.yml', base, { source: 'dinoai' });
    expect(open.ok && open.value.tools).toEqual({ mode: 'denylist', list: [] });
    const listed = loadAgentFile('/repo/.dinoai/agents/probe.yml', `${base}tools:\n  list: [read_file]\n`, {
      source: 'dinoai',
    });
    expect(listed.ok && listed.value.tools).toEqual({ mode: 'allowlist', list: ['read_file'] });
  });
});

describe('loadConfigFile', () => {
  it('reads an empty or comment-only file as the defaults', () => {
    const result = loadConfigFile('/repo/.agentry/config.yml', '# models: go here\n');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      version: 1,
      models: {},
      store: 'sqlite:.agentry/agentry.db',
      sandbox: { driver: 'auto', network: 'none', ignore: [] },
      warehouses: {},
      integrations: {},
      secrets: [],
    });
  });

  it('pins issues inside a named model', () => {
    expect(
      configIssues(
        'models:\n  fast:\n    provider: openai\n    model: gpt-4o-mini\n    temprature: 0.2\n    base_url: nope\n',
      ),
    ).toEqual([
      {
        line: 5,
        column: 5,
        message: "unknown key 'temprature' in 'models.fast' (did you mean 'temperature'?)",
      },
      {
        line: 6,
        column: 15,
        message: `'models.fast.base_url' must be a URL such as http://127.0.0.1:11434/v1, got "nope"`,
      },
    ]);
  });

  it('requires base_url for an openai-compatible model', () => {
    expect(configIssues('models:\n  local:\n    provider: openai-compatible\n    model: llama3.1\n')).toEqual(
      [
        {
          line: 3,
          column: 5,
          message: expect.stringContaining(
            "model 'local' uses provider openai-compatible and needs base_url",
          ),
        },
      ],
    );
  });

  it('checks numbers, literals and environment variable names', () => {
    expect(
      configIssues(
        'version: 2\nmodels:\n  m: { provider: openai, model: x, temperature: 3, api_key_env: sk-123 }\nsecrets: [OK_NAME, 9bad]\n',
      ),
    ).toEqual([
      { line: 1, column: 10, message: "'version' must be 1, got 2" },
      { line: 3, column: 49, message: "'models.m.temperature' must be a number from 0 to 2, got 3" },
      {
        line: 3,
        column: 65,
        message: `'models.m.api_key_env' must be an environment variable name such as SLACK_BOT_TOKEN, got "sk-123"`,
      },
      {
        line: 4,
        column: 20,
        message: expect.stringContaining(`'secrets[1]' must be an environment variable name`),
      },
    ]);
  });

  it('rejects a config that is a list', () => {
    expect(configIssues('- models\n')).toEqual([
      { line: 1, column: 1, message: expect.stringContaining('must be a mapping of keys') },
    ]);
  });
});
