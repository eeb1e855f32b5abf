import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AgentryConfig,
  type AgentSpec,
  agentNameOf,
  didYouMean,
  formatIssue,
  loadAgentFile,
} from '../spec/index.js';
import { CliUsageError } from './errors.js';

/** The reference agents, shipped in the package's `agents/` folder beside `dist/`. */
export const REFERENCE_AGENTS_DIR = fileURLToPath(new URL('../../agents/', import.meta.url));

/** One agent of the catalogue in `agents/`: its YAML as shipped and what it declares. */
export interface ReferenceAgent {
  name: string;
  /** The YAML file's bytes, copied as they are (comments included). */
  text: string;
  spec: AgentSpec;
}

/**
 * Every reference agent in `dir`, by name. A file that does not load is a packaging bug, not a
 * user's mistake, so it fails loudly with its issues.
 */
export async function loadReferenceAgents(
  dir: string = REFERENCE_AGENTS_DIR,
): Promise<Map<string, ReferenceAgent>> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.yml')).sort();
  const agents = new Map<string, ReferenceAgent>();
  for (const fileName of files) {
    const file = join(dir, fileName);
    const text = await readFile(file, 'utf8');
    const loaded = loadAgentFile(file, text);
    if (!loaded.ok) {
      throw new Error(
        `reference agent ${fileName} does not load: ${loaded.issues.map((issue) => formatIssue(issue, dir)).join('; ')}`,
      );
    }
    agents.set(agentNameOf(file), { name: agentNameOf(file), text, spec: loaded.value });
  }
  return agents;
}

/**
 * The agents to copy for `names`: each named agent, then its squad members, transitively, each
 * once, in the order first reached. An unknown name is a one-line usage error listing the others.
 */
export function withSquads(
  names: readonly string[],
  catalogue: ReadonlyMap<string, ReferenceAgent>,
): string[] {
  for (const name of names) {
    if (catalogue.has(name)) continue;
    const known = [...catalogue.keys()];
    throw new CliUsageError(
      `no reference agent named '${name}'${didYouMean(name, known)}: choose from ${known.join(', ')}`,
    );
  }
  const ordered: string[] = [];
  const pending = [...names];
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (ordered.includes(name)) continue;
    ordered.push(name);
    // A squad member missing from the catalogue would be caught by the catalogue's own tests.
    for (const member of catalogue.get(name)?.spec.agents_squad ?? []) pending.push(member);
  }
  return ordered;
}

/** Splits `--with a,b c` values into names. */
export function parseAgentNames(value: string | readonly string[]): string[] {
  const parts = typeof value === 'string' ? [value] : value;
  return parts
    .flatMap((part) => part.split(/[\s,]+/))
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** Whether a need is met by the config at hand: `ok`, `missing`, or `info` (nothing config can show). */
export type NeedStatus = 'ok' | 'missing' | 'info';

/** One thing a set of agents needs before it can run, and which of them need it. */
export interface AgentNeed {
  /** The config key (`integrations.slack.token_env`) or a short label (`dbt artifacts`). */
  key: string;
  /** What to do, in a line. */
  hint: string;
  agents: string[];
  status: NeedStatus;
}

const SQL_TOOLS = ['run_sql_query', 'list_tables', 'describe_table', 'profile_table', 'get_query_history'];
const LOG_TOOLS = ['read_log', 'search_log'];
const DBT_TOOLS = [
  'dbt_list_models',
  'dbt_get_model',
  'dbt_lineage',
  'dbt_failed_nodes',
  'dbt_models_missing',
  'find_owner',
];

/**
 * What `agents` need configured — models, warehouses, Slack, GitHub, Linear, Airflow, dbt
 * artifacts, webhook secrets, a running server — each checked against `config` when there is
 * one. Needs shared by several agents are listed once, missing ones first.
 */
export function agentNeeds(
  agents: readonly ReferenceAgent[],
  config: AgentryConfig | undefined,
): AgentNeed[] {
  const needs = new Map<string, AgentNeed>();
  const add = (key: string, agent: string, hint: string, met: boolean | undefined) => {
    const need = needs.get(key);
    if (need) {
      if (!need.agents.includes(agent)) need.agents.push(agent);
      return;
    }
    const status: NeedStatus = met === undefined || config === undefined ? 'info' : met ? 'ok' : 'missing';
    needs.set(key, { key, hint, agents: [agent], status });
  };

  for (const { name, spec, text } of agents) {
    const tools = spec.tools?.mode === 'allowlist' ? spec.tools.list : [];
    const uses = (list: readonly string[]) => tools.some((tool) => list.includes(tool));
    const usesPrefix = (prefix: string) => tools.some((tool) => tool.startsWith(prefix));

    if (!/^[a-z-]+:./.test(spec.model)) {
      add(
        `models.${spec.model}`,
        name,
        `a model named ${spec.model} (provider, model, api_key_env)`,
        config !== undefined && Object.hasOwn(config.models, spec.model),
      );
    }
    const warehouses = [spec.warehouse?.default, ...(spec.warehouse?.allow_writes ?? [])].filter(
      (warehouse): warehouse is string => warehouse !== undefined,
    );
    for (const warehouse of warehouses) {
      add(
        `warehouses.${warehouse}`,
        name,
        `a warehouse named ${warehouse} for the SQL tools (give it a read-only role), or change warehouse.default in the agent`,
        config !== undefined && Object.hasOwn(config.warehouses, warehouse),
      );
    }
    if (warehouses.length === 0 && uses(SQL_TOOLS)) {
      add(
        'warehouses',
        name,
        'a warehouse for the SQL tools',
        Object.keys(config?.warehouses ?? {}).length > 0,
      );
    }
    if (spec.slack) {
      add(
        'integrations.slack.token_env',
        name,
        `a Slack bot token (chat:write) in an environment variable, the bot invited to ${spec.slack.channel}`,
        config?.integrations.slack?.token_env !== undefined,
      );
    }
    if (usesPrefix('github_')) {
      add(
        'integrations.github.token_env',
        name,
        'a GitHub token that can read pull requests, push branches and open pull requests or reviews',
        config?.integrations.github?.token_env !== undefined,
      );
    }
    if (usesPrefix('linear_')) {
      add(
        'integrations.linear.token_env',
        name,
        'a Linear API key that can read issues and comment',
        config?.integrations.linear?.token_env !== undefined,
      );
    }
    if (uses(LOG_TOOLS)) {
      add(
        'integrations.airflow',
        name,
        'log_folder (where task logs are) or base_url with credentials, to read Airflow task logs',
        config?.integrations.airflow?.log_folder !== undefined ||
          config?.integrations.airflow?.base_url !== undefined,
      );
    }
    if (uses(DBT_TOOLS)) {
      add(
        'dbt artifacts',
        name,
        'target/manifest.json and run_results.json from `dbt build` in the repository (or dbt: paths in config.yml)',
        undefined,
      );
    }
    for (const trigger of spec.triggers) {
      if (trigger.github) {
        add(
          'integrations.github.webhook_secret_env',
          name,
          'a repository webhook to https://<agentry>/webhooks/github (pull requests) signed with this secret',
          config?.integrations.github?.webhook_secret_env !== undefined,
        );
      }
      if (trigger.linear) {
        add(
          'integrations.linear.webhook_secret_env',
          name,
          'a Linear webhook (Issues) to https://<agentry>/webhooks/linear signed with this secret',
          config?.integrations.linear?.webhook_secret_env !== undefined,
        );
      }
      if (trigger.webhook) {
        add(
          `env ${trigger.webhook.secret_env}`,
          name,
          `the HMAC secret of POST /webhooks/${name}, set where agentry serve runs`,
          undefined,
        );
      }
    }
    if (spec.triggers.some((trigger) => trigger.cron)) {
      add('agentry serve', name, 'a running agentry serve fires the cron triggers', undefined);
    }
    if (text.includes(`agentry_callback("${name}")`)) {
      add(
        `airflow callback`,
        name,
        `on_failure_callback=agentry_callback("${name}") in your DAGs' default_args (clients/python/agentry_client.py)`,
        undefined,
      );
    }
  }
  const order: Record<NeedStatus, number> = { missing: 0, info: 1, ok: 2 };
  return [...needs.values()].sort((a, b) => order[a.status] - order[b.status]);
}
