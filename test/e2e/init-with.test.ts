import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProject, runCli, type TempProject } from '../helpers/project.js';

let project: TempProject | undefined;

afterEach(() => {
  project?.cleanup();
  project = undefined;
});

describe('agentry init --with (the built CLI)', () => {
  it('copies agents named with --with, comma- or space-separated, and lists them with --list', async () => {
    project = createProject({ 'README.md': '# r\n' });
    const copied = await runCli(['init', '--with', 'incident-commander,pr-reviewer'], { cwd: project.root });
    expect(copied.stderr).toContain('created .agentry/agents/owner-lookup.yml (squad of incident-commander)');
    expect(copied.code).toBe(0);
    const more = await runCli(['init', '--with', 'doc-backfiller', 'linear-backlog'], { cwd: project.root });
    expect(more.code).toBe(0);
    expect(readdirSync(join(project.root, '.agentry', 'agents')).sort()).toEqual([
      'doc-backfiller.yml',
      'incident-commander.yml',
      'linear-backlog.yml',
      'log-analyzer.yml',
      'owner-lookup.yml',
      'pr-reviewer.yml',
      'warehouse-profiler.yml',
    ]);

    const list = await runCli(['init', '--list'], { cwd: project.root });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ {2}snowflake-cost-optimizer +Finds the Snowflake warehouses/m);

    const unknown = await runCli(['init', '--with', 'pr-reviwer'], { cwd: project.root });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(
      /^agentry: no reference agent named 'pr-reviwer' \(did you mean 'pr-reviewer'\?\)/,
    );
  });
});
