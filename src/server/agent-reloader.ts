import { type FSWatcher, statSync, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describeError } from '../errors.js';
import {
  agentNameOf,
  formatIssue,
  type LoadedAgent,
  loadProject,
  type Project,
  type SpecIssue,
} from '../spec/index.js';
import { cronTriggersOf } from '../triggers/cron.js';

/** An agent file that does not load: what is wrong, and which version runs meanwhile. */
export interface AgentProblem {
  agent: string;
  /** Absolute path of the file. */
  file: string;
  issues: SpecIssue[];
  /** The hash of the last good version, which keeps running; null when it never loaded. */
  keeping: string | null;
  /** When the problem was first seen (ISO-8601). */
  since: string;
}

/** What one reload changed. */
export interface AgentReload {
  added: string[];
  changed: string[];
  removed: string[];
  /** Agents whose file is broken now (whether newly or still). */
  broken: string[];
}

/** Options of {@link AgentReloader}. */
export interface AgentReloaderOptions {
  /** The project `serve` runs: its `agents` map is updated in place, so every part sees the change. */
  project: Project;
  /** Tool names an agent may list (as at start-up). */
  knownTools?: readonly string[];
  /** The issues found when the project was loaded at start-up: broken agents are reported from the start. */
  initialIssues?: readonly SpecIssue[];
  log: (line: string) => void;
  /** Told after a reload that added, changed or removed an agent (cron schedules follow). */
  onChange?: (reload: AgentReload) => void | Promise<void>;
  /** Quiet time after a file event before reloading, so an editor's burst of writes is one reload. Default 200 ms. */
  debounceMs?: number;
  /**
   * Also look for changes this often, for file systems that send no events (some network and
   * container mounts). 0 turns it off. Default 10 s.
   */
  pollMs?: number;
  /** Watch the agents directories for file events. Default true; false leaves only the poll. */
  watch?: boolean;
}

const AGENT_DIRECTORIES = [join('.agentry', 'agents'), join('.dinoai', 'agents')];

/**
 * File names whose events matter: agent files, the config, an agents directory appearing. The
 * store's own files live in `.agentry/` too, and change at every write.
 */
const RELEVANT_NAME = /(?:\.ya?ml|^agents)$/;

/**
 * Keeps a running server's agents in step with their files. On a change it reloads and validates
 * every agent file the way start-up does (plus cron patterns): a valid file replaces its agent
 * (new runs use it; a running turn finishes on the version it started with), a deleted file
 * removes it, and a broken file keeps the last good version running — reported in the log and
 * by {@link problems} (`GET /api/v1/agents`) until fixed. `config.yml` is not reloaded.
 */
export class AgentReloader {
  readonly #project: Project;
  readonly #knownTools: readonly string[] | undefined;
  readonly #log: (line: string) => void;
  readonly #onChange: ((reload: AgentReload) => void | Promise<void>) | undefined;
  readonly #debounceMs: number;
  readonly #problems = new Map<string, AgentProblem>();
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #configText: string;
  readonly #watch: boolean;
  #timer: NodeJS.Timeout | undefined;
  #poller: NodeJS.Timeout | undefined;
  #fingerprint = '';
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: AgentReloaderOptions) {
    this.#project = options.project;
    this.#knownTools = options.knownTools;
    this.#log = options.log;
    this.#onChange = options.onChange;
    this.#debounceMs = options.debounceMs ?? 200;
    this.#configText = JSON.stringify(options.project.config);
    this.#watch = options.watch ?? true;
    const since = new Date().toISOString();
    for (const [agent, entry] of groupByAgent(this.#project.root, options.initialIssues ?? [])) {
      this.#problems.set(agent, { agent, ...entry, keeping: null, since });
    }
    this.#watchDirectories();
    const pollMs = options.pollMs ?? 10_000;
    if (pollMs > 0) {
      void this.#fingerprintNow().then((print) => {
        this.#fingerprint = print;
      });
      this.#poller = setInterval(() => void this.#poll(), pollMs);
      this.#poller.unref();
    }
  }

  /** Broken agent files, by agent name. */
  problems(): AgentProblem[] {
    return [...this.#problems.values()].sort((left, right) => left.agent.localeCompare(right.agent));
  }

  /**
   * Reload now (file events and the poll call this). Reloads never overlap: one asked for while
   * another runs happens after it.
   */
  reload(): Promise<AgentReload> {
    const next = this.#running.then(() => this.#reloadOnce());
    this.#running = next.catch(() => undefined);
    return next;
  }

  /** Stop watching; a reload in progress finishes. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#poller);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    await this.#running;
  }

  async #reloadOnce(): Promise<AgentReload> {
    const reload: AgentReload = { added: [], changed: [], removed: [], broken: [] };
    if (this.#closed) return reload;
    // Taken before reading, so an edit made while reading still differs at the next poll.
    this.#fingerprint = await this.#fingerprintNow();
    const { project: fresh, issues } = await loadProject(this.#project.root, {
      knownTools: this.#knownTools,
    });
    const broken = groupByAgent(this.#project.root, issues);
    for (const issue of issues) {
      if (!isAgentFile(this.#project.root, issue.file)) {
        this.#log(`agents: ${formatIssue(issue, this.#project.root)}`);
      }
    }
    if (JSON.stringify(fresh.config) !== this.#configText) {
      this.#log('agents: config.yml changed: it takes effect when agentry serve restarts');
    }
    // Cron patterns are checked by the scheduler, not the schema: a bad one must not replace a good agent.
    for (const agent of fresh.agents.values()) {
      const problem = cronProblem(agent);
      if (!problem) continue;
      fresh.agents.delete(agent.name);
      broken.set(agent.name, { file: agent.file, issues: [problem] });
    }

    const live = this.#project.agents;
    const names = new Set([
      ...live.keys(),
      ...fresh.agents.keys(),
      ...broken.keys(),
      ...this.#problems.keys(),
    ]);
    for (const name of [...names].sort()) {
      const next = fresh.agents.get(name);
      const current = live.get(name);
      if (next) {
        if (!current) reload.added.push(name);
        else if (current.hash !== next.hash || current.file !== next.file) reload.changed.push(name);
        // An unchanged agent keeps its object: nothing that holds it needs to notice.
        if (!current || current.hash !== next.hash || current.file !== next.file) live.set(name, next);
        if (this.#problems.delete(name) && current) this.#log(`agents: ${name} is valid again`);
        continue;
      }
      const problem = broken.get(name);
      if (problem) {
        reload.broken.push(name);
        this.#report(name, problem, current);
        continue;
      }
      this.#problems.delete(name);
      if (current) {
        live.delete(name);
        reload.removed.push(name);
      }
    }
    for (const name of reload.added) this.#log(`agents: added ${name} (${short(live.get(name)!.hash)})`);
    for (const name of reload.changed) this.#log(`agents: reloaded ${name} (${short(live.get(name)!.hash)})`);
    for (const name of reload.removed) this.#log(`agents: removed ${name}: its file is gone`);
    this.#watchDirectories();
    if (reload.added.length + reload.changed.length + reload.removed.length > 0) {
      try {
        await this.#onChange?.(reload);
      } catch (error) {
        this.#log(`agents: after reloading: ${describeError(error)}`);
      }
    }
    return reload;
  }

  /** Log a broken file once per distinct set of issues, and remember it for the API. */
  #report(
    name: string,
    found: { file: string; issues: SpecIssue[] },
    current: LoadedAgent | undefined,
  ): void {
    const previous = this.#problems.get(name);
    const same =
      previous !== undefined &&
      JSON.stringify(previous.issues) === JSON.stringify(found.issues) &&
      previous.file === found.file;
    if (same) return;
    const keeping = current?.hash ?? null;
    this.#problems.set(name, {
      agent: name,
      file: found.file,
      issues: found.issues,
      keeping,
      since: previous?.since ?? new Date().toISOString(),
    });
    const verdict =
      keeping === null
        ? 'it is not loaded until fixed'
        : `keeping the last good version (${short(keeping)}) until it is fixed`;
    this.#log(`agents: ${relative(this.#project.root, found.file)} has errors; ${verdict}:`);
    for (const issue of found.issues) this.#log(`  ${formatIssue(issue, this.#project.root)}`);
  }

  /** Watch every agents directory that exists (again after a reload: one may have appeared). */
  #watchDirectories(): void {
    if (this.#closed || !this.#watch) return;
    const directories = [
      join(this.#project.root, '.agentry'),
      ...AGENT_DIRECTORIES.map((path) => join(this.#project.root, path)),
    ];
    for (const directory of directories) {
      if (this.#watchers.has(directory) || !isDirectory(directory)) continue;
      try {
        const watcher = watch(directory, { persistent: false }, (_event, name) => {
          if (name === null || RELEVANT_NAME.test(String(name))) this.#schedule();
        });
        watcher.on('error', () => {
          watcher.close();
          this.#watchers.delete(directory);
        });
        this.#watchers.set(directory, watcher);
      } catch (error) {
        this.#log(
          `agents: cannot watch ${relative(this.#project.root, directory)} (${describeError(error)}): changes are seen by polling only`,
        );
      }
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.reload().catch((error) => this.#log(`agents: reload failed: ${describeError(error)}`));
    }, this.#debounceMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const print = await this.#fingerprintNow();
    if (print === this.#fingerprint) return;
    this.#fingerprint = print;
    this.#schedule();
  }

  /** Names, sizes and modification times of the agent files: cheap, and changes with any edit. */
  async #fingerprintNow(): Promise<string> {
    const parts: string[] = [];
    for (const path of AGENT_DIRECTORIES) {
      const directory = join(this.#project.root, path);
      let names: string[];
      try {
        names = (await readdir(directory)).filter((name) => /\.ya?ml$/.test(name)).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        const info = await stat(join(directory, name)).catch(() => undefined);
        parts.push(`${path}/${name}:${info?.size ?? '-'}:${info?.mtimeMs ?? '-'}`);
      }
    }
    return parts.join('\n');
  }
}

function groupByAgent(
  root: string,
  issues: readonly SpecIssue[],
): Map<string, { file: string; issues: SpecIssue[] }> {
  const byAgent = new Map<string, { file: string; issues: SpecIssue[] }>();
  for (const issue of issues) {
    if (!isAgentFile(root, issue.file)) continue;
    const name = agentNameOf(issue.file);
    const entry = byAgent.get(name) ?? { file: issue.file, issues: [] };
    entry.issues.push(issue);
    byAgent.set(name, entry);
  }
  return byAgent;
}

function isAgentFile(root: string, file: string): boolean {
  return /\.ya?ml$/.test(file) && AGENT_DIRECTORIES.some((path) => dirname(file) === join(root, path));
}

function cronProblem(agent: LoadedAgent): SpecIssue | undefined {
  try {
    cronTriggersOf([agent]);
    return undefined;
  } catch (error) {
    return { file: agent.file, line: 1, column: 1, message: describeError(error) };
  }
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
