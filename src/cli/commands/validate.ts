import { type CommittedSecretFile, findCommittedSecretFiles } from '../../sandbox/index.js';
import { formatIssue, loadProject } from '../../spec/index.js';
import { builtinToolRegistry } from '../../tools/index.js';
import { projectRoot } from '../context.js';
import type { Io } from '../io.js';

/**
 * `agentry validate`: every problem as `file:line:col: message`; exit 1 when there is any.
 * Warnings (committed secret files) are printed but do not fail it.
 */
export async function validateCommand(
  options: { project?: string; json?: boolean },
  io: Io,
): Promise<number> {
  const root = projectRoot(options.project);
  const { project, issues } = await loadProject(root, { knownTools: builtinToolRegistry().names() });
  const secretFiles = await findCommittedSecretFiles(root, project.config.sandbox.ignore).catch(() => []);
  const warnings = secretFiles.map((file) => ({ file: file.path, message: secretFileWarning(file) }));
  if (options.json) {
    io.out(
      JSON.stringify(
        { ok: issues.length === 0, agents: [...project.agents.keys()], issues, warnings },
        null,
        2,
      ),
    );
    return issues.length === 0 ? 0 : 1;
  }
  for (const issue of issues) io.out(formatIssue(issue, root));
  for (const warning of warnings) io.err(`warning: ${warning.message}`);
  if (issues.length > 0) {
    io.err(`${issues.length} problem${issues.length > 1 ? 's' : ''} found`);
    return 1;
  }
  const names = [...project.agents.keys()].sort();
  io.err(
    `✓ config and ${names.length} agent${names.length === 1 ? '' : 's'} valid${names.length ? `: ${names.join(', ')}` : ''}`,
  );
  return 0;
}

/** One line about a committed file that looks like it holds credentials, and what to do. */
function secretFileWarning(file: CommittedSecretFile): string {
  const where = file.visibleToRuns
    ? `and .agentryignore or sandbox.ignore lets runs read it (a negation lifts "${file.pattern}")`
    : `runs never see it (sandbox ignore list: "${file.pattern}"), but it is in the repository's history`;
  return `${file.path} is committed and looks like it holds credentials: ${where}. Remove it from git (git rm --cached ${shellQuote(file.path)}), add it to .gitignore and rotate what it held`;
}

function shellQuote(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
