import { Engine, recoverLostRuns } from '../engine/index.js';
import { createSandboxDriver, type SandboxDriver } from '../sandbox/index.js';
import { Redactor } from '../secrets/index.js';
import { findProjectRoot, formatIssue, loadProject, type Project, type SpecIssue } from '../spec/index.js';
import { openStore, type RunStore } from '../store/index.js';
import { builtinToolRegistry, type ToolRegistry } from '../tools/index.js';
import { CliUsageError } from './errors.js';

/** Everything a command needs, opened once. */
export interface CliContext {
  project: Project;
  issues: SpecIssue[];
  store: RunStore;
  sandbox: SandboxDriver;
  tools: ToolRegistry;
  redactor: Redactor;
  engine: Engine;
  close(): Promise<void>;
}

/** The project root: `--project` if given, else the nearest directory above cwd holding `.agentry/`. */
export function projectRoot(option: string | undefined): string {
  const root = option ?? findProjectRoot(process.cwd());
  if (!root) {
    throw new CliUsageError(
      `no .agentry/ directory here or above ${process.cwd()}: run 'agentry init' in your repository, or pass --project DIR`,
    );
  }
  return root;
}

/** Load the project, open the store, and resolve runs a dead process left RUNNING. */
export async function openContext(options: {
  project?: string;
  warn?: (line: string) => void;
  /** The environment credentials come from; the process's when absent. */
  env?: NodeJS.ProcessEnv;
}): Promise<CliContext> {
  const root = projectRoot(options.project);
  const tools = builtinToolRegistry();
  const { project, issues } = await loadProject(root, { knownTools: tools.names() });
  const store = await openStore(project.config.store, project.root);
  const { driver, warning } = createSandboxDriver(project.config.sandbox);
  if (warning) options.warn?.(`warning: ${warning}`);
  const env = options.env ?? process.env;
  const redactor = Redactor.fromConfig(project.config, env);
  const engine = new Engine({ project, store, sandbox: driver, tools, redactor, env });
  const lost = await recoverLostRuns(store, { sandbox: driver, repoRoot: project.root });
  for (const runId of lost)
    options.warn?.(`run ${runId} was left RUNNING by a process that died: marked FAILED (worker-lost)`);
  return { project, issues, store, sandbox: driver, tools, redactor, engine, close: () => store.close() };
}

/** Issues that stop `agentry run AGENT`: the config's and that agent's own. */
export function blockingIssues(context: Pick<CliContext, 'project' | 'issues'>, agent: string): string[] {
  const configFile = context.project.configFile;
  return context.issues
    .filter(
      (issue) =>
        issue.file === configFile ||
        issue.file.endsWith(`/${agent}.yml`) ||
        issue.file.endsWith(`/${agent}.yaml`),
    )
    .map((issue) => formatIssue(issue, context.project.root));
}
