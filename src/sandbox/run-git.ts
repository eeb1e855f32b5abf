import { copyFile, lstat, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SHALLOW_FILE } from './base-cache.js';
import { git, gitBuffer } from './git.js';
import { WITHHELD_REMOTE_URL } from './run-objects.js';

/**
 * Git metadata of one run. The workspace gets its own small git directory: its HEAD is the branch
 * `agentry/<run-id>` at the base commit, and it borrows the project's objects read-only (git
 * "alternates"), so commits work inside the sandbox without the project's `.git` being writable
 * there. Commits made on the branch are fetched back into the project when the run ends.
 */

/** Config of our scratch git directories (the diff, keeping commits). */
const SCRATCH_CONFIG = `[core]
\trepositoryformatversion = 0
\tbare = false
\tlogallrefupdates = true
\t# Files come through an overlay: only size and mtime say whether they changed.
\tcheckStat = minimal
\ttrustctime = false
[user]
\tname = Agentry
\temail = agentry@localhost
[gc]
\tauto = 0
`;

/**
 * Config of a run's git directory. Read-only inside the sandbox: a command cannot add a hook or a
 * filter. The run's object store lacks the contents of ignored files (see `buildRunObjects`), so
 * the repository is declared a partial clone: git then commits trees that name those blobs
 * (`.env` stays in the tree, untouched) instead of refusing, and a command that asks for one
 * gets git's "does not appear to be a git repository" naming {@link WITHHELD_REMOTE_URL}, a path
 * that never exists, rather than the content.
 */
const RUN_CONFIG = `[core]
\trepositoryformatversion = 1
\tbare = false
\tlogallrefupdates = true
\t# Files come through an overlay: only size and mtime say whether they changed.
\tcheckStat = minimal
\ttrustctime = false
[extensions]
\tpartialClone = agentry-withheld
[remote "agentry-withheld"]
\turl = ${WITHHELD_REMOTE_URL}
\tpromisor = true
\t# Said here, or git tries to write it into this (read-only) file on its first fetch.
\tpartialclonefilter = blob:none
[user]
\tname = Agentry
\temail = agentry@localhost
[gc]
\tauto = 0
`;

/**
 * Write a run's git directory at `gitDir`, HEAD on `branch` at `commit`, borrowing objects from
 * `objectsDir` (the run object store: the project's objects without ignored files' contents).
 */
export async function writeRunGitDir(
  gitDir: string,
  options: { objectsDir: string; commit: string; branch: string; index?: string },
): Promise<void> {
  await mkdir(join(gitDir, 'objects', 'info'), { recursive: true });
  await mkdir(join(gitDir, 'objects', 'pack'), { recursive: true });
  await mkdir(join(gitDir, 'refs', 'tags'), { recursive: true });
  const ref = join(gitDir, 'refs', 'heads', ...options.branch.split('/'));
  await mkdir(dirname(ref), { recursive: true });
  await writeFile(ref, `${options.commit}\n`);
  await writeFile(join(gitDir, 'HEAD'), `ref: refs/heads/${options.branch}\n`);
  await writeFile(join(gitDir, 'config'), RUN_CONFIG);
  await writeFile(join(gitDir, 'objects', 'info', 'alternates'), `${options.objectsDir}\n`);
  // A run object store made from a shallow clone has the clone's shallow list beside it.
  await copyFile(join(dirname(options.objectsDir), SHALLOW_FILE), join(gitDir, 'shallow')).catch(
    () => undefined,
  );
  if (options.index) await copyIndex(options.index, join(gitDir, 'index'));
}

/** Where the diff of a workspace is taken from: files we wrote, never what a command changed. */
export interface DiffSource {
  /** The workspace. */
  workTree: string;
  baseCommit: string;
  /** The project's object store. */
  objectsDir: string;
  /** An index of the base commit made by us (stat data matching the workspace's untouched files). */
  baseIndex: string;
  /** Ignore patterns: new files matching them stay out of the diff too. */
  patterns: readonly string[];
  /** A directory of ours, outside the workspace, for the scratch git directory. */
  scratch: string;
  /**
   * The overlay's layers, when the workspace is one: only what is in the upper layer can have
   * changed, so git looks at those paths instead of every file of the repository.
   */
  overlay?: { lower: string; upper: string };
}

/** Bytes of `workspace.diff` kept at most; a larger diff is cut and says so. */
export const MAX_DIFF_BYTES = 20 * 1024 * 1024;

/**
 * `git diff --binary` of everything in the workspace (commits and uncommitted changes, new files
 * included) against the base commit. Git runs with a scratch git directory of ours, never the
 * run's: its config and hooks are the run's to write, and nothing a run wrote may start a program
 * on the host.
 */
export async function workspaceDiff(source: DiffSource): Promise<{ diff: Buffer; truncated: boolean }> {
  const gitDir = join(source.scratch, 'diff.git');
  await rm(gitDir, { recursive: true, force: true });
  await writeScratchGitDir(gitDir, source.baseCommit, [source.objectsDir]);
  await copyIndex(source.baseIndex, join(gitDir, 'index'));
  const excludes = join(source.scratch, 'diff-excludes');
  await writeFile(excludes, source.patterns.map((pattern) => `${pattern}\n`).join(''));
  const env = { GIT_DIR: gitDir, GIT_WORK_TREE: source.workTree };
  const config = ['-c', `core.excludesFile=${excludes}`];
  try {
    const changed = source.overlay
      ? await overlayChanges(source.overlay.lower, source.overlay.upper, source.workTree).catch(
          () => undefined,
        )
      : undefined;
    const pathspec = changed === undefined ? ['--', '.'] : ['--pathspec-from-file=-', '--pathspec-file-nul'];
    if (changed === undefined || changed.length > 0) {
      await git(source.workTree, [...config, 'add', '--all', '--ignore-errors', ...pathspec], {
        env: { ...env, GIT_LITERAL_PATHSPECS: '1' },
        input: changed ? `${changed.join('\0')}\0` : undefined,
      }).catch(
        // --ignore-errors still exits 1 after skipping an unreadable file; what it could add is there.
        () => undefined,
      );
    }
    const diff = await gitBuffer(
      source.workTree,
      [
        ...config,
        'diff',
        '--cached',
        '--binary',
        '--no-color',
        '--no-ext-diff',
        '--no-textconv',
        '--src-prefix=a/',
        '--dst-prefix=b/',
        source.baseCommit,
      ],
      { env },
    );
    if (diff.length <= MAX_DIFF_BYTES) return { diff, truncated: false };
    const note = Buffer.from(
      `\n# [workspace.diff cut at ${MAX_DIFF_BYTES} of ${diff.length} bytes: it cannot be applied]\n`,
    );
    return { diff: Buffer.concat([diff.subarray(0, MAX_DIFF_BYTES), note]), truncated: true };
  } finally {
    await rm(gitDir, { recursive: true, force: true });
  }
}

/**
 * Workspace-relative paths that may differ from the base in an overlay workspace: every file of
 * the upper layer, and the entries of its directories that the merged view no longer shows
 * (deleted, whatever the whiteout looks like). Proportional to the changes, not to the repository.
 */
export async function overlayChanges(lower: string, upper: string, merged: string): Promise<string[]> {
  const paths: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const inLower = await readdir(join(lower, relative)).catch(() => undefined);
    if (inLower === undefined) {
      // A directory the base does not have (or where it has a file): all of it is new.
      paths.push(relative);
      return;
    }
    const shown = new Set(await readdir(join(merged, relative)));
    for (const name of inLower) if (!shown.has(name)) paths.push(join(relative, name));
    for (const entry of await readdir(join(upper, relative), { withFileTypes: true })) {
      if (relative === '' && entry.name === '.git') continue;
      // Whiteouts: a character device (kernel) or a .wh. file (fuse-overlayfs without privileges).
      if (entry.isCharacterDevice() || entry.name.startsWith('.wh.')) continue;
      const path = relative === '' ? entry.name : join(relative, entry.name);
      if (entry.isDirectory()) await walk(path);
      else paths.push(path);
    }
  };
  await walk('');
  return paths;
}

/** Apply a previous turn's diff to a fresh workspace (files only, nothing staged). */
export async function applyDiff(workTree: string, gitDir: string, diff: Uint8Array | string): Promise<void> {
  if (diff.length === 0) return;
  await git(workTree, ['apply', '--binary', '--whitespace=nowarn', '-'], {
    env: { GIT_DIR: gitDir, GIT_WORK_TREE: workTree },
    input: diff,
  });
}

/**
 * Fetch the run's branch into the project when the agent committed on it, as `agentry/<run-id>`.
 * Returns the kept commit, or undefined when the branch holds nothing new.
 */
export async function keepRunCommits(options: {
  repoRoot: string;
  runGitDir: string;
  branch: string;
  baseCommit: string;
  objectsDir: string;
  scratch: string;
}): Promise<string | undefined> {
  const tip = await readRef(options.runGitDir, `refs/heads/${options.branch}`);
  if (!tip || tip === options.baseCommit) return undefined;
  const runObjects = join(options.runGitDir, 'objects');
  // The run could have pointed its alternates anywhere on the host: put back ours first.
  await writeFile(join(runObjects, 'info', 'alternates'), `${options.objectsDir}\n`).catch(() => undefined);
  const gitDir = join(options.scratch, 'keep.git');
  await rm(gitDir, { recursive: true, force: true });
  await writeScratchGitDir(gitDir, options.baseCommit, [options.objectsDir, runObjects]);
  try {
    const type = await git(options.repoRoot, ['--git-dir', gitDir, 'cat-file', '-t', tip]).catch(() => '');
    if (type !== 'commit') return undefined;
    await git(options.repoRoot, ['--git-dir', gitDir, 'update-ref', `refs/heads/${options.branch}`, tip]);
    await git(options.repoRoot, [
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      gitDir,
      `+refs/heads/${options.branch}:refs/heads/${options.branch}`,
    ]);
    return tip;
  } finally {
    await rm(gitDir, { recursive: true, force: true });
  }
}

/** The commit a ref of a git directory points at, read from its files, without running git there. */
export async function readRef(gitDir: string, ref: string): Promise<string | undefined> {
  const loose = await readFile(join(gitDir, ...ref.split('/')), 'utf8').catch(() => undefined);
  const fromLoose = loose?.trim();
  if (fromLoose && /^[0-9a-f]{40,64}$/.test(fromLoose)) return fromLoose;
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
  }
  return undefined;
}

/**
 * Copy a git index keeping its mtime. Git tells a file changed in the same second as its
 * checkout ("racily clean") by comparing the file's mtime with the index's: a copy with a newer
 * mtime would hide such a change from the diff.
 */
export async function copyIndex(source: string, destination: string): Promise<void> {
  const { atime, mtime } = await stat(source);
  await copyFile(source, destination);
  await utimes(destination, atime, mtime);
}

/** True when `file` is a regular file (not a symlink a run planted). */
export async function isRegularFile(file: string): Promise<boolean> {
  const info = await lstat(file).catch(() => undefined);
  return info?.isFile() ?? false;
}

async function writeScratchGitDir(
  gitDir: string,
  commit: string,
  alternates: readonly string[],
): Promise<void> {
  await mkdir(join(gitDir, 'objects', 'info'), { recursive: true });
  await mkdir(join(gitDir, 'refs', 'heads'), { recursive: true });
  await writeFile(join(gitDir, 'HEAD'), `${commit}\n`);
  await writeFile(join(gitDir, 'config'), SCRATCH_CONFIG);
  await writeFile(
    join(gitDir, 'objects', 'info', 'alternates'),
    alternates.map((path) => `${path}\n`).join(''),
  );
}
