import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderBlocksAsText } from '../../engine/index.js';
import { type RunEvent, verifyRunAudit } from '../../store/index.js';
import { type PlayedScenario, playScenario } from '../demo/play.js';
import { listScenarios, loadScenario } from '../demo/scenario.js';
import type { Io } from '../io.js';
import { liveView } from '../progress.js';
import { exitCodeFor } from './run.js';

const DEFAULT_SCENARIO = 'incident-commander';

export interface DemoOptions {
  dir?: string;
  /** The reference agent whose scenario runs; the incident commander by default. */
  agent?: string;
  list?: boolean;
  /** A real OpenAI-compatible endpoint to use instead of the scripted model. */
  modelUrl?: string;
  model?: string;
}

/**
 * `agentry demo`: lay out the jaffle_shop example (a failed nightly run, its Airflow log, a
 * warehouse, a git history) in a fresh repository and run a reference agent's scenario on it,
 * against the scripted model unless `--model-url` names a real endpoint.
 */
export async function demoCommand(options: DemoOptions, io: Io): Promise<number> {
  if (options.list) return listCommand(io);
  const started = performance.now();
  const scenario = await loadScenario(options.agent ?? DEFAULT_SCENARIO);
  const dir = resolve(options.dir ?? join(await mkdtemp(join(tmpdir(), 'agentry-demo-')), 'jaffle-shop'));
  const render = liveView();
  io.err(`agentry demo · ${scenario.agent}: ${scenario.about}`);
  if (!options.modelUrl) {
    io.err('model: SCRIPTED — a local OpenAI-compatible server replays the decisions recorded in');
    io.err(`       examples/scenarios/${scenario.name}.yml. Every tool call below runs for real.`);
    io.err('       For a real model: agentry demo --model-url http://127.0.0.1:11434/v1 --model llama3.1');
  }
  const played = await playScenario(scenario, {
    dir,
    modelUrl: options.modelUrl,
    model: options.model,
    onReady: (setup) => {
      io.err(`project: ${setup.dir} (jaffle_shop dbt project, DuckDB warehouse, Airflow logs, git history)`);
      for (const service of setup.services) io.err(`service: ${service}`);
      io.err(`message: ${scenario.message.trim().split('\n').join('\n         ')}`);
      io.err('');
    },
    onEvent: (event) => {
      const line = render(event);
      if (line) io.err(line);
    },
  });
  try {
    await printResults(played, io);
    await printAudit(played, io);
    io.err(`demo finished in ${((performance.now() - started) / 1000).toFixed(1)}s`);
    io.err('explore it:');
    io.err(`  agentry runs show ${played.run.id} --project ${dir}`);
    io.err(`  agentry runs logs ${played.run.id} --project ${dir} --verbose`);
    io.err(`  agentry audit verify ${played.run.id} --project ${dir}`);
    io.err('  agentry demo --list      # the other reference agents');
    return exitCodeFor(played.run);
  } finally {
    await played.close();
  }
}

async function listCommand(io: Io): Promise<number> {
  for (const name of await listScenarios()) {
    const scenario = await loadScenario(name);
    io.out(`${name.padEnd(26)} ${scenario.about}`);
  }
  return 0;
}

/** What the run produced, where a person would see it: the Slack report, a pull request, comments. */
async function printResults(played: PlayedScenario, io: Io): Promise<void> {
  const rootEvents = played.events.get(played.run.id) ?? [];
  const report = lastReport(rootEvents);
  io.out('');
  if (report?.transport === 'outbox') {
    io.out(`── Slack report → ${report.channel} (outbox: Slack is not configured, so it is shown here) ──`);
    io.out(renderBlocksAsText(report.blocks as never));
  } else if (report) {
    io.out(`── Slack report posted to ${report.channel} ──`);
  }
  if (!report && played.run.output) {
    io.out('── answer ──');
    io.out(
      played.run.output.object !== undefined
        ? JSON.stringify(played.run.output.object, null, 2)
        : played.run.output.text,
    );
  }
  for (const [runId, artifacts] of played.artifacts) {
    for (const artifact of artifacts) {
      if (artifact.name === 'workspace.diff' || artifact.name.startsWith('pull-request.')) continue;
      io.out(`── artifact ${artifact.name} (${artifact.size} bytes, run ${runId}) ──`);
    }
  }
  for (const staged of await stagedPullRequests(played)) printStaged(staged, io);
  const linear = played.services.linear;
  const seeded = new Set(played.services.linearSeedCommentIds ?? []);
  for (const comment of linear?.comments ?? []) {
    if (seeded.has(comment.id)) continue;
    io.out(`── Linear comment on ${linear?.issue(comment.issueId)?.identifier ?? comment.issueId} ──`);
    io.out(comment.body);
  }
  const github = played.services.github;
  for (const pull of github?.pulls ?? []) {
    if (pull.user !== 'agentry-bot') continue;
    io.out(
      `── pull request #${pull.number} opened on the GitHub stand-in: ${pull.title} (${pull.head} → ${pull.base}) ──`,
    );
    if (pull.body) io.out(pull.body);
  }
  for (const review of github?.reviews ?? []) {
    io.out(`── review of #${review.number} (${review.state}, ${review.comments.length} line comments) ──`);
    io.out(review.body);
    for (const comment of review.comments) io.out(`  ${comment.path}:${comment.line}  ${comment.body}`);
  }
  for (const comment of github?.comments ?? []) {
    io.out(`── comment on #${comment.number} ──`);
    io.out(comment.body);
  }
  if (played.run.status !== 'COMPLETED') {
    io.out(
      `run ${played.run.status}${played.run.failureReason ? ` (${played.run.failureReason})` : ''}: ${played.run.error ?? ''}`,
    );
  }
}

interface StagedPullRequest {
  runId: string;
  record: {
    title?: string;
    body?: string;
    base?: string;
    branch?: string;
    reason?: string;
    files?: unknown[];
  };
  diff: string;
}

/** Pull requests recorded in `staged` mode (no GitHub token): the artifacts a person would review. */
async function stagedPullRequests(played: PlayedScenario): Promise<StagedPullRequest[]> {
  const found: StagedPullRequest[] = [];
  for (const [runId, artifacts] of played.artifacts) {
    if (!artifacts.some((artifact) => artifact.name === 'pull-request.json')) continue;
    const json = await played.store.getArtifactContent(runId, 'pull-request.json');
    const diff = await played.store.getArtifactContent(runId, 'pull-request.diff');
    if (!json) continue;
    found.push({
      runId,
      record: JSON.parse(Buffer.from(json).toString('utf8')) as StagedPullRequest['record'],
      diff: diff ? Buffer.from(diff).toString('utf8') : '',
    });
  }
  return found;
}

const MAX_DIFF_LINES = 60;

function printStaged({ record, diff }: StagedPullRequest, io: Io): void {
  io.out(`── pull request (staged: ${record.reason ?? 'not opened'}) ──`);
  io.out(`${record.title ?? ''}  (${record.branch ?? '?'} → ${record.base ?? '?'})`);
  if (record.body) io.out(`\n${record.body}`);
  const lines = diff.split('\n');
  io.out(`\n${lines.slice(0, MAX_DIFF_LINES).join('\n')}`);
  if (lines.length > MAX_DIFF_LINES)
    io.out(`… ${lines.length - MAX_DIFF_LINES} more lines in the pull-request.diff artifact`);
}

function lastReport(events: RunEvent[]) {
  const sent = events.filter(
    (event) => event.type === 'notification.sent' && event.payload['kind'] === 'report',
  );
  return sent.at(-1)?.payload as { transport?: string; channel?: string; blocks?: unknown } | undefined;
}

async function printAudit(played: PlayedScenario, io: Io): Promise<void> {
  let events = 0;
  for (const run of played.runs) {
    const verdict = await verifyRunAudit(played.store, run.id);
    if (!verdict.ok) {
      io.err(`audit: run ${run.id} FAILED: ${verdict.part} ${verdict.seq}: ${verdict.reason}`);
      return;
    }
    events += verdict.count;
  }
  io.err('');
  io.err(
    `audit: ${played.runs.length} runs (the parent and its children), ${events} events: every trail, message and answer verified`,
  );
}
