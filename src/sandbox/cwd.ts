import { isAbsolute, join, normalize } from 'node:path';
import { WorkspaceError } from './errors.js';

/** The absolute working directory for `cwd` (relative to the workspace), refusing to leave it. */
export function insideWorkspace(root: string, cwd: string | undefined): string {
  if (cwd === undefined || cwd === '' || cwd === '.') return root;
  const normalized = normalize(cwd);
  if (isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw new WorkspaceError(
      `${cwd} is outside the workspace: give a directory relative to the repository root`,
    );
  }
  return join(root, normalized);
}
