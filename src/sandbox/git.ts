import { ProcessFailure, runFile } from './process.js';

export interface GitOptions {
  /** Added to a clean environment: `GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE`, … */
  env?: Record<string, string>;
  input?: string | Uint8Array;
}

/**
 * Git with the user's hooks and fsmonitor switched off: a workspace checkout must not run their
 * post-checkout, and nothing a run wrote may make git start a program on the host.
 */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  return (await gitBuffer(cwd, args, options)).toString('utf8').trimEnd();
}

/** {@link git}, returning the raw output (binary diffs). */
export function gitBuffer(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<Buffer> {
  return runFile('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args], {
    cwd,
    env: { ...gitBaseEnv(), ...options.env },
    input: options.input,
  });
}

/**
 * The worker's environment without the variables that point git somewhere else (a run started
 * from inside a git hook inherits `GIT_DIR`), and without prompts.
 */
function gitBaseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  for (const name of LOCATION_VARIABLES) delete env[name];
  return env;
}

const LOCATION_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/** The stderr of a failed git call, for error messages. */
export function gitFailure(error: unknown): string {
  if (error instanceof ProcessFailure) return error.stderr.trim().split('\n')[0] ?? '';
  const stderr = (error as { stderr?: string }).stderr;
  return (stderr || String(error)).trim().split('\n')[0] ?? '';
}
