import { Redactor } from '../../src/secrets/redactor.js';
import { agentSpecSchema } from '../../src/spec/agent-spec.js';
import { configSchema } from '../../src/spec/config.js';
import type { LoadedAgent } from '../../src/spec/load.js';
import { SqliteRunStore } from '../../src/store/sqlite.js';
import type { RunEvent, RunRecord, RunTrigger } from '../../src/store/types.js';
import {
  FAKE_SLACK_TOKEN,
  type FakeSlack,
  type FakeSlackChannel,
  startFakeSlack,
} from '../../src/testing/fake-slack.js';

export const CHANNELS: FakeSlackChannel[] = [
  { id: 'C0GENERAL01', name: 'general' },
  { id: 'C0INCIDENT1', name: 'incidents' },
  { id: 'C0ANALYTIC1', name: 'analytics-eng' },
  { id: 'C0NOTMEMB01', name: 'random', isMember: false },
  { id: 'G0PRIVATE01', name: 'data-oncall', isPrivate: true },
  { id: 'G0HIDDEN001', name: 'secret-plans', isPrivate: true, isMember: false },
];

export const USERS = [{ id: 'U0JANE0001', name: 'jane', email: 'jane.doe@acme.test', realName: 'Jane Doe' }];

/** Servers and stores of one test, closed by `cleanup()`. */
export class Fixture {
  private readonly slacks: FakeSlack[] = [];
  private readonly stores: SqliteRunStore[] = [];

  async slack(): Promise<FakeSlack> {
    const slack = await startFakeSlack({ channels: structuredClone(CHANNELS), users: USERS });
    this.slacks.push(slack);
    return slack;
  }

  async store(): Promise<SqliteRunStore> {
    const store = new SqliteRunStore(':memory:');
    await store.migrate();
    this.stores.push(store);
    return store;
  }

  async cleanup(): Promise<void> {
    for (const slack of this.slacks.splice(0)) await slack.close();
    for (const store of this.stores.splice(0)) await store.close();
  }
}

/** config.yml pointing Slack at `apiUrl`, with the token in SLACK_BOT_TOKEN. */
export function slackConfig(apiUrl: string | undefined) {
  return configSchema.parse({
    integrations: { slack: { ...(apiUrl ? { api_url: apiUrl } : {}), token_env: 'SLACK_BOT_TOKEN' } },
  });
}

export const SLACK_ENV = { SLACK_BOT_TOKEN: FAKE_SLACK_TOKEN };

export const INCIDENT_SCHEMA = {
  type: 'object',
  required: ['summary'],
  properties: { summary: { type: 'string' } },
};

/** An agent as the loader hands it over. */
export function loadedAgent(name: string, spec: Record<string, unknown> = {}): LoadedAgent {
  return {
    name,
    file: `/project/.agentry/agents/${name}.yml`,
    spec: agentSpecSchema.parse({
      name,
      role: 'incident commander',
      goal: 'find why the DAG failed',
      ...spec,
    }),
    hash: 'a'.repeat(64),
    source: 'agentry',
  };
}

/** A run in a real store, and a `record` that appends redacted events to it as the engine does. */
export async function storedRun(
  store: SqliteRunStore,
  agent: string,
  redactor: Redactor,
  trigger: RunTrigger = { kind: 'airflow', source: 'dag orders_daily' },
): Promise<{
  run: RunRecord;
  record(type: 'notification.sent' | 'notification.failed', payload: Record<string, unknown>): Promise<void>;
}> {
  const run = await store.createRun({ agent, agentHash: 'a'.repeat(64), trigger });
  return {
    run,
    async record(type, payload) {
      await store.appendEvent(run.id, type, redactor.redact(payload));
    },
  };
}

export function notificationEvents(events: readonly RunEvent[]) {
  return events.filter((event) => event.type === 'notification.sent' || event.type === 'notification.failed');
}

export function redactorFor(env: NodeJS.ProcessEnv, apiUrl?: string): Redactor {
  return Redactor.fromConfig(slackConfig(apiUrl), env);
}

/** Every piece of text of a Slack message, as one string. */
export function allText(message: { text: string; blocks?: unknown }): string {
  return `${message.text}\n${JSON.stringify(message.blocks ?? [])}`;
}
