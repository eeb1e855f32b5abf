import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/project.js';
import { type Fixture, startFixture } from './fixture.js';

interface Step {
  name: string;
  id?: string;
  shell: string;
  run: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface Action {
  inputs: Record<string, { required: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as Action;
let runnerTemp: string;
let fixture: Fixture | undefined;

beforeAll(() => {
  runnerTemp = mkdtempSync(join(tmpdir(), 'agentry-action-'));
  // Run the action's own build step, with the repository's TypeScript instead of a download.
  const build = action.runs.steps[0]!;
  const script = build.run.replace(
    /npx --yes --package typescript@[\d.]+ -- tsc/,
    join(REPO_ROOT, 'node_modules/.bin/tsc'),
  );
  execFileSync('bash', ['-ec', script], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      RUNNER_TEMP: runnerTemp,
      PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH}`,
    },
    stdio: 'pipe',
  });
}, 60_000);
afterAll(() => rmSync(runnerTemp, { recursive: true, force: true }));
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** Run the action's main step as the runner would: inputs through its env block, outputs to a file. */
async function runAction(inputs: Record<string, string>) {
  const step = action.runs.steps.find((candidate) => candidate.id === 'run')!;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(step.env ?? {})) {
    const input = value.match(/^\$\{\{ inputs\.([\w-]+) \}\}$/)![1]!;
    env[name] = inputs[input] ?? action.inputs[input]?.default ?? '';
  }
  const outputFile = join(runnerTemp, `output-${Math.random()}`);
  writeFileSync(outputFile, '');
  // Asynchronously: the server under test lives in this process. On the system's node when there
  // is one (20 here, as on GitHub's runners), not the repository's pinned 24.
  const path = (process.env.PATH ?? '')
    .split(':')
    .filter((entry) => !entry.includes('node_modules'))
    .join(':');
  const child = spawn('bash', ['-ec', step.run], {
    env: {
      ...process.env,
      ...env,
      PATH: path,
      RUNNER_TEMP: runnerTemp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_REPOSITORY: 'acme/dbt',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const outputs: Record<string, string> = {};
  for (const match of readFileSync(outputFile, 'utf8').matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) {
    outputs[match[1]!] = match[3]!;
  }
  return { code, stdout, stderr, outputs };
}

describe('the GitHub Action', () => {
  it('maps every input into its step and every output from it', () => {
    expect(action.runs.using).toBe('composite');
    const step = action.runs.steps.find((candidate) => candidate.id === 'run')!;
    const mapped = Object.values(step.env ?? {}).map((value) => value.match(/inputs\.([\w-]+)/)![1]);
    expect(mapped.sort()).toEqual(Object.keys(action.inputs).sort());
    expect(Object.keys(action.outputs).sort()).toEqual(['output', 'run-id', 'status']);
  });

  it('triggers a run, waits, and sets run-id, status and output', async () => {
    fixture = await startFixture({ script: [{ text: 'Added 3 tests.\nSee the PR.', delayMs: 200 }] });
    const result = await runAction({
      url: fixture.url,
      'api-key': fixture.adminKey!,
      agent: 'echo',
      message: 'Add missing tests',
      'idempotency-key': 'gh-123-1',
      timeout: '60',
    });
    expect(result.stdout).toContain(`::add-mask::${fixture.adminKey}`);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'COMPLETED', output: 'Added 3 tests.\nSee the PR.' });
    const run = (await fixture.store.getRun(result.outputs['run-id']!))!;
    expect(run.trigger).toMatchObject({
      kind: 'sdk',
      source: 'github-actions:acme/dbt',
      idempotencyKey: 'gh-123-1',
      metadata: { repository: 'acme/dbt' },
    });
  });

  it('fails the step when the run fails, with its status and error as outputs', async () => {
    fixture = await startFixture({ script: [{ error: { status: 400, message: 'model refused' } }] });
    const result = await runAction({
      url: fixture.url,
      'api-key': fixture.adminKey!,
      agent: 'echo',
      message: 'x',
    });
    expect(result.code).toBe(1);
    expect(result.outputs['status']).toBe('FAILED');
    expect(result.outputs['output']).toContain('model refused');
    expect(result.stdout).toMatch(/::error::run \w+ of echo failed/);
  });

  it('fails the step with a clear error for a bad key or a missing input', async () => {
    fixture = await startFixture();
    const unauthorised = await runAction({
      url: fixture.url,
      'api-key': 'agk_wrong',
      agent: 'echo',
      message: 'x',
    });
    expect(unauthorised.code).toBe(1);
    expect(unauthorised.stdout).toContain('::error::the API key is unknown or revoked');
    const missing = await runAction({
      url: fixture.url,
      'api-key': fixture.adminKey!,
      agent: 'echo',
      message: '',
    });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('::error::input message is required');
  });
});
