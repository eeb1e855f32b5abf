import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProject, REPO_ROOT, runCli, type TempProject } from '../helpers/project.js';

let project: TempProject | undefined;
const dirs: string[] = [];

afterEach(() => {
  project?.cleanup();
  project = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('agentry init, validate, schema', () => {
  it('scaffolds a project that validates', async () => {
    project = createProject({ 'README.md': '# r\n' });
    const init = await runCli(['init'], { cwd: project.root });
    expect(init.code).toBe(0);
    expect(init.stderr).toContain('created .agentry/agents/repo-guide.yml');
    const validate = await runCli(['validate'], { cwd: project.root });
    expect(validate.stderr).toContain('✓ config and 1 agent valid: repo-guide');
    expect(validate.code).toBe(0);
    const again = await runCli(['init'], { cwd: project.root });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^agentry: .*exists already: pass --force/);
  });

  it('reports every broken file as file:line:col: message and exits 1', async () => {
    const root = mkdtempSync(join(tmpdir(), 'agentry-validate-'));
    dirs.push(root);
    cpSync(join(REPO_ROOT, 'test/fixtures/spec/broken'), root, { recursive: true });
    const result = await runCli(['validate'], { cwd: root });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(15);
    for (const line of lines) expect(line).toMatch(/^\.(agentry|dinoai)\/agents\/[\w.-]+\.ya?ml:\d+:\d+: \S/);
    expect(result.stderr).toContain(`${lines.length} problems found`);
    expect(result.stdout).toMatch(/did you mean/);
    const json = await runCli(['validate', '--json'], { cwd: root });
    expect(JSON.parse(json.stdout).issues).toHaveLength(lines.length);
  });

  it('prints the agent and config JSON Schemas', async () => {
    const agent = await runCli(['schema'], { cwd: REPO_ROOT });
    expect(JSON.parse(agent.stdout).properties.role).toBeDefined();
    const config = await runCli(['schema', 'config'], { cwd: REPO_ROOT });
    expect(JSON.parse(config.stdout).properties.models).toBeDefined();
    const wrong = await runCli(['schema', 'agnet'], { cwd: REPO_ROOT });
    expect(wrong.code).toBe(1);
  });

  it('says in one line when there is no project or no such agent', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'agentry-empty-'));
    dirs.push(empty);
    const none = await runCli(['run', 'x', '-m', 'hi'], { cwd: empty });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^agentry: no \.agentry\/ directory here or above .*agentry init/);
    project = createProject({});
    await runCli(['init'], { cwd: project.root });
    const unknown = await runCli(['run', 'repo-guid', '-m', 'hi'], { cwd: project.root });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      "agentry: no agent named 'repo-guid' (agents: repo-guide); run 'agentry validate' to see agents that failed to load",
    );
  });

  it('refuses to run an agent whose file has problems, naming them', async () => {
    project = createProject({});
    await runCli(['init'], { cwd: project.root });
    project.write('.agentry/agents/broken.yml', 'name: broken\nrole: r\ngoal: g\nlimits:\n  max_step: 3\n');
    const result = await runCli(['run', 'broken', '-m', 'hi'], { cwd: project.root });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      ".agentry/agents/broken.yml:5:3: unknown key 'max_step' in 'limits' (did you mean 'max_steps'?)",
    );
  });
});
