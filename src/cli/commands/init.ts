import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { agentJsonSchema, configJsonSchema } from '../../spec/index.js';
import { CliUsageError } from '../errors.js';
import type { Io } from '../io.js';

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
  ignore: [.env, profiles.yml]  # never copied into a run's workspace
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

/** `agentry init`: scaffold `.agentry/` with a config, an example agent and JSON Schemas for editors. */
export async function initCommand(options: { dir?: string; force?: boolean }, io: Io): Promise<number> {
  const root = resolve(options.dir ?? process.cwd());
  const base = join(root, '.agentry');
  if (existsSync(join(base, 'config.yml')) && !options.force) {
    throw new CliUsageError(`${base}/config.yml exists already: pass --force to overwrite the scaffold`);
  }
  await mkdir(join(base, 'agents'), { recursive: true });
  await mkdir(join(base, 'schema'), { recursive: true });
  const files: [string, string][] = [
    ['config.yml', CONFIG],
    ['agents/repo-guide.yml', AGENT],
    ['.gitignore', GITIGNORE],
    ['schema/agent.schema.json', `${JSON.stringify(agentJsonSchema(), null, 2)}\n`],
    ['schema/config.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`],
  ];
  for (const [path, content] of files) {
    await writeFile(join(base, path), content);
    io.err(`created .agentry/${path}`);
  }
  io.err('next: set OPENAI_API_KEY (or point models.default at a local server), commit .agentry/, then');
  io.err('      agentry run repo-guide -m "What does this repository do?"');
  return 0;
}
