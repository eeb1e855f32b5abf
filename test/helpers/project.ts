import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO_ROOT, 'dist/cli/main.js');

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

export interface TempProject {
  root: string;
  /** Where this project's run workspaces go (so tests can check they are removed). */
  workspaces: string;
  write(path: string, content: string): void;
  commit(message?: string): void;
  cleanup(): void;
}

/** A git repository with `files` committed. Paths are relative to its root. */
export function createProject(files: Record<string, string>): TempProject {
  const base = mkdtempSync(join(tmpdir(), 'agentry-test-'));
  const root = join(base, 'repo');
  const workspaces = join(base, 'workspaces');
  mkdirSync(root);
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, env: { ...process.env, ...GIT_ENV }, stdio: 'pipe' });
  const project: TempProject = {
    root,
    workspaces,
    write(path, content) {
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    commit(message = 'test') {
      git('add', '-A');
      git('commit', '--quiet', '--allow-empty', '-m', message);
    },
    cleanup() {
      rmSync(base, { recursive: true, force: true });
    },
  };
  git('init', '--quiet', '--initial-branch=main');
  for (const [path, content] of Object.entries(files)) project.write(path, content);
  project.commit('initial');
  return project;
}

/** A config.yml whose `default` model is the scripted server at `baseUrl`. */
export function scriptedConfig(baseUrl: string, workspaces: string, extra = ''): string {
  return `version: 1
models:
  default:
    provider: openai-compatible
    model: scripted
    base_url: ${baseUrl}
    pricing: { input_per_million_tokens: 1, output_per_million_tokens: 2 }
store: sqlite:.agentry/agentry.db
sandbox:
  driver: local
  workspace_root: ${workspaces}
${extra}`;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would, in its own process. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

export function spawnCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
