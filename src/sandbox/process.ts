import { spawn } from 'node:child_process';

/** A helper program (git, mount, umount) exited with an error. */
export class ProcessFailure extends Error {
  constructor(
    readonly file: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${file} failed (exit ${exitCode}): ${stderr.trim().split('\n')[0] ?? ''}`);
  }
}

export interface RunFileOptions {
  cwd?: string;
  /** The whole environment of the program: nothing is inherited unless passed. */
  env: NodeJS.ProcessEnv;
  /** Written to its standard input, which is then closed. */
  input?: string | Uint8Array;
  /** Output beyond this is an error: a helper that talks this much is not doing what we think. */
  maxBuffer?: number;
}

/** Run a helper program to the end; its stdout, or a {@link ProcessFailure}. */
export function runFile(file: string, args: readonly string[], options: RunFileOptions): Promise<Buffer> {
  const maxBuffer = options.maxBuffer ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBuffer) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (size > maxBuffer) reject(new ProcessFailure(file, code, `output over ${maxBuffer} bytes`));
      else if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new ProcessFailure(file, code, stderr));
    });
    // A helper that exits before reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
