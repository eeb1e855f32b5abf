import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gitBuffer } from './git.js';
import { matchIgnored } from './ignore.js';

/**
 * The empty blob, in SHA-1 and SHA-256 repositories. Never withheld: an empty `.npmrc` holds no
 * secret, and the same object is every empty `__init__.py` of the repository.
 */
const EMPTY_BLOBS = new Set([
  'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391',
  '473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813',
]);

/** Where a run's git is told to fetch what it does not have; it never exists, and says why. */
export const WITHHELD_REMOTE_URL = '/agentry-withheld/files-in-the-sandbox-ignore-list';

/** What {@link buildRunObjects} wrote. */
export interface RunObjects {
  /** Objects in the pack. */
  objects: number;
  /** Blobs left out: the contents of ignored files, in the base commit and its history. */
  withheld: number;
  /** The ignored paths those blobs were found at (as git first met them). */
  withheldPaths: string[];
}

/**
 * Write into `directory` (a git object directory: `pack/`) every object reachable from `commit`
 * — its history included — except the blobs found at paths `patterns` ignore. A run's git borrows
 * from this store instead of the project's, so `git show HEAD:.env` or `git cat-file` on the
 * blob's hash finds nothing, whatever the command knows, and the other branches and unreachable
 * objects of the project are not there either.
 *
 * Each blob is judged by the path git lists it under (`rev-list --objects` names an object by the
 * first path it meets it at). A blob stored both at an ignored path and at another can be judged
 * either way: its content is then readable through the other path anyway, or that other file's
 * history is unreadable to the run's git, which is the safe side.
 */
export async function buildRunObjects(
  repoRoot: string,
  commit: string,
  patterns: readonly string[],
  directory: string,
): Promise<RunObjects> {
  const listed = await gitBuffer(repoRoot, ['rev-list', '--objects', commit]);
  // `<sha> <type> <path>` for every object; latin1 keeps the bytes of any path as they are.
  const typed = (
    await gitBuffer(repoRoot, ['cat-file', '--batch-check=%(objectname) %(objecttype) %(rest)'], {
      input: listed,
    })
  )
    .toString('latin1')
    .split('\n')
    .filter(Boolean);
  const blobPaths = new Map<string, string[]>();
  const entries: { sha: string; line: string }[] = [];
  for (const line of typed) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    const sha = line.slice(0, first);
    const type = second < 0 ? line.slice(first + 1) : line.slice(first + 1, second);
    const path = second < 0 ? '' : line.slice(second + 1);
    entries.push({ sha, line: path ? `${sha} ${path}` : sha });
    if (type !== 'blob' || path === '' || EMPTY_BLOBS.has(sha)) continue;
    const shas = blobPaths.get(path);
    if (shas) shas.push(sha);
    else blobPaths.set(path, [sha]);
  }
  const ignored = await matchIgnored([...blobPaths.keys()], patterns);
  const withheld = new Set<string>();
  for (const path of ignored.keys()) for (const sha of blobPaths.get(path) ?? []) withheld.add(sha);
  const kept = entries.filter((entry) => !withheld.has(entry.sha));
  await mkdir(join(directory, 'pack'), { recursive: true });
  await mkdir(join(directory, 'info'), { recursive: true });
  await gitBuffer(repoRoot, ['pack-objects', '--quiet', join(directory, 'pack', 'pack')], {
    input: Buffer.from(kept.map((entry) => `${entry.line}\n`).join(''), 'latin1'),
  });
  const withheldPaths = [...ignored.keys()]
    .map((path) => Buffer.from(path, 'latin1').toString('utf8'))
    .sort();
  return { objects: kept.length, withheld: withheld.size, withheldPaths };
}
