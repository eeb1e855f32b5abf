/**
 * Plays a scenario end to end on a fresh copy of the example project: the reference agent and its
 * squad installed, the model scripted (or real), the local stand-ins the scenario needs started,
 * and the run executed by the same engine `agentry run` uses. Every tool call is real.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import type { RunEventListener } from '../../engine/index.js';
import {
  loadRunTree,
  type RunEvent,
  type RunRecord,
  type RunStore,
  type RunTree,
} from '../../store/index.js';
import type { Artifact } from '../../store/types.js';
import { type ScriptedModelServer, startScriptedModel } from '../../testing/index.js';
import { openContext } from '../context.js';
import { loadReferenceAgents, withSquads } from '../reference-agents.js';
import { prepareExampleProject } from './example-project.js';
import type { Scenario } from './scenario.js';
import { type ScenarioServices, startScenarioServices } from './services.js';

const execFileAsync = promisify(execFile);

const DEMO_IDENTITY = {
  GIT_AUTHOR_NAME: 'Agentry demo',
  GIT_AUTHOR_EMAIL: 'demo@agentry.invalid',
  GIT_COMMITTER_NAME: 'Agentry demo',
  GIT_COMMITTER_EMAIL: 'demo@agentry.invalid',
};

export interface PlayOptions {
  /** Where the example project is laid out (created; must not hold one already). */
  dir: string;
  /** Where local stand-ins keep their state (a bare git remote); a sibling of `dir` when absent. */
  servicesDir?: string;
  /** A real OpenAI-compatible endpoint instead of the scenario's scripts. */
  modelUrl?: string;
  model?: string;
  /** Every event of the run and its children, as it is recorded. */
  onEvent?: RunEventListener;
  /** Told what was set up, before the run starts. */
  onReady?(setup: { dir: string; model: string; services: string[] }): void;
}

/** What a played scenario left, for the demo to print and the tests to check. */
export interface PlayedScenario {
  dir: string;
  run: RunRecord;
  tree: RunTree;
  /** Every run of the tree, the root first. */
  runs: RunRecord[];
  events: Map<string, RunEvent[]>;
  artifacts: Map<string, Artifact[]>;
  store: RunStore;
  model: ScriptedModelServer | undefined;
  services: ScenarioServices;
  /** Close the store and stop the stand-ins. Safe to call twice. */
  close(): Promise<void>;
}

/** Run `scenario` on a new copy of the example project in `options.dir`. */
export async function playScenario(scenario: Scenario, options: PlayOptions): Promise<PlayedScenario> {
  const dir = options.dir;
  await prepareExampleProject(dir);
  await installAgents(dir, scenario.agent);
  const servicesDir = options.servicesDir ?? `${dir}.services`;
  await mkdir(servicesDir, { recursive: true });
  const services = await startScenarioServices(scenario, { projectDir: dir, servicesDir });
  let model: ScriptedModelServer | undefined;
  try {
    if (options.modelUrl) {
      await configure(dir, (config) => {
        config.setIn(['models', 'default', 'base_url'], options.modelUrl);
        config.setIn(['models', 'default', 'model'], options.model ?? 'llama3.1');
      });
    } else {
      model = await startScriptedModel({ scripts: scenario.scripts });
      await configure(dir, (config) => {
        config.setIn(['models', 'default', 'base_url'], model!.url);
        config.setIn(['models', 'default', 'model'], 'scripted-demo');
      });
    }
    await configure(dir, (config) => services.configure(config));
    await commit(dir, `Add the ${scenario.agent} reference agent and its squad`);
    // The team's repository holds its agents: without this push, a pull request the run opens
    // would carry the install commit (protected .agentry/ paths) and be refused.
    if (services.github) await pushMain(dir);
    options.onReady?.({
      dir,
      model: options.modelUrl ? `${options.model ?? 'llama3.1'} at ${options.modelUrl}` : 'scripted',
      services: services.names,
    });
    const context = await openContext({ project: dir, env: { ...process.env, ...services.env } });
    try {
      const stop = options.onEvent ? context.engine.on(options.onEvent) : () => undefined;
      let run: RunRecord;
      try {
        run = await context.engine.triggerRun(scenario.agent, scenario.message, {
          trigger: scenario.trigger ?? { kind: 'cli', source: 'demo' },
        });
      } finally {
        stop();
      }
      return await collect(context.store, run, dir, model, services, () => context.close());
    } catch (error) {
      await context.close();
      throw error;
    }
  } catch (error) {
    await model?.close();
    await services.close();
    throw error;
  }
}

async function collect(
  store: RunStore,
  run: RunRecord,
  dir: string,
  model: ScriptedModelServer | undefined,
  services: ScenarioServices,
  closeStore: () => Promise<void>,
): Promise<PlayedScenario> {
  const tree = await loadRunTree(store, run);
  const runs: RunRecord[] = [];
  const walk = (node: RunTree) => {
    runs.push(node.run);
    node.children.forEach(walk);
  };
  walk(tree);
  const events = new Map<string, RunEvent[]>();
  const artifacts = new Map<string, Artifact[]>();
  for (const each of runs) {
    events.set(each.id, await store.listEvents(each.id));
    artifacts.set(each.id, await store.listArtifacts(each.id));
  }
  let closed: Promise<void> | undefined;
  return {
    dir,
    run,
    tree,
    runs,
    events,
    artifacts,
    store,
    model,
    services,
    close() {
      closed ??= (async () => {
        await closeStore();
        await model?.close();
        await services.close();
      })();
      return closed;
    },
  };
}

/** Copy the reference agent and its squad into the project's `.agentry/agents/`. */
async function installAgents(dir: string, agent: string): Promise<void> {
  const catalogue = await loadReferenceAgents();
  for (const name of withSquads([agent], catalogue)) {
    await writeFile(join(dir, '.agentry', 'agents', `${name}.yml`), catalogue.get(name)!.text);
  }
}

async function configure(dir: string, change: (config: ReturnType<typeof parseDocument>) => void) {
  const file = join(dir, '.agentry', 'config.yml');
  const document = parseDocument(await readFile(file, 'utf8'));
  change(document);
  await writeFile(file, document.toString());
}

/** Push the project's main branch to `origin`, the GitHub stand-in's repository. */
async function pushMain(dir: string): Promise<void> {
  await execFileAsync('git', ['push', '--quiet', 'origin', 'HEAD:refs/heads/main'], { cwd: dir });
}

async function commit(dir: string, message: string): Promise<void> {
  const env = { ...process.env, ...DEMO_IDENTITY };
  await execFileAsync('git', ['add', '-A'], { cwd: dir, env });
  await execFileAsync('git', ['commit', '--quiet', '--allow-empty', '-m', message], { cwd: dir, env });
}
