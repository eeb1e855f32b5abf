import { accessSync, constants, existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { readMountInfo } from './mountinfo.js';
import { runFile } from './process.js';

/** The two overlay filesystems a workspace can be mounted with. */
export type OverlayKind = 'overlayfs' | 'fuse-overlayfs';

export interface OverlayLayers {
  /** The cached base checkout, read-only. */
  lower: string;
  /** The run's writes. */
  upper: string;
  /** Scratch space of the filesystem, on the same filesystem as `upper`. */
  work: string;
  /** Where the merged workspace appears. */
  target: string;
}

const HELPER_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

/**
 * Whether this machine could mount `kind` at all, before trying: the kernel's overlay needs
 * root (CAP_SYS_ADMIN) to mount where the worker sees it; fuse-overlayfs needs its program and
 * a usable /dev/fuse.
 */
export function overlayPossible(kind: OverlayKind): boolean {
  if (kind === 'overlayfs') return process.getuid?.() === 0 && existsSync('/usr/bin/mount');
  if (!findProgram('fuse-overlayfs')) return false;
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether a workspace's writes can be bounded by a sized tmpfs here: mounting one needs root. */
export function sizedTmpfsPossible(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/mount');
}

/**
 * Mount a tmpfs of at most `bytes` at `target`, for an overlay's upper and work directories: what
 * a run writes then ends in ENOSPC at the limit instead of filling the worker's disk. Nothing on
 * it can be a device or run setuid. Its pages are memory (and swap), charged to the command that
 * writes them.
 */
export async function mountSizedTmpfs(target: string, bytes: number): Promise<void> {
  const options = `size=${Math.max(1, Math.floor(bytes))},mode=0755,nosuid,nodev`;
  await runFile('mount', ['-t', 'tmpfs', '-o', options, 'agentry-workspace', target], { env: HELPER_ENV });
}

/** Mount the layers at `target`. Throws when the kernel or FUSE refuses. */
export async function mountOverlay(kind: OverlayKind, layers: OverlayLayers): Promise<void> {
  for (const path of [layers.lower, layers.upper, layers.work]) {
    // The mount option string is comma- and colon-separated: such paths cannot be said in it.
    if (/[,:\n]/.test(path))
      throw new Error(`cannot mount an overlay with ${path}: it holds a comma or a colon`);
  }
  const options = `lowerdir=${layers.lower},upperdir=${layers.upper},workdir=${layers.work}`;
  if (kind === 'overlayfs') {
    await runFile('mount', ['-t', 'overlay', 'overlay', '-o', options, layers.target], { env: HELPER_ENV });
    return;
  }
  await runFile(findProgram('fuse-overlayfs') ?? 'fuse-overlayfs', ['-o', options, layers.target], {
    env: HELPER_ENV,
  });
}

/** Unmount `target`; lazily when something still holds it, so teardown never hangs. */
export async function unmountOverlay(kind: OverlayKind, target: string): Promise<void> {
  if (kind === 'fuse-overlayfs' && process.getuid?.() !== 0) {
    const fusermount = findProgram('fusermount3') ?? findProgram('fusermount') ?? 'fusermount3';
    await runFile(fusermount, ['-u', target], { env: HELPER_ENV }).catch(() =>
      runFile(fusermount, ['-u', '-z', target], { env: HELPER_ENV }),
    );
    return;
  }
  await runFile('umount', [target], { env: HELPER_ENV }).catch(() =>
    runFile('umount', ['-l', target], { env: HELPER_ENV }),
  );
}

/** Mount points at or below `directory`, deepest first (the order to unmount them in). */
export function mountsUnder(directory: string): { target: string; fsType: string }[] {
  return readMountInfo()
    .filter((mount) => mount.mountPoint === directory || mount.mountPoint.startsWith(`${directory}/`))
    .map((mount) => ({ target: mount.mountPoint, fsType: mount.fsType }))
    .sort((a, b) => b.target.length - a.target.length);
}

/** Unmount everything at or below `directory` (a crashed run's workspace). */
export async function unmountAllUnder(directory: string): Promise<void> {
  // The kernel names mounts by their real path: a directory reached through a symlink has none.
  const real = await realpath(directory).catch(() => directory);
  for (const mount of mountsUnder(real)) {
    const kind: OverlayKind = mount.fsType.startsWith('fuse') ? 'fuse-overlayfs' : 'overlayfs';
    await unmountOverlay(kind, mount.target).catch(() => undefined);
  }
}

/** The absolute path of a program on the system PATH, if it is there. */
export function findProgram(name: string): string | undefined {
  for (const directory of HELPER_ENV.PATH.split(':')) {
    const candidate = `${directory}/${name}`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}
