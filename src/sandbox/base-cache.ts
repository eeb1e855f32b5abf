import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from './git.js';
import { prepareIndex } from './repository.js';

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

/** Checkouts kept beyond those in use, newest first, so the next runs on the same commits start fast. */
const KEEP_UNUSED = 3;
/** A checkout this young is never removed: a run may be about to mount it. */
const MIN_AGE_MS = 10 * 60_000;
/** A half-made checkout this old was left by a crash. */
const STALE_TEMPORARY_MS = 60 * 60_000;

/**
 * Cached base checkouts under one directory. Made once per commit (as slow as a checkout), then
 * shared by every run on that commit, so provisioning does not grow with the repository.
 * Safe with several workers: a checkout is made in a temporary directory and renamed into place.
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
    const final = join(this.directory, key);
    const existing = await this.read(key);
    if (existing) {
      const now = new Date();
      // The mtime says when it was last used: pruning keeps the recently used ones.
      await utimes(final, now, now).catch(() => undefined);
      return existing;
    }
    await mkdir(this.directory, { recursive: true });
    const temporary = join(this.directory, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(join(temporary, 'tree'), { recursive: true });
      const index = join(temporary, 'index');
      const ignored = await prepareIndex(repoRoot, commit, index, patterns);
      // -u writes the files' stat data into the index, so git in a run sees them unchanged.
      await git(repoRoot, [`--work-tree=${join(temporary, 'tree')}`, 'checkout-index', '--all', '-u'], {
        env: { GIT_INDEX_FILE: index },
      });
      await writeFile(join(temporary, 'ignored.json'), JSON.stringify(ignored));
      await rename(temporary, final).catch(async (error: NodeJS.ErrnoException) => {
        // Another worker made it meanwhile: use theirs.
        if (error.code !== 'EEXIST' && error.code !== 'ENOTEMPTY') throw error;
      });
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    const made = await this.read(key);
    if (!made) throw new Error(`the base checkout ${final} vanished while it was being made`);
    return made;
  }

  /**
   * Remove checkouts no run uses: all but the newest few, and only those unused for a while.
   * `inUse` holds the keys live workspaces are mounted on.
   */
  async prune(inUse: ReadonlySet<string>): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return 0;
    }
    const now = Date.now();
    const entries: { name: string; mtimeMs: number }[] = [];
    for (const name of names) {
      const info = await stat(join(this.directory, name)).catch(() => undefined);
      if (!info) continue;
      if (name.startsWith('.tmp-')) {
        if (now - info.mtimeMs > STALE_TEMPORARY_MS)
          await rm(join(this.directory, name), { recursive: true, force: true });
        continue;
      }
      entries.push({ name, mtimeMs: info.mtimeMs });
    }
    entries.sort((a, b) => b.mtimeMs - a.mtimeMs);
    let removed = 0;
    for (const [position, entry] of entries.entries()) {
      if (position < KEEP_UNUSED || inUse.has(entry.name) || now - entry.mtimeMs < MIN_AGE_MS) continue;
      await rm(join(this.directory, entry.name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  private async read(key: string): Promise<BaseCheckout | undefined> {
    const directory = join(this.directory, key);
    try {
      const ignored = JSON.parse(await readFile(join(directory, 'ignored.json'), 'utf8')) as string[];
      return { key, tree: join(directory, 'tree'), index: join(directory, 'index'), ignored };
    } catch {
      return undefined;
    }
  }
}
