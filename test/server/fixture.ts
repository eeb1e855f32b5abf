import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandboxDriver } from '../../src/sandbox/index.js';
import { AgentryClient } from '../../src/sdk/index.js';
import { createApiKey } from '../../src/server/api-keys.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/start-server.js';
import { loadProject } from '../../src/spec/index.js';
import type { ApiKeyScope, KeyStore } from '../../src/store/key-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { RunStore } from '../../src/store/run-store.js';
import { type RunStatus, TERMINAL_STATUSES } from '../../src/store/types.js';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { builtinToolRegistry } from '../../src/tools/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';

/** An agent with no tools that answers in one step. */
export const ECHO_AGENT = `name: echo
description: Answers in one step.
role: terse assistant
goal: answer the message
limits:
  max_steps: 4
  timeout: 20s
`;

/** An agent with the given concurrency block (YAML, indented under `concurrency:`). */
export function agentWithConcurrency(name: string, concurrency: string): string {
  return `name: ${name}
role: terse assistant
goal: answer the message
limits:
  max_steps: 4
  timeout: 20s
concurrency:
${concurrency}
`;
}

export interface Fixture {
  project: TempProject;
  model: ScriptedModelServer;
  store: RunStore & KeyStore;
  server: RunningServer;
  url: string;
  /** A key with every scope (when auth is on). */
  adminKey: string | undefined;
  /** Make another key. */
  key(scopes: ApiKeyScope[], name?: string): Promise<string>;
  client(apiKey?: string): AgentryClient;
  /** A plain HTTP call; `key: null` sends no Authorization. */
  call(
    method: string,
    path: string,
    options?: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  /** Poll the store until the run is in one of `statuses`. */
  waitForStatus(runId: string, statuses: readonly RunStatus[], timeoutMs?: number): Promise<void>;
  /** Stop the server (cancelling what runs), the model, the store; delete the project. */
  close(): Promise<void>;
}

export interface FixtureOptions {
  agents?: Record<string, string>;
  script?: ScriptStep[];
  /** A script per agent, for squads (see startScriptedModel). */
  scripts?: Record<string, ScriptStep[]>;
  whenExhausted?: 'error' | 'repeat-last';
  auth?: boolean;
  server?: Partial<ServerOptions>;
}

/** A project with agents, a scripted model and a running `agentry serve` on an ephemeral port. */
export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const model = await startScriptedModel({
    script: options.script ?? [{ text: 'done' }],
    scripts: options.scripts,
    whenExhausted: options.whenExhausted ?? 'repeat-last',
  });
  const project = createProject({});
  project.write('.agentry/config.yml', scriptedConfig(model.url, project.workspaces));
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  for (const [name, yaml] of Object.entries(options.agents ?? { echo: ECHO_AGENT })) {
    project.write(`.agentry/agents/${name}.yml`, yaml);
  }
  project.commit('agents');
  const tools = builtinToolRegistry();
  const { project: loaded, issues } = await loadProject(project.root, { knownTools: tools.names() });
  if (issues.length > 0) throw new Error(`fixture agents have issues: ${JSON.stringify(issues)}`);
  const store = await openStore(loaded.config.store, loaded.root);
  const auth = options.auth ?? true;
  const adminKey = auth ? (await createApiKey(store, { name: 'admin', scopes: ['admin'] })).key : undefined;
  const logs: string[] = [];
  const server = await startServer({
    project: loaded,
    store,
    sandbox: createSandboxDriver(loaded.config.sandbox).driver,
    tools,
    port: 0,
    noAuth: !auth,
    heartbeatMs: 200,
    log: (line) => logs.push(line),
    ...options.server,
  });
  const fixture: Fixture = {
    project,
    model,
    store,
    server,
    url: server.url,
    adminKey,
    key: async (scopes, name) => (await createApiKey(store, { name: name ?? null, scopes })).key,
    client: (apiKey = adminKey) => new AgentryClient({ url: server.url, apiKey }),
    async call(method, path, callOptions = {}) {
      const key = callOptions.key === undefined ? adminKey : callOptions.key;
      const headers: Record<string, string> = { ...callOptions.headers };
      if (key) headers['Authorization'] = `Bearer ${key}`;
      let body: string | undefined = callOptions.rawBody;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        headers['Content-Type'] = 'application/json';
      }
      const response = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // SSE or plain text: keep the text.
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async waitForStatus(runId, statuses, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await store.getRun(runId);
        if (run && statuses.includes(run.status)) return;
        if (Date.now() > deadline) {
          throw new Error(
            `run ${runId} is ${run?.status}, not ${statuses.join('|')}; server log: ${logs.join(' / ')}`,
          );
        }
        await sleep(20);
      }
    },
    async close() {
      await server.close();
      await model.close();
      await store.close();
      const left = existsSync(project.workspaces) ? readdirSync(project.workspaces) : [];
      project.cleanup();
      if (left.length > 0) throw new Error(`run workspaces were left behind: ${left.join(', ')}`);
    },
  };
  return fixture;
}

/** Wait until every run is terminal. */
export async function waitForAll(fixture: Fixture, runIds: readonly string[]): Promise<void> {
  for (const runId of runIds) await fixture.waitForStatus(runId, TERMINAL_STATUSES);
}
