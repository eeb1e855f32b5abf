import { realpath } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { GitHubError } from './errors.js';
import { gitEnvironment, gitFirstLine, runGit } from './git-command.js';

/** The real path of the `objects/` directory of the project's repository (shared by its worktrees). */
export async function projectObjectsDirectory(projectRoot: string, signal?: AbortSignal): Promise<string> {
  const output = await runGit(['rev-parse', '--git-common-dir'], {
    cwd: projectRoot,
    env: gitEnvironment(),
    signal,
    timeoutMs: 10_000,
  });
  if (output.exitCode !== 0) {
    throw new GitHubError(
      'github.push-failed',
      `${projectRoot} is not a git repository (${gitFirstLine(output.stderr)}): pull requests are made from the project's repository`,
    );
  }
  const common = output.stdout.trim();
  return realpath(join(isAbsolute(common) ? common : resolve(projectRoot, common), 'objects'));
}

/** The commit the first of `revisions` that exists names in the project's repository. */
export async function projectCommit(
  projectRoot: string,
  revisions: readonly string[],
  signal?: AbortSignal,
): Promise<{ revision: string; commit: string } | undefined> {
  for (const revision of revisions) {
    const output = await runGit(
      ['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`],
      {
        cwd: projectRoot,
        env: gitEnvironment(),
        signal,
        timeoutMs: 10_000,
      },
    );
    if (output.exitCode === 0) return { revision, commit: output.stdout.trim() };
  }
  return undefined;
}
