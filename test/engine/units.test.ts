import { describe, expect, it } from 'vitest';
import { parseStructuredOutput } from '../../src/engine/structured-output.js';
import { costUsd, ModelConfigError, resolveModel } from '../../src/models/index.js';
import { Redactor, secretEnvNames } from '../../src/secrets/index.js';
import { configSchema } from '../../src/spec/config.js';
import { durationMs } from '../../src/spec/duration.js';

describe('durationMs', () => {
  it('reads the units agents use', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('1.5h')).toBe(5_400_000);
    expect(durationMs(2)).toBe(2000);
    expect(() => durationMs('soon')).toThrow();
  });
});

describe('Redactor', () => {
  const config = configSchema.parse({
    models: { default: { provider: 'openai', model: 'gpt-4o-mini', api_key_env: 'MY_KEY' } },
    integrations: { slack: { token_env: 'SLACK_TOKEN' } },
    secrets: ['DB_PASSWORD'],
  });

  it('collects every *_env name of the config', () => {
    expect(secretEnvNames(config).sort()).toEqual(['MY_KEY', 'SLACK_TOKEN']);
  });

  it('masks secret values in nested values, keys and text, longest first', () => {
    const redactor = Redactor.fromConfig(config, {
      MY_KEY: 'sk-abcdef123456',
      SLACK_TOKEN: 'xoxb-1-sk-abcdef123456-zz',
      DB_PASSWORD: 'p4ssw0rd!',
      UNRELATED: 'not-a-secret-here',
    });
    const value = {
      text: 'key sk-abcdef123456 and xoxb-1-sk-abcdef123456-zz',
      list: ['p4ssw0rd!', 3, null],
      'p4ssw0rd!': true,
      other: 'not-a-secret-here',
    };
    expect(redactor.redact(value)).toEqual({
      text: 'key [REDACTED:MY_KEY] and [REDACTED:SLACK_TOKEN]',
      list: ['[REDACTED:DB_PASSWORD]', 3, null],
      '[REDACTED:DB_PASSWORD]': true,
      other: 'not-a-secret-here',
    });
    expect(value.text).toContain('sk-abcdef123456');
  });

  it('ignores values too short to be credentials', () => {
    const redactor = new Redactor([{ name: 'PORT', value: '5432' }]);
    expect(redactor.redactText('port 5432')).toBe('port 5432');
    expect(redactor.size).toBe(0);
  });
});

describe('resolveModel', () => {
  const config = configSchema.parse({
    models: {
      local: { provider: 'openai-compatible', model: 'llama3.1', base_url: 'http://127.0.0.1:11434/v1' },
      keyed: { provider: 'anthropic', model: 'claude-sonnet-4-5', api_key_env: 'TEAM_ANTHROPIC_KEY' },
    },
  });

  it('builds a configured model', () => {
    const model = resolveModel('local', config, {});
    expect(model.provider).toBe('openai-compatible');
    expect(model.endpoint).toBe('http://127.0.0.1:11434/v1');
    expect(model.configKey).toBe('models.local');
  });

  it('names the missing key variable and the config key to fix', () => {
    expect(() => resolveModel('keyed', config, {})).toThrow(ModelConfigError);
    expect(() => resolveModel('keyed', config, {})).toThrow(
      /TEAM_ANTHROPIC_KEY is not set \(models\.keyed\.api_key_env/,
    );
    expect(() => resolveModel('openai:gpt-4o-mini', config, {})).toThrow(/OPENAI_API_KEY/);
    expect(resolveModel('openai:gpt-4o-mini', config, { OPENAI_API_KEY: 'sk-x' }).modelId).toBe(
      'gpt-4o-mini',
    );
  });

  it('lists the defined models for an unknown name', () => {
    expect(() => resolveModel('gpt5', config, {})).toThrow(/model 'gpt5' is not defined.*local, keyed/);
  });
});

describe('costUsd', () => {
  it('prices tokens per million, and is free without pricing', () => {
    expect(
      costUsd({ input_per_million_tokens: 3, output_per_million_tokens: 15 }, 1_000_000, 100_000),
    ).toBeCloseTo(4.5);
    expect(costUsd(undefined, 1_000_000, 1_000_000)).toBe(0);
  });
});

describe('parseStructuredOutput', () => {
  const schema = { type: 'object', required: ['count'], properties: { count: { type: 'integer' } } };
  it('accepts plain and fenced JSON that matches', () => {
    expect(parseStructuredOutput('{"count": 3}', schema)).toEqual({ ok: true, value: { count: 3 } });
    expect(parseStructuredOutput('Here:\n```json\n{"count": 4}\n```', schema)).toEqual({
      ok: true,
      value: { count: 4 },
    });
  });
  it('says what is wrong otherwise', () => {
    expect(parseStructuredOutput('three', schema)).toEqual({ ok: false, problem: 'the reply is not JSON' });
    const wrong = parseStructuredOutput('{"count": "3"}', schema);
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.problem).toContain('count');
  });
});
