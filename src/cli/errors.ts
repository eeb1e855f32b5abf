import { AgentryError } from '../errors.js';

/** The CLI was used in a way that cannot work (no project here, a missing argument). */
export class CliUsageError extends AgentryError {
  readonly code = 'cli.usage';
  readonly kind = 'user' as const;
}
