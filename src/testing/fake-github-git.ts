import { execFile, spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';

/** One file of a pull request, as GitHub's `GET …/pulls/{n}/files` lists it. */
export interface BareRepositoryFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';
  additions: number;
  deletions: number;
  changes: number;
  /** The file's hunks (from the first `@@`); absent for a binary file. */
  patch?: string;
  previous_filename?: string;
  /** New-side line numbers a review comment may point at (context and added lines of the hunks). */
  commentableLines: Set<number>;
}

const STATUS: Record<string, BareRepositoryFile['status']> = {
  A: 'added',
  D: 'removed',
  M: 'modified',
  R: 'renamed',
  C: 'copied',
  T: 'changed',
};

/**
 * Read-only git questions about a bare repository, asked as GitHub would: the tip of a branch,
 * the commits and files between a base and a head (three-dot, from their merge base), the diff.
 */
export class BareRepository {
  constructor(readonly path: string) {}

  /** The commit `refs/heads/<branch>` points at, or undefined. */
  async branchCommit(branch: string): Promise<string | undefined> {
    const output = await this.git([
      'rev-parse',
      '--verify',
      '--quiet',
      `refs/heads/${branch}^{commit}`,
    ]).catch(() => undefined);
    return output?.trim() || undefined;
  }

  async mergeBase(first: string, second: string): Promise<string | undefined> {
    const output = await this.git(['merge-base', first, second]).catch(() => undefined);
    return output?.trim() || undefined;
  }

  /**
   * A merge commit of `head` onto `base` with the merged tree, made without a work tree
   * (`git merge-tree --write-tree`, git 2.38+). Throws on a conflict.
   */
  async mergeCommit(
    base: string,
    head: string,
    author: { message: string; name: string; email: string },
  ): Promise<string> {
    const tree = (await this.git(['merge-tree', '--write-tree', base, head])).split('\n')[0]!.trim();
    const identity = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    const commit = await this.git(
      ['commit-tree', tree, '-p', base, '-p', head, '-m', author.message],
      identity,
    );
    return commit.trim();
  }

  /** Move `refs/heads/<branch>` to `to`, only if it still points at `from`. */
  async setBranch(branch: string, to: string, from: string): Promise<void> {
    await this.git(['update-ref', `refs/heads/${branch}`, to, from]);
  }

  async countCommits(from: string, to: string): Promise<number> {
    return Number((await this.git(['rev-list', '--count', `${from}..${to}`])).trim());
  }

  /** `git diff from to` as GitHub's `application/vnd.github.diff` serves it. */
  diff(from: string, to: string): Promise<string> {
    return this.git(['diff', '--no-color', '--no-ext-diff', '--no-textconv', '-M', '--full-index', from, to]);
  }

  /** The files `from..to` changes, with GitHub's fields. */
  async files(from: string, to: string): Promise<BareRepositoryFile[]> {
    const [statuses, numstat, diff] = await Promise.all([
      this.git(['diff', '--no-ext-diff', '-M', '-z', '--name-status', from, to]),
      this.git(['diff', '--no-ext-diff', '-M', '-z', '--numstat', from, to]),
      this.diff(from, to),
    ]);
    const counts = new Map<string, { additions: number; deletions: number }>();
    const numstatFields = numstat.split('\0');
    for (let index = 0; index < numstatFields.length; index++) {
      const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(numstatFields[index]!);
      if (!match) continue;
      let path = match[3]!;
      if (path === '') {
        index += 2;
        path = numstatFields[index] ?? '';
      }
      counts.set(path, {
        additions: match[1] === '-' ? 0 : Number(match[1]),
        deletions: match[2] === '-' ? 0 : Number(match[2]),
      });
    }
    const patches = patchesByFile(diff);
    const files: BareRepositoryFile[] = [];
    const fields = statuses.split('\0');
    for (let index = 0; index < fields.length - 1; ) {
      const code = fields[index++]!;
      if (code === '') continue;
      const twoPaths = code[0] === 'R' || code[0] === 'C';
      const previous = twoPaths ? fields[index++] : undefined;
      const filename = fields[index++] ?? '';
      const count = counts.get(filename) ?? { additions: 0, deletions: 0 };
      const patch = patches.get(filename);
      files.push({
        filename,
        status: STATUS[code[0]!] ?? 'changed',
        ...count,
        changes: count.additions + count.deletions,
        ...(patch !== undefined ? { patch } : {}),
        ...(previous !== undefined ? { previous_filename: previous } : {}),
        commentableLines: commentableLines(patch ?? ''),
      });
    }
    return files;
  }

  private git(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        ['-c', 'core.hooksPath=/dev/null', `--git-dir=${this.path}`, ...args],
        { env: { ...cleanEnvironment(), ...env }, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
  }
}

/** `diff --git` sections by the new path, from their first `@@`. */
function patchesByFile(diff: string): Map<string, string> {
  const patches = new Map<string, string>();
  for (const section of diff.split(/^(?=diff --git )/m)) {
    if (!section.startsWith('diff --git ')) continue;
    const lines = section.split('\n');
    const plus = lines.find((line) => line.startsWith('+++ '));
    const renamed = lines.find((line) => line.startsWith('rename to '));
    const header = /^diff --git a\/(.*) b\/(.*)$/.exec(lines[0]!);
    const path =
      plus && plus !== '+++ /dev/null'
        ? plus.slice('+++ b/'.length)
        : (renamed?.slice('rename to '.length) ?? header?.[2]);
    const hunkStart = lines.findIndex((line) => line.startsWith('@@'));
    if (path === undefined || hunkStart === -1) continue;
    patches.set(path, lines.slice(hunkStart).join('\n').replace(/\n$/, ''));
  }
  return patches;
}

function commentableLines(patch: string): Set<number> {
  const lines = new Set<number>();
  let next = 0;
  for (const line of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      next = Number(hunk[1]);
      continue;
    }
    if (line.startsWith('+') || line.startsWith(' ')) lines.add(next++);
  }
  return lines;
}

/**
 * Serves git's smart HTTP protocol for one bare repository through `git http-backend` (CGI), so
 * a real `git push https://…` reaches the fake. `pathInfo` is what follows `<owner>/<name>.git`.
 */
export function serveGitHttp(
  request: IncomingMessage,
  response: ServerResponse,
  bare: string,
  pathInfo: string,
  query: string,
): void {
  const child = spawn('git', ['-c', 'core.hooksPath=/dev/null', 'http-backend'], {
    env: {
      ...cleanEnvironment(),
      GIT_PROJECT_ROOT: dirname(bare),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${basename(bare)}${pathInfo}`,
      QUERY_STRING: query,
      REQUEST_METHOD: request.method ?? 'GET',
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: String(request.headers['content-encoding'] ?? ''),
      HTTP_GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
      // receive-pack is served only to a known user.
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  request.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    if (end === -1) return;
    headersDone = true;
    const separator = /\r?\n\r?\n/.exec(text.slice(end))![0]!;
    let status = 200;
    for (const line of text.slice(0, end).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    response.write(head.subarray(end + separator.length));
  });
  child.on('close', () => {
    if (!headersDone && !response.headersSent) response.writeHead(500);
    response.end();
  });
  child.on('error', () => {
    if (!response.headersSent) response.writeHead(500);
    response.end();
  });
}

/** The test process's environment without variables that point git at another repository. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('GIT_')) delete env[name];
  return env;
}
