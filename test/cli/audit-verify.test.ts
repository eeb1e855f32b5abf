import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { auditVerifyCommand } from '../../src/cli/commands/audit.js';
import type { Io } from '../../src/cli/io.js';
import { Engine } from '../../src/engine/index.js';
import { LocalSandboxDriver } from '../../src/sandbox/index.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore } from '../../src/store/index.js';
import { type ScriptedModelServer, startScriptedModel } from '../../src/testing/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';

let server: ScriptedModelServer | undefined;
let project: TempProject | undefined;

afterEach(async () => {
  await server?.close();
  project?.cleanup();
  server = undefined;
  project = undefined;
});

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

/** A project with three finished runs of one agent. */
async function projectWithRuns(): Promise<{ root: string; runIds: string[] }> {
  server = await startScriptedModel({ script: [{ text: 'one' }, { text: 'two' }, { text: 'three' }] });
  project = createProject({ 'README.md': '# repo\n' });
  project.write('.agentry/config.yml', scriptedConfig(server.url, project.workspaces));
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/analyst.yml', 'name: analyst\nrole: analyst\ngoal: answer\n');
  project.commit('agentry');
  const { project: loaded } = await loadProject(project.root);
  const store = await openStore(loaded.config.store, project.root);
  try {
    const engine = new Engine({
      project: loaded,
      store,
      sandbox: new LocalSandboxDriver({ workspaceRoot: project.workspaces }),
      env: {},
    });
    const runIds: string[] = [];
    for (const message of ['a', 'b', 'c']) runIds.push((await engine.triggerRun('analyst', message)).id);
    return { root: project.root, runIds };
  } finally {
    await store.close();
  }
}

function tamper(root: string, sql: string, ...values: string[]): void {
  const database = new DatabaseSync(join(root, '.agentry/agentry.db'));
  try {
    for (const trigger of ['events_no_delete', 'messages_no_delete', 'runs_no_delete']) {
      database.exec(`DROP TRIGGER IF EXISTS ${trigger}`);
    }
    for (const statement of sql.split(';').filter((part) => part.trim() !== '')) {
      database.prepare(statement).run(...values.slice(0, (statement.match(/\?/g) ?? []).length));
    }
  } finally {
    database.close();
  }
}

describe('agentry audit verify', () => {
  it('--all reports a deleted run, and ends with the ledger head to keep as an anchor', async () => {
    const { root, runIds } = await projectWithRuns();
    const intact = captureIo();
    expect(await auditVerifyCommand([], { project: root, all: true }, intact)).toBe(0);
    expect(intact.stdout.filter((line) => line.startsWith('ok    01'))).toHaveLength(3);
    expect(intact.stdout.at(-2)).toBe('ok    store: 3 runs, 0 altered, 0 deleted; ledger 6 entries');
    const anchor = /^anchor (\d+:[0-9a-f]{64})$/.exec(intact.stdout.at(-1)!)![1]!;

    const deleted = runIds[1]!;
    for (const table of ['events', 'messages', 'artifacts']) {
      tamper(root, `DELETE FROM ${table} WHERE run_id = ?`, deleted);
    }
    tamper(root, 'DELETE FROM runs WHERE id = ?', deleted);

    const io = captureIo();
    expect(await auditVerifyCommand([], { project: root, all: true, anchor }, io)).toBe(1);
    expect(io.stdout.find((line) => line.startsWith(`FAIL  ${deleted}`))).toMatch(
      /^FAIL {2}\S+: run of analyst created \S+ is in the ledger \(entry 3\) but gone from the store: it was deleted$/,
    );
    expect(io.stdout).toContain(`ok    anchor ${anchor}: the ledger still holds it`);
    expect(io.stdout.at(-2)).toBe('FAIL  store: 2 runs, 0 altered, 1 deleted; ledger 6 entries');

    const one = captureIo();
    expect(await auditVerifyCommand([deleted], { project: root }, one)).toBe(1);
    expect(one.stdout[0]).toMatch(new RegExp(`^FAIL  ${deleted}: .*it was deleted$`));
  });

  it('names a rewritten answer and a rewritten message of one run', async () => {
    const { root, runIds } = await projectWithRuns();
    const [first, second] = runIds as [string, string];
    tamper(root, `UPDATE runs SET output = '{"text":"forged"}' WHERE id = ?`, first);
    tamper(root, 'DROP TRIGGER messages_no_update');
    tamper(root, `UPDATE messages SET content = '"forged"' WHERE run_id = ? AND seq = 2`, second);
    const io = captureIo();
    expect(await auditVerifyCommand([first, second], { project: root }, io)).toBe(1);
    expect(io.stdout[0]).toMatch(
      new RegExp(`^FAIL  ${first}: run fields output: the run's output was changed`),
    );
    expect(io.stdout[1]).toMatch(
      new RegExp(`^FAIL  ${second}: message 2: message 2 \\(turn 1, user\\) does not match its hash`),
    );
  });

  it('verifies a named run with its child runs, which runs show prints with it', async () => {
    const { root, runIds } = await projectWithRuns();
    const [parent, child] = runIds as [string, string];
    // The second run becomes a child of the first, as invoke_agent would have made it.
    tamper(root, 'UPDATE runs SET parent_run_id = ? WHERE id = ?', parent, child);
    const io = captureIo();
    expect(await auditVerifyCommand([parent], { project: root }, io)).toBe(1);
    expect(io.stdout[0]).toMatch(new RegExp(`^ok {4}${parent}: \\d+ events, chain intact$`));
    expect(io.stdout[1]).toMatch(new RegExp(`^FAIL  ${child}: run fields parentRunId: `));
  });

  it('refuses an anchor that is not COUNT:HASH, and an anchor without --all', async () => {
    await expect(auditVerifyCommand([], { all: true, anchor: '12' }, captureIo())).rejects.toThrow(
      /COUNT:HASH/,
    );
    await expect(auditVerifyCommand(['X'], { anchor: `1:${'a'.repeat(64)}` }, captureIo())).rejects.toThrow(
      /--all/,
    );
  });
});
