import type { Command } from 'commander';
import type { AgentryConfig, AgentTrigger, LoadedAgent } from '../../spec/index.js';
import { loadProject } from '../../spec/index.js';
import { builtinToolRegistry } from '../../tools/index.js';
import { nextFireTimes, parseCronTrigger } from '../../triggers/index.js';
import { projectRoot } from '../context.js';
import { CliUsageError } from '../errors.js';
import { table } from '../format.js';
import type { Io } from '../io.js';
import type { Act } from './serve.js';

interface TriggersListOptions {
  project?: string;
  json?: boolean;
  next?: string;
  from?: string;
}

/** One trigger of one agent, as `agentry triggers list --json` prints it. */
export interface TriggerListing {
  agent: string;
  /** The entry's position in the agent's `triggers:` list. */
  index: number;
  kind: 'cron' | 'github' | 'linear' | 'webhook';
  /** What starts it, in words: the schedule, the events and filters. */
  description: string;
  /** Cron: the next fire times (ISO, UTC). */
  next?: string[];
  /** Webhooks: where deliveries go. */
  endpoint?: string;
  /** Why it cannot fire as configured (a webhook secret not configured), if so. */
  warning?: string;
}

/** Add `agentry triggers list` to the program. */
export function registerTriggersCommand(program: Command, io: Io, act: Act): void {
  const triggers = program
    .command('triggers')
    .description("agents' cron, GitHub, Linear and webhook triggers");
  triggers
    .command('list')
    .description('every trigger of every agent, with the next fire times of cron triggers')
    .option('--next <n>', 'how many fire times to show per cron trigger', '1')
    .option('--from <time>', 'list fire times after this ISO time instead of now, e.g. 2025-03-30T00:00:00Z')
    .option('--json', 'as JSON')
    .option('-C, --project <dir>', 'the project root (default: nearest directory with .agentry/)')
    .action(act((options: TriggersListOptions) => listTriggersCommand(options, io)));
}

/** `agentry triggers list`. */
export async function listTriggersCommand(
  options: TriggersListOptions,
  io: Io,
  now = new Date(),
): Promise<number> {
  const count = Number(options.next ?? '1');
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new CliUsageError(`--next must be a whole number from 1 to 100, got '${options.next}'`);
  }
  const from = options.from === undefined ? now : new Date(options.from);
  if (Number.isNaN(from.getTime())) {
    throw new CliUsageError(`--from must be an ISO time such as 2025-03-30T06:00:00Z, got '${options.from}'`);
  }
  const root = projectRoot(options.project);
  const { project, issues } = await loadProject(root, { knownTools: builtinToolRegistry().names() });
  const agents = [...project.agents.values()].sort((left, right) => left.name.localeCompare(right.name));
  const listings = agents.flatMap((agent) =>
    agent.spec.triggers.map((trigger, index) =>
      describeTrigger(agent, index, trigger, project.config, from, count),
    ),
  );
  if (issues.length > 0) {
    io.err(
      `warning: ${issues.length} problem(s) in config or agents; their triggers are left out: run 'agentry validate'`,
    );
  }
  if (options.json) {
    io.out(JSON.stringify({ from: from.toISOString(), triggers: listings }, null, 2));
    return 0;
  }
  if (listings.length === 0) {
    io.err('no triggers: add `triggers:` (cron, github, linear, webhook) to an agent in .agentry/agents/');
    return 0;
  }
  const rows = listings.map((listing) => [
    listing.agent,
    String(listing.index),
    listing.kind,
    listing.description,
    listing.next?.map((time) => time.replace('T', ' ').replace(':00.000Z', 'Z')).join(', ') ??
      listing.endpoint ??
      '',
  ]);
  io.out(table(['AGENT', '#', 'KIND', 'TRIGGER', 'NEXT (UTC) / ENDPOINT'], rows));
  for (const listing of listings) {
    if (listing.warning) io.err(`warning: ${listing.agent} triggers[${listing.index}]: ${listing.warning}`);
  }
  return 0;
}

function describeTrigger(
  agent: LoadedAgent,
  index: number,
  trigger: AgentTrigger,
  config: AgentryConfig,
  from: Date,
  count: number,
): TriggerListing {
  const base = { agent: agent.name, index };
  if (trigger.cron !== undefined) {
    const parsed = parseCronTrigger(agent.name, index, trigger.cron, trigger.timezone);
    return {
      ...base,
      kind: 'cron',
      description: `cron "${parsed.pattern}" (${parsed.timezone})`,
      next: nextFireTimes(parsed, from, count).map((time) => time.toISOString()),
    };
  }
  if (trigger.github !== undefined) {
    const branches = trigger.github.branches ? ` on ${trigger.github.branches.join(', ')}` : '';
    return {
      ...base,
      kind: 'github',
      description: `${trigger.github.events.join(', ')}${branches}`,
      endpoint: 'POST /webhooks/github',
      ...(config.integrations.github?.webhook_secret_env === undefined
        ? { warning: 'set integrations.github.webhook_secret_env in config.yml, or deliveries are refused' }
        : {}),
    };
  }
  if (trigger.linear !== undefined) {
    const filters = [
      trigger.linear.labels ? `labels ${trigger.linear.labels.join(', ')}` : '',
      trigger.linear.teams ? `teams ${trigger.linear.teams.join(', ')}` : '',
    ].filter(Boolean);
    return {
      ...base,
      kind: 'linear',
      description: `issues${filters.length > 0 ? ` with ${filters.join('; ')}` : ''}`,
      endpoint: 'POST /webhooks/linear',
      ...(config.integrations.linear?.webhook_secret_env === undefined
        ? { warning: 'set integrations.linear.webhook_secret_env in config.yml, or deliveries are refused' }
        : {}),
    };
  }
  return {
    ...base,
    kind: 'webhook',
    description: `signed with $${trigger.webhook?.secret_env ?? '?'}`,
    endpoint: `POST /webhooks/${agent.name}`,
  };
}
