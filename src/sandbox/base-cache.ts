import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from './git.js';
import { prepareIndex } from './repository.js';
import { buildRunObjects } from './run-objects.js';

/** A read-only checkout of one commit, the lower layer of every overlay workspace made from it. */
export interface BaseCheckout {
  /** `<commit>-<hash of the ignore patterns>`: the same commit with other patterns is another checkout. */
  key: string;
  /** The files (ignored paths left out). Never written once made. */
  tree: string;
  /** A git index matching `tree`, ignored paths marked skip-worktree; runs start from a copy. */
  index: string;
  /** The paths the ignore patterns kept out. */
  ignored: string[];
}

/**
 * The git objects runs on one commit may read: its history without the contents of ignored
 * files (see `buildRunObjects`). Bound read-only into the sandbox; the run's git borrows from it.
 */
export interface RunObjectStore {
  /** The same key as the commit's {@link BaseCheckout}. */
  key: string;
  /** A git object directory (`pack/`). Never written once made. */
  objects: string;
  /** Ignored paths whose contents were left out, somewhere in the history. */
  withheldPaths: string[];
}

/** Checkouts kept beyond those in use, newest first, so the next runs on the same commits start fast. */
const KEEP_UNUSED = 3;
/** A checkout this young is never removed: a run may be about to mount it. */
const MIN_AGE_MS = 10 * 60_000;
/** A half-made checkout this old was left by a crash. */
const STALE_TEMPORARY_MS = 60 * 60_000;
/** The object store of a key lives beside its checkout, as `<key>.objects`. */
const OBJECTS_SUFFIX = '.objects';
/**
 * Beside a run object store's `objects/`: the project's list of shallow commits, when it is a
 * shallow clone. `writeRunGitDir` copies it into the run's git directory.
 */
export const SHALLOW_FILE = 'shallow';

/**
 * Cached base checkouts and run object stores under one directory. Each is made once per commit
 * (as slow as a checkout), then shared by every run on that commit, so provisioning does not grow
 * with the repository. Safe with several workers: each is made in a temporary directory and
 * renamed into place.
 */
export class BaseCheckoutCache {
  constructor(readonly directory: string) {}

  /** The key of the checkout of `commit` with `patterns` left out. */
  static key(commit: string, patterns: readonly string[]): string {
    const hash = createHash('sha256').update(patterns.join('\n')).digest('hex').slice(0, 12);
    return `${commit}-${hash}`;
  }

  /** The checkout, made now if it is not there yet. */
  async get(repoRoot: string, commit: string, patterns: readonly string[]): Promise<BaseCheckout> {
    const key = BaseCheckoutCache.key(commit, patterns);
    return this.obtain(
      key,
      () => this.readCheckout(key),
      async (temporary) => {
        await mkdir(join(temporary, 'tree'), { recursive: true });
        const index = join(temporary, 'index');
        const ignored = await prepareIndex(repoRoot, commit, index, patterns);
        // -u writes the files' stat data into the index, so git in a run sees them unchanged.
        await git(repoRoot, [`--work-tree=${join(temporary, 'tree')}`, 'checkout-index', '--all', '-u'], {
          env: { GIT_INDEX_FILE: index },
        });
        await writeFile(join(temporary, 'ignored.json'), JSON.stringify(ignored));
      },
    );
  }

  /** The run object store of `commit` without the blobs of paths `patterns` ignore, made now if needed. */
  async objects(repoRoot: string, commit: string, patterns: readonly string[]): Promise<RunObjectStore> {
    const key = BaseCheckoutCache.key(commit, patterns);
    return this.obtain(
      `${key}${OBJECTS_SUFFIX}`,
      () => this.readObjects(key),
      async (temporary) => {
        const made = await buildRunObjects(repoRoot, commit, patterns, join(temporary, 'objects'));
        // A shallow clone's history stops at commits git must be told about, or `git log` fails there.
        const shallow = await git(repoRoot, [
          'rev-parse',
          '--path-format=absolute',
          '--git-path',
          'shallow',
        ]).catch(() => '');
        if (shallow) await copyFile(shallow, join(temporary, SHALLOW_FILE)).catch(() => undefined);
        await writeFile(join(temporary, 'withheld.json'), JSON.stringify(made.withheldPaths));
      },
    );
  }

  /**
   * Remove checkouts and object stores no run uses: all but those of the newest few keys, and
   * only those unused for a while. `inUse` holds the keys live workspaces use.
   */
  async prune(inUse: ReadonlySet<string>): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return 0;
    }
    const now = Date.now();
    const entries: { name: string; key: string; mtimeMs: number }[] = [];
    for (const name of names) {
      const info = await stat(join(this.directory, name)).catch(() => undefined);
      if (!info) continue;
      if (name.startsWith('.tmp-')) {
        if (now - info.mtimeMs > STALE_TEMPORARY_MS)
          await rm(join(this.directory, name), { recursive: true, force: true });
        continue;
      }
      const key = name.endsWith(OBJECTS_SUFFIX) ? name.slice(0, -OBJECTS_SUFFIX.length) : name;
      entries.push({ name, key, mtimeMs: info.mtimeMs });
    }
    entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
    const recent = new Set<string>();
    for (const entry of entries) if (recent.size < KEEP_UNUSED) recent.add(entry.key);
    let removed = 0;
    for (const entry of entries) {
      if (recent.has(entry.key) || inUse.has(entry.key) || now - entry.mtimeMs < MIN_AGE_MS) continue;
      await rm(join(this.directory, entry.name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** What `read` finds under `name`, else made by `make` in a temporary directory renamed to it. */
  private async obtain<T>(
    name: string,
    read: () => Promise<T | undefined>,
    make: (temporary: string) => Promise<void>,
  ): Promise<T> {
    const final = join(this.directory, name);
    const existing = await read();
    if (existing) {
      const now = new Date();
      // The mtime says when it was last used: pruning keeps the recently used ones.
      await utimes(final, now, now).catch(() => undefined);
      return existing;
    }
    await mkdir(this.directory, { recursive: true });
    const temporary = join(this.directory, `.tmp-${name}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(temporary, { recursive: true });
      await make(temporary);
      await rename(temporary, final).catch(async (error: NodeJS.ErrnoException) => {
        // Another worker made it meanwhile: use theirs.
        if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
      });
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    const made = await read();
    if (!made) throw new Error(`${final} vanished while it was being made`);
    return made;
  }

  private async readCheckout(key: string): Promise<BaseCheckout | undefined> {
    const directory = join(this.directory, key);
    try {
      const ignored = JSON.parse(await readFile(join(directory, 'ignored.json'), 'utf8')) as string[];
      return { key, tree: join(directory, 'tree'), index: join(directory, 'index'), ignored };
    } catch {
      return undefined;
    }
  }

  private async readObjects(key: string): Promise<RunObjectStore | undefined> {
    const directory = join(this.directory, `${key}${OBJECTS_SUFFIX}`);
    try {
      const withheldPaths = JSON.parse(await readFile(join(directory, 'withheld.json'), 'utf8')) as string[];
      return { key, objects: join(directory, 'objects'), withheldPaths };
    } catch {
      return undefined;
    }
  }
}
