import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { agentJsonSchema, configJsonSchema } from '../../src/spec/index.js';

const valid = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'spec', 'valid');
const readYaml = (path: string): unknown => parse(readFileSync(join(valid, path), 'utf8'));

type Schema = { properties: Record<string, Schema>; [key: string]: unknown };

describe('agentJsonSchema', () => {
  const schema = agentJsonSchema() as Schema;

  it('is a draft 2020-12 document with a title and closed objects', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['title']).toBe('Agentry agent');
    expect(schema['type']).toBe('object');
    expect(schema['additionalProperties']).toBe(false);
    expect(schema.properties['limits']!['additionalProperties']).toBe(false);
  });

  it('describes the input side: only what has no default is required', () => {
    expect(schema['required']).toEqual(['name', 'role', 'goal']);
    expect(schema.properties['limits']!.properties['max_steps']).toMatchObject({
      type: 'integer',
      default: 25,
    });
    expect(schema.properties['tools']!['required']).toBeUndefined();
  });

  it('carries help text for editors', () => {
    expect(schema.properties['role']).toMatchObject({
      type: 'string',
      description: expect.stringContaining('system prompt'),
    });
    expect(schema.properties['model']!['description']).toContain('provider:model');
    expect(schema.properties['limits']!.properties['timeout']!['description']).toContain('Wall-clock');
  });

  it('says a trigger takes exactly one kind', () => {
    const trigger = (schema.properties['triggers']!['items'] as Schema)['oneOf'];
    expect(trigger).toEqual([
      { required: ['cron'] },
      { required: ['github'] },
      { required: ['linear'] },
      { required: ['webhook'] },
    ]);
  });

  it('accepts the example agents and rejects a misspelt key or a missing role', () => {
    const validator = z.fromJSONSchema(
      withoutTriggerOneOf(agentJsonSchema()) as z.core.JSONSchema.JSONSchema,
    );
    const example = readYaml('.agentry/agents/test-maintainer.yml') as Record<string, unknown>;
    expect(validator.safeParse(example).success).toBe(true);
    expect(validator.safeParse(readYaml('.agentry/agents/log-analyzer.yaml')).success).toBe(true);
    expect(validator.safeParse(readYaml('.dinoai/agents/pr-reviewer.yml')).success).toBe(true);

    expect(validator.safeParse({ ...example, gaol: 'x' }).success).toBe(false);
    expect(validator.safeParse({ ...example, limits: { max_step: 3 } }).success).toBe(false);
    const { role: _role, ...withoutRole } = example;
    expect(validator.safeParse(withoutRole).success).toBe(false);
  });

  it("matches exactly one trigger oneOf branch for the example's triggers, two for a bad one", () => {
    const branches = (schema.properties['triggers']!['items'] as Schema)['oneOf'] as Array<{
      required: string[];
    }>;
    const matching = (trigger: Record<string, unknown>) =>
      branches.filter((branch) => branch.required.every((key) => key in trigger)).length;
    const example = readYaml('.agentry/agents/test-maintainer.yml') as {
      triggers: Array<Record<string, unknown>>;
    };
    expect(example.triggers.map(matching)).toEqual([1, 1]);
    expect(matching({ cron: '0 6 * * 1', github: { events: ['push'] } })).toBe(2);
  });
});

/** zod's fromJSONSchema cannot read `oneOf: [{ required }]` (editors can), so that part is checked by hand. */
function withoutTriggerOneOf(schema: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(schema) as Schema;
  delete (copy.properties['triggers']!['items'] as Schema)['oneOf'];
  return copy;
}

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Schema;

  it('is closed, requires nothing and documents its keys', () => {
    expect(schema['title']).toBe('Agentry config');
    expect(schema['additionalProperties']).toBe(false);
    expect(schema['required']).toBeUndefined();
    expect(schema.properties['store']).toMatchObject({
      type: 'string',
      default: 'sqlite:.agentry/agentry.db',
    });
    expect(schema.properties['store']!['description']).toContain('sqlite:PATH');
  });

  it('accepts the example config and rejects a misspelt key', () => {
    const validator = z.fromJSONSchema(configJsonSchema() as z.core.JSONSchema.JSONSchema);
    const example = readYaml('.agentry/config.yml') as Record<string, unknown>;
    expect(validator.safeParse(example).success).toBe(true);
    expect(validator.safeParse({ ...example, modles: {} }).success).toBe(false);
  });
});
