import { existsSync } from 'node:fs';
import type { SandboxConfig } from '../spec/config.js';

/** Limits on every command a sandbox runs, resolved from `sandbox.limits` of config.yml. */
export interface SandboxLimits {
  /** Default and maximum wall-clock time of one command. */
  commandTimeoutMs: number;
  /** Memory of one command and everything it starts. */
  memoryBytes: number;
  /** Processes one command may have at once. */
  processes: number;
  /** CPU time of each process. */
  cpuSeconds: number;
  /** Largest file a command may write. */
  fileSizeBytes: number;
  /** What a run may write into its workspace, and the size of each command's /tmp. */
  diskBytes: number;
  /** Output kept for the model per command, head and tail. */
  maxOutputBytes: number;
}

const MIB = 1024 * 1024;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Turns `sandbox.limits` into numbers once, at start-up. */
export function resolveLimits(config: SandboxConfig['limits']): SandboxLimits {
  return {
    commandTimeoutMs: parseDurationMs(config.command_timeout),
    memoryBytes: config.memory_mb * MIB,
    processes: config.processes,
    cpuSeconds: config.cpu_seconds,
    fileSizeBytes: config.file_size_mb * MIB,
    diskBytes: config.disk_mb * MIB,
    maxOutputBytes: config.max_output_kb * 1024,
  };
}

/** Milliseconds in a config duration: `30s`, `15m`, `1h`, `500ms`, or a number of seconds. */
export function parseDurationMs(duration: string | number): number {
  if (typeof duration === 'number') return duration * 1000;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

const PRLIMIT = '/usr/bin/prlimit';

/** True when util-linux's `prlimit` is there to set per-process limits inside the sandbox. */
export function prlimitAvailable(): boolean {
  return existsSync(PRLIMIT);
}

/**
 * The `prlimit … --` prefix that sets per-process limits before the command starts. Memory is
 * bounded here only when no cgroup does it for the whole command (`RLIMIT_DATA`, not
 * `RLIMIT_AS`: runtimes such as V8 and the JVM reserve far more address space than they use).
 * The CPU limit is soft first, so the process gets SIGXCPU and a chance to say so.
 */
export function prlimitPrefix(
  limits: SandboxLimits,
  options: { memory: boolean; processes: boolean },
): string[] {
  if (!prlimitAvailable()) return [];
  const args = [
    PRLIMIT,
    '--core=0',
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`,
    `--fsize=${limits.fileSizeBytes}`,
  ];
  if (options.memory) args.push(`--data=${limits.memoryBytes}`);
  if (options.processes) args.push(`--nproc=${limits.processes}`);
  args.push('--');
  return args;
}

/** Exit codes a shell reports for a process killed by SIGXCPU and SIGXFSZ (128 + signal). */
export const EXIT_CPU_LIMIT = 128 + 24;
export const EXIT_FILE_SIZE_LIMIT = 128 + 25;
