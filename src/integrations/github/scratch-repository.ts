import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubError } from './errors.js';
import { type GitCommandOutput, gitEnvironment, gitFirstLine, runGit } from './git-command.js';
import type { PushRemote } from './git-remote.js';

/** One file a range of commits changes. */
export interface ChangedFile {
  path: string;
  /** The path before a rename or copy. */
  previousPath?: string;
  status: 'added' | 'modified' | 'removed' | 'renamed' | 'copied' | 'changed';
  additions: number;
  deletions: number;
  binary: boolean;
}

/** How git gets to talk to the remote: the auth environment and, for messages, where the token is. */
export interface RemoteAuth {
  /** From {@link gitAuthEnvironment}; empty for ssh and file remotes. */
  env: Record<string, string>;
  /** The env var holding the token, named in messages; undefined without a token. */
  tokenEnv?: string;
}

const STATUS: Record<string, ChangedFile['status']> = {
  A: 'added',
  M: 'modified',
  D: 'removed',
  R: 'renamed',
  C: 'copied',
  T: 'changed',
};

/**
 * A bare git directory of ours, outside every workspace, that borrows the objects of the project
 * and of the run's workspace (git alternates) and fetches and pushes from there. Nothing the run
 * wrote — its git config, hooks, remotes, `insteadOf` rewrites — takes part in a push, and no
 * token is ever written to a file. Call {@link dispose} when done.
 */
export class ScratchRepository {
  private constructor(
    /** The bare git directory. */
    readonly gitDir: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** A fresh scratch repository reading `objectDirectories` (absolute `objects/` paths). */
  static async create(options: {
    objectDirectories: readonly string[];
    signal?: AbortSignal;
  }): Promise<ScratchRepository> {
    const base = await mkdtemp(join(tmpdir(), 'agentry-github-'));
    const scratch = new ScratchRepository(join(base, 'scratch.git'), options.signal);
    try {
      const made = await runGit(['init', '--bare', '--quiet', scratch.gitDir], {
        cwd: base,
        env: gitEnvironment(),
        signal: options.signal,
      });
      if (made.exitCode !== 0) throw scratch.failure('git init failed', made);
      await writeFile(
        join(scratch.gitDir, 'objects', 'info', 'alternates'),
        `${options.objectDirectories.join('\n')}\n`,
      );
      return scratch;
    } catch (error) {
      await rm(base, { recursive: true, force: true });
      throw error;
    }
  }

  /** Removes the scratch repository and everything fetched into it. */
  async dispose(): Promise<void> {
    await rm(join(this.gitDir, '..'), { recursive: true, force: true });
  }

  /** The commit `revision` names here, or undefined. */
  async resolve(revision: string): Promise<string | undefined> {
    const output = await this.git([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${revision}^{commit}`,
    ]);
    return output.exitCode === 0 ? output.stdout.trim() : undefined;
  }

  /**
   * Fetches `refs/heads/<branch>` of the remote; its commit, or undefined when the remote has no
   * such branch.
   */
  async fetchBranch(remote: PushRemote, branch: string, auth: RemoteAuth): Promise<string | undefined> {
    const local = `refs/fetched/${branch}`;
    const output = await this.git(
      [
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        '--',
        remote.url,
        `+refs/heads/${branch}:${local}`,
      ],
      auth.env,
    );
    if (output.exitCode !== 0) {
      if (/couldn't find remote ref/i.test(output.stderr)) return undefined;
      throw this.remoteFailure('fetch', remote, output, auth);
    }
    return this.resolve(local);
  }

  /** The best common ancestor of two commits, or undefined when their histories never meet. */
  async mergeBase(first: string, second: string): Promise<string | undefined> {
    const output = await this.git(['merge-base', first, second]);
    return output.exitCode === 0 ? output.stdout.trim() : undefined;
  }

  /** Commits reachable from `to` and not from `from`. */
  async countCommits(from: string, to: string): Promise<number> {
    const output = await this.git(['rev-list', '--count', `${from}..${to}`]);
    if (output.exitCode !== 0) throw this.failure('git rev-list failed', output);
    return Number(output.stdout.trim());
  }

  /** The full message of a commit. */
  async commitMessage(commit: string): Promise<string> {
    const output = await this.git(['show', '-s', '--format=%B', commit]);
    if (output.exitCode !== 0) throw this.failure('git show failed', output);
    return output.stdout;
  }

  /** The files `from..to` changes, with lines added and removed (renames detected). */
  async changedFiles(from: string, to: string): Promise<ChangedFile[]> {
    const common = ['diff', '--no-ext-diff', '--no-textconv', '-M', '-z'];
    const [statuses, numstat] = await Promise.all([
      this.git([...common, '--name-status', from, to]),
      this.git([...common, '--numstat', from, to]),
    ]);
    if (statuses.exitCode !== 0) throw this.failure('git diff failed', statuses);
    if (numstat.exitCode !== 0) throw this.failure('git diff failed', numstat);
    const counts = parseNumstatZ(numstat.stdout);
    const fields = statuses.stdout.split('\0');
    const files: ChangedFile[] = [];
    for (let index = 0; index < fields.length - 1; ) {
      const code = fields[index++]!;
      if (code === '') continue;
      const letter = code[0]!;
      const twoPaths = letter === 'R' || letter === 'C';
      const previousPath = twoPaths ? fields[index++] : undefined;
      const path = fields[index++] ?? '';
      const count = counts.get(path) ?? { additions: 0, deletions: 0, binary: false };
      files.push({
        path,
        ...(previousPath !== undefined ? { previousPath } : {}),
        status: STATUS[letter] ?? 'changed',
        ...count,
      });
    }
    return files;
  }

  /** `git diff from to` as text, cut at `maxBytes`. */
  async diff(from: string, to: string, maxBytes: number): Promise<{ text: string; cut: boolean }> {
    const output = await this.git(
      [
        'diff',
        '--no-ext-diff',
        '--no-textconv',
        '--no-color',
        '-M',
        '--src-prefix=a/',
        '--dst-prefix=b/',
        from,
        to,
      ],
      {},
      maxBytes,
    );
    if (output.exitCode !== 0 && !output.cut) throw this.failure('git diff failed', output);
    return { text: output.stdout, cut: output.cut };
  }

  /**
   * Pushes `commit` to `refs/heads/<branch>` of the remote, only if the remote's branch is still
   * at `expected` (`''`: only if it does not exist yet). Hooks are off; nothing is written to
   * the project or the workspace.
   */
  async push(
    remote: PushRemote,
    commit: string,
    branch: string,
    expected: string,
    auth: RemoteAuth,
  ): Promise<void> {
    const ref = `refs/heads/${branch}`;
    const output = await this.git(
      [
        'push',
        '--quiet',
        '--porcelain',
        '--no-verify',
        `--force-with-lease=${ref}:${expected}`,
        '--',
        remote.url,
        `${commit}:${ref}`,
      ],
      auth.env,
    );
    if (output.exitCode === 0) return;
    if (/stale info|fetch first|non-fast-forward|\[rejected\]/.test(`${output.stdout}\n${output.stderr}`)) {
      throw new GitHubError(
        'github.push-failed',
        `the branch ${branch} on ${remote.shown} changed since this run read it (someone else pushed to it): pass another branch name`,
      );
    }
    throw this.remoteFailure('push', remote, output, auth);
  }

  private git(args: readonly string[], env: Record<string, string> = {}, maxBytes?: number) {
    return runGit([`--git-dir=${this.gitDir}`, ...args], {
      cwd: this.gitDir,
      env: gitEnvironment(env),
      signal: this.signal,
      maxBytes,
    });
  }

  private failure(what: string, output: GitCommandOutput): GitHubError {
    return new GitHubError(
      'github.push-failed',
      `${what}: ${clean(gitFirstLine(output.stderr)) || `exit code ${output.exitCode}`}`,
      {
        kind: 'system',
      },
    );
  }

  private remoteFailure(
    action: 'fetch' | 'push',
    remote: PushRemote,
    output: GitCommandOutput,
    auth: RemoteAuth,
  ): GitHubError {
    const text = `${output.stdout}\n${output.stderr}`;
    const line = clean(gitFirstLine(output.stderr)) || `exit code ${output.exitCode}`;
    const from = action === 'fetch' ? `fetch from` : 'push to';
    if (output.stderr === 'git timed out') {
      return new GitHubError(
        'github.timeout',
        `git could not ${from} ${remote.shown} in time: try again later`,
        {
          kind: 'system',
          retryable: true,
        },
      );
    }
    if (
      /Authentication failed|could not read Username|HTTP 401|returned error: 40[13]|Invalid username or password/i.test(
        text,
      )
    ) {
      const where = auth.tokenEnv
        ? `the token in ${auth.tokenEnv} (integrations.github.token_env) needs contents:write on the repository`
        : 'configure integrations.github.token_env with a token that has contents:write';
      return new GitHubError(
        'github.push-failed',
        `${remote.shown} refused the credentials for a ${action}: ${where}`,
      );
    }
    if (/Permission denied \(publickey/i.test(text)) {
      return new GitHubError(
        'github.push-failed',
        `${remote.shown} refused the worker's ssh key for a ${action}: give the worker a deploy key with write access, or use an https remote with integrations.github.token_env`,
      );
    }
    if (/Repository not found|does not appear to be a git repository|not found/i.test(text)) {
      return new GitHubError(
        'github.push-failed',
        `cannot ${from} ${remote.shown}: the repository is not there (${line}); check integrations.github.remote and the remote's URL`,
      );
    }
    if (/protected branch|GH006|pre-receive hook declined/i.test(text)) {
      return new GitHubError('github.push-failed', `${remote.shown} refused the ${action}: ${line}`);
    }
    return new GitHubError('github.push-failed', `git could not ${from} ${remote.shown}: ${line}`, {
      kind: 'system',
    });
  }
}

/** `git diff --numstat -z`: `a\td\tpath\0`, or `a\td\t\0old\0new\0` for a rename. */
function parseNumstatZ(text: string): Map<string, { additions: number; deletions: number; binary: boolean }> {
  const counts = new Map<string, { additions: number; deletions: number; binary: boolean }>();
  const fields = text.split('\0');
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(field);
    if (!match) continue;
    let path = match[3]!;
    if (path === '') {
      index += 2;
      path = fields[index] ?? '';
    }
    const binary = match[1] === '-';
    counts.set(path, {
      additions: binary ? 0 : Number(match[1]),
      deletions: binary ? 0 : Number(match[2]),
      binary,
    });
  }
  return counts;
}

/** Credentials in a URL git echoed never reach a message. */
function clean(line: string): string {
  return line.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/\s]+@/g, '$1');
}
