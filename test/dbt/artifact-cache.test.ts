import { copyFile, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  catalogArtifact,
  DbtArtifactCache,
  DbtArtifactInvalidError,
  DbtArtifactNotFoundError,
  manifestArtifact,
  runResultsArtifact,
} from '../../src/integrations/dbt/index.js';
import { HAVE_REALDATA, REAL, readJson } from './realdata.js';

describe.skipIf(!HAVE_REALDATA)('DbtArtifactCache', () => {
  let directory: string;
  let manifestFile: string;
  let cacheDir: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'agentry-dbt-cache-'));
    manifestFile = path.join(directory, 'manifest.json');
    cacheDir = path.join(directory, '.agentry', 'cache', 'dbt');
    await copyFile(REAL.jaffleV12, manifestFile);
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('parses once, then answers from memory with the same object while the file is unchanged', async () => {
    const cache = new DbtArtifactCache();
    const first = await cache.load(manifestArtifact, manifestFile);
    const second = await cache.load(manifestArtifact, manifestFile);
    expect(first.origin).toBe('parsed');
    expect(second.origin).toBe('memory');
    expect(second.value).toBe(first.value);
  });

  it('reloads when the file is rewritten with the same size', async () => {
    const cache = new DbtArtifactCache();
    const first = await cache.load(manifestArtifact, manifestFile);
    const text = await readFile(manifestFile, 'utf8');
    const changed = text.replace('"name": "orders"', '"name": "ORDERS"');
    expect(changed.length).toBe(text.length);
    await writeFile(manifestFile, changed);
    const again = await cache.load(manifestArtifact, manifestFile);
    expect(again.origin).toBe('parsed');
    expect(again.value).not.toBe(first.value);
    expect(again.value.lookup('ORDERS')).toMatchObject({ status: 'found' });
  });

  it('reloads when the file is replaced by another one (new inode) with the same size and mtime', async () => {
    const fixed = new Date('2024-01-02T03:04:05Z');
    await utimes(manifestFile, fixed, fixed);
    const cache = new DbtArtifactCache();
    await cache.load(manifestArtifact, manifestFile);
    const replacement = path.join(directory, 'replacement.json');
    await copyFile(manifestFile, replacement);
    await utimes(replacement, fixed, fixed);
    const [before, after] = [await stat(manifestFile), await stat(replacement)];
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(after.ino).not.toBe(before.ino);
    await rename(replacement, manifestFile);
    expect((await cache.load(manifestArtifact, manifestFile)).origin).toBe('parsed');
    expect((await cache.load(manifestArtifact, manifestFile)).origin).toBe('memory');
  });

  it('shares one parse between concurrent calls', async () => {
    const cache = new DbtArtifactCache();
    const [a, b, c] = await Promise.all([
      cache.load(manifestArtifact, manifestFile),
      cache.load(manifestArtifact, manifestFile),
      cache.load(manifestArtifact, manifestFile),
    ]);
    expect(b.value).toBe(a.value);
    expect(c.value).toBe(a.value);
  });

  it('writes a compact cache that a new process (a new cache) loads instead of the file', async () => {
    const first = new DbtArtifactCache();
    const parsed = await first.load(manifestArtifact, manifestFile, { cacheDir });
    await first.flush();
    const files = await readdir(cacheDir);
    expect(files).toContain('.gitignore');
    const cacheFile = files.find((name) => name.startsWith('manifest-') && name.endsWith('.json'))!;
    const cacheText = await readFile(path.join(cacheDir, cacheFile), 'utf8');
    const header = JSON.parse(cacheText.slice(0, cacheText.indexOf('\n')));
    expect(header).toMatchObject({ cache: 'agentry-dbt-artifact', kind: 'manifest', file: manifestFile });
    expect(cacheText.length).toBeLessThan((await stat(manifestFile)).size / 4);
    expect(await readFile(path.join(cacheDir, '.gitignore'), 'utf8')).toBe('*\n');

    const second = new DbtArtifactCache();
    const fromDisk = await second.load(manifestArtifact, manifestFile, { cacheDir });
    expect(fromDisk.origin).toBe('disk-cache');
    expect(fromDisk.value.nodes).toEqual(parsed.value.nodes);
    expect(fromDisk.value.lookup('orders')).toEqual(parsed.value.lookup('orders'));
    expect(fromDisk.value.testsOf('model.jaffle_shop.orders').length).toBe(
      parsed.value.testsOf('model.jaffle_shop.orders').length,
    );
  });

  it('ignores a disk cache built from an older version of the file', async () => {
    const first = new DbtArtifactCache();
    await first.load(manifestArtifact, manifestFile, { cacheDir });
    await first.flush();
    const raw = readJson(REAL.jaffleV12);
    (raw['nodes'] as Record<string, Record<string, unknown>>)['model.jaffle_shop.orders']!['description'] =
      'rewritten after the cache was made';
    await writeFile(manifestFile, JSON.stringify(raw));

    const fresh = await new DbtArtifactCache().load(manifestArtifact, manifestFile, { cacheDir });
    expect(fresh.origin).toBe('parsed');
    expect(fresh.value.get('model.jaffle_shop.orders')?.description).toBe(
      'rewritten after the cache was made',
    );
  });

  it('ignores a corrupt cache file and rewrites it', async () => {
    const first = new DbtArtifactCache();
    await first.load(manifestArtifact, manifestFile, { cacheDir });
    await first.flush();
    const cacheFile = (await readdir(cacheDir)).find((name) => name.startsWith('manifest-'))!;
    const text = await readFile(path.join(cacheDir, cacheFile), 'utf8');
    await writeFile(path.join(cacheDir, cacheFile), text.slice(0, text.length / 2));

    const second = new DbtArtifactCache();
    expect((await second.load(manifestArtifact, manifestFile, { cacheDir })).origin).toBe('parsed');
    await second.flush();
    expect((await new DbtArtifactCache().load(manifestArtifact, manifestFile, { cacheDir })).origin).toBe(
      'disk-cache',
    );
  });

  it('still loads when the cache directory cannot be written', async () => {
    const readOnly = path.join(directory, 'read-only');
    await writeFile(readOnly, 'a file where the cache directory should be');
    const cache = new DbtArtifactCache();
    const loaded = await cache.load(manifestArtifact, manifestFile, { cacheDir: path.join(readOnly, 'dbt') });
    await cache.flush();
    expect(loaded.value.get('model.jaffle_shop.orders')).toBeDefined();
  });

  it('keeps at most maxEntries artifacts in memory, dropping the least recently used', async () => {
    const other = path.join(directory, 'other.json');
    await copyFile(REAL.jaffleV8, other);
    const cache = new DbtArtifactCache({ maxEntries: 1 });
    await cache.load(manifestArtifact, manifestFile);
    await cache.load(manifestArtifact, other);
    expect((await cache.load(manifestArtifact, other)).origin).toBe('memory');
    expect((await cache.load(manifestArtifact, manifestFile)).origin).toBe('parsed');
  });

  it('says which file is missing or broken, by the name the caller gave', async () => {
    const cache = new DbtArtifactCache();
    await expect(
      cache.load(manifestArtifact, path.join(directory, 'nope.json'), { shownPath: 'target/manifest.json' }),
    ).rejects.toThrow(DbtArtifactNotFoundError);
    const broken = path.join(directory, 'broken.json');
    await writeFile(
      broken,
      '{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"',
    );
    const error = await cache
      .load(manifestArtifact, broken, { shownPath: 'target/manifest.json' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(DbtArtifactInvalidError);
    expect(error.message).toBe(
      'target/manifest.json is not a usable dbt manifest (it is not valid JSON; dbt may still be writing it): ' +
        're-run `dbt compile`, `dbt build` or `dbt docs generate` to write it again',
    );
    // A failed load is not remembered: once the file is fixed, it loads.
    await copyFile(REAL.jaffleV8, broken);
    expect((await cache.load(manifestArtifact, broken)).origin).toBe('parsed');
  });

  it('caches run results and catalogs too', async () => {
    const runResults = path.join(directory, 'run_results.json');
    const catalog = path.join(directory, 'catalog.json');
    await copyFile(REAL.jaffleRunResultsV4, runResults);
    await copyFile(REAL.jaffleCatalog111, catalog);
    const cache = new DbtArtifactCache();
    const results = await cache.load(runResultsArtifact, runResults, { cacheDir });
    const columns = await cache.load(catalogArtifact, catalog, { cacheDir });
    await cache.flush();
    expect(results.value.countByStatus()).toEqual({ pass: 20, success: 8, error: 1 });
    expect(columns.value.columnsOf('model.jaffle_shop.orders')?.map((column) => column.name)).toContain(
      'order_id',
    );

    const fresh = new DbtArtifactCache();
    const again = await fresh.load(runResultsArtifact, runResults, { cacheDir });
    expect(again.origin).toBe('disk-cache');
    expect(again.value.results).toEqual(results.value.results);
    expect((await fresh.load(catalogArtifact, catalog, { cacheDir })).origin).toBe('disk-cache');
  });
});
