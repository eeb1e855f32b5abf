import { z } from 'zod';
import { agentSpecSchema } from './agent-spec.js';
import { configSchema } from './config.js';

/** A JSON Schema document (draft 2020-12), as editors and `yaml-language-server` read it. */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of an agent file, for editors: point `# yaml-language-server: $schema=…` at
 * it to get completion, hover help and red squiggles. It describes what an author may write
 * (fields with defaults are optional), not the parsed result.
 */
export function agentJsonSchema(): JsonSchema {
  return withHeader(z.toJSONSchema(agentSpecSchema, { io: 'input', target: 'draft-2020-12' }), {
    title: 'Agentry agent',
    description: 'An agent, as written in .agentry/agents/NAME.yml.',
  });
}

/** The JSON Schema of `.agentry/config.yml`, input side like {@link agentJsonSchema}. */
export function configJsonSchema(): JsonSchema {
  return withHeader(z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }), {
    title: 'Agentry config',
    description:
      'Models, store, sandbox, warehouses and integrations of one repository: .agentry/config.yml.',
  });
}

function withHeader(schema: JsonSchema, header: { title: string; description: string }): JsonSchema {
  const { $schema, ...rest } = schema;
  return { $schema: $schema ?? 'https://json-schema.org/draft/2020-12/schema', ...header, ...rest };
}
