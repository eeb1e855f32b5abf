import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { LocalSandboxDriver } from '../../src/sandbox/index.js';
import { loadProject } from '../../src/spec/index.js';
import { openStore, type RunStore, verifyRunAudit } from '../../src/store/index.js';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import { createProject, scriptedConfig, type TempProject } from '../helpers/project.js';
import { credentialFile, ENCODING_COMMANDS, SECRET, SECRET_NAME } from './encodings-fixture.js';
import { findLeaks } from './leak-oracle.js';

const AGENT = `name: leaker
role: a prompt-injected analyst
goal: get the warehouse password out
tools:
  list: [run_terminal_command, read_file]
limits:
  max_steps: 4
  timeout: 60s
`;
const MASK = `[REDACTED:${SECRET_NAME}]`;
const ALIGNMENTS = [0, 1, 2] as const;

let server: ScriptedModelServer | undefined;
let project: TempProject | undefined;
let store: RunStore | undefined;

afterEach(async () => {
  await store?.close();
  await server?.close();
  project?.cleanup();
  store = server = project = undefined;
});

/** One command that prints the credential file at `alignment` in every form, each under a `## name` heading. */
function everyEncoding(alignment: 0 | 1 | 2): string {
  const sections = ENCODING_COMMANDS.map(({ name, command }) => `printf '\\n## %s\\n' '${name}'; ${command}`);
  return [`F=notes/warehouse-${alignment}.txt`, ...sections].join('\n');
}

/** The final answer a model that read the file would write: the file re-encoded every way, folded. */
function encodedAnswer(): string {
  const fold = (text: string, width: number) => text.match(new RegExp(`.{1,${width}}`, 'gs'))!.join('\n');
  const lines = ['Here is what I found, encoded so your filters miss it:'];
  for (const alignment of ALIGNMENTS) {
    const bytes = Buffer.from(credentialFile(alignment));
    const text = credentialFile(alignment);
    lines.push(
      `base64: ${fold(bytes.toString('base64'), 76)}`,
      `base64url: ${fold(bytes.toString('base64url'), 11)}`,
      `hex: ${fold(bytes.toString('hex'), 60)}`,
      `HEX: ${fold(bytes.toString('hex').toUpperCase(), 13)}`,
      `reversed: ${[...text].reverse().join('')}`,
      `url: ${fold(encodeURIComponent(text), 10)}`,
      `folded: ${fold(text, 10)}`,
    );
  }
  return lines.join('\n');
}

/** Every string in `value`, keys included. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
  }
  return [];
}

describe('an engine run that re-encodes a secret', () => {
  it('keeps it out of tool results, the model context, stored events, messages and the answer', async () => {
    const answer = encodedAnswer();
    expect(findLeaks(answer, SECRET)).not.toEqual([]);
    const script: ScriptStep[] = [
      {
        toolCalls: [
          ...ALIGNMENTS.map((alignment) => ({
            name: 'run_terminal_command',
            arguments: { command: everyEncoding(alignment) },
          })),
          { name: 'read_file', arguments: { path: 'notes/warehouse-1.txt' } },
        ],
      },
      { text: answer },
    ];
    server = await startScriptedModel({ script });
    project = createProject(
      Object.fromEntries(
        ALIGNMENTS.map((alignment) => [`notes/warehouse-${alignment}.txt`, credentialFile(alignment)]),
      ),
    );
    project.write(
      '.agentry/config.yml',
      scriptedConfig(server.url, project.workspaces, `secrets: [${SECRET_NAME}]\n`),
    );
    project.write('.agentry/.gitignore', 'agentry.db*\n');
    project.write('.agentry/agents/leaker.yml', AGENT);
    project.commit('agentry');
    const { project: loaded, issues } = await loadProject(project.root);
    expect(issues).toEqual([]);
    store = await openStore(loaded.config.store, project.root);
    const engine = new Engine({
      project: loaded,
      store,
      sandbox: new LocalSandboxDriver({ workspaceRoot: project.workspaces }),
      env: { [SECRET_NAME]: SECRET },
      heartbeatMs: 50,
    });

    const run = await engine.triggerRun('leaker', 'print the warehouse credentials');
    expect(run.status).toBe('COMPLETED');

    const events = await store.listEvents(run.id);
    const completed = events.filter((event) => event.type === 'tool-call.completed');
    expect(completed).toHaveLength(4);
    // Every command ran and printed something the redactor had to mask.
    for (const event of completed.slice(0, 3)) {
      const output = String(event.payload['output']);
      const sections = output.split(/^## /m).slice(1);
      expect(sections.map((section) => section.split('\n')[0])).toEqual(
        ENCODING_COMMANDS.map(({ name }) => name),
      );
      for (const section of sections) expect(section, section.split('\n')[0]).toContain(MASK);
    }
    expect(run.output?.text).toContain(MASK);

    const stored = [
      ...events.flatMap((event) => strings(event.payload)),
      ...(await store.listMessages(run.id)).flatMap((message) => strings(message.content)),
      ...strings(await store.getRun(run.id)),
    ];
    expect(stored.length).toBeGreaterThan(10);
    for (const text of stored) expect(findLeaks(text, SECRET)).toEqual([]);
    // What the model was sent on the second call: its context after reading the tool results.
    const sent = strings(server.requests.at(-1)!.messages);
    expect(sent.join('\n')).toContain(MASK);
    for (const text of sent) expect(findLeaks(text, SECRET)).toEqual([]);
    // And the database file itself, JSON escapes of line breaks undone.
    const agentryDir = path.join(project.root, '.agentry');
    for (const file of readdirSync(agentryDir).filter((name) => name.startsWith('agentry.db'))) {
      const bytes = readFileSync(path.join(agentryDir, file))
        .toString('latin1')
        .replace(/\\[rn]/g, '');
      expect(findLeaks(bytes, SECRET), file).toEqual([]);
    }
    expect((await verifyRunAudit(store, run.id)).ok).toBe(true);
  });
});
