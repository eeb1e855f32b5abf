import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { PathEscapeError, ToolError } from './errors.js';

/** How deep a chain of dangling symlinks may go before we call it a loop (the kernel's own limit). */
const MAX_SYMLINK_HOPS = 40;

/** The path goes through a symlink whose target is outside the workspace. */
export class SymlinkEscapeError extends PathEscapeError {
  constructor(path: string) {
    super(path);
    // The target is not named on purpose: it would tell the model about the host's layout.
    this.message = `${path} goes through a symlink that points outside the workspace: only files inside the repository can be used`;
  }
}

/** The path is inside `.git`, which file tools leave to the git tools. */
export class PathForbiddenError extends ToolError {
  constructor(readonly path: string) {
    super(
      'tool.path-forbidden',
      `${path} is inside .git, which file tools do not touch: use the git tools for history, diffs and branches`,
    );
  }
}

/** The path does not exist (or a part of it is a file, not a directory). */
export class PathNotFoundError extends ToolError {
  constructor(readonly path: string) {
    super(
      'tool.path-not-found',
      `${path} does not exist: use list_directory or search_files_and_directories to find the right path`,
    );
  }
}

/** Options of {@link resolveInWorkspace}. */
export interface ResolveOptions {
  /**
   * Refuse a path that does not exist (read tools). When false (the default, for write tools) a
   * missing path is checked through its nearest existing parent and returned as it would be created.
   */
  mustExist?: boolean;
}

/**
 * Turns a path the model gave into the absolute real path of a file inside the workspace.
 *
 * Refuses (with {@link PathEscapeError}) absolute paths, `..` escapes and symlinks, anywhere in the
 * path, whose target leaves the workspace; refuses `.git` and what is inside it
 * ({@link PathForbiddenError}). `root` is the workspace root (`SandboxSession.root`).
 */
export async function resolveInWorkspace(
  root: string,
  requested: string,
  options: ResolveOptions = {},
): Promise<string> {
  const relative = normalizeRequested(requested);
  const realRoot = await realpath(root);
  return resolveSegments(realRoot, splitSegments(relative), requested, options.mustExist ?? false, 0);
}

/** `absolute` relative to the workspace root, with `/` separators; `.` for the root itself. */
export function workspaceRelative(root: string, absolute: string): string {
  const relative = path.relative(root, absolute);
  if (relative === '') return '.';
  return relative.split(path.sep).join('/');
}

/** True when `name` is `.git` (compared without case: some file systems ignore it). */
export function isGitEntry(name: string): boolean {
  return name.toLowerCase() === '.git';
}

/** Lexical checks: no NUL, not absolute, no `..` above the root, not in `.git`. */
function normalizeRequested(requested: string): string {
  if (requested.includes('\0')) {
    throw new ToolError('tool.bad-path', 'the path contains a NUL byte: give a plain relative path');
  }
  if (path.isAbsolute(requested)) throw new PathEscapeError(requested);
  const normalized = path.posix.normalize(requested === '' ? '.' : requested);
  if (normalized === '..' || normalized.startsWith('../')) throw new PathEscapeError(requested);
  if (splitSegments(normalized).some(isGitEntry)) throw new PathForbiddenError(requested);
  return normalized;
}

function splitSegments(relative: string): string[] {
  return relative.split('/').filter((segment) => segment !== '' && segment !== '.');
}

/**
 * Walks the path one segment at a time from the real root, resolving every symlink met on the
 * way, so an intermediate symlinked directory cannot lead outside.
 */
async function resolveSegments(
  realRoot: string,
  segments: string[],
  requested: string,
  mustExist: boolean,
  hops: number,
): Promise<string> {
  let current = realRoot;
  for (const [index, segment] of segments.entries()) {
    let next = path.join(current, segment);
    let stats = await lstatOrUndefined(next, requested);
    if (stats?.isSymbolicLink()) {
      const target = await followSymlink(realRoot, next, requested);
      if (target.dangling) {
        if (mustExist) throw new PathNotFoundError(requested);
        if (hops >= MAX_SYMLINK_HOPS) throw symlinkLoop(requested);
        const rest = [
          ...splitSegments(workspaceRelative(realRoot, target.path)),
          ...segments.slice(index + 1),
        ];
        return resolveSegments(realRoot, rest, requested, mustExist, hops + 1);
      }
      next = target.path;
      stats = await lstatOrUndefined(next, requested);
    }
    if (!stats) {
      if (mustExist) throw new PathNotFoundError(requested);
      return path.join(current, ...segments.slice(index));
    }
    const isLast = index === segments.length - 1;
    if (!stats.isDirectory() && !isLast) {
      if (mustExist) throw new PathNotFoundError(requested);
      throw new ToolError(
        'tool.not-a-directory',
        `${requested} cannot be made: ${segments.slice(0, index + 1).join('/')} is a file, not a directory`,
      );
    }
    current = next;
  }
  return current;
}

/** Where a symlink leads, checked to stay inside the workspace and out of `.git`. */
async function followSymlink(
  realRoot: string,
  link: string,
  requested: string,
): Promise<{ path: string; dangling: boolean }> {
  let target: string | undefined;
  try {
    target = await realpath(link);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw symlinkLoop(requested);
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  if (target !== undefined) {
    assertInside(realRoot, target, requested);
    return { path: target, dangling: false };
  }
  // A dangling link: a write through it would create its target, so the target must be inside too.
  const dangling = path.resolve(path.dirname(link), await readlink(link));
  assertInside(realRoot, dangling, requested);
  return { path: dangling, dangling: true };
}

function assertInside(realRoot: string, target: string, requested: string): void {
  const relative = path.relative(realRoot, target);
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  if (outside) throw new SymlinkEscapeError(requested);
  if (relative.split(path.sep).some(isGitEntry)) throw new PathForbiddenError(requested);
}

async function lstatOrUndefined(file: string, requested: string) {
  try {
    return await lstat(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ToolError('tool.permission-denied', `${requested} cannot be read: permission denied`, {
        cause: error,
      });
    }
    throw error;
  }
}

function symlinkLoop(requested: string): ToolError {
  return new ToolError('tool.path-loop', `${requested} goes through a loop of symlinks: use another path`);
}

/** The `code` of a Node.js system error (`ENOENT`, …), if any. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
