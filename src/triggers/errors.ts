import { AgentryError } from '../errors.js';

/** An agent's `triggers: - cron:` entry has a pattern or time zone that cannot be scheduled. */
export class CronTriggerError extends AgentryError {
  readonly code = 'trigger.cron-invalid';
  readonly kind = 'user' as const;

  constructor(
    readonly agent: string,
    readonly triggerIndex: number,
    problem: string,
  ) {
    super(`agent ${agent}, triggers[${triggerIndex}]: ${problem}: fix it in .agentry/agents/${agent}.yml`);
  }
}
