import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/project.js';

/** `agentry demo` as a newcomer runs it: the built CLI in its own process, reading its output. */

const base = mkdtempSync(join(tmpdir(), 'agentry-demo-e2e-'));

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('agentry demo', () => {
  it('runs the incident commander by default and prints the Slack report from the outbox', async () => {
    const dir = join(base, 'incident');
    const result = await runCli(['demo', '--dir', dir], { cwd: base });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('model: SCRIPTED');
    for (const agent of ['log-analyzer', 'warehouse-profiler', 'owner-lookup']) {
      expect(result.stderr).toContain(`⇉ ${agent} started`);
      expect(result.stderr).toContain(`⇇ ${agent} completed`);
    }
    expect(result.stderr).toMatch(/audit: 4 runs .* every trail, message and answer verified/);
    expect(result.stdout).toContain('── Slack report → #incidents (outbox');
    expect(result.stdout).toContain('*Root cause*');
    expect(result.stdout).toContain('not_null_stg_orders_customer_id');
    expect(result.stdout).toContain('• `orders`');

    const runId = result.stderr.match(/agentry runs show (\w+)/)![1]!;
    const shown = await runCli(['runs', 'show', runId, '--project', dir], { cwd: base });
    expect(shown.stdout).toContain('child runs');
    expect(shown.stdout).toMatch(/├─ \w+ {2}log-analyzer {2}COMPLETED/);
  });

  it('plays another agent with --agent and shows a staged pull request in full', async () => {
    const result = await runCli(['demo', '--agent', 'doc-backfiller', '--dir', join(base, 'docs')], {
      cwd: base,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('── pull request (staged: there is no token');
    expect(result.stdout).toContain('+++ b/models/staging/schema.yml');
  });

  it('lists the seven scenarios, and names them when asked for an unknown one', async () => {
    const listed = await runCli(['demo', '--list'], { cwd: base });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toHaveLength(7);
    const unknown = await runCli(['demo', '--agent', 'nope'], { cwd: base });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^agentry: no demo scenario 'nope': choose one of .*incident-commander/);
  });
});
