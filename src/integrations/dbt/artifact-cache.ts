import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CATALOG_DATA_FORMAT, DbtCatalog, type DbtCatalogData } from './catalog.js';
import { DbtArtifactInvalidError, type DbtArtifactKindName, DbtArtifactNotFoundError } from './errors.js';
import { DbtManifest } from './manifest.js';
import { type DbtManifestData, MANIFEST_DATA_FORMAT } from './manifest-data.js';
import { DbtRunResults, type DbtRunResultsData, RUN_RESULTS_DATA_FORMAT } from './run-results.js';

/**
 * How one kind of artifact goes from parsed JSON to the object the tools query, and to and from
 * its compact data (what the disk cache holds).
 */
export interface DbtArtifactKind<Data, Loaded> {
  readonly name: DbtArtifactKindName;
  /** The version of `Data`'s shape: a disk cache written with another is ignored. */
  readonly format: number;
  /** From the parsed file; may keep parts of the JSON and do its work lazily. */
  fromJson(raw: unknown, shownPath: string): Loaded;
  /** The compact data; called after the load has returned, so its cost is off the caller's path. */
  toData(loaded: Loaded): Data;
  fromData(data: Data): Loaded;
}

export const manifestArtifact: DbtArtifactKind<DbtManifestData, DbtManifest> = {
  name: 'manifest',
  format: MANIFEST_DATA_FORMAT,
  fromJson: (raw, shownPath) => DbtManifest.fromJson(raw, shownPath),
  toData: (manifest) => manifest.compact(),
  fromData: (data) => new DbtManifest(data),
};

export const runResultsArtifact: DbtArtifactKind<DbtRunResultsData, DbtRunResults> = {
  name: 'run-results',
  format: RUN_RESULTS_DATA_FORMAT,
  fromJson: (raw, shownPath) => DbtRunResults.fromJson(raw, shownPath),
  toData: (results) => results.data,
  fromData: (data) => new DbtRunResults(data),
};

export const catalogArtifact: DbtArtifactKind<DbtCatalogData, DbtCatalog> = {
  name: 'catalog',
  format: CATALOG_DATA_FORMAT,
  fromJson: (raw, shownPath) => DbtCatalog.fromJson(raw, shownPath),
  toData: (catalog) => catalog.data,
  fromData: (data) => new DbtCatalog(data),
};

/** Where a loaded artifact came from; tools put it in their audit summary. */
export type ArtifactOrigin = 'memory' | 'disk-cache' | 'parsed';

/** An artifact ready to query. */
export interface LoadedArtifact<Loaded> {
  value: Loaded;
  /** The artifact's absolute path. */
  file: string;
  origin: ArtifactOrigin;
  /** Time this load took, in milliseconds. */
  ms: number;
}

/** Options of {@link DbtArtifactCache.load}. */
export interface ArtifactLoadOptions {
  /** How errors name the file (a path relative to the project); the absolute path when absent. */
  shownPath?: string;
  /** Directory of the on-disk cache (e.g. `.agentry/cache/dbt`); no disk cache when absent. */
  cacheDir?: string;
}

/** Identifies one version of a file: a rewrite changes its mtime, a replacement its inode. */
interface FileKey {
  size: string;
  mtimeNs: string;
  ino: string;
  dev: string;
}

interface MemoryEntry {
  key: string;
  value: unknown;
}

/** The first line of a cache file: what it was built from. */
interface CacheHeader extends FileKey {
  cache: 'agentry-dbt-artifact';
  kind: string;
  format: number;
  file: string;
}

const CACHE_HEADER_MAX_BYTES = 4096;
const DEFAULT_MAX_ENTRIES = 8;

/**
 * Loads dbt artifacts once and keeps them while the file is unchanged.
 *
 * A call costs one `stat` when the file is in memory. Otherwise the artifact is read with one
 * `readFile` and one `JSON.parse` and indexed in one read-only pass. Right after the call returns,
 * it is cut down to its compact data (macros and compiled SQL dropped, so the parsed JSON can be
 * collected) and that data is written to `cacheDir`, where the next process starts from it
 * instead of the full file.
 * Memory and disk entries are keyed by the file's path, size, mtime (ns), inode and device.
 */
export class DbtArtifactCache {
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /** The artifact at `file` (absolute), from memory, the disk cache or the file itself. */
  async load<Data, Loaded>(
    kind: DbtArtifactKind<Data, Loaded>,
    file: string,
    options: ArtifactLoadOptions = {},
  ): Promise<LoadedArtifact<Loaded>> {
    const started = performance.now();
    const shownPath = options.shownPath ?? file;
    const fileKey = await statKey(file, kind.name, shownPath);
    const memoryKey = `${kind.name}\0${file}`;
    const key = `${fileKey.size}/${fileKey.mtimeNs}/${fileKey.ino}/${fileKey.dev}`;

    const cached = this.memory.get(memoryKey);
    if (cached?.key === key) {
      // Re-inserted so the map's order is least recently used first.
      this.memory.delete(memoryKey);
      this.memory.set(memoryKey, cached);
      return { value: cached.value as Loaded, file, origin: 'memory', ms: performance.now() - started };
    }

    const flightKey = `${memoryKey}\0${key}`;
    let flight = this.inFlight.get(flightKey) as
      | Promise<{ value: Loaded; origin: ArtifactOrigin }>
      | undefined;
    if (!flight) {
      flight = this.loadUncached(kind, file, fileKey, shownPath, options.cacheDir);
      this.inFlight.set(flightKey, flight);
      flight
        .then(({ value }) => this.remember(memoryKey, { key, value }))
        .catch(() => {})
        .finally(() => this.inFlight.delete(flightKey));
    }
    const { value, origin } = await flight;
    return { value, file, origin, ms: performance.now() - started };
  }

  /** Waits until every compaction and disk-cache write started so far has finished (or failed, silently). */
  async flush(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }

  /** Forgets what is in memory (the disk cache stays). */
  clear(): void {
    this.memory.clear();
  }

  private remember(memoryKey: string, entry: MemoryEntry): void {
    this.memory.delete(memoryKey);
    this.memory.set(memoryKey, entry);
    while (this.memory.size > this.maxEntries) {
      const oldest = this.memory.keys().next().value;
      if (oldest === undefined) break;
      this.memory.delete(oldest);
    }
  }

  private async loadUncached<Data, Loaded>(
    kind: DbtArtifactKind<Data, Loaded>,
    file: string,
    fileKey: FileKey,
    shownPath: string,
    cacheDir: string | undefined,
  ): Promise<{ value: Loaded; origin: ArtifactOrigin }> {
    const header: CacheHeader = {
      cache: 'agentry-dbt-artifact',
      kind: kind.name,
      format: kind.format,
      file,
      ...fileKey,
    };
    const cacheFile = cacheDir ? path.join(cacheDir, cacheFileName(kind.name, file)) : undefined;
    if (cacheFile) {
      const data = await readCacheFile<Data>(cacheFile, header);
      if (data !== undefined) return { value: kind.fromData(data), origin: 'disk-cache' };
    }

    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw unreadable(error, kind.name, shownPath);
    });
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new DbtArtifactInvalidError(
        kind.name,
        shownPath,
        'it is not valid JSON; dbt may still be writing it',
        {
          cause: error,
        },
      );
    }
    const value = kind.fromJson(raw, shownPath);
    this.scheduleSettle(() => {
      const data = kind.toData(value);
      return cacheFile ? writeCacheFile(cacheFile, header, data) : undefined;
    });
    return { value, origin: 'parsed' };
  }

  /**
   * Compacts the artifact and writes the disk cache once the current call has returned: it is
   * not the caller's cost, and it runs while the model reads the tool's answer.
   */
  private scheduleSettle(settle: () => Promise<void> | undefined): void {
    const write = new Promise<void>((resolve) => setImmediate(resolve))
      .then(settle)
      // The cache only saves time: a read-only project or a full disk must not fail a tool call.
      .catch(() => {});
    this.pendingWrites.add(write);
    void write.finally(() => this.pendingWrites.delete(write));
  }
}

/** The cache every tool call of this process shares, so runs in one worker reuse it. */
export const sharedDbtArtifactCache = new DbtArtifactCache();

async function statKey(file: string, kind: DbtArtifactKindName, shownPath: string): Promise<FileKey> {
  try {
    const stats = await stat(file, { bigint: true });
    if (!stats.isFile()) throw new DbtArtifactInvalidError(kind, shownPath, 'it is not a file');
    return {
      size: String(stats.size),
      mtimeNs: String(stats.mtimeNs),
      ino: String(stats.ino),
      dev: String(stats.dev),
    };
  } catch (error) {
    throw unreadable(error, kind, shownPath);
  }
}

function unreadable(error: unknown, kind: DbtArtifactKindName, shownPath: string): Error {
  if (error instanceof DbtArtifactInvalidError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new DbtArtifactNotFoundError(kind, [shownPath]);
  return new DbtArtifactInvalidError(kind, shownPath, `it cannot be read: ${code ?? String(error)}`, {
    cause: error,
  });
}

/** One cache file per artifact path: a new version of the artifact overwrites the old cache. */
function cacheFileName(kind: string, file: string): string {
  const digest = createHash('sha256').update(file).digest('hex').slice(0, 20);
  return `${kind}-${digest}.json`;
}

/** The cached data, or undefined when there is none or it was built from another file version. */
async function readCacheFile<Data>(cacheFile: string, expected: CacheHeader): Promise<Data | undefined> {
  try {
    // The header is checked before the (large) rest is read: a stale cache costs one small read.
    const handle = await open(cacheFile, 'r');
    try {
      const buffer = Buffer.alloc(CACHE_HEADER_MAX_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      const newline = buffer.subarray(0, bytesRead).indexOf(10);
      if (newline === -1) return undefined;
      const header = JSON.parse(buffer.subarray(0, newline).toString('utf8')) as Partial<CacheHeader>;
      if (!sameHeader(header, expected)) return undefined;
      const text = (await handle.readFile({ encoding: 'utf8' })) as string;
      // A positional read leaves the file position at 0, so this reads the whole file.
      return JSON.parse(text.slice(text.indexOf('\n') + 1)) as Data;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

function sameHeader(found: Partial<CacheHeader>, expected: CacheHeader): boolean {
  return (Object.keys(expected) as Array<keyof CacheHeader>).every((key) => found[key] === expected[key]);
}

async function writeCacheFile(cacheFile: string, header: CacheHeader, data: unknown): Promise<void> {
  const directory = path.dirname(cacheFile);
  await mkdir(directory, { recursive: true });
  // The cache directory ignores itself, so `git add .` never picks it up.
  await writeFile(path.join(directory, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => {});
  const temporary = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(header)}\n${JSON.stringify(data)}`);
    // A rename is atomic: a reader sees the old cache or the new one, never half of one.
    await rename(temporary, cacheFile);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
