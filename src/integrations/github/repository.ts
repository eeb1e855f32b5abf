/** A GitHub repository, `owner/name`. */
export interface GitHubRepository {
  owner: string;
  name: string;
  /** `owner/name`. */
  fullName: string;
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** `owner/name` → a repository; undefined when it is not one. */
export function parseRepository(text: string): GitHubRepository | undefined {
  const [owner, name, ...rest] = text.trim().split('/');
  if (!owner || !name || rest.length > 0) return undefined;
  return repository(owner, name);
}

/**
 * The repository a git remote URL points at: `https://github.com/o/r(.git)`,
 * `https://ghe.example.com/o/r.git`, `ssh://git@host[:port]/o/r.git` and scp-like
 * `git@host:o/r.git`. Undefined for a local path or a URL without `owner/name` at its end.
 */
export function repositoryFromRemoteUrl(url: string): GitHubRepository | undefined {
  const path = remoteUrlPath(url.trim());
  if (path === undefined) return undefined;
  const segments = path
    .replace(/\/+$/, '')
    .split('/')
    .filter((segment) => segment !== '');
  if (segments.length < 2) return undefined;
  const owner = segments.at(-2)!;
  const name = segments.at(-1)!.replace(/\.git$/, '');
  return repository(owner, name);
}

/** The path part of a remote URL (`o/r.git`), or undefined when it is a local path. */
function remoteUrlPath(url: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    if (/^file:/i.test(url)) return undefined;
    try {
      return decodeURIComponent(new URL(url).pathname);
    } catch {
      return undefined;
    }
  }
  // scp-like syntax: [user@]host:path, where host has no slash before the colon.
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(.+)$/.exec(url);
  if (scp && !/^[A-Za-z]$/.test(scp[1]!)) return scp[2]!;
  return undefined;
}

function repository(owner: string, name: string): GitHubRepository | undefined {
  if (!SEGMENT.test(owner) || !SEGMENT.test(name) || name === '.' || name === '..') return undefined;
  return { owner, name, fullName: `${owner}/${name}` };
}
