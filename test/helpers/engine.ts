import { expect } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { LocalSandboxDriver } from '../../src/sandbox/index.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore, type RunStore } from '../../src/store/index.js';
import {
  type ScriptedModelOptions,
  type ScriptedModelServer,
  startScriptedModel,
} from '../../src/testing/index.js';
import { createProject, scriptedConfig, type TempProject } from './project.js';

export interface EngineProjectOptions {
  /** Agent files by name, written to `.agentry/agents/NAME.yml`. */
  agents: Record<string, string>;
  /** More files of the repository. */
  files?: Record<string, string>;
  /** What the scripted model answers (one script, or one per agent). */
  model: ScriptedModelOptions;
  /** YAML appended to config.yml. */
  configExtra?: string;
  /** The engine's environment (credentials of brokers, secrets). */
  env?: NodeJS.ProcessEnv;
}

/** A committed project with agents, a scripted model, a SQLite store and an engine on the local driver. */
export interface EngineProject {
  engine: Engine;
  store: RunStore;
  model: ScriptedModelServer;
  project: TempProject;
  /** Close the store and the model, delete the project. Safe to call twice. */
  close(): Promise<void>;
}

/** Set up an engine on real parts for a test; the project must validate with no issues. */
export async function startEngineProject(options: EngineProjectOptions): Promise<EngineProject> {
  const model = await startScriptedModel(options.model);
  const project = createProject({ 'README.md': '# repo\n', ...options.files });
  let store: RunStore | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await store?.close();
    await model.close();
    project.cleanup();
  };
  try {
    project.write('.agentry/config.yml', scriptedConfig(model.url, project.workspaces, options.configExtra));
    project.write('.agentry/.gitignore', 'agentry.db*\n');
    for (const [name, yaml] of Object.entries(options.agents))
      project.write(`.agentry/agents/${name}.yml`, yaml);
    project.commit('agentry');
    const { project: loaded, issues } = await loadProject(project.root);
    expect(issues).toEqual([]);
    store = await openStore(loaded.config.store, project.root);
    const engine = new Engine({
      project: loaded,
      store,
      sandbox: new LocalSandboxDriver({ workspaceRoot: project.workspaces }),
      env: options.env ?? {},
      heartbeatMs: 50,
    });
    return { engine, store, model, project, close };
  } catch (error) {
    await close();
    throw error;
  }
}
