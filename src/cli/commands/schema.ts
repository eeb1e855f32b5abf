import { agentJsonSchema, configJsonSchema } from '../../spec/index.js';
import { CliUsageError } from '../errors.js';
import type { Io } from '../io.js';

/** `agentry schema [agent|config]`: the JSON Schema editors use to check and complete the YAML. */
export function schemaCommand(kind: string | undefined, io: Io): number {
  const which = kind ?? 'agent';
  if (which !== 'agent' && which !== 'config')
    throw new CliUsageError(`schema is 'agent' or 'config', not '${which}'`);
  io.out(JSON.stringify(which === 'agent' ? agentJsonSchema() : configJsonSchema(), null, 2));
  return 0;
}
