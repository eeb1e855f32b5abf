import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type MountInfo, readMountInfo } from './mountinfo.js';

/**
 * A cgroup per command: it bounds the memory and the number of processes of the command and
 * everything it starts, together (rlimits are per process, and root ignores the process one),
 * and lets us kill them all at once.
 */
export interface CommandCgroup {
  /** `cgroup.procs` files the command's first process writes its pid into before it runs. */
  readonly procsFiles: readonly string[];
  /** SIGKILL every process in it. */
  kill(): Promise<void>;
  /** What the kernel stopped: an out-of-memory kill, a refused fork. */
  events(): Promise<{ oomKilled: boolean; processLimitReached: boolean }>;
  /** Remove it (once its processes are gone). */
  remove(): Promise<void>;
}

/** Makes {@link CommandCgroup}s below the worker's own cgroups. */
export interface CgroupFactory {
  readonly version: 1 | 2;
  /** `name` is made unique by the caller; the worker's pid is put before it. */
  create(name: string, limits: { memoryBytes: number; processes: number }): Promise<CommandCgroup>;
  /** Kill what runs in the `agentry-*` cgroups of dead workers and remove them. */
  reap(): Promise<void>;
}

/** Prefix of every cgroup Agentry makes, so the reaper can find them. */
export const CGROUP_PREFIX = 'agentry-';

let detected: CgroupFactory | null | undefined;

/**
 * The cgroups this process may create, or undefined when it may not (an unprivileged user on a
 * system without delegation). Probed once: a child cgroup is made and removed.
 */
export function detectCgroups(): CgroupFactory | undefined {
  if (detected === undefined) detected = probeV1() ?? probeV2() ?? null;
  return detected ?? undefined;
}

/** The worker's cgroup path per v1 controller (and `''` for v2), from /proc/self/cgroup. */
function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return own;
  }
  for (const line of text.trim().split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers === undefined || path === undefined) continue;
    for (const controller of controllers === '' ? [''] : controllers.split(',')) own.set(controller, path);
  }
  return own;
}

/** The directory of `cgroupPath` in a hierarchy mounted at `mount` (which may show only a subtree). */
function directoryIn(mount: MountInfo, cgroupPath: string): string | undefined {
  const inside = relative(mount.root, cgroupPath);
  if (inside.startsWith('..')) return undefined;
  return join(mount.mountPoint, inside);
}

function canCreateChild(parent: string, requiredFiles: string[]): boolean {
  const probe = join(parent, cgroupName('probe'));
  try {
    mkdirSync(probe);
  } catch {
    return false;
  }
  try {
    const files = new Set(readdirSync(probe));
    return requiredFiles.every((file) => files.has(file));
  } finally {
    try {
      rmdirSync(probe);
    } catch {
      // A probe we cannot remove is harmless and reaped later.
    }
  }
}

function probeV1(): CgroupFactory | undefined {
  const own = ownCgroups();
  const mounts = readMountInfo().filter((mount) => mount.fsType === 'cgroup');
  const parents: Record<'memory' | 'pids', string | undefined> = { memory: undefined, pids: undefined };
  for (const controller of ['memory', 'pids'] as const) {
    const mount = mounts.find((candidate) => candidate.superOptions.includes(controller));
    const path = own.get(controller);
    if (!mount || path === undefined) return undefined;
    parents[controller] = directoryIn(mount, path);
  }
  const { memory, pids } = parents;
  if (!memory || !pids) return undefined;
  if (!canCreateChild(memory, ['memory.limit_in_bytes']) || !canCreateChild(pids, ['pids.max']))
    return undefined;
  return new CgroupV1Factory(memory, pids);
}

function probeV2(): CgroupFactory | undefined {
  const path = ownCgroups().get('');
  const mount = readMountInfo().find((candidate) => candidate.fsType === 'cgroup2');
  if (path === undefined || !mount) return undefined;
  const own = directoryIn(mount, path);
  const factory = own ? prepareCgroupV2(own) : undefined;
  // The kernel gives a child the files of the controllers its parent enabled, and only those.
  if (!factory || !canCreateChild(factory.parent, ['memory.max', 'pids.max'])) return undefined;
  return factory;
}

/** The cgroup v2 controllers a command's cgroup needs. */
const V2_CONTROLLERS = ['memory', 'pids'] as const;

/** The words of a space-separated cgroup file (`cgroup.controllers`, `cgroup.subtree_control`). */
function readWords(file: string): Set<string> {
  try {
    return new Set(readFileSync(file, 'utf8').split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}

/**
 * Make the worker's own cgroup v2 (`own`, its directory in the cgroup2 mount) able to hold one
 * child cgroup per command, by the kernel's rules (Documentation/admin-guide/cgroup-v2.rst):
 * - a child gets `memory.max` and `pids.max` only when its parent lists `memory` and `pids` in
 *   `cgroup.subtree_control`, which it can only when they are in its own `cgroup.controllers`
 *   (delegated to us);
 * - a cgroup other than the root that enables controllers for its children may hold no process
 *   itself ("no internal processes"): the worker first moves itself into a leaf of its own,
 *   `agentry-<pid>-worker`, as a delegated systemd service is expected to.
 * Undefined when the controllers are not delegated to us, or other processes share the worker's
 * cgroup (moving them is not ours to do): commands then fall back to rlimits.
 */
export function prepareCgroupV2(own: string): CgroupV2Factory | undefined {
  const available = readWords(join(own, 'cgroup.controllers'));
  if (!V2_CONTROLLERS.every((controller) => available.has(controller))) return undefined;
  const enabled = readWords(join(own, 'cgroup.subtree_control'));
  if (V2_CONTROLLERS.every((controller) => enabled.has(controller))) return new CgroupV2Factory(own);
  // Only the root cgroup has no cgroup.type; it alone may hold processes and enable controllers.
  const leaf = existsSync(join(own, 'cgroup.type')) ? join(own, cgroupName('worker')) : undefined;
  if (leaf) {
    try {
      mkdirSync(leaf, { recursive: true });
      writeFileSync(join(leaf, 'cgroup.procs'), String(process.pid));
    } catch {
      removeQuietly(leaf);
      return undefined;
    }
  }
  try {
    writeFileSync(
      join(own, 'cgroup.subtree_control'),
      V2_CONTROLLERS.map((controller) => `+${controller}`).join(' '),
    );
  } catch {
    // EBUSY: other processes still live in our cgroup. Go back where we were.
    if (leaf) {
      try {
        writeFileSync(join(own, 'cgroup.procs'), String(process.pid));
      } catch {
        // Staying in the leaf is harmless: it is below the same cgroup.
      }
      removeQuietly(leaf);
    }
    return undefined;
  }
  return new CgroupV2Factory(own);
}

function removeQuietly(directory: string): void {
  try {
    rmdirSync(directory);
  } catch {
    // Not empty or not there: the reaper removes it once this worker is gone.
  }
}

function cgroupName(name: string): string {
  return `${CGROUP_PREFIX}${process.pid}-${name}`;
}

async function writeValue(file: string, value: string): Promise<void> {
  await writeFile(file, value);
}

async function readProcs(directory: string): Promise<number[]> {
  try {
    const text = await readFile(join(directory, 'cgroup.procs'), 'utf8');
    return text.split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Reads `key N` from a flat-keyed cgroup file; 0 when absent. */
async function readCounter(file: string, key: string): Promise<number> {
  try {
    const text = await readFile(file, 'utf8');
    const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** SIGKILL every process listed, until none is left (a fork bomb refills the list meanwhile). */
async function killAll(directories: readonly string[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    let found = 0;
    for (const directory of directories) {
      for (const pid of await readProcs(directory)) {
        try {
          process.kill(pid, 'SIGKILL');
          found++;
        } catch {
          // Gone already.
        }
      }
    }
    if (found === 0) return;
    await sleep(5);
  }
}

async function removeDirectories(directories: readonly string[]): Promise<void> {
  for (const directory of directories) {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await rmdir(directory);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY while the last killed processes are being reaped by the kernel.
        await sleep(10);
      }
    }
  }
}

async function reapChildren(parents: readonly string[]): Promise<void> {
  for (const parent of parents) {
    let names: string[];
    try {
      names = await readdir(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(CGROUP_PREFIX)) continue;
      // Names start with the worker's pid: a live worker's cgroups are its own to remove.
      const owner = Number(name.slice(CGROUP_PREFIX.length).split('-')[0]);
      if (Number.isInteger(owner) && isProcessAlive(owner)) continue;
      // Its worker is dead: whatever still runs in it was left by a crash.
      const directory = join(parent, name);
      await killAll([directory]);
      await rmdir(directory).catch(() => undefined);
    }
  }
}

class CgroupV1Factory implements CgroupFactory {
  readonly version = 1 as const;

  constructor(
    private readonly memoryParent: string,
    private readonly pidsParent: string,
  ) {}

  async create(name: string, limits: { memoryBytes: number; processes: number }): Promise<CommandCgroup> {
    const memory = join(this.memoryParent, cgroupName(name));
    const pids = join(this.pidsParent, cgroupName(name));
    await mkdir(memory);
    await mkdir(pids);
    await writeValue(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Without this the command would swap instead of being stopped at the limit.
    await writeValue(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(
      () => undefined,
    );
    await writeValue(join(pids, 'pids.max'), String(limits.processes));
    const directories = [memory, pids];
    return {
      procsFiles: directories.map((directory) => join(directory, 'cgroup.procs')),
      kill: () => killAll(directories),
      events: async () => ({
        oomKilled: (await readCounter(join(memory, 'memory.oom_control'), 'oom_kill')) > 0,
        processLimitReached: (await readCounter(join(pids, 'pids.events'), 'max')) > 0,
      }),
      remove: () => removeDirectories(directories),
    };
  }

  reap(): Promise<void> {
    return reapChildren([this.memoryParent, this.pidsParent]);
  }
}

/** Command cgroups as children of one cgroup v2 directory, whose subtree has memory and pids. */
export class CgroupV2Factory implements CgroupFactory {
  readonly version = 2 as const;

  constructor(readonly parent: string) {}

  async create(name: string, limits: { memoryBytes: number; processes: number }): Promise<CommandCgroup> {
    const directory = join(this.parent, cgroupName(name));
    await mkdir(directory);
    await writeValue(join(directory, 'memory.max'), String(limits.memoryBytes));
    await writeValue(join(directory, 'memory.swap.max'), '0').catch(() => undefined);
    // At the limit the OOM killer takes the whole command, not one process of a pipeline (4.19+).
    await writeValue(join(directory, 'memory.oom.group'), '1').catch(() => undefined);
    await writeValue(join(directory, 'pids.max'), String(limits.processes));
    return {
      procsFiles: [join(directory, 'cgroup.procs')],
      kill: async () => {
        // cgroup.kill (Linux 5.14+) kills atomically; older kernels need the loop.
        await writeValue(join(directory, 'cgroup.kill'), '1').catch(() => undefined);
        await killAll([directory]);
      },
      events: async () => ({
        oomKilled: (await readCounter(join(directory, 'memory.events'), 'oom_kill')) > 0,
        processLimitReached: (await readCounter(join(directory, 'pids.events'), 'max')) > 0,
      }),
      remove: () => removeDirectories([directory]),
    };
  }

  reap(): Promise<void> {
    return reapChildren([this.parent]);
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
