import { formatIssue, loadProject } from '../../spec/index.js';
import { builtinToolRegistry } from '../../tools/index.js';
import { projectRoot } from '../context.js';
import type { Io } from '../io.js';

/** `agentry validate`: every problem as `file:line:col: message`; exit 1 when there is any. */
export async function validateCommand(
  options: { project?: string; json?: boolean },
  io: Io,
): Promise<number> {
  const root = projectRoot(options.project);
  const { project, issues } = await loadProject(root, { knownTools: builtinToolRegistry().names() });
  if (options.json) {
    io.out(JSON.stringify({ ok: issues.length === 0, agents: [...project.agents.keys()], issues }, null, 2));
    return issues.length === 0 ? 0 : 1;
  }
  for (const issue of issues) io.out(formatIssue(issue, root));
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
