import { spawn } from 'node:child_process';
import type { CommandCgroup } from './cgroup.js';
import type { ExecResult, ExecStop } from './driver.js';
import { EXIT_CPU_LIMIT, EXIT_FILE_SIZE_LIMIT } from './limits.js';
import { OutputCapture } from './output-capture.js';
import { SECCOMP_FD } from './seccomp.js';

/** One process to run for a sandbox command: bwrap around the shell, or the shell itself. */
export interface CommandSpec {
  /** The program and its arguments. */
  argv: readonly string[];
  /** Its whole environment. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  maxOutputBytes: number;
  /** Entered before the program starts, killed and removed when it ends. */
  cgroup?: CommandCgroup;
  /**
   * Give the program a pipe as fd 3 whose other end only this process holds: it reads EOF the
   * moment the worker dies, however it dies (see {@link WATCHDOG_SCRIPT}).
   */
  lifeline?: boolean;
  /**
   * A compiled seccomp filter handed to the program on fd {@link SECCOMP_FD} through a pipe, for
   * bwrap's `--seccomp`: bwrap reads it, closes the fd and loads it before the command starts.
   */
  seccomp?: Uint8Array;
}

/**
 * The shell a bwrap command runs in. bwrap's --die-with-parent has a race (bubblewrap#633): a
 * worker killed while bwrap is setting up leaves the sandbox running. So a watchdog in the
 * sandbox waits on the lifeline (fd 3) and, when the worker is gone, kills every process of the
 * sandbox's PID namespace. The command itself gets neither the watchdog nor fd 3.
 */
export const WATCHDOG_SCRIPT = '{ read -r _ <&3; kill -KILL -1; } & exec 3<&-; exec /bin/sh -c "$1"';

/** How long to wait for output pipes to close after the command's process is gone. */
const PIPE_GRACE_MS = 500;

/**
 * Commands of one sandbox that are still running, so destroying the sandbox can stop them.
 * Each `run` is independent; `stopAll` kills every one and waits for it.
 */
export class CommandRunner {
  private readonly running = new Set<{ stop: (reason: ExecStop) => void; done: Promise<ExecResult> }>();

  /** Run `spec` to the end (or until stopped) and say how it ended. Never rejects for the command's failure. */
  run(spec: CommandSpec): Promise<ExecResult> {
    const handle = startCommand(spec);
    this.running.add(handle);
    return handle.done.finally(() => this.running.delete(handle));
  }

  /** Kill every running command and wait until each has ended. */
  async stopAll(): Promise<void> {
    const handles = [...this.running];
    for (const handle of handles) handle.stop('cancelled');
    await Promise.allSettled(handles.map((handle) => handle.done));
  }
}

function startCommand(spec: CommandSpec): { stop: (reason: ExecStop) => void; done: Promise<ExecResult> } {
  const started = performance.now();
  const capture = new OutputCapture(spec.maxOutputBytes);
  const argv = spec.cgroup ? enterCgroupArgv(spec.cgroup, spec.argv) : spec.argv;
  // Its own process group, so a timeout kills the whole tree the shell started.
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: [
      'ignore',
      'pipe',
      'pipe',
      spec.lifeline ? 'pipe' : 'ignore',
      ...(spec.seccomp ? (['pipe'] as const) : []),
    ],
  });
  if (spec.seccomp) {
    const filter = child.stdio[SECCOMP_FD] as (NodeJS.WritableStream & NodeJS.EventEmitter) | null;
    // bwrap that fails before reading it must not crash the worker with EPIPE.
    filter?.on('error', () => undefined);
    filter?.end(spec.seccomp);
  }
  let stoppedBy: ExecStop | undefined;
  const killTree = () => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
    void spec.cgroup?.kill();
  };
  const stop = (reason: ExecStop) => {
    stoppedBy ??= reason;
    killTree();
  };
  // Both are pipes: stdio says so above.
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  stdout.on('data', (chunk: Buffer) => capture.push(chunk));
  stderr.on('data', (chunk: Buffer) => capture.push(chunk));

  const done = new Promise<ExecResult>((resolve) => {
    const timer = setTimeout(() => stop('timeout'), spec.timeoutMs);
    const onAbort = () => stop('cancelled');
    if (spec.signal?.aborted) onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: Error | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let finished = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = async () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      // Whatever the command left behind (a background job) goes with it.
      killTree();
      (child.stdio[3] as { destroy(): void } | null | undefined)?.destroy();
      (child.stdio[SECCOMP_FD] as { destroy(): void } | null | undefined)?.destroy();
      const events = spec.cgroup ? await spec.cgroup.events().catch(() => undefined) : undefined;
      await spec.cgroup?.kill();
      await spec.cgroup?.remove().catch(() => undefined);
      const exitCode = exitCodeOf(exit, spawnError);
      if (!stoppedBy && events?.oomKilled) stoppedBy = 'memory';
      if (!stoppedBy && exitCode === EXIT_CPU_LIMIT) stoppedBy = 'cpu';
      if (!stoppedBy && exitCode === EXIT_FILE_SIZE_LIMIT) stoppedBy = 'file-size';
      if (spawnError) capture.push(Buffer.from(`could not start the command: ${spawnError.message}\n`));
      const { text, truncated } = capture.result();
      resolve({
        exitCode,
        output: text,
        truncated,
        outputBytes: capture.totalBytes,
        durationMs: Math.round(performance.now() - started),
        ...(stoppedBy ? { stoppedBy } : {}),
        processLimitReached: events?.processLimitReached ?? false,
      });
    };

    child.on('error', (error) => {
      spawnError = error;
      void finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      killTree();
      // A background process may hold the pipes open; it has just been killed, so this is short.
      graceTimer = setTimeout(() => {
        stdout.destroy();
        stderr.destroy();
        void finish();
      }, PIPE_GRACE_MS);
    });
    child.on('close', () => void finish());
  });
  return { stop, done };
}

/**
 * A shell that writes its own pid into the cgroups and then becomes the program, so the program
 * and everything it starts are inside before the first instruction runs.
 */
function enterCgroupArgv(cgroup: CommandCgroup, argv: readonly string[]): string[] {
  const script =
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';
  return [
    '/bin/sh',
    '-c',
    script,
    'agentry-enter',
    String(cgroup.procsFiles.length),
    ...cgroup.procsFiles,
    ...argv,
  ];
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

function exitCodeOf(
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined,
  spawnError: Error | undefined,
): number {
  if (spawnError || !exit) return 127;
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal ? (SIGNAL_NUMBERS[exit.signal] ?? 0) : 0);
}
