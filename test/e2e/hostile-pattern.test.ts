import { afterEach, describe, expect, it } from 'vitest';
import { type ScriptedModelServer, type ScriptStep, startScriptedModel } from '../../src/testing/index.js';
import {
  type CliResult,
  createProject,
  scriptedConfig,
  spawnCli,
  type TempProject,
} from '../helpers/project.js';

/**
 * Issue 15: `(a+)+$` from the model kept a CLI run with `limits.timeout: 5s` busy for about
 * 100 s at 100% CPU. These runs use the built CLI, as a user would.
 */
const SEARCHER = `name: searcher
role: careful engineer
goal: find things in logs
tools:
  mode: allowlist
  list: [search_files_and_directories, search_log]
limits:
  max_steps: 6
  timeout: 5s
`;

/** `(a+)+$` backtracks 2^40 ways on each of these lines on V8; RE2 answers in microseconds. */
const HOSTILE_LOG = `${Array.from({ length: 200 }, () => `${'a'.repeat(40)}!`).join('\n')}\n${'a'.repeat(5000)}!\nend\n`;
/** A pattern that is linear on RE2 but slow (its DFA gives up): about 7 s per line below. */
const SLOW = '(?:a?){1000}a{1000}[cd]';
const SLOW_LOG = `${Array.from({ length: 20 }, () => 'a'.repeat(64 * 1024)).join('\n')}\n`;
/** A run that outlives this was not stopped by its own 5 s timeout. */
const KILL_AFTER_MS = 25_000;

let server: ScriptedModelServer | undefined;
let project: TempProject | undefined;

afterEach(async () => {
  await server?.close();
  project?.cleanup();
  server = undefined;
  project = undefined;
});

async function setup(script: ScriptStep[]) {
  server = await startScriptedModel({ script });
  project = createProject({});
  project.write('.agentry/config.yml', scriptedConfig(server.url, project.workspaces));
  project.write('.agentry/.gitignore', 'agentry.db*\n');
  project.write('.agentry/agents/searcher.yml', SEARCHER);
  project.write('logs/hostile.log', HOSTILE_LOG);
  project.write('slow/wide.log', SLOW_LOG);
  project.commit('project');
  return { server, project };
}

/** `agentry run … --json`, killed if it outlives {@link KILL_AFTER_MS}. */
function runWithin(args: string[], cwd: string): Promise<CliResult & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli([...args, '--json'], { cwd });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, KILL_AFTER_MS);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}

interface RunJson {
  run: { status: string; failureReason: string | null; output: { text: string } | null };
  events: { type: string; payload: Record<string, unknown> }[];
}

describe('hostile patterns from the model (built CLI)', () => {
  it('a run with (a+)+$ in both search tools completes, and a pattern RE2 refuses is an error the run survives', async () => {
    const { server, project } = await setup([
      {
        toolCalls: [
          { name: 'search_files_and_directories', arguments: { regex: '(a+)+$', path: 'logs' } },
          { name: 'search_log', arguments: { path: 'logs/hostile.log', pattern: '(a+)+$' } },
          { name: 'search_log', arguments: { path: 'logs/hostile.log', pattern: '(?=end)end' } },
        ],
      },
      { text: 'No line ends in a run of a.' },
    ]);
    const result = await runWithin(['run', 'searcher', '-m', 'Which lines end in a?'], project.root);
    expect(result.killed).toBe(false);
    const shown = JSON.parse(result.stdout) as RunJson;
    expect(shown.run.status).toBe('COMPLETED');
    expect(shown.run.output?.text).toBe('No line ends in a run of a.');

    const toolMessages = (server.requests[1]!.messages as { role: string; content: string }[])
      .filter((message) => message.role === 'tool')
      .map((message) => message.content);
    expect(toolMessages[0]).toContain('No lines match regex /(a+)+$/i under logs.');
    expect(toolMessages[1]).toContain(
      'Search for /(a+)+$/i in logs/hostile.log: 0 matching lines of 202 lines.',
    );
    expect(toolMessages[2]).toContain('uses lookaround');
    const failed = shown.events.filter((event) => event.type === 'tool-call.failed');
    expect(failed.map((event) => event.payload.code)).toEqual(['tool.bad-regex']);
  });

  it('the run timeout stops a slow pattern: the run fails with timeout, the CLI exits by itself', async () => {
    const { project } = await setup([
      {
        toolCalls: [
          { name: 'search_log', arguments: { path: 'slow/wide.log', pattern: SLOW, case_sensitive: true } },
        ],
      },
      { text: 'never reached' },
    ]);
    const result = await runWithin(['run', 'searcher', '-m', 'Search the wide log.'], project.root);
    expect(result.killed).toBe(false);
    const shown = JSON.parse(result.stdout) as RunJson;
    expect(shown.run.status).toBe('FAILED');
    expect(shown.run.failureReason).toBe('timeout');
  });
});
