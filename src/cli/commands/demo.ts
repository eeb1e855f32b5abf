import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { verifyRunAudit } from '../../store/index.js';
import { parseScript, type ScriptedModelServer, startScriptedModel } from '../../testing/index.js';
import { openContext } from '../context.js';
import type { Io } from '../io.js';
import { liveView } from '../progress.js';
import { exitCodeFor } from './run.js';

const execFileAsync = promisify(execFile);

/** The bundled example, shipped in the package beside dist/. */
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const DEMO_AGENT = 'test-coverage-reviewer';
const DEMO_MESSAGE = 'Which jaffle_shop models and columns lack tests, and what should we add?';

export interface DemoOptions {
  dir?: string;
  /** A real OpenAI-compatible endpoint to use instead of the scripted model. */
  modelUrl?: string;
  model?: string;
}

/**
 * `agentry demo`: copy the jaffle_shop example into a fresh git repository and run an agent on it,
 * against the scripted model unless `--model-url` names a real endpoint.
 */
export async function demoCommand(options: DemoOptions, io: Io): Promise<number> {
  const dir = resolve(options.dir ?? (await mkdtemp(join(tmpdir(), 'agentry-demo-'))));
  await cp(join(EXAMPLES, 'jaffle-shop'), dir, { recursive: true });
  let server: ScriptedModelServer | undefined;
  if (options.modelUrl) {
    await pointDefaultModel(dir, options.modelUrl, options.model ?? 'llama3.1');
    io.err(`model: ${options.model ?? 'llama3.1'} at ${options.modelUrl}`);
  } else {
    const script = JSON.parse(await readFile(join(EXAMPLES, 'demo-script.json'), 'utf8')) as {
      steps: unknown;
    };
    server = await startScriptedModel({ script: parseScript(script.steps) });
    await pointDefaultModel(dir, server.url, 'scripted-demo');
    io.err('model: SCRIPTED — a local OpenAI-compatible test server plays back examples/demo-script.json.');
    io.err('       The tools, workspace, allowlist and audit trail are real. For a real model:');
    io.err('       agentry demo --model-url http://127.0.0.1:11434/v1 --model llama3.1');
  }
  try {
    await commitAll(dir);
    io.err(`project: ${dir} (a git repository with the jaffle_shop dbt project and .agentry/)`);
    io.err(`agent: ${DEMO_AGENT} · message: ${DEMO_MESSAGE}`);
    io.err('');
    return await runDemo(dir, io);
  } finally {
    await server?.close();
  }
}

async function runDemo(dir: string, io: Io): Promise<number> {
  const context = await openContext({ project: dir, warn: io.err });
  try {
    const render = liveView();
    context.engine.on((event) => {
      const line = render(event);
      if (line) io.err(context.redactor.redactText(line));
    });
    const run = await context.engine.triggerRun(DEMO_AGENT, DEMO_MESSAGE, {
      trigger: { kind: 'cli', source: 'demo' },
    });
    if (run.output) io.out(`\n${run.output.text}\n`);
    const verdict = await verifyRunAudit(context.store, run.id);
    io.err(
      verdict.ok
        ? `audit: ${verdict.count} events, hash chain intact`
        : `audit: FAILED at event ${verdict.seq}`,
    );
    io.err('explore it:');
    io.err(`  agentry runs show ${run.id} --project ${dir}`);
    io.err(`  agentry runs logs ${run.id} --project ${dir} --verbose`);
    io.err(`  agentry audit verify ${run.id} --project ${dir}`);
    return exitCodeFor(run);
  } finally {
    await context.close();
  }
}

async function pointDefaultModel(dir: string, baseUrl: string, model: string): Promise<void> {
  const file = join(dir, '.agentry', 'config.yml');
  const document = parseDocument(await readFile(file, 'utf8'));
  document.setIn(['models', 'default', 'base_url'], baseUrl);
  document.setIn(['models', 'default', 'model'], model);
  await writeFile(file, document.toString());
}

async function commitAll(dir: string): Promise<void> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Agentry demo',
    GIT_AUTHOR_EMAIL: 'demo@agentry.invalid',
    GIT_COMMITTER_NAME: 'Agentry demo',
    GIT_COMMITTER_EMAIL: 'demo@agentry.invalid',
  };
  const git = (...args: string[]) => execFileAsync('git', args, { cwd: dir, env });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '-A');
  await git('commit', '--quiet', '-m', 'jaffle_shop example for the Agentry demo');
}
