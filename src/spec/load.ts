import { createHash } from 'node:crypto';
import { type Dirent, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { AgentSpec } from './agent-spec.js';
import type { AgentryConfig } from './config.js';
import type { SpecIssue } from './errors.js';
import {
  type AgentSource,
  agentNameOf,
  defaultConfig,
  loadAgentFile,
  loadConfigFile,
  sortIssues,
} from './load-file.js';
import { agentRuleIssues } from './project-rules.js';
import type { YamlDocument } from './yaml-document.js';

/** An agent file that passed every check. */
export interface LoadedAgent {
  name: string;
  /** Absolute path of the YAML file. */
  file: string;
  spec: AgentSpec;
  /** sha256 (hex) of the file's bytes: pins exactly what a run ran. */
  hash: string;
  source: AgentSource;
}

/** Everything under `.agentry/` (and `.dinoai/agents/`) of one repository, validated. */
export interface Project {
  /** Absolute path of the directory holding `.agentry/` or `.dinoai/`. */
  root: string;
  /** Absolute path of the config file, or null when there is none (`config` is then the defaults). */
  configFile: string | null;
  config: AgentryConfig;
  /** Valid agents by name. An agent with any issue is left out; its issues say why. */
  agents: Map<string, LoadedAgent>;
}

/** Options of {@link loadProject}. */
export interface LoadProjectOptions {
  /** When given, every name in an agent's `tools.list` must be one of these. */
  knownTools?: readonly string[];
}

const agentDirectories: ReadonlyArray<{ path: string; source: AgentSource }> = [
  { path: join('.agentry', 'agents'), source: 'agentry' },
  { path: join('.dinoai', 'agents'), source: 'dinoai' },
];

/** The nearest directory at or above `startDir` holding `.agentry/` or `.dinoai/`. */
export function findProjectRoot(startDir: string): string | undefined {
  let directory = resolve(startDir);
  for (;;) {
    if (isDirectory(join(directory, '.agentry')) || isDirectory(join(directory, '.dinoai'))) return directory;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * Reads and validates the config and every agent of the project at `root`. Never throws for a
 * bad file: every issue of every file is returned, each at its line and column, and agents with
 * issues are left out of `project.agents`.
 */
export async function loadProject(
  root: string,
  options: LoadProjectOptions = {},
): Promise<{ project: Project; issues: SpecIssue[] }> {
  const projectRoot = resolve(root);
  const [configRead, listed] = await Promise.all([readConfig(projectRoot), listAgentFiles(projectRoot)]);
  const issues: SpecIssue[] = [...configRead.issues, ...listed.issues];
  const loaded = await Promise.all(listed.files.map((candidate) => readAgent(candidate)));
  // A broken config has unknown models: checking agents' models against it would only add noise.
  const config = configRead.file === null ? defaultConfig() : configRead.config;

  const facts = {
    agentNames: new Set(listed.files.map((candidate) => agentNameOf(candidate.file))),
    config,
    configLabel: relative(projectRoot, configRead.file ?? join(projectRoot, '.agentry', 'config.yml')),
    knownTools: options.knownTools,
  };

  const agents = new Map<string, LoadedAgent>();
  const firstFileOf = new Map<string, string>();
  for (const agent of loaded) {
    const name = agentNameOf(agent.file);
    const first = firstFileOf.get(name);
    if (first === undefined) firstFileOf.set(name, agent.file);
    const duplicate = first === undefined ? [] : [duplicateIssue(agent, name, relative(projectRoot, first))];
    const rules = agent.spec && agent.document ? agentRuleIssues(agent.spec, agent.document, facts) : [];
    const fileIssues = [...agent.issues, ...duplicate, ...rules];

    if (fileIssues.length > 0) issues.push(...sortIssues(fileIssues));
    else if (agent.spec) {
      agents.set(name, { name, file: agent.file, spec: agent.spec, hash: agent.hash, source: agent.source });
    }
  }

  return {
    project: { root: projectRoot, configFile: configRead.file, config: config ?? defaultConfig(), agents },
    issues,
  };
}

interface AgentCandidate {
  file: string;
  source: AgentSource;
}

interface ReadAgent extends AgentCandidate {
  hash: string;
  spec?: AgentSpec;
  document?: YamlDocument;
  issues: SpecIssue[];
}

async function readAgent(candidate: AgentCandidate): Promise<ReadAgent> {
  let bytes: Buffer;
  try {
    bytes = await readFile(candidate.file);
  } catch (error) {
    return { ...candidate, hash: '', issues: [unreadableIssue(candidate.file, error)] };
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const result = loadAgentFile(candidate.file, bytes.toString('utf8'), { source: candidate.source });
  if (!result.ok) return { ...candidate, hash, issues: result.issues };
  return { ...candidate, hash, spec: result.value, document: result.document, issues: [] };
}

function duplicateIssue(agent: ReadAgent, name: string, firstFile: string): SpecIssue {
  const message = `agent '${name}' is also defined in ${firstFile}: keep one of the two files`;
  if (agent.document) return agent.document.issueAt(['name'], message);
  return { file: agent.file, line: 1, column: 1, message };
}

interface ConfigRead {
  file: string | null;
  /** Present when the file exists and has no issues. */
  config?: AgentryConfig;
  issues: SpecIssue[];
}

async function readConfig(root: string): Promise<ConfigRead> {
  const present = ['config.yml', 'config.yaml'].map((name) => join(root, '.agentry', name)).filter(isFile);
  const [file, extra] = present;
  if (file === undefined) return { file: null, issues: [] };

  const issues: SpecIssue[] = [];
  if (extra !== undefined) {
    const message = `both ${relative(root, file)} and ${relative(root, extra)} exist: only the first is read, delete the other`;
    issues.push({ file: extra, line: 1, column: 1, message });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file, issues: [...issues, unreadableIssue(file, error)] };
  }
  const result = loadConfigFile(file, text);
  if (!result.ok) return { file, issues: [...issues, ...result.issues] };
  return { file, config: result.value, issues };
}

async function listAgentFiles(root: string): Promise<{ files: AgentCandidate[]; issues: SpecIssue[] }> {
  const issues: SpecIssue[] = [];
  const lists = await Promise.all(
    agentDirectories.map(async ({ path, source }) => {
      const directory = join(root, path);
      let entries: Dirent[];
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') issues.push(unreadableIssue(directory, error));
        return [];
      }
      return entries
        .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && /\.ya?ml$/.test(entry.name))
        .map((entry) => entry.name)
        .sort()
        .map((name) => ({ file: join(directory, name), source }));
    }),
  );
  return { files: lists.flat(), issues };
}

function unreadableIssue(file: string, error: unknown): SpecIssue {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return {
    file,
    line: 1,
    column: 1,
    message: `cannot read ${basename(file)} (${reason}): check its permissions`,
  };
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}
