import type { LoadedAgent } from '../spec/index.js';
import { branchMatches } from './branch-glob.js';
import { renderTemplate } from './template.js';
import { compactMetadata, messageLines, numberAt, type TriggerMatch, textAt } from './trigger-match.js';

/** A verified GitHub webhook delivery. */
export interface GithubDelivery {
  /** `X-GitHub-Event`, e.g. `pull_request`, `push`. */
  event: string;
  /** `X-GitHub-Delivery`: a GUID per delivery, the same on a redelivery. */
  deliveryId: string;
  payload: Record<string, unknown>;
}

/**
 * The agents a GitHub delivery starts: for each agent, its first `triggers: - github:` entry whose
 * `events` name the delivery's event (`pull_request` for any action, `pull_request.closed` for one,
 * `pull_request.merged` for a closed pull request that was merged) and whose `branches` globs, if
 * any, match the delivery's branch (a pull request's base branch, a push's branch). One match per
 * agent, in the order given. A pull request's matches carry its commit as `baseRef` (see
 * {@link pullRequestCommit}).
 */
export function matchGithubDelivery(agents: Iterable<LoadedAgent>, delivery: GithubDelivery): TriggerMatch[] {
  const matches: TriggerMatch[] = [];
  const branch = githubBranch(delivery.event, delivery.payload);
  for (const agent of agents) {
    const triggerIndex = agent.spec.triggers.findIndex((trigger) => {
      if (!trigger.github) return false;
      if (!trigger.github.events.some((event) => githubEventMatches(event, delivery))) return false;
      const branches = trigger.github.branches;
      return branches === undefined || (branch !== undefined && branchMatches(branch, branches));
    });
    if (triggerIndex < 0) continue;
    const template = agent.spec.triggers[triggerIndex]!.message;
    const commit = pullRequestCommit(delivery.payload);
    matches.push({
      agent: agent.name,
      triggerIndex,
      message:
        template === undefined
          ? defaultGithubMessage(delivery)
          : renderTemplate(template, templateValues(delivery)),
      source: githubSource(delivery),
      metadata: githubMetadata(delivery, branch),
      ...(commit === undefined ? {} : { baseRef: commit.sha }),
    });
  }
  return matches;
}

/** The commit a pull request's run starts from, and which of its commits that is. */
export interface PullRequestCommit {
  sha: string;
  /** `merge` once the pull request is merged (its `merge_commit_sha`), else `head` (`head.sha`). */
  kind: 'head' | 'merge';
}

const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

/**
 * The commit a delivery about a pull request (`pull_request`, `pull_request_review`, …) should
 * run on: the merge commit of a merged pull request — the code now on the base branch — else the
 * head commit, what the pull request proposes. (An open pull request's `merge_commit_sha` is
 * GitHub's test merge, which may be stale.) Undefined when the payload has no pull request or no
 * well-formed commit id: the run then starts from HEAD.
 */
export function pullRequestCommit(payload: Record<string, unknown>): PullRequestCommit | undefined {
  if (payload.pull_request === undefined || payload.pull_request === null) return undefined;
  const merge = textAt(payload, 'pull_request.merge_commit_sha');
  if (mergedFlag(payload) === true && merge !== undefined && COMMIT_SHA.test(merge)) {
    return { sha: merge.toLowerCase(), kind: 'merge' };
  }
  const head = textAt(payload, 'pull_request.head.sha');
  if (head !== undefined && COMMIT_SHA.test(head)) return { sha: head.toLowerCase(), kind: 'head' };
  return undefined;
}

/** Whether a trigger's event name (`pull_request`, `pull_request.closed`, `pull_request.merged`) covers a delivery. */
export function githubEventMatches(
  wanted: string,
  delivery: Pick<GithubDelivery, 'event' | 'payload'>,
): boolean {
  const dot = wanted.indexOf('.');
  const event = dot < 0 ? wanted : wanted.slice(0, dot);
  if (event !== delivery.event) return false;
  if (dot < 0) return true;
  const action = wanted.slice(dot + 1);
  const actual = textAt(delivery.payload, 'action');
  if (action === 'merged' && event === 'pull_request') {
    return (
      actual === 'closed' && delivery.payload.pull_request !== null && mergedFlag(delivery.payload) === true
    );
  }
  return actual === action;
}

/**
 * The branch a delivery is about, for `branches:` filters: a pull request's base branch, a push's
 * branch (`refs/heads/` stripped; tag pushes have none), a workflow run's or check suite's head
 * branch. Undefined when the event has none, so a filtered trigger never matches it.
 */
export function githubBranch(event: string, payload: Record<string, unknown>): string | undefined {
  const base = textAt(payload, 'pull_request.base.ref');
  if (base !== undefined) return base;
  if (event === 'push') {
    const ref = textAt(payload, 'ref');
    return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  }
  if (event === 'create' || event === 'delete') {
    return textAt(payload, 'ref_type') === 'branch' ? textAt(payload, 'ref') : undefined;
  }
  return (
    textAt(payload, 'workflow_run.head_branch') ??
    textAt(payload, 'workflow_job.head_branch') ??
    textAt(payload, 'check_suite.head_branch') ??
    textAt(payload, 'check_run.check_suite.head_branch')
  );
}

function mergedFlag(payload: Record<string, unknown>): boolean | undefined {
  const pullRequest = payload.pull_request as Record<string, unknown> | undefined;
  return typeof pullRequest?.merged === 'boolean' ? pullRequest.merged : undefined;
}

/** What a template sees: the payload, plus `webhook.*` (event, action, delivery) unless the payload has its own. */
function templateValues(delivery: GithubDelivery): Record<string, unknown> {
  if (Object.hasOwn(delivery.payload, 'webhook')) return delivery.payload;
  return {
    ...delivery.payload,
    webhook: {
      source: 'github',
      event: delivery.event,
      action: textAt(delivery.payload, 'action') ?? null,
      delivery: delivery.deliveryId,
    },
  };
}

function githubSource(delivery: GithubDelivery): string {
  const repository = textAt(delivery.payload, 'repository.full_name') ?? 'github';
  const number =
    numberAt(delivery.payload, 'pull_request.number') ?? numberAt(delivery.payload, 'issue.number');
  return number === undefined ? repository : `${repository}#${number}`;
}

function githubMetadata(delivery: GithubDelivery, branch: string | undefined) {
  const { payload } = delivery;
  return compactMetadata({
    github_event: delivery.event,
    github_action: textAt(payload, 'action'),
    github_delivery: delivery.deliveryId,
    repository: textAt(payload, 'repository.full_name'),
    sender: textAt(payload, 'sender.login'),
    branch,
    pr_number: numberAt(payload, 'pull_request.number'),
    pr_merged: mergedFlag(payload),
    issue_number: numberAt(payload, 'issue.number'),
    merge_commit_sha:
      mergedFlag(payload) === true ? textAt(payload, 'pull_request.merge_commit_sha') : undefined,
    head_sha:
      textAt(payload, 'pull_request.head.sha') ??
      textAt(payload, 'after') ??
      textAt(payload, 'workflow_run.head_sha') ??
      textAt(payload, 'workflow_job.head_sha'),
  });
}

/** The message an agent gets from a GitHub delivery when its trigger has no `message:`. */
export function defaultGithubMessage(delivery: GithubDelivery): string {
  const { payload, event } = delivery;
  const action = textAt(payload, 'action');
  const repository = textAt(payload, 'repository.full_name');
  const sender = textAt(payload, 'sender.login');
  if (payload.pull_request !== undefined && payload.pull_request !== null) {
    const merged = mergedFlag(payload);
    const head = textAt(payload, 'pull_request.head.ref');
    const base = textAt(payload, 'pull_request.base.ref');
    return messageLines([
      [
        '',
        `GitHub ${event}${action ? ` (${action})` : ''} on pull request #${numberAt(payload, 'pull_request.number') ?? '?'}: ${textAt(payload, 'pull_request.title') ?? ''}`,
      ],
      ['Repository', repository],
      ['Author', textAt(payload, 'pull_request.user.login')],
      ['Branch', head && base ? `${head} → ${base}` : base],
      ['Merged', merged === undefined ? undefined : merged ? 'yes' : 'no'],
      ['URL', textAt(payload, 'pull_request.html_url')],
    ]);
  }
  if (event === 'push') {
    const commits = Array.isArray(payload.commits) ? payload.commits.length : undefined;
    return messageLines([
      ['', `GitHub push to ${textAt(payload, 'ref') ?? '?'}${repository ? ` in ${repository}` : ''}`],
      ['Pushed by', textAt(payload, 'pusher.name') ?? sender],
      ['Commits', commits],
      ['Head', textAt(payload, 'after')],
      ['Head message', textAt(payload, 'head_commit.message')],
      ['Compare', textAt(payload, 'compare')],
    ]);
  }
  if (payload.issue !== undefined && payload.issue !== null) {
    return messageLines([
      [
        '',
        `GitHub ${event}${action ? ` (${action})` : ''} on issue #${numberAt(payload, 'issue.number') ?? '?'}: ${textAt(payload, 'issue.title') ?? ''}`,
      ],
      ['Repository', repository],
      ['Author', textAt(payload, 'issue.user.login')],
      ['Comment by', event === 'issue_comment' ? textAt(payload, 'comment.user.login') : undefined],
      ['URL', textAt(payload, 'comment.html_url') ?? textAt(payload, 'issue.html_url')],
    ]);
  }
  const workflow = (payload.workflow_run ?? payload.workflow_job) as Record<string, unknown> | undefined;
  if (workflow !== undefined && workflow !== null) {
    return messageLines([
      [
        '',
        `GitHub ${event}${action ? ` (${action})` : ''}: ${textAt(workflow, 'workflow_name') ?? textAt(workflow, 'name') ?? ''}`,
      ],
      ['Repository', repository],
      ['Conclusion', textAt(workflow, 'conclusion')],
      ['Branch', textAt(workflow, 'head_branch')],
      ['Commit', textAt(workflow, 'head_sha')],
      ['URL', textAt(workflow, 'html_url')],
    ]);
  }
  return messageLines([
    ['', `GitHub ${event}${action ? ` (${action})` : ''}${repository ? ` in ${repository}` : ''}`],
    ['Sender', sender],
    ['Delivery', delivery.deliveryId],
  ]);
}
