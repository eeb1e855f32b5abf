import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitBuffer } from './git.js';
import { ProcessFailure } from './process.js';

/** The file, at the project's root, listing paths never copied into a workspace (gitignore syntax). */
export const IGNORE_FILE = '.agentryignore';

/**
 * Files that usually hold credentials, kept out of every workspace unless the project says
 * otherwise: dotenv files (not `.env.example`), dbt's `profiles.yml`, private keys and
 * certificates, the credential files of curl, npm, pip and cloud SDKs. Gitignore syntax: a
 * pattern without a `/` matches at any depth. `.agentryignore` and `sandbox.ignore` come after
 * these, so they can add patterns and lift one with a negation (`!profiles.yml`).
 */
export const DEFAULT_IGNORE_PATTERNS: readonly string[] = [
  '.env',
  '.env.*',
  '!.env.example',
  'profiles.yml',
  '**/profiles.yml',
  '*.pem',
  '*.key',
  'id_rsa*',
  '.netrc',
  '.npmrc',
  '.pypirc',
  'credentials.json',
  'service-account*.json',
  '*.p12',
];

/**
 * The patterns of paths kept out of every workspace, in the order git applies them (the last
 * that matches a path decides): {@link DEFAULT_IGNORE_PATTERNS}, `.agentryignore` at the
 * project's root, then `sandbox.ignore` of config.yml.
 */
export async function loadIgnorePatterns(repoRoot: string, configured: readonly string[]): Promise<string[]> {
  return [...DEFAULT_IGNORE_PATTERNS, ...(await projectIgnorePatterns(repoRoot, configured))];
}

/** The project's own patterns: `.agentryignore`, then `sandbox.ignore`. */
async function projectIgnorePatterns(repoRoot: string, configured: readonly string[]): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(join(repoRoot, IGNORE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fromFile = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return [...fromFile, ...configured.map((pattern) => pattern.trim()).filter(Boolean)];
}

/**
 * Which of `paths` (relative to the repository root, `/`-separated) `patterns` ignore, each
 * with the pattern that decided. Git itself judges (`check-ignore`, with the same rules as the
 * checkout's `ls-files --ignored`), in a scratch repository of ours, so neither the project's
 * `.gitignore` files nor the user's git config take part. Paths are bytes: they are passed as
 * latin1 so names that are not UTF-8 survive the round trip.
 */
export async function matchIgnored(
  paths: readonly string[],
  patterns: readonly string[],
): Promise<Map<string, string>> {
  const matched = new Map<string, string>();
  if (paths.length === 0 || patterns.length === 0) return matched;
  const scratch = await mkdtemp(join(tmpdir(), 'agentry-ignore-'));
  try {
    const gitDir = join(scratch, 'git');
    const workTree = join(scratch, 'tree');
    await mkdir(join(gitDir, 'objects'), { recursive: true });
    await mkdir(join(gitDir, 'refs'), { recursive: true });
    await mkdir(workTree);
    await writeFile(join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(gitDir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = false\n');
    const excludes = join(scratch, 'patterns');
    await writeFile(excludes, patterns.map((pattern) => `${pattern}\n`).join(''));
    const output = await gitBuffer(
      scratch,
      ['-c', `core.excludesFile=${excludes}`, 'check-ignore', '--no-index', '--verbose', '--stdin', '-z'],
      {
        env: {
          GIT_DIR: gitDir,
          GIT_WORK_TREE: workTree,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
        },
        input: Buffer.from(`${paths.join('\0')}\0`, 'latin1'),
      },
    ).catch((error: unknown) => {
      // check-ignore exits 1 when nothing matched.
      if (error instanceof ProcessFailure && error.exitCode === 1) return Buffer.alloc(0);
      throw error;
    });
    // --verbose -z: source, line number, pattern, path; a negation that matched last means "kept".
    const fields = output.toString('latin1').split('\0');
    for (let index = 0; index + 3 < fields.length; index += 4) {
      const pattern = fields[index + 2]!;
      const path = fields[index + 3]!;
      if (pattern !== '' && !pattern.startsWith('!')) matched.set(path, pattern);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return matched;
}

/** A tracked file that looks like it holds credentials. */
export interface CommittedSecretFile {
  /** Relative to the repository root. */
  path: string;
  /** The pattern of {@link DEFAULT_IGNORE_PATTERNS} it matches. */
  pattern: string;
  /**
   * Whether runs can read it anyway, because `.agentryignore` or `sandbox.ignore` lifted the
   * default with a negation. Either way the file is in the repository's history.
   */
  visibleToRuns: boolean;
}

/**
 * Files tracked in the project's git index that match the default ignore list: committed
 * credentials, for `agentry validate` to warn about. Empty outside a git repository.
 */
export async function findCommittedSecretFiles(
  repoRoot: string,
  configured: readonly string[],
): Promise<CommittedSecretFile[]> {
  let listed: string;
  try {
    listed = (await gitBuffer(repoRoot, ['ls-files', '-z', '--cached'])).toString('latin1');
  } catch {
    return [];
  }
  const tracked = [...new Set(listed.split('\0').filter(Boolean))];
  const byDefault = await matchIgnored(tracked, DEFAULT_IGNORE_PATTERNS);
  if (byDefault.size === 0) return [];
  const effective = await matchIgnored([...byDefault.keys()], await loadIgnorePatterns(repoRoot, configured));
  return [...byDefault]
    .map(([path, pattern]) => ({
      path: Buffer.from(path, 'latin1').toString('utf8'),
      pattern,
      visibleToRuns: !effective.has(path),
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
}
