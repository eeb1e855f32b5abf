import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initCommand } from '../../src/cli/commands/init.js';
import { CliUsageError } from '../../src/cli/errors.js';
import type { Io } from '../../src/cli/io.js';
import { loadProject } from '../../src/spec/index.js';
import { REPO_ROOT } from '../helpers/project.js';

const AGENTS_DIR = join(REPO_ROOT, 'agents');
const SQUAD = ['incident-commander', 'log-analyzer', 'owner-lookup', 'warehouse-profiler'];

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentry-init-with-'));
  dirs.push(dir);
  return dir;
}

function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    onInterrupt: () => () => {},
    user: 'test',
  };
}

function agentFiles(root: string): string[] {
  return readdirSync(join(root, '.agentry', 'agents')).sort();
}

describe('agentry init --with', () => {
  it('copies the incident commander and its squad into a new scaffold, byte for byte', async () => {
    const root = tempDir();
    const io = captureIo();
    expect(await initCommand({ dir: root, with: ['incident-commander'] }, io)).toBe(0);

    expect(agentFiles(root)).toEqual(SQUAD.map((name) => `${name}.yml`));
    for (const name of SQUAD) {
      expect(readFileSync(join(root, '.agentry', 'agents', `${name}.yml`), 'utf8')).toBe(
        readFileSync(join(AGENTS_DIR, `${name}.yml`), 'utf8'),
      );
    }
    expect(existsSync(join(root, '.agentry', 'config.yml'))).toBe(true);
    expect(existsSync(join(root, '.agentry', 'schema', 'agent.schema.json'))).toBe(true);
    expect(io.stderr).toContain('created .agentry/agents/incident-commander.yml');
    expect(io.stderr).toContain('created .agentry/agents/log-analyzer.yml (squad of incident-commander)');

    // The fresh config has no warehouse yet: the next steps say so, and so does validation.
    const needs = io.stderr.join('\n');
    expect(needs).toMatch(/✗ warehouses\.analytics: .*\[warehouse-profiler\]/);
    expect(needs).toMatch(/✗ integrations\.slack\.token_env: .*#incidents \[incident-commander\]/);
    expect(needs).toMatch(/✗ integrations\.airflow: .*\[log-analyzer\]/);
    expect(needs).toMatch(/✓ models\.default: /);
    expect(needs).toContain('agentry_callback("incident-commander")');
    const { project, issues } = await loadProject(root);
    expect(issues.map((issue) => issue.message)).toEqual([
      "warehouse 'analytics' is not in .agentry/config.yml warehouses: add it under warehouses: there",
    ]);
    expect([...project.agents.keys()].sort()).toEqual(['incident-commander', 'log-analyzer', 'owner-lookup']);
  });

  it('adds agents to an existing project without --force, keeping the files and config already there', async () => {
    const root = tempDir();
    const config = `version: 1
models:
  default: { provider: openai-compatible, model: llama3.1, base_url: "http://127.0.0.1:11434/v1" }
warehouses:
  analytics: { type: duckdb, path: jaffle_shop.duckdb }
integrations:
  slack: { token_env: SLACK_BOT_TOKEN }
`;
    const edited = '# our own log analyzer\nname: log-analyzer\nrole: r\ngoal: g\n';
    mkdirSync(join(root, '.agentry', 'agents'), { recursive: true });
    writeFileSync(join(root, '.agentry', 'config.yml'), config);
    writeFileSync(join(root, '.agentry', 'agents', 'log-analyzer.yml'), edited);

    const io = captureIo();
    expect(await initCommand({ dir: root, with: 'incident-commander' }, io)).toBe(0);
    expect(readFileSync(join(root, '.agentry', 'config.yml'), 'utf8')).toBe(config);
    expect(readFileSync(join(root, '.agentry', 'agents', 'log-analyzer.yml'), 'utf8')).toBe(edited);
    expect(agentFiles(root)).toEqual(SQUAD.map((name) => `${name}.yml`));
    expect(io.stderr).toContain(
      'kept .agentry/agents/log-analyzer.yml (squad of incident-commander): it exists already (--force replaces it)',
    );
    expect(io.stderr).not.toContain('created .agentry/config.yml');
    const needs = io.stderr.join('\n');
    expect(needs).toMatch(/✓ warehouses\.analytics: /);
    expect(needs).toMatch(/✓ integrations\.slack\.token_env: /);
    expect(needs).toMatch(/✗ integrations\.airflow: /);

    const forced = captureIo();
    expect(await initCommand({ dir: root, with: 'log-analyzer', force: true }, forced)).toBe(0);
    expect(readFileSync(join(root, '.agentry', 'agents', 'log-analyzer.yml'), 'utf8')).toBe(
      readFileSync(join(AGENTS_DIR, 'log-analyzer.yml'), 'utf8'),
    );
    expect(forced.stderr).toContain('replaced .agentry/agents/log-analyzer.yml');
    expect(readFileSync(join(root, '.agentry', 'config.yml'), 'utf8')).toBe(config);
  });

  it('takes several names, comma- or space-separated, each agent once', async () => {
    const root = tempDir();
    const io = captureIo();
    await initCommand({ dir: root, with: ['pr-reviewer,owner-lookup', 'incident-commander'] }, io);
    expect(agentFiles(root)).toEqual([...SQUAD, 'pr-reviewer'].sort().map((name) => `${name}.yml`));
    expect(io.stderr.filter((line) => line.includes('owner-lookup.yml'))).toEqual([
      'created .agentry/agents/owner-lookup.yml',
    ]);
  });

  it('follows squads transitively', async () => {
    const catalogue = tempDir();
    const agent = (name: string, squad: string[]) =>
      writeFileSync(
        join(catalogue, `${name}.yml`),
        `name: ${name}\ndescription: ${name}.\nrole: r\ngoal: g\nagents_squad: [${squad.join(', ')}]\n` +
          (squad.length > 0 ? 'tools: { list: [invoke_agent] }\n' : ''),
      );
    agent('lead', ['middle']);
    agent('middle', ['leaf', 'lead']);
    agent('leaf', []);
    agent('unrelated', []);
    const root = tempDir();
    await initCommand({ dir: root, with: 'lead', referenceDir: catalogue }, captureIo());
    expect(agentFiles(root)).toEqual(['lead.yml', 'leaf.yml', 'middle.yml']);
  });

  it('refuses an unknown name in one line that lists the agents, and writes nothing', async () => {
    const root = tempDir();
    const attempt = initCommand({ dir: root, with: ['incident-comander'] }, captureIo());
    await expect(attempt).rejects.toBeInstanceOf(CliUsageError);
    await expect(attempt).rejects.toThrow(
      /^no reference agent named 'incident-comander' \(did you mean 'incident-commander'\?\): choose from bigquery-cost-optimizer, doc-backfiller, incident-commander, .*warehouse-profiler$/,
    );
    expect(existsSync(join(root, '.agentry'))).toBe(false);
  });

  it('lists the reference agents with what they do for --list and for --with without names', async () => {
    for (const options of [{ list: true }, { with: true }]) {
      const io = captureIo();
      expect(await initCommand({ dir: tempDir(), ...options }, io)).toBe(0);
      const names = readdirSync(AGENTS_DIR)
        .filter((file) => file.endsWith('.yml'))
        .map((file) => file.replace(/\.yml$/, ''));
      expect(io.stdout).toHaveLength(names.length + 1);
      for (const name of names) expect(io.stdout.some((line) => line.startsWith(`  ${name} `))).toBe(true);
      expect(io.stdout.join('\n')).toMatch(
        /incident-commander +Turns a failed Airflow task .*\(with its squad: log-analyzer, warehouse-profiler, owner-lookup\)/,
      );
    }
  });

  it('still scaffolds the example agent without --with, and refuses to overwrite it', async () => {
    const root = tempDir();
    await initCommand({ dir: root }, captureIo());
    expect(agentFiles(root)).toEqual(['repo-guide.yml']);
    await expect(initCommand({ dir: root }, captureIo())).rejects.toThrow(/exists already: pass --force/);
    expect(await initCommand({ dir: root, with: 'owner-lookup' }, captureIo())).toBe(0);
    expect(agentFiles(root)).toEqual(['owner-lookup.yml', 'repo-guide.yml']);
  });
});
