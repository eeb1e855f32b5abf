import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/commands/validate.js';
import type { Io } from '../../src/cli/io.js';
import { createProject, type TempProject } from '../helpers/project.js';

let project: TempProject | undefined;
const directories: string[] = [];

afterEach(() => {
  project?.cleanup();
  project = undefined;
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function recordingIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    onInterrupt: () => () => undefined,
    user: 'tester',
  };
}

const AGENT = 'name: reviewer\nrole: reviewer\ngoal: review\n';
const CONFIG = 'version: 1\nmodels:\n  default: { provider: openai, model: gpt-4o-mini }\n';

describe('agentry validate: committed secret files', () => {
  it('warns about each tracked file the default ignore list matches, naming it, and still passes', async () => {
    project = createProject({
      '.agentry/config.yml': `${CONFIG}sandbox:\n  ignore: ["!.env.ci"]\n`,
      '.agentry/agents/reviewer.yml': AGENT,
      '.env': 'DB_PASSWORD=hunter2\n',
      '.env.ci': 'CI=true\n',
      '.env.example': 'DB_PASSWORD=change-me\n',
      'analytics/profiles.yml': 'password: hunter2\n',
      'deploy/tls key.pem': 'KEY\n',
      'models/orders.sql': 'select 1\n',
    });
    const io = recordingIo();
    expect(await validateCommand({ project: project.root }, io)).toBe(0);
    const warnings = io.stderr.filter((line) => line.startsWith('warning: '));
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toBe(
      'warning: .env is committed and looks like it holds credentials: runs never see it (sandbox ignore list: ".env"), but it is in the repository\'s history. Remove it from git (git rm --cached .env), add it to .gitignore and rotate what it held',
    );
    expect(warnings[1]).toContain('.env.ci is committed');
    expect(warnings[1]).toContain('lets runs read it');
    expect(warnings[2]).toContain('analytics/profiles.yml is committed');
    expect(warnings[2]).toMatch(/"(\*\*\/)?profiles\.yml"/);
    expect(warnings[3]).toContain("git rm --cached 'deploy/tls key.pem'");
    expect(io.stderr.join('\n')).not.toContain('.env.example');
    expect(io.stderr.at(-1)).toBe('✓ config and 1 agent valid: reviewer');
  });

  it('lists them under warnings in --json', async () => {
    project = createProject({
      '.agentry/config.yml': CONFIG,
      '.agentry/agents/reviewer.yml': AGENT,
      'secrets/service-account-prod.json': '{}\n',
    });
    const io = recordingIo();
    expect(await validateCommand({ project: project.root, json: true }, io)).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as { ok: boolean; warnings: { file: string }[] };
    expect(report.ok).toBe(true);
    expect(report.warnings.map((warning) => warning.file)).toEqual(['secrets/service-account-prod.json']);
  });

  it('says nothing when no such file is tracked, or outside a git repository', async () => {
    project = createProject({
      '.agentry/config.yml': CONFIG,
      '.agentry/agents/reviewer.yml': AGENT,
      '.env.example': 'A=b\n',
    });
    writeFileSync(join(project.root, '.env'), 'UNTRACKED=1\n');
    const io = recordingIo();
    expect(await validateCommand({ project: project.root }, io)).toBe(0);
    expect(io.stderr.filter((line) => line.startsWith('warning:'))).toEqual([]);

    const plain = mkdtempSync(join(tmpdir(), 'agentry-validate-'));
    directories.push(plain);
    mkdirSync(join(plain, '.agentry', 'agents'), { recursive: true });
    writeFileSync(join(plain, '.agentry', 'config.yml'), CONFIG);
    writeFileSync(join(plain, '.env'), 'A=b\n');
    const outside = recordingIo();
    expect(await validateCommand({ project: plain }, outside)).toBe(0);
    expect(outside.stderr.filter((line) => line.startsWith('warning:'))).toEqual([]);
  });
});
