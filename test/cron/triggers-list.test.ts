import { afterEach, describe, expect, it } from 'vitest';
import { createProject, runCli, type TempProject } from '../helpers/project.js';

let project: TempProject | undefined;

afterEach(() => {
  project?.cleanup();
  project = undefined;
});

const CONFIG = `version: 1
models:
  default: { provider: openai-compatible, model: scripted, base_url: http://127.0.0.1:9/v1 }
integrations:
  github: { webhook_secret_env: GITHUB_WEBHOOK_SECRET }
`;

const MAINTAINER = `name: test-maintainer
role: dbt test specialist
goal: add missing tests
triggers:
  - cron: "0 6 * * 1"
    timezone: Europe/Zurich
  - github: { events: [pull_request.merged], branches: [main] }
  - linear: { labels: [data-bug], teams: [DATA] }
  - webhook: { secret_env: HOOK_SECRET }
`;

describe('agentry triggers list', () => {
  it('lists every trigger with the next cron fire times, in the trigger time zone', async () => {
    project = createProject({
      '.agentry/config.yml': CONFIG,
      '.agentry/agents/test-maintainer.yml': MAINTAINER,
      '.agentry/agents/hourly.yml': 'name: hourly\nrole: r\ngoal: g\ntriggers:\n  - cron: "@hourly"\n',
    });
    const json = await runCli(
      ['triggers', 'list', '--json', '--next', '2', '--from', '2025-03-28T12:00:00Z'],
      {
        cwd: project.root,
      },
    );
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as { from: string; triggers: Record<string, unknown>[] };
    expect(listed.from).toBe('2025-03-28T12:00:00.000Z');
    expect(listed.triggers).toEqual([
      {
        agent: 'hourly',
        index: 0,
        kind: 'cron',
        description: 'cron "@hourly" (UTC)',
        next: ['2025-03-28T13:00:00.000Z', '2025-03-28T14:00:00.000Z'],
      },
      {
        agent: 'test-maintainer',
        index: 0,
        kind: 'cron',
        description: 'cron "0 6 * * 1" (Europe/Zurich)',
        // The clocks change on 30 March: 06:00 in Zurich is 05:00 UTC before, 04:00 UTC after.
        next: ['2025-03-31T04:00:00.000Z', '2025-04-07T04:00:00.000Z'],
      },
      {
        agent: 'test-maintainer',
        index: 1,
        kind: 'github',
        description: 'pull_request.merged on main',
        endpoint: 'POST /webhooks/github',
      },
      {
        agent: 'test-maintainer',
        index: 2,
        kind: 'linear',
        description: 'issues with labels data-bug; teams DATA',
        endpoint: 'POST /webhooks/linear',
        warning: 'set integrations.linear.webhook_secret_env in config.yml, or deliveries are refused',
      },
      {
        agent: 'test-maintainer',
        index: 3,
        kind: 'webhook',
        description: 'signed with $HOOK_SECRET',
        endpoint: 'POST /webhooks/test-maintainer',
      },
    ]);

    const text = await runCli(['triggers', 'list', '--from', '2025-03-28T12:00:00Z'], { cwd: project.root });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^AGENT\s+#\s+KIND\s+TRIGGER\s+NEXT \(UTC\) \/ ENDPOINT$/);
    expect(lines[2]).toMatch(
      /^test-maintainer\s+0\s+cron\s+cron "0 6 \* \* 1" \(Europe\/Zurich\)\s+2025-03-31 04:00Z$/,
    );
    expect(text.stderr).toContain(
      'warning: test-maintainer triggers[2]: set integrations.linear.webhook_secret_env',
    );
  });

  it('refuses a bad --from or --next', async () => {
    project = createProject({ '.agentry/config.yml': CONFIG });
    const from = await runCli(['triggers', 'list', '--from', 'next tuesday'], { cwd: project.root });
    expect(from.code).toBe(1);
    expect(from.stderr).toContain('--from must be an ISO time');
    const next = await runCli(['triggers', 'list', '--next', '0'], { cwd: project.root });
    expect(next.code).toBe(1);
    expect(next.stderr).toContain('--next must be a whole number from 1 to 100');
  });
});
