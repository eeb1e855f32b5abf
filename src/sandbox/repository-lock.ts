const tails = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier `withRepositoryLock` call for the same repository has settled.
 * `git worktree add`, `remove` and `prune` race when run at once in one repository (a prune can
 * delete the admin directory of a worktree being added: "failed to read …/commondir"), and a
 * server provisions and tears down many runs at the same time. This orders them within a process.
 */
export function withRepositoryLock<T>(repoRoot: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(repoRoot) ?? Promise.resolve();
  const result = previous.then(work, work);
  const tail = result.catch(() => undefined);
  tails.set(repoRoot, tail);
  // Forget the repository once nothing waits on it, so the map does not grow.
  void tail.then(() => {
    if (tails.get(repoRoot) === tail) tails.delete(repoRoot);
  });
  return result;
}
