import { type CappedOutput, runCapped } from '../capped-process.js';

/** What one git run produced. */
export type GitCommandOutput = CappedOutput;

/** How to run git. */
export interface GitCommandOptions {
  cwd: string;
  /** The whole environment: nothing of the worker's is inherited unless it is here. */
  env: Record<string, string>;
  signal?: AbortSignal;
  /** Killed after this long (default 120 s): a remote that stops answering must not hang a run. */
  timeoutMs?: number;
  /** Stdout kept at most (default 8 MB). */
  maxBytes?: number;
}

/**
 * Options every git call of the GitHub integration runs with: the user's hooks, fsmonitor, pager
 * and colour off, and only the transports a push needs (no `ext::`, `fd::` or remote helpers named
 * by a URL).
 */
export const GIT_SAFE_OPTIONS: readonly string[] = [
  '--no-pager',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.quotePath=false',
  '-c',
  'color.ui=false',
  '-c',
  'protocol.allow=never',
  '-c',
  'protocol.https.allow=always',
  '-c',
  'protocol.http.allow=always',
  '-c',
  'protocol.ssh.allow=always',
  '-c',
  'protocol.file.allow=always',
];

/** Worker variables git may see for a fetch or push: a path, a home, proxies, CAs and ssh's agent. */
const PASSED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'USER',
  'TZ',
  'SSH_AUTH_SOCK',
  'GIT_SSH_COMMAND',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** The environment git runs with: the passed worker variables, no prompts, then `extra`. */
export function gitEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  // A prompt for a password or a host key would wait forever: fail instead.
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_SSH_COMMAND ??= 'ssh -o BatchMode=yes';
  return { ...env, ...extra };
}

/** Runs `git <safe options> <args>`; a non-zero exit is a result, not an error. */
export async function runGit(args: readonly string[], options: GitCommandOptions): Promise<GitCommandOutput> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    return await runCapped('git', [...GIT_SAFE_OPTIONS, ...args], {
      cwd: options.cwd,
      env: options.env,
      signal,
      maxBytes: options.maxBytes ?? 8 * 1024 * 1024,
    });
  } catch (error) {
    if (timeout.aborted && !options.signal?.aborted) {
      return { stdout: '', stderr: 'git timed out', exitCode: -1, cut: false };
    }
    throw error;
  }
}

/** Git's first meaningful stderr line, without `fatal:` / `error:`. */
export function gitFirstLine(stderr: string): string {
  return (
    stderr
      .split('\n')
      .map((line) => line.replace(/^(fatal|error): /, '').trim())
      .find((line) => line !== '' && !line.startsWith('hint:')) ?? ''
  );
}
