import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandboxDriver } from '../../src/sandbox/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { type WebhookResponse, webhookRoutes } from '../../src/server/webhooks/index.js';
import { loadProject } from '../../src/spec/index.js';
import { type DeliveryStore, openStore, type RunStore } from '../../src/store/index.js';
import { type ScriptedModelServer, startScriptedModel } from '../../src/testing/index.js';
import { builtinToolRegistry } from '../../src/tools/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';

export const REALDATA = join(import.meta.dirname, '../../../shared/realdata');
export const GITHUB_PAYLOADS = join(REALDATA, 'octokit_webhooks/payload-examples/api.github.com');
export const LINEAR_FIXTURES = join(REALDATA, 'zulip_linear_fixtures');

/** A webhook answer's body: the runs (202, 409), or an error with its code (and field, 422). */
export type Answer = WebhookResponse & { error?: { code: string; message: string; field?: string } };

/** The agents of the runs an answer lists, sorted. */
export function agentsOf(answer: Answer): string[] {
  return answer.matched.map((match) => match.agent).sort();
}

/** A payload file's bytes, as the sender would put them on the wire. */
export function payloadBytes(path: string): Buffer {
  return readFileSync(path);
}

/** An `agentry serve` in this process, on an ephemeral loopback port, with webhooks mounted. */
export interface WebhookServer {
  url: string;
  server: RunningServer;
  store: RunStore & DeliveryStore;
  model: ScriptedModelServer;
  project: TempProject;
  close(): Promise<void>;
}

/**
 * A temp git project with `agents`, a scripted model that answers every turn with one line, and
 * a server built the way `agentry serve` builds it (no API keys: loopback only).
 */
export async function startWebhookServer(options: {
  agents: Record<string, string>;
  config?: string;
  env: Record<string, string>;
  now?: () => number;
  /** How long seen deliveries are kept (default 30 days). */
  deliveryRetentionMs?: number;
}): Promise<WebhookServer> {
  const model = await startScriptedModel({ script: [{ text: 'noted' }], whenExhausted: 'repeat-last' });
  const project = createProject({});
  project.write('.agentry/config.yml', scriptedConfig(model.url, project.workspaces, options.config));
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  for (const [name, yaml] of Object.entries(options.agents))
    project.write(`.agentry/agents/${name}.yml`, yaml);
  project.commit('agents');
  const tools = builtinToolRegistry();
  const { project: loaded, issues } = await loadProject(project.root, { knownTools: tools.names() });
  if (issues.length > 0) throw new Error(`test project has issues: ${JSON.stringify(issues)}`);
  const store = await openStore(loaded.config.store, loaded.root);
  const { driver } = createSandboxDriver(loaded.config.sandbox);
  const env = { ...process.env, ...options.env };
  const server = await startServer({
    project: loaded,
    store,
    sandbox: driver,
    tools,
    env,
    port: 0,
    noAuth: true,
    extraRoutesFor: (dispatcher) => [
      webhookRoutes({
        project: loaded,
        startRun: (request) => dispatcher.trigger(request),
        deliveries: store,
        deliveryRetentionMs: options.deliveryRetentionMs,
        env,
        now: options.now,
      }),
    ],
  });
  return {
    url: server.url,
    server,
    store,
    model,
    project,
    async close() {
      await server.close();
      await store.close();
      await model.close();
      project.cleanup();
    },
  };
}
