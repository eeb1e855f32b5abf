import path from 'node:path';
import { PROTECTED_BY_DEFAULT } from '../spec/config.js';
import { ToolError } from './errors.js';
import type { ToolContext } from './tool.js';
import { resolveInWorkspace, workspaceRelative } from './workspace-path.js';

/**
 * Paths no agent may change, whatever the config says: its own permissions (`.agentry/`, where
 * agents and config.yml live) and git's internals.
 */
export const DEFAULT_PROTECTED_PATHS: readonly string[] = ['.agentry/**', '.git/**'];

export { PROTECTED_BY_DEFAULT };

/** An agent tried to change a protected path. The file is left as it was. */
export class PathProtectedError extends ToolError {
  constructor(
    readonly path: string,
    readonly pattern: string,
  ) {
    super(
      'tool.path-protected',
      `${path} is protected (${pattern}): agents may not change it. Leave it as it is, or ask a person to change it`,
    );
  }
}

/**
 * Gitignore-style globs, matched against `/`-separated paths relative to the repository root:
 * a pattern without a `/` (except a trailing one) matches a name at any depth, one with a `/` is
 * anchored at the root, `*` and `?` stay within a segment, `**` spans segments, and a pattern
 * that matches a directory protects everything under it. Matching ignores case, so a
 * case-insensitive file system cannot be used to slip past it.
 */
export class ProtectedPaths {
  private readonly rules: { pattern: string; regex: RegExp }[];

  constructor(readonly patterns: readonly string[]) {
    this.rules = patterns.map((pattern) => ({ pattern, regex: globToRegex(pattern) }));
  }

  /** The pattern protecting `relative` (or one of its parent directories), if any. */
  match(relative: string): string | undefined {
    const segments = relative.split('/').filter((segment) => segment !== '' && segment !== '.');
    for (let length = segments.length; length >= 1; length--) {
      const candidate = segments.slice(0, length).join('/');
      for (const rule of this.rules) if (rule.regex.test(candidate)) return rule.pattern;
    }
    return undefined;
  }
}

/**
 * The protected paths of this run: the built-in ones, those protected by default that
 * config.yml's `tools.unprotect` does not lift, config.yml's and the agent's own.
 */
export function protectedPathsFor(context: ToolContext): ProtectedPaths {
  const lifted = new Set<string>(context.config.tools?.unprotect ?? []);
  return new ProtectedPaths([
    ...DEFAULT_PROTECTED_PATHS,
    ...PROTECTED_BY_DEFAULT.filter((path) => !lifted.has(path)),
    ...(context.config.tools?.protected_paths ?? []),
    ...(context.spec.tools?.protected_paths ?? []),
  ]);
}

/** A path a tool may change: where it is, and how to name it. */
export interface WritablePath {
  /** Absolute real path (symlinks resolved) inside the workspace. */
  absolute: string;
  /** Relative to the workspace root, `/`-separated. */
  relative: string;
}

/**
 * Resolves a path the model wants to change and refuses it when it leaves the workspace or is
 * protected. Both the path as written and where it really leads are checked, so a symlink to
 * `.agentry/agents/x.yml` is refused like the file itself.
 */
export async function resolveWritable(
  context: ToolContext,
  requested: string,
  protectedPaths = protectedPathsFor(context),
): Promise<WritablePath> {
  const written = path.posix.normalize(requested.replaceAll('\\', '/'));
  const byName = protectedPaths.match(written);
  if (byName) throw new PathProtectedError(requested, byName);
  const absolute = await resolveInWorkspace(context.session.root, requested);
  const root = await resolveInWorkspace(context.session.root, '.', { mustExist: true });
  const relative = workspaceRelative(root, absolute);
  const byTarget = protectedPaths.match(relative);
  if (byTarget) throw new PathProtectedError(requested, byTarget);
  return { absolute, relative };
}

/** Translates one gitignore-style glob to an anchored regular expression over relative paths. */
function globToRegex(glob: string): RegExp {
  // `dir/` matches the directory, and through it what is inside: the same as `dir` here, since a
  // tool only ever changes files.
  let pattern = glob.trim().replaceAll('\\', '/').replace(/\/+$/, '');
  const anchored = pattern.includes('/');
  pattern = pattern.replace(/^\/+/, '');
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*' && pattern[index + 1] === '*') {
      const atSegmentStart = index === 0 || pattern[index - 1] === '/';
      const slashAfter = pattern[index + 2] === '/';
      if (atSegmentStart && slashAfter) {
        source += '(?:.*/)?';
        index += 2;
      } else {
        source += '.*';
        index += 1;
      }
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const close = pattern.indexOf(']', index + 1);
      if (close === -1) source += '\\[';
      else {
        const body = pattern
          .slice(index + 1, close)
          .replace(/^!/, '^')
          .replaceAll('\\', '\\\\');
        source += `[${body}]`;
        index = close;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const prefix = anchored ? '^' : '^(?:.*/)?';
  return new RegExp(`${prefix}${source}$`, 'i');
}
