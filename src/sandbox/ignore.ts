import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file, at the project's root, listing paths never copied into a workspace (gitignore syntax). */
export const IGNORE_FILE = '.agentryignore';

/**
 * The patterns of paths kept out of every workspace: `.agentryignore` at the project's root,
 * then `sandbox.ignore` of config.yml. Gitignore syntax (`.env`, `secrets/`, `*.pem`).
 */
export async function loadIgnorePatterns(repoRoot: string, configured: readonly string[]): Promise<string[]> {
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
