import { AgentryError } from '../errors.js';

/** The agent named by a trigger does not exist (or failed validation). */
export class AgentNotFoundError extends AgentryError {
  readonly code = 'agent.not-found';
  readonly kind = 'user' as const;
  constructor(
    readonly agent: string,
    known: readonly string[],
  ) {
    super(
      `no agent named '${agent}'` +
        (known.length > 0 ? ` (agents: ${known.join(', ')})` : ': add .agentry/agents/' + agent + '.yml') +
        `; run 'agentry validate' to see agents that failed to load`,
    );
  }
}

/** The run is not in a state that allows what was asked (e.g. a reply to a RUNNING run). */
export class RunStateError extends AgentryError {
  readonly code = 'run.state';
  readonly kind = 'user' as const;
}
