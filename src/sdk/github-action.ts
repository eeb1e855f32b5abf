import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { AgentryClient } from './client.js';
import { RunCancelledError, RunFailedError } from './errors.js';
import type { Run } from './types.js';

/**
 * The GitHub Action's entry (`action.yml` at the repository root): trigger a run, wait for it,
 * set the outputs `run-id`, `status` and `output`. Inputs arrive as `INPUT_*` variables; outputs
 * go to `$GITHUB_OUTPUT`. Exit code 0 when the run COMPLETED, 1 otherwise.
 */
export async function runGithubAction(
  env: NodeJS.ProcessEnv = process.env,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const input = (name: string) => env[`INPUT_${name}`]?.trim() ?? '';
  const required = (name: string, label: string) => {
    const value = input(name);
    if (!value) throw new Error(`input ${label} is required`);
    return value;
  };
  const setOutput = (name: string, value: string) => {
    const file = env['GITHUB_OUTPUT'];
    if (!file) return write(`${name}=${value}`);
    const delimiter = `agentry_${randomUUID()}`;
    appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  };
  try {
    const apiKey = input('API_KEY');
    if (apiKey) write(`::add-mask::${apiKey}`);
    const timeoutSeconds = Number(input('TIMEOUT') || '1800');
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
      throw new Error('input timeout must be a number of seconds');
    const client = new AgentryClient({ url: required('URL', 'url'), apiKey: apiKey || undefined });
    const repository = env['GITHUB_REPOSITORY'];
    const run = await client.triggerRun({
      agent: required('AGENT', 'agent'),
      message: required('MESSAGE', 'message'),
      ...(input('IDEMPOTENCY_KEY') ? { idempotency_key: input('IDEMPOTENCY_KEY') } : {}),
      ...(input('BASE_REF') ? { base_ref: input('BASE_REF') } : {}),
      trigger: { kind: 'sdk', source: repository ? `github-actions:${repository}` : 'github-actions' },
      ...(repository
        ? {
            metadata: {
              repository,
              workflow: env['GITHUB_WORKFLOW'] ?? null,
              run_id: env['GITHUB_RUN_ID'] ?? null,
              sha: env['GITHUB_SHA'] ?? null,
            },
          }
        : {}),
    });
    setOutput('run-id', run.id);
    write(`agentry run ${run.id} (${run.agent}): ${run.status}`);
    let final: Run;
    try {
      final = await client.waitForRun(run.id, {
        timeoutMs: timeoutSeconds * 1000,
        cancelOnTimeout: true,
        onEvent: (event) => {
          if (event.type.startsWith('tool-call.') || event.type.startsWith('run.')) write(`  ${event.type}`);
        },
      });
    } catch (error) {
      if (error instanceof RunFailedError || error instanceof RunCancelledError) {
        setOutput('status', error.run.status);
        setOutput('output', error.run.error ?? '');
        write(`::error::${error.message}`);
        return 1;
      }
      throw error;
    }
    setOutput('status', final.status);
    setOutput(
      'output',
      final.output?.object !== undefined ? JSON.stringify(final.output.object) : (final.output?.text ?? ''),
    );
    write(`agentry run ${final.id}: ${final.status}`);
    return 0;
  } catch (error) {
    write(`::error::${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runGithubAction();
}
