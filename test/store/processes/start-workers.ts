import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const hooks = new URL('./ts-hooks.mjs', import.meta.url).href;
const worker = fileURLToPath(new URL('./store-worker.ts', import.meta.url));

/** How one worker process ended. */
export interface WorkerExit {
  code: number | null;
  stderr: string;
}

/**
 * Start one `store-worker.ts` process per argument list, wait until all have opened the
 * database, release them at once and wait for them to end.
 */
export async function runWorkersTogether(argumentLists: readonly string[][]): Promise<WorkerExit[]> {
  const children = argumentLists.map((args) =>
    spawn(process.execPath, ['--import', hooks, worker, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  try {
    const exits = children.map(waitForExit);
    await Promise.all(children.map(waitForReady));
    for (const child of children) child.stdin!.write('go\n');
    return await Promise.all(exits);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
}

function waitForExit(child: ChildProcess): Promise<WorkerExit> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}
