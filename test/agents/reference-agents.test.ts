import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStructuredOutput } from '../../src/engine/structured-output.js';
import { renderConcurrencyGroup } from '../../src/queue/concurrency-group.js';
import { formatIssue, type LoadedAgent, loadProject, type SpecIssue } from '../../src/spec/index.js';
import { builtinToolRegistry } from '../../src/tools/index.js';
import { matchGenericDelivery, matchGithubDelivery, matchLinearDelivery } from '../../src/triggers/index.js';
import { REPO_ROOT } from '../helpers/project.js';

const AGENTS_DIR = join(REPO_ROOT, 'agents');
const SAMPLES_DIR = join(AGENTS_DIR, 'samples');
const DOCS_DIR = join(REPO_ROOT, 'docs', 'agents');
const REALDATA = process.env.AGENTRY_REALDATA ?? join(REPO_ROOT, '../shared/realdata');
/** invoke_agent shows a squad member's output schema to the parent only up to this many characters. */
const SQUAD_SCHEMA_CHARS = 4000;

const agentFiles = readdirSync(AGENTS_DIR)
  .filter((name) => name.endsWith('.yml'))
  .sort();
const agentNames = agentFiles.map((file) => file.replace(/\.yml$/, ''));

/** A project shaped like examples/jaffle-shop: the warehouses, dbt artifacts and integrations the agents name. */
const CONFIG = `version: 1
models:
  default:
    provider: openai-compatible
    model: llama3.1
    base_url: http://127.0.0.1:11434/v1
store: sqlite:.agentry/agentry.db
sandbox:
  driver: local
dbt:
  manifest: target/manifest.json
  run_results: target/run_results.json
warehouses:
  analytics: { type: duckdb, path: jaffle_shop.duckdb }
  snowflake: { type: duckdb, path: snowflake.duckdb }
  bigquery: { type: duckdb, path: bigquery.duckdb }
integrations:
  slack: { token_env: SLACK_BOT_TOKEN }
  github: { token_env: GITHUB_TOKEN, webhook_secret_env: GITHUB_WEBHOOK_SECRET }
  linear: { token_env: LINEAR_API_KEY, webhook_secret_env: LINEAR_WEBHOOK_SECRET }
  airflow: { log_folder: airflow/logs }
`;

let root: string;
let agents: Map<string, LoadedAgent>;
let issues: SpecIssue[];

function listIssues(found: SpecIssue[]): string {
  return found.map((issue) => formatIssue(issue, root)).join('\n');
}

function agent(name: string): LoadedAgent {
  const loaded = agents.get(name);
  if (!loaded) throw new Error(`${name} did not load:\n${listIssues(issues)}`);
  return loaded;
}

function sample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SAMPLES_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

function realPayload(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REALDATA, path), 'utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'agentry-reference-agents-'));
  mkdirSync(join(root, '.agentry', 'agents'), { recursive: true });
  writeFileSync(join(root, '.agentry', 'config.yml'), CONFIG);
  for (const file of agentFiles) cpSync(join(AGENTS_DIR, file), join(root, '.agentry', 'agents', file));
  ({
    project: { agents },
    issues,
  } = await loadProject(root));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the reference agents in agents/', () => {
  it('are the seven agents of the catalogue and the incident squad', () => {
    expect(agentNames).toEqual([
      'bigquery-cost-optimizer',
      'doc-backfiller',
      'incident-commander',
      'linear-backlog',
      'log-analyzer',
      'owner-lookup',
      'pr-reviewer',
      'snowflake-cost-optimizer',
      'test-maintainer',
      'warehouse-profiler',
    ]);
  });

  it('load with no issues in a project like the example', () => {
    expect(issues, listIssues(issues)).toEqual([]);
    expect([...agents.keys()].sort()).toEqual(agentNames);
  });

  it('list only registered tools', async () => {
    const { issues: toolIssues } = await loadProject(root, { knownTools: builtinToolRegistry().names() });
    expect(toolIssues, listIssues(toolIssues)).toEqual([]);
  });

  it.each(agentNames)('%s points editors at the schema, is described and uses the default model', (name) => {
    const text = readFileSync(join(AGENTS_DIR, `${name}.yml`), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/agent.schema.json');
    const { spec } = agent(name);
    expect(spec.name).toBe(name);
    expect(spec.model).toBe('default');
    expect(spec.description).toMatch(/^[A-Z].{20,200}\.$/);
    expect(spec.description).not.toContain('\n');
    expect(spec.tools?.mode).toBe('allowlist');
    expect(spec.tools?.list.length).toBeGreaterThan(0);
    expect(new Set(spec.tools?.list).size).toBe(spec.tools?.list.length);
    expect(spec.output?.schema, `${name} has no output.schema`).toBeDefined();
  });

  it('give invoke_agent only to agents with a squad, and every squad member exists', () => {
    for (const [name, { spec }] of agents) {
      const invokes = spec.tools?.list.includes('invoke_agent') ?? false;
      expect(invokes, `${name}: invoke_agent in tools.list iff agents_squad is set`).toBe(
        spec.agents_squad.length > 0,
      );
      for (const member of spec.agents_squad) expect(agentNames, `${name} → ${member}`).toContain(member);
    }
    expect(agent('incident-commander').spec.agents_squad).toEqual([
      'log-analyzer',
      'warehouse-profiler',
      'owner-lookup',
    ]);
  });

  it('keep squad members’ output schemas short enough for invoke_agent to show them whole', () => {
    for (const { spec } of agents.values()) {
      for (const member of spec.agents_squad) {
        const schema = JSON.stringify(agent(member).spec.output?.schema);
        expect(schema.length, `${member}'s output.schema`).toBeLessThan(SQUAD_SCHEMA_CHARS);
      }
    }
  });

  it('use a warehouse exactly when they have SQL tools', () => {
    const sqlTools = ['run_sql_query', 'list_tables', 'describe_table', 'profile_table', 'get_query_history'];
    for (const [name, { spec }] of agents) {
      const usesSql = spec.tools?.list.some((tool) => sqlTools.includes(tool)) ?? false;
      expect(spec.warehouse?.default !== undefined, name).toBe(usesSql);
      expect(spec.warehouse?.allow_writes ?? [], `${name} must stay read-only`).toEqual([]);
    }
    expect(agent('snowflake-cost-optimizer').spec.warehouse?.default).toBe('snowflake');
    expect(agent('bigquery-cost-optimizer').spec.warehouse?.default).toBe('bigquery');
  });

  it('never give an agent that reviews or reports a tool that writes files', () => {
    const writers = ['write_file', 'edit_file', 'git_commit', 'run_terminal_command'];
    const readOnly = [
      'incident-commander',
      'log-analyzer',
      'warehouse-profiler',
      'owner-lookup',
      'snowflake-cost-optimizer',
      'bigquery-cost-optimizer',
      'linear-backlog',
      'pr-reviewer',
    ];
    for (const name of readOnly) {
      const granted = agent(name).spec.tools?.list.filter((tool) => writers.includes(tool));
      expect(granted, name).toEqual([]);
    }
  });

  it('each have a docs page, listed in the catalogue', () => {
    const catalogue = readFileSync(join(DOCS_DIR, 'README.md'), 'utf8');
    for (const name of agentNames) {
      expect(existsSync(join(DOCS_DIR, `${name}.md`)), `docs/agents/${name}.md`).toBe(true);
      expect(catalogue, `docs/agents/README.md links ${name}`).toContain(`(${name}.md)`);
    }
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain('docs/agents/README.md');
  });
});

describe('output schemas', () => {
  it.each(agentNames)(
    '%s accepts its sample in agents/samples/ and refuses it without a required field',
    (name) => {
      const schema = agent(name).spec.output!.schema;
      const value = sample(name);
      const accepted = parseStructuredOutput(JSON.stringify(value), schema);
      expect(accepted, JSON.stringify(accepted)).toEqual({ ok: true, value });

      const required = schema.required as string[];
      expect(required.length).toBeGreaterThan(0);
      for (const field of required) {
        const { [field]: _dropped, ...incomplete } = value;
        expect(parseStructuredOutput(JSON.stringify(incomplete), schema).ok, `without ${field}`).toBe(false);
      }
    },
  );

  it('lay the incident report out with the fields the Slack report renders', () => {
    const properties = agent('incident-commander').spec.output!.schema.properties as Record<
      string,
      { type: string; enum?: string[] }
    >;
    for (const field of ['title', 'severity', 'summary', 'root_cause', 'suggested_fix']) {
      expect(properties[field]?.type, field).toBe('string');
    }
    expect(properties.affected_models?.type).toBe('array');
    expect(properties.evidence?.type).toBe('array');
    expect(properties.owner?.type).toBe('object');
    expect(properties.severity?.enum).toEqual(['critical', 'high', 'medium', 'low']);
    const wrongSeverity = { ...sample('incident-commander'), severity: 'sev1' };
    const schema = agent('incident-commander').spec.output!.schema;
    expect(parseStructuredOutput(JSON.stringify(wrongSeverity), schema).ok).toBe(false);
  });
});

describe('triggers', () => {
  const pullRequest = (action: string, changes: { merged?: boolean; base?: string }) => {
    const payload = realPayload(
      `octokit_webhooks/payload-examples/api.github.com/pull_request/${action}.payload.json`,
    );
    const pr = payload.pull_request as Record<string, unknown>;
    return {
      ...payload,
      pull_request: {
        ...pr,
        merged: changes.merged ?? pr.merged,
        base: { ...(pr.base as object), ref: changes.base ?? 'main' },
      },
    };
  };

  it('start test-maintainer on a merged pull request to main only, with the PR in the message', () => {
    const all = [...agents.values()];
    const merged = matchGithubDelivery(all, {
      event: 'pull_request',
      deliveryId: 'd-1',
      payload: pullRequest('closed', { merged: true }),
    });
    expect(merged.map((match) => match.agent)).toEqual(['test-maintainer']);
    const message = merged[0]!.message;
    expect(message).toContain('Pull request #2 was merged into main of');
    expect(message).toContain('Codertocat/Hello-World (https://github.com/Codertocat/Hello-World/pull/2)');
    expect(message).toContain('"Update the README with new information."');
    expect(message).not.toMatch(/\{\{|\(\)|""/);

    const unmerged = matchGithubDelivery(all, {
      event: 'pull_request',
      deliveryId: 'd-2',
      payload: pullRequest('closed', { merged: false }),
    });
    expect(unmerged).toEqual([]);
    const otherBase = matchGithubDelivery(all, {
      event: 'pull_request',
      deliveryId: 'd-3',
      payload: pullRequest('closed', { merged: true, base: 'release' }),
    });
    expect(otherBase).toEqual([]);
  });

  it.each(['opened', 'synchronize'])('start pr-reviewer when a pull request is %s', (action) => {
    const [match, ...others] = matchGithubDelivery([...agents.values()], {
      event: 'pull_request',
      deliveryId: `d-${action}`,
      payload: pullRequest(action, {}),
    });
    expect(others).toEqual([]);
    expect(match?.agent).toBe('pr-reviewer');
    expect(match?.message).toContain('Review pull request #2 to main of');
    expect(match?.message).toContain('head ec26c3e57ca3a959ca5aad62de7213c562f8c821');
    const group = renderConcurrencyGroup(agent('pr-reviewer').spec.concurrency!.group!, {
      agent: 'pr-reviewer',
      trigger: { kind: 'github', metadata: match!.metadata },
    });
    expect(group).toBe('pr-reviewer/Codertocat/Hello-World#2');
  });

  it('start linear-backlog when an issue gets the data label, with its identifier and title', () => {
    const payload = realPayload('zulip_linear_fixtures/issue_create_complex.json');
    const data = payload.data as Record<string, unknown>;
    const labelled = {
      ...payload,
      data: { ...data, labels: [...(data.labels as object[]), { id: 'l-data', name: 'Data' }] },
    };
    const [match, ...others] = matchLinearDelivery([...agents.values()], {
      deliveryId: 'lin-1',
      payload: labelled,
    });
    expect(others).toEqual([]);
    expect(match?.agent).toBe('linear-backlog');
    expect(match?.message).toContain('Linear issue WEB-44 now carries the data label (https://linear.app/');
    expect(match?.message).toContain(
      '"This is regarding the outage that we faced during 11/12/22 from 2000 to 2200."',
    );
    expect(matchLinearDelivery([...agents.values()], { deliveryId: 'lin-2', payload })).toEqual([]);
  });

  it('render the incident webhook body documented in docs/agents/incident-commander.md', () => {
    const commander = agent('incident-commander');
    const index = commander.spec.triggers.findIndex((trigger) => trigger.webhook);
    const match = matchGenericDelivery(commander, index, {
      deliveryId: 'dagster-981',
      payload: {
        scheduler: 'dagster',
        job: 'nightly_marts',
        step: 'dbt_build',
        run_id: '6f1c',
        error: 'dbt build exited with code 1',
        log_url: 'https://dagster.example.com/runs/6f1c',
      },
    });
    expect(match.message).toBe(
      [
        'Pipeline failure reported by dagster.',
        'Job (DAG): nightly_marts',
        'Step (task): dbt_build',
        'Run: 6f1c',
        'Error: dbt build exited with code 1',
        'Log: https://dagster.example.com/runs/6f1c',
        '',
      ].join('\n'),
    );
  });

  it("group the incident commander's runs by DAG, and webhook deliveries each on their own", () => {
    const template = agent('incident-commander').spec.concurrency!.group!;
    const render = (metadata: Record<string, string | number>) =>
      renderConcurrencyGroup(template, {
        agent: 'incident-commander',
        trigger: { kind: 'airflow', metadata },
      });
    const first = render({ dag_id: 'jaffle_shop_daily', task_id: 'dbt_build', try_number: 1 });
    expect(first).toBe('incident-commander/jaffle_shop_daily');
    expect(render({ dag_id: 'jaffle_shop_daily', task_id: 'publish', try_number: 2 })).toBe(first);
    expect(render({ dag_id: 'finance_hourly' })).not.toBe(first);
    expect(render({ webhook_delivery: 'a' })).not.toBe(render({ webhook_delivery: 'b' }));
    expect(agent('incident-commander').spec.concurrency?.on_conflict).toBe('skip');
  });

  it('give every cron trigger a message and the cost optimizers a spend-alert webhook', () => {
    for (const [name, { spec }] of agents) {
      for (const trigger of spec.triggers) {
        if (trigger.cron) expect(trigger.message, `${name}: cron ${trigger.cron}`).toBeTruthy();
      }
    }
    for (const name of ['snowflake-cost-optimizer', 'bigquery-cost-optimizer']) {
      const { spec } = agent(name);
      expect(spec.triggers.some((trigger) => trigger.cron)).toBe(true);
      expect(spec.triggers.some((trigger) => trigger.webhook)).toBe(true);
      expect(spec.slack?.channel).toBe('#data-costs');
    }
    expect(agent('incident-commander').spec.slack?.channel).toBe('#incidents');
  });
});
