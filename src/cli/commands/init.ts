import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type AgentryConfig, agentJsonSchema, configJsonSchema, loadConfigFile } from '../../spec/index.js';
import { CliUsageError } from '../errors.js';
import type { Io } from '../io.js';
import {
  type AgentNeed,
  agentNeeds,
  loadReferenceAgents,
  parseAgentNames,
  type ReferenceAgent,
  withSquads,
} from '../reference-agents.js';

const CONFIG = `# yaml-language-server: $schema=schema/config.schema.json
# Agentry configuration. \`agentry schema config\` prints every key with its meaning.
version: 1
models:
  default:
    provider: openai            # openai | anthropic | openai-compatible
    model: gpt-4o-mini
    api_key_env: OPENAI_API_KEY # the variable that holds the key, never the key itself
  # local:
  #   provider: openai-compatible   # Ollama, vLLM, LM Studio
  #   model: llama3.1
  #   base_url: http://127.0.0.1:11434/v1
store: sqlite:.agentry/agentry.db
sandbox:
  driver: auto                  # bwrap where it works, else local (with a warning)
  # .env*, profiles.yml, keys and credentials files are never copied into a run's workspace;
  # add more here (ignore: [secrets/]) or loosen one explicitly (ignore: ['!profiles.yml']).
  ignore: []
# Values of these environment variables are redacted from every stored event and output.
secrets: []
`;

const AGENT = `# yaml-language-server: $schema=../schema/agent.schema.json
name: repo-guide
version: 1
description: Answers questions about this repository by reading its files.
role: >
  Careful engineer who explains a codebase to a teammate.
goal: >
  Answer the question asked, citing the files (and line numbers) you read.
model: default
tools:
  mode: allowlist
  list: [read_file, list_directory, search_files_and_directories]
limits:
  max_steps: 15
  timeout: 5m
`;

const GITIGNORE = `# Agentry's local run store
agentry.db*
`;

/** Options of `agentry init`. */
export interface InitOptions {
  dir?: string;
  force?: boolean;
  /** `--with a,b`: reference agents to copy (with their squads); `true` when given without names: list them. */
  with?: string | string[] | boolean;
  /** `--list`: print the reference agents and stop. */
  list?: boolean;
  /** Where the reference agents are; the package's `agents/` folder when absent (tests point it elsewhere). */
  referenceDir?: string;
}

/**
 * `agentry init`: scaffold `.agentry/` with a config, an example agent and JSON Schemas for
 * editors. With `--with NAMES`, copy those reference agents and their squads instead of the
 * example, into a new or an existing `.agentry/`, and say what they need configured.
 */
export async function initCommand(options: InitOptions, io: Io): Promise<number> {
  const root = resolve(options.dir ?? process.cwd());
  if (options.list || options.with === true) return listReferenceAgents(options.referenceDir, io);
  if (options.with !== undefined && options.with !== false) {
    const names = parseAgentNames(options.with);
    if (names.length === 0) return listReferenceAgents(options.referenceDir, io);
    return initWithAgents(root, names, options, io);
  }
  const base = join(root, '.agentry');
  if (existsSync(join(base, 'config.yml')) && !options.force) {
    throw new CliUsageError(`${base}/config.yml exists already: pass --force to overwrite the scaffold`);
  }
  await writeScaffold(base, [['agents/repo-guide.yml', AGENT]], io);
  io.err('next: set OPENAI_API_KEY (or point models.default at a local server), commit .agentry/, then');
  io.err('      agentry run repo-guide -m "What does this repository do?"');
  return 0;
}

async function writeScaffold(base: string, extra: [string, string][], io: Io): Promise<void> {
  await mkdir(join(base, 'agents'), { recursive: true });
  await mkdir(join(base, 'schema'), { recursive: true });
  const files: [string, string][] = [
    ['config.yml', CONFIG],
    ...extra,
    ['.gitignore', GITIGNORE],
    ['schema/agent.schema.json', `${JSON.stringify(agentJsonSchema(), null, 2)}\n`],
    ['schema/config.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`],
  ];
  for (const [path, content] of files) {
    await writeFile(join(base, path), content);
    io.err(`created .agentry/${path}`);
  }
}

/** `agentry init --list`: the reference agents, one a line, with what they do. */
async function listReferenceAgents(referenceDir: string | undefined, io: Io): Promise<number> {
  const catalogue = await loadReferenceAgents(referenceDir);
  const width = Math.max(...[...catalogue.keys()].map((name) => name.length));
  io.out('Reference agents (copy with: agentry init --with NAME[,NAME...]):');
  for (const { name, spec } of catalogue.values()) {
    const leads = [...catalogue.values()].filter((lead) => lead.spec.agents_squad.includes(name));
    const squad = spec.agents_squad.length > 0 ? ` (with its squad: ${spec.agents_squad.join(', ')})` : '';
    const member = leads.length > 0 ? ` (in the squad of ${leads.map((lead) => lead.name).join(', ')})` : '';
    io.out(`  ${name.padEnd(width)}  ${spec.description ?? spec.goal.split('\n')[0]}${squad}${member}`);
  }
  return 0;
}

/**
 * Copies the named reference agents and their squads into `.agentry/agents/`, creating the
 * scaffold when there is none. An agent file already there is kept unless `--force`.
 */
async function initWithAgents(root: string, names: string[], options: InitOptions, io: Io): Promise<number> {
  const catalogue = await loadReferenceAgents(options.referenceDir);
  // Resolved before anything is written, so an unknown name changes nothing.
  const ordered = withSquads(names, catalogue);
  const base = join(root, '.agentry');
  const configFile = ['config.yml', 'config.yaml'].map((name) => join(base, name)).find(existsSync);
  if (configFile === undefined) {
    await writeScaffold(base, [], io);
  } else {
    await mkdir(join(base, 'agents'), { recursive: true });
    // The agents' first line points editors at ../schema/agent.schema.json.
    for (const [path, schema] of [
      ['schema/agent.schema.json', agentJsonSchema()],
      ['schema/config.schema.json', configJsonSchema()],
    ] as const) {
      if (existsSync(join(base, path))) continue;
      await mkdir(join(base, 'schema'), { recursive: true });
      await writeFile(join(base, path), `${JSON.stringify(schema, null, 2)}\n`);
      io.err(`created .agentry/${path}`);
    }
  }

  const copied: ReferenceAgent[] = [];
  for (const name of ordered) {
    const agent = catalogue.get(name)!;
    const why = names.includes(name) ? '' : ` (squad of ${squadOwner(name, ordered, catalogue)})`;
    const existing = existingAgentFile(root, name);
    if (existing !== undefined && !options.force) {
      io.err(`kept ${existing}${why}: it exists already (--force replaces it)`);
    } else {
      await writeFile(join(base, 'agents', `${name}.yml`), agent.text);
      io.err(`${existing === undefined ? 'created' : 'replaced'} .agentry/agents/${name}.yml${why}`);
    }
    copied.push(agent);
  }

  const config = await readConfig(configFile ?? join(base, 'config.yml'));
  printNeeds(agentNeeds(copied, config), config !== undefined, io);
  io.err(
    `then: agentry validate, and read docs/agents/${names[0]}.md to adapt it (channel, warehouse, limits).`,
  );
  return 0;
}

/** The agent whose squad brought `member` in: the first one listed before it that names it. */
function squadOwner(
  member: string,
  ordered: string[],
  catalogue: ReadonlyMap<string, ReferenceAgent>,
): string {
  return ordered.find((name) => catalogue.get(name)?.spec.agents_squad.includes(member)) ?? '?';
}

/** The project-relative path of an agent file named `name`, when one exists. */
function existingAgentFile(root: string, name: string): string | undefined {
  return [
    `.agentry/agents/${name}.yml`,
    `.agentry/agents/${name}.yaml`,
    `.dinoai/agents/${name}.yml`,
    `.dinoai/agents/${name}.yaml`,
  ].find((path) => existsSync(join(root, path)));
}

async function readConfig(file: string): Promise<AgentryConfig | undefined> {
  try {
    const loaded = loadConfigFile(file, await readFile(file, 'utf8'));
    return loaded.ok ? loaded.value : undefined;
  } catch {
    return undefined;
  }
}

const MARKS = { missing: '✗', info: '·', ok: '✓' } as const;

function printNeeds(needs: AgentNeed[], checked: boolean, io: Io): void {
  io.err(
    checked
      ? 'next: what these agents need (✗ missing from .agentry/config.yml, ✓ there, · outside it):'
      : 'next: what these agents need (.agentry/config.yml has problems, so nothing was checked: agentry validate):',
  );
  for (const need of needs) {
    io.err(`  ${MARKS[need.status]} ${need.key}: ${need.hint} [${need.agents.join(', ')}]`);
  }
}
