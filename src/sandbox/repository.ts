import { realpath } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { WorkspaceError } from './errors.js';
import { git } from './git.js';

/** Every run works on a branch of this name; the reaper and the kept commits go by it. */
export const BRANCH_PREFIX = 'agentry/';

/** The commit `ref` names in the project's repository, or a one-line error saying what to do. */
export async function resolveCommit(repoRoot: string, ref: string): Promise<string> {
  try {
    await git(repoRoot, ['rev-parse', '--git-dir']);
  } catch {
    throw new WorkspaceError(
      `${repoRoot} is not a git repository: agents run on a checkout of a commit; run 'git init && git add -A && git commit -m init'`,
    );
  }
  try {
    return await git(repoRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    const hint =
      ref === 'HEAD'
        ? 'the repository has no commit yet: commit your files first'
        : 'pass a branch, tag or commit that exists';
    throw new WorkspaceError(`cannot resolve base ref '${ref}' in ${repoRoot}: ${hint}`);
  }
}

/** The real path of the repository's object store (shared by all its worktrees). */
export async function objectsDirectory(repoRoot: string): Promise<string> {
  const common = await git(repoRoot, ['rev-parse', '--git-common-dir']);
  return realpath(join(isAbsolute(common) ? common : join(repoRoot, common), 'objects'));
}

/**
 * Fill `indexFile` with the tree of `commit` and mark the paths `patterns` match as
 * skip-worktree: git then neither checks them out nor sees them as deleted, so they stay out of
 * the workspace, its status and its diff. Returns those paths.
 */
export async function prepareIndex(
  repoRoot: string,
  commit: string,
  indexFile: string,
  patterns: readonly string[],
): Promise<string[]> {
  const env = { GIT_INDEX_FILE: indexFile };
  await git(repoRoot, ['read-tree', commit], { env });
  if (patterns.length === 0) return [];
  const listed = await git(
    repoRoot,
    ['ls-files', '-z', '--cached', '--ignored', ...patterns.flatMap((p) => ['-x', p])],
    {
      env,
    },
  );
  const ignored = listed.split('\0').filter(Boolean);
  if (ignored.length > 0) {
    await git(repoRoot, ['update-index', '-z', '--skip-worktree', '--stdin'], {
      env,
      input: `${ignored.join('\0')}\0`,
    });
  }
  return ignored;
}
