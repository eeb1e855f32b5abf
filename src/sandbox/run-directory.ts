import { readdir, readFile, realpath, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountsUnder, unmountAllUnder } from './overlay.js';
import { keepRunCommits } from './run-git.js';

/**
 * A run's directory under `workspace_root`: `sandbox.json` (this record), `root/` (the
 * workspace), and for overlays `upper/` and `work/`; `private/` holds what is ours (kept
 * artifacts, scratch git directories), never visible to commands.
 */
export interface RunDirectoryRecord {
  version: 1;
  runId: string;
  /** The project the run belongs to: the reaper only touches its own project's runs. */
  repoRoot: string;
  driver: string;
  /** Empty until the workspace is made. */
  method: string;
  baseCommit: string;
  branch: string;
  /** The project's object store: commits made in the run are fetched from it into the project. */
  objectsDir: string;
  /**
   * The objects the run's git borrows from, bound read-only into the sandbox: the base commit's
   * history without the contents of ignored files (a cached store, see `BaseCheckoutCache.objects`).
   */
  runObjectsDir: string;
  /** The run's git directory (readable when the overlay is not mounted). */
  gitDir: string;
  /** The key of the base checkout and run object store the workspace uses, so pruning leaves them alone. */
  baseKey?: string;
  createdAt: string;
}

export const RECORD_FILE = 'sandbox.json';
/** Where the cached base checkouts live, under `workspace_root`. */
export const BASE_CACHE_DIRECTORY = '.base';

export async function writeRecord(directory: string, record: RunDirectoryRecord): Promise<void> {
  await writeFile(join(directory, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * Every run directory under `workspaceRoot` with its record (any project's). Directories are
 * named by their real path, as the kernel names the mounts in them: a `workspace_root` reached
 * through a symlink must not hide a run's overlay from the reaper.
 */
export async function readRecords(
  workspaceRoot: string,
): Promise<{ directory: string; record: RunDirectoryRecord | undefined }[]> {
  let names: string[];
  try {
    workspaceRoot = await realpath(workspaceRoot);
    names = await readdir(workspaceRoot);
  } catch {
    return [];
  }
  const found: { directory: string; record: RunDirectoryRecord | undefined }[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const directory = join(workspaceRoot, name);
    const text = await readFile(join(directory, RECORD_FILE), 'utf8').catch(() => undefined);
    let record: RunDirectoryRecord | undefined;
    try {
      record = text ? (JSON.parse(text) as RunDirectoryRecord) : undefined;
    } catch {
      record = undefined;
    }
    found.push({ directory, record });
  }
  return found;
}

/**
 * Remove a run's directory: keep the commits made on its branch, unmount its overlay, delete it.
 * Collects what failed rather than stopping at the first failure, so as much as possible goes.
 */
export async function teardownRunDirectory(
  directory: string,
  record: RunDirectoryRecord,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  if (record.method) {
    await keepRunCommits({
      repoRoot: record.repoRoot,
      runGitDir: record.gitDir,
      branch: record.branch,
      baseCommit: record.baseCommit,
      objectsDir: record.objectsDir,
      scratch: join(directory, 'private'),
    }).catch((error: unknown) => errors.push(error));
  }
  await unmountAllUnder(directory).catch((error: unknown) => errors.push(error));
  // Deleting through a mount that is still there would delete what it shows, not the directory.
  const left = mountsUnder(await realpath(directory).catch(() => directory));
  if (left.length > 0) {
    errors.push(new Error(`${left[0]!.target} is still mounted: the run's directory was left in place`));
    return errors;
  }
  await rm(directory, { recursive: true, force: true }).catch((error: unknown) => errors.push(error));
  return errors;
}

/**
 * Remove run directories of `repoRoot` whose run is no longer live; directories a crash left
 * before their record was written are removed when empty. Returns how many runs were removed
 * and the base checkouts still in use (by any project's runs).
 */
export async function reapRunDirectories(
  workspaceRoot: string,
  repoRoot: string,
  isRunLive: (runId: string) => Promise<boolean>,
): Promise<{ removed: number; baseKeysInUse: Set<string> }> {
  let removed = 0;
  const baseKeysInUse = new Set<string>();
  const project = await realpath(repoRoot).catch(() => repoRoot);
  for (const { directory, record } of await readRecords(workspaceRoot)) {
    if (!record) {
      await removeIfEmptyAndOld(directory);
      continue;
    }
    const owner = await realpath(record.repoRoot).catch(() => record.repoRoot);
    if (owner !== project || (await isRunLive(record.runId))) {
      if (record.baseKey) baseKeysInUse.add(record.baseKey);
      continue;
    }
    await teardownRunDirectory(directory, record);
    removed++;
  }
  return { removed, baseKeysInUse };
}

async function removeIfEmptyAndOld(directory: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (!info?.isDirectory() || Date.now() - info.mtimeMs < 60_000) return;
  await rmdir(directory).catch(() => undefined);
}
