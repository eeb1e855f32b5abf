import { spawn } from 'node:child_process';

/** What a program run with {@link runCapped} produced. */
export interface CappedOutput {
  stdout: string;
  /** The first 64 KB or so of standard error. */
  stderr: string;
  /** The exit code; -1 when it died of a signal. */
  exitCode: number;
  /** Stdout went past `maxBytes` and the program was stopped. */
  cut: boolean;
}

export interface CappedOptions {
  cwd: string;
  /** The whole environment: nothing of the worker's is inherited unless it is here. */
  env: Record<string, string>;
  /** Aborting it kills the program and rejects. */
  signal?: AbortSignal;
  /** Stdout kept at most; past it the program is stopped (SIGTERM) and `cut` is set. */
  maxBytes: number;
}

/**
 * Run a program to its end with its standard output capped: a git diff of a vendored tree or a
 * log of a runaway command must not fill the worker's memory. A non-zero exit is a result; the
 * promise rejects only when the program cannot start or the signal aborts it.
 */
export function runCapped(
  file: string,
  args: readonly string[],
  options: CappedOptions,
): Promise<CappedOutput> {
  const { maxBytes } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let cut = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (cut) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) {
        cut = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(chunks)
        .subarray(0, cut ? maxBytes : undefined)
        .toString('utf8');
      resolve({ stdout, stderr, exitCode: code ?? -1, cut });
    });
  });
}
