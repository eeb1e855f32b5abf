import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentJsonSchema, configJsonSchema } from '../../src/spec/index.js';
import { REPO_ROOT } from '../helpers/project.js';

// Editors read schema/*.schema.json (the examples' yaml-language-server lines point there).
describe('committed JSON Schemas', () => {
  it('match the zod schemas (run `npm run schema` after changing a spec field)', () => {
    const read = (name: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'schema', name), 'utf8'));
    expect(read('agent.schema.json')).toEqual(agentJsonSchema());
    expect(read('config.schema.json')).toEqual(configJsonSchema());
  });
});
