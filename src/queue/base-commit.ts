import { execFile } from 'node:child_process';
import { AgentryError } from '../errors.js';
import type { RunRecord } from '../store/types.js';

/** A run's base commit is not in the server's repository and could not be fetched. */
export class BaseCommitError extends AgentryError {
  readonly code = 'run.base-commit';
  readonly kind = 'user' as const;
}

/** Options of {@link ensureBaseCommit}. */
export interface EnsureBaseCommitOptions {
  /** The remote a missing commit is fetched from. Default `origin`. */
  remote?: string;
  /** How long one `git fetch` may take. Default 60 s. */
  fetchTimeoutMs?: number;
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Variables that would point git at another repository (a server started from a git hook inherits them). */
const GIT_LOCATION_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/**
 * Make sure the commit a run starts from is in the repository at `repoRoot`. Only a run whose
 * `baseRef` is a full commit id (a pull request's head or merge commit from a webhook, or an API
 * caller's sha) is looked at; branches and tags resolve as they are. A missing commit is fetched
 * from `remote` by its id, then — for a pull request — through `refs/pull/<n>/head` and the base
 * branch. Returns whether a fetch brought it; throws {@link BaseCommitError} saying what was
 * tried when it is still missing, so the run fails with that reason instead of starting from
 * the wrong code.
 */
export async function ensureBaseCommit(
  repoRoot: string,
  run: Pick<RunRecord, 'baseRef' | 'repoCommit' | 'trigger'>,
  options: EnsureBaseCommitOptions = {},
): Promise<{ fetched: boolean }> {
  const sha = run.baseRef?.toLowerCase();
  if (run.repoCommit !== null || sha === undefined || !FULL_SHA.test(sha)) return { fetched: false };
  if (await hasCommit(repoRoot, sha)) return { fetched: false };

  const remote = options.remote ?? 'origin';
  const timeoutMs = options.fetchTimeoutMs ?? 60_000;
  const metadata = run.trigger.metadata ?? {};
  const refs = [sha];
  // Remote and ref names come from the server's config and a signed payload's numbers; the
  // checks keep a crafted value from reading as a git option.
  if (typeof metadata.pr_number === 'number' && Number.isSafeInteger(metadata.pr_number)) {
    refs.push(`refs/pull/${metadata.pr_number}/head`);
  }
  if (typeof metadata.branch === 'string' && /^[\w./-]{1,200}$/.test(metadata.branch)) {
    refs.push(`refs/heads/${metadata.branch}`);
  }
  const failures: string[] = [];
  for (const ref of refs) {
    try {
      await gitWithTimeout(
        repoRoot,
        ['fetch', '--no-tags', '--quiet', '--no-write-fetch-head', '--', remote, ref],
        timeoutMs,
      );
    } catch (error) {
      failures.push(`${ref}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (await hasCommit(repoRoot, sha)) return { fetched: true };
  }
  const what = describeCommit(sha, run.trigger);
  throw new BaseCommitError(
    `${what} is not in the repository at ${repoRoot}, and fetching it from '${remote}' did not bring it (${failures.join('; ') || 'fetched, but the commit is not there'}): ` +
      `give the server's checkout a remote '${remote}' that has the commit (for pull requests from forks, GitHub serves refs/pull/<n>/head), or fetch it before the run`,
  );
}

function describeCommit(sha: string, trigger: RunRecord['trigger']): string {
  const metadata = trigger.metadata ?? {};
  if (typeof metadata.pr_number !== 'number') return `commit ${sha}`;
  const kind = metadata.pr_merged === true ? 'merge commit' : 'head commit';
  const repository = typeof metadata.repository === 'string' ? ` in ${metadata.repository}` : '';
  return `commit ${sha} (the ${kind} of pull request #${metadata.pr_number}${repository})`;
}

async function hasCommit(repoRoot: string, sha: string): Promise<boolean> {
  try {
    await gitWithTimeout(repoRoot, ['cat-file', '-e', `${sha}^{commit}`], 10_000);
    return true;
  } catch {
    return false;
  }
}

/**
 * git with hooks and prompts off and a deadline: a remote that hangs must not hold a worker
 * slot for ever. (`sandbox/git.ts` has no deadline; a fetch is the one call here that talks to
 * the network.)
 */
function gitWithTimeout(cwd: string, args: readonly string[], timeoutMs: number): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  for (const name of GIT_LOCATION_VARIABLES) delete env[name];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args],
      { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const killed = (error as { killed?: boolean }).killed;
        const line = String(stderr).trim().split('\n').at(-1) ?? '';
        reject(new Error(killed ? `no answer within ${timeoutMs / 1000} s` : line || error.message));
      },
    );
  });
}
