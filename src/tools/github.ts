import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, realpath, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import {
  type ChangedFile,
  gitAuthEnvironment,
  gitHubSettings,
  type PushRemote,
  projectCommit,
  projectObjectsDirectory,
  type RemoteAuth,
  ScratchRepository,
} from '../integrations/github/index.js';
import { ToolError } from './errors.js';
import { changedPaths, commitWorkspaceChanges, currentBranch, git } from './git.js';
import {
  branchProblem,
  gitHubAccess,
  isPullRequestExists,
  missingToken,
  pushRemoteOf,
  resolveRepository,
  toolError,
} from './github-access.js';
import { formatCount } from './output-cap.js';
import { PathProtectedError, protectedPathsFor, resolveWritable } from './protected-paths.js';
import { defineTool, type ToolContext } from './tool.js';

const MAX_TITLE_CHARS = 256;
/** GitHub takes 65,536 characters; the provenance line needs the rest. */
const MAX_PR_BODY_CHARS = 60_000;
const MAX_COMMENT_CHARS = 20_000;
const MAX_REVIEW_LINE_COMMENTS = 50;
const MAX_LINE_COMMENT_CHARS = 5_000;
/** Comments, and reviews, each tool may post per run (per turn of a run). */
const MAX_WRITES_PER_RUN = 10;
const MAX_PATHS = 100;
const MAX_MESSAGE_CHARS = 5_000;
/** Files listed in an answer at most. */
const MAX_FILES_SHOWN = 300;
const MAX_BODY_SHOWN = 10_000;
const MAX_PATCH_CHARS = 3_000;
const MAX_PATCHES_CHARS = 60_000;
const MAX_DIFF_CHARS = 60_000;
/** The staged diff artifact, within the 10 MB a kept file may have. */
const MAX_STAGED_DIFF_BYTES = 9 * 1024 * 1024;
const RUN_TRAILER = 'Agentry-Run:';

// ---------------------------------------------------------------------------------------------
// github_create_pull_request

const createPullRequestInput = z.object({
  title: z
    .string()
    .min(1)
    .max(MAX_TITLE_CHARS)
    .describe('The pull request title: one line saying what it changes.'),
  body: z
    .string()
    .max(MAX_PR_BODY_CHARS)
    .default('')
    .describe(
      'The description (Markdown): why, what changed, how it was checked. A line naming this run is added.',
    ),
  branch: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'The branch name to push, under the configured prefix (agentry/ by default), e.g. "add-orders-tests". Default: agentry/<agent>-<run>.',
    ),
  base: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      "The branch to merge into. Default: integrations.github.base_branch, else the repository's default branch.",
    ),
  draft: z.boolean().optional().describe('Open as a draft (default: integrations.github.draft, false).'),
  commit_message: z
    .string()
    .min(1)
    .max(MAX_MESSAGE_CHARS)
    .optional()
    .describe('The message of the commit made of uncommitted changes (default: the title).'),
  paths: z
    .array(z.string().min(1))
    .max(MAX_PATHS)
    .optional()
    .describe(
      'Commit only uncommitted changes under these paths (default: every change). Earlier commits go anyway.',
    ),
});

/** What one run remembers of its pull request between calls. */
interface PullRequestState {
  branch?: string;
  /** The commit this run last pushed to `branch`. */
  pushed?: string;
  number?: number;
  url?: string;
}

/**
 * `github_create_pull_request`: commit the workspace's changes on the run's branch, push it to the
 * project's remote and open a pull request — or, staged, record the one it would open.
 */
export const githubCreatePullRequestTool = defineTool({
  name: 'github_create_pull_request',
  description: [
    "Propose your changes as a GitHub pull request: commits the workspace's uncommitted changes (or only paths) on the run's branch,",
    "pushes the run's commits to a branch (agentry/…) of the project's repository and opens a pull request with title and body.",
    'Calling it again in the same run updates the same branch and pull request instead of opening another.',
    'Refuses protected paths (.agentry/, .git/ and configured ones), more files than the configured limit (50 by default), and nothing to propose.',
    'In staged mode nothing is pushed or opened: the pull request is kept as the artifacts pull-request.json and pull-request.diff.',
    'Returns the number, URL, branch, base, changed files and commit count. Check your changes with git_diff first.',
  ].join(' '),
  inputSchema: createPullRequestInput,
  async execute(input, context) {
    const settings = gitHubSettings(context.config, context.env);
    const noToken = missingToken(settings);
    const stagedReason = settings.staged
      ? 'integrations.github.staged is true'
      : noToken
        ? `there is no token: ${noToken}`
        : undefined;
    const title = input.title.replace(/\s+/g, ' ').trim();
    if (title === '')
      throw new ToolError('tool.invalid-input', 'the title is empty: say what the pull request changes');

    const state = await context.resources.get<PullRequestState>('github.pull-request', async () => ({}));
    const requested = branchFor(input.branch, settings.branchPrefix, context);
    const branch = state.branch ?? requested;
    if (input.base !== undefined) checkBranch(input.base, 'base');

    const workspaceBranch = await currentBranch(context);
    if (!workspaceBranch) {
      throw new ToolError(
        'tool.git-detached',
        "HEAD is detached, not on a branch: pull requests are made from the run's branch; do not check out other commits",
      );
    }
    if (workspaceBranch.startsWith('agentry/') && workspaceBranch !== `agentry/${context.runId}`) {
      throw new ToolError(
        'tool.git-wrong-branch',
        `the workspace is on ${workspaceBranch}, another run's branch: pull requests are made from this run's branch only`,
      );
    }

    const protectedPaths = protectedPathsFor(context);
    const specs: string[] = [];
    for (const path of input.paths ?? [])
      specs.push((await resolveWritable(context, path, protectedPaths)).relative);
    const uncommitted = await changedPaths(specs, context);

    // Staged without a remote still records what it would propose.
    const remote = await pushRemoteOf(context, settings).catch((error: unknown) => {
      if (stagedReason) return undefined;
      throw error;
    });
    const repository = await resolveRepository(context, settings, remote).catch((error: unknown) => {
      if (stagedReason) return undefined;
      throw error;
    });
    const access = stagedReason ? undefined : await gitHubAccess(context);
    const auth: RemoteAuth = {
      env: remote && !stagedReason ? authEnvironment(remote, settings.token) : {},
      tokenEnv: settings.tokenEnv,
    };

    const projectObjects = await projectObjectsDirectory(context.projectRoot, context.signal).catch(
      (error) => {
        throw toolError(error);
      },
    );
    const scratch = await ScratchRepository.create({
      objectDirectories: unique([projectObjects, await workspaceObjects(context, projectObjects)]),
      signal: context.signal,
    });
    try {
      // Fail on a bad token or repository before anything is committed or pushed.
      const repositoryInfo = access
        ? await access.call(`read ${access.repository.fullName}`, (client) =>
            client.rest.repos.get({ owner: access.repository.owner, repo: access.repository.name }),
          )
        : undefined;
      const base = input.base ?? settings.baseBranch ?? repositoryInfo?.data.default_branch ?? 'main';
      checkBranch(base, 'base');

      const baseCommit = await baseCommitFor({
        context,
        scratch,
        remote,
        base,
        auth,
        staged: !!stagedReason,
      });
      const headBefore = await headCommit(context);
      const forkPoint = await scratch.mergeBase(baseCommit, headBefore);
      if (!forkPoint) {
        throw new ToolError(
          'github.unrelated-histories',
          `the run's commits share no history with ${base}: pass the branch they were made from as base`,
        );
      }

      const committed = await scratch.changedFiles(forkPoint, headBefore).catch((error) => {
        throw toolError(error);
      });
      const proposed = new Set([
        ...committed.flatMap((file) => (file.previousPath ? [file.path, file.previousPath] : [file.path])),
        ...uncommitted,
      ]);
      refuseProtected([...proposed], protectedPaths);
      const fileCount = new Set([...committed.map((file) => file.path), ...uncommitted]).size;
      if (fileCount > settings.maxFilesChanged) {
        throw new ToolError(
          'github.too-many-files',
          `the pull request would change ${formatCount(fileCount)} files, more than integrations.github.max_files_changed (${settings.maxFilesChanged}): propose a smaller change (pass paths), or ask a person to raise the limit`,
        );
      }
      if (proposed.size === 0) {
        throw new ToolError(
          'github.nothing-to-propose',
          `there is nothing to propose: the workspace has no changes and no commits that ${base} lacks; edit files first`,
        );
      }

      if (uncommitted.length > 0) {
        await commitWorkspaceChanges(context, {
          message: input.commit_message ?? title,
          paths: input.paths,
        });
      }
      const head = await headCommit(context);
      const files = await scratch.changedFiles(forkPoint, head).catch((error) => {
        throw toolError(error);
      });
      const commits = await scratch.countCommits(forkPoint, head);
      const body = withProvenance(input.body, context);
      const draft = input.draft ?? settings.draft;
      const branchNote =
        state.branch && input.branch !== undefined && requested !== state.branch
          ? `This run's pull request is on ${state.branch}; the branch asked for (${requested}) was not used.`
          : undefined;

      if (stagedReason || !access || !remote) {
        const record = {
          staged: true,
          reason: stagedReason,
          repository: repository?.fullName ?? null,
          remote: remote?.shown ?? null,
          title,
          body,
          base,
          branch,
          draft,
          base_commit: forkPoint,
          head_commit: head,
          commits,
          files: files.map(fileSummary),
        };
        const diff = await scratch.diff(forkPoint, head, MAX_STAGED_DIFF_BYTES);
        const diffText = diff.cut
          ? `${diff.text}\n# [pull-request.diff cut at ${formatCount(MAX_STAGED_DIFF_BYTES)} bytes]\n`
          : diff.text;
        const kept = await keepStagedArtifacts(context, record, diffText);
        state.branch = branch;
        return {
          output: {
            staged: true,
            reason: `staged: ${stagedReason}; nothing was pushed and no pull request was opened`,
            artifacts:
              kept.length > 0 ? kept : 'this sandbox cannot keep artifacts; the record is this answer',
            title,
            branch,
            base,
            commits,
            files: capFiles(files),
            ...(branchNote ? { note: branchNote } : {}),
          },
          summary: `staged pull request ${branch} → ${base}, ${countOf(files.length, 'file')} (${stagedReason})`,
        };
      }

      // Update the branch only from where this run left it: never over someone else's commits.
      const remoteHead = await scratch.fetchBranch(remote, branch, auth).catch((error) => {
        throw toolError(error);
      });
      if (remoteHead && remoteHead !== state.pushed && !(await pushedByRun(scratch, remoteHead, context))) {
        throw new ToolError(
          'github.branch-exists',
          `the branch ${branch} already exists on ${remote.shown} with commits this run did not push: pass another branch name`,
        );
      }
      if (remoteHead !== head) {
        await scratch.push(remote, head, branch, remoteHead ?? '', auth).catch((error) => {
          throw toolError(error);
        });
      }
      state.branch = branch;
      state.pushed = head;

      const { owner, name: repo } = access.repository;
      const existing = await findPullRequest(access, branch, state.number);
      let pull: { number: number; html_url: string };
      let opened = false;
      if (existing) {
        pull = existing;
        if (existing.title !== title || (existing.body ?? '') !== body) {
          await access.call(`update pull request #${existing.number}`, (client) =>
            client.rest.pulls.update({ owner, repo, pull_number: existing.number, title, body }),
          );
        }
      } else {
        try {
          const created = await access.call(`open a pull request from ${branch} into ${base}`, (client) =>
            client.rest.pulls.create({ owner, repo, title, body, head: branch, base, draft }),
          );
          pull = created.data;
          opened = true;
        } catch (error) {
          // A pull request opened in an earlier call whose answer was lost: it is ours.
          const found = isPullRequestExists(error) ? await findPullRequest(access, branch) : undefined;
          if (!found) throw error;
          pull = found;
        }
      }
      state.number = pull.number;
      state.url = pull.html_url;
      return {
        output: {
          number: pull.number,
          url: pull.html_url,
          branch,
          base,
          opened,
          commits,
          head,
          files: capFiles(files),
          ...(branchNote ? { note: branchNote } : {}),
        },
        summary: `#${pull.number} ${opened ? 'opened' : 'updated'}: ${branch} → ${base}, ${countOf(files.length, 'file')}`,
      };
    } finally {
      await scratch.dispose();
    }
  },
});

/** The branch to push: `branch` under the prefix, or `<prefix><agent>-<run id tail>`. */
function branchFor(requested: string | undefined, prefix: string, context: ToolContext): string {
  if (requested !== undefined) {
    const name = requested.startsWith(prefix) ? requested : `${prefix}${requested}`;
    checkBranch(name, 'branch');
    return name;
  }
  const agent = context.agent.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'agent';
  const tail =
    context.runId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(-8) || 'run';
  const name = `${prefix}${agent}-${tail}`;
  checkBranch(name, 'branch');
  return name;
}

function checkBranch(name: string, what: 'branch' | 'base'): void {
  const problem = branchProblem(name);
  if (problem)
    throw new ToolError(
      'tool.invalid-input',
      `${what} '${name.slice(0, 200)}' is not a valid branch name: ${problem}`,
    );
}

function authEnvironment(remote: PushRemote, token: string | undefined): Record<string, string> {
  try {
    return gitAuthEnvironment(remote, token);
  } catch (error) {
    throw toolError(error);
  }
}

/** The commit the pull request's base is at: the remote's branch, or (staged) the project's view of it. */
async function baseCommitFor(options: {
  context: ToolContext;
  scratch: ScratchRepository;
  remote: PushRemote | undefined;
  base: string;
  auth: RemoteAuth;
  staged: boolean;
}): Promise<string> {
  const { context, scratch, remote, base, auth } = options;
  if (!options.staged && remote) {
    const fetched = await scratch.fetchBranch(remote, base, auth).catch((error) => {
      throw toolError(error);
    });
    if (!fetched) {
      throw new ToolError(
        'github.unknown-base',
        `the base branch ${base} does not exist on ${remote.shown}: pass an existing branch as base`,
      );
    }
    return fetched;
  }
  // Staged: nothing is fetched; the project's own refs say where the base is.
  const candidates = [
    ...(remote?.name ? [`refs/remotes/${remote.name}/${base}`] : []),
    `refs/heads/${base}`,
    'HEAD',
  ];
  const found = await projectCommit(context.projectRoot, candidates, context.signal);
  if (!found)
    throw new ToolError('github.unknown-base', `the project's repository has no branch ${base} and no HEAD`);
  return found.commit;
}

async function headCommit(context: ToolContext): Promise<string> {
  return (await git(['rev-parse', '--verify', 'HEAD^{commit}'], { context })).stdout.trim();
}

/**
 * The workspace's object store, for the scratch repository to read. Either the project's (a git
 * worktree) or one inside the workspace (bwrap); then its alternates are put back to the
 * project's, since the run could have pointed them at any repository on the host.
 */
async function workspaceObjects(context: ToolContext, projectObjects: string): Promise<string> {
  const output = await git(['rev-parse', '--git-common-dir'], { context });
  const root = await realpath(context.session.root);
  const common = output.stdout.trim();
  const objects = await realpath(join(isAbsolute(common) ? common : resolve(root, common), 'objects')).catch(
    () => undefined,
  );
  if (objects === projectObjects) return objects;
  const info = objects ? await realpath(join(objects, 'info')).catch(() => undefined) : undefined;
  if (!objects || !info || !objects.startsWith(`${root}${sep}`) || !info.startsWith(`${root}${sep}`)) {
    throw new ToolError(
      'tool.git-failed',
      "the workspace's git directory is not where the sandbox made it: restore .git, or ask a person to open the pull request",
    );
  }
  const handle = await open(
    join(info, 'alternates'),
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
  );
  try {
    await handle.writeFile(`${projectObjects}\n`);
  } finally {
    await handle.close();
  }
  return objects;
}

function refuseProtected(paths: string[], protectedPaths: ReturnType<typeof protectedPathsFor>): void {
  const refused = paths.flatMap((file) => {
    const pattern = protectedPaths.match(file);
    return pattern ? [{ file, pattern }] : [];
  });
  if (refused.length === 0) return;
  const named = refused
    .slice(0, 5)
    .map((each) => each.file)
    .join(', ');
  const error = new PathProtectedError(refused[0]!.file, refused[0]!.pattern);
  error.message = `the pull request would change protected paths (${named}${refused.length > 5 ? ', …' : ''}), which agents may not change: undo those changes (or pass paths to leave uncommitted ones out) and call again`;
  throw error;
}

/** True when `commit` was made by this run (git_commit and this tool add the run's trailer). */
async function pushedByRun(
  scratch: ScratchRepository,
  commit: string,
  context: ToolContext,
): Promise<boolean> {
  const message = await scratch.commitMessage(commit).catch(() => '');
  return message.split('\n').some((line) => line.trim() === `${RUN_TRAILER} ${context.runId}`);
}

interface FoundPullRequest {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
}

/** This run's open pull request from `branch`, if there is one. */
async function findPullRequest(
  access: Awaited<ReturnType<typeof gitHubAccess>>,
  branch: string,
  known?: number,
): Promise<FoundPullRequest | undefined> {
  const { owner, name: repo } = access.repository;
  if (known !== undefined) {
    const pull = await access.call(`read pull request #${known}`, (client) =>
      client.rest.pulls.get({ owner, repo, pull_number: known }),
    );
    if (pull.data.state === 'open' && pull.data.head.ref === branch) return pull.data;
  }
  const listed = await access.call(`list the pull requests from ${branch}`, (client) =>
    client.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'open', per_page: 10 }),
  );
  return listed.data.find((pull) => pull.head.ref === branch);
}

function withProvenance(body: string, context: ToolContext): string {
  const line = `Opened by Agentry agent \`${context.agent}\`, run \`${context.runId}\`.`;
  const trimmed = body.trimEnd();
  return trimmed === '' ? line : `${trimmed}\n\n---\n${line}`;
}

/** Writes the staged record and diff as run artifacts; the names kept (none without keepArtifact). */
async function keepStagedArtifacts(
  context: ToolContext,
  record: Record<string, unknown>,
  diff: string,
): Promise<string[]> {
  const keep = context.session.keepArtifact;
  if (!keep) return [];
  const kept: string[] = [];
  const files: [string, string][] = [
    ['pull-request.json', `${JSON.stringify(record, null, 2)}\n`],
    ['pull-request.diff', diff],
  ];
  for (const [name, content] of files) {
    // keepArtifact snapshots a workspace file now; the file itself goes again at once.
    const file = join(context.session.root, `.agentry-${randomBytes(8).toString('hex')}-${name}`);
    await writeFile(file, content, { flag: 'wx' });
    try {
      const artifact = await keep(file, { name });
      kept.push(artifact.name);
    } catch (error) {
      throw new ToolError(
        'tool.artifact-failed',
        `the staged pull request could not be kept: ${String((error as Error).message ?? error)}`,
      );
    } finally {
      await rm(file, { force: true });
    }
  }
  return kept;
}

function fileSummary(file: ChangedFile) {
  return {
    path: file.path,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    ...(file.previousPath ? { previous_path: file.previousPath } : {}),
    ...(file.binary ? { binary: true } : {}),
  };
}

function capFiles(files: ChangedFile[]): unknown[] {
  const shown = files.slice(0, MAX_FILES_SHOWN).map(fileSummary);
  if (files.length <= MAX_FILES_SHOWN) return shown;
  return [...shown, `[… ${formatCount(files.length - MAX_FILES_SHOWN)} more files]`];
}

// ---------------------------------------------------------------------------------------------
// github_get_pull_request

const getPullRequestInput = z.object({
  number: z.number().int().positive().describe('The pull request number, e.g. 42.'),
  include_diff: z
    .boolean()
    .default(true)
    .describe('Include the unified diff (default true); false lists each file with its patch instead.'),
});

/** `github_get_pull_request`: a pull request's description, state, changed files and diff. */
export const githubGetPullRequestTool = defineTool({
  name: 'github_get_pull_request',
  description: [
    "Read a pull request of the project's GitHub repository: title, body, state (open, closed, merged, draft), author, base and head branches,",
    'changed files with lines added and removed, and the unified diff (include_diff: false for per-file patches instead).',
    `Long bodies, patches and diffs are cut with a note (diff at ${formatCount(MAX_DIFF_CHARS)} characters).`,
  ].join(' '),
  inputSchema: getPullRequestInput,
  concurrent: true,
  async execute(input, context) {
    const access = await gitHubAccess(context);
    const { owner, name: repo, fullName } = access.repository;
    const notFound = `pull request #${input.number} does not exist in ${fullName} (or the token in ${access.tokenEnv} cannot see it): check the number`;
    const pull = (
      await access.call(
        `read pull request #${input.number}`,
        (client) => client.rest.pulls.get({ owner, repo, pull_number: input.number }),
        notFound,
      )
    ).data;

    const files: Awaited<ReturnType<typeof access.client.rest.pulls.listFiles>>['data'] = [];
    let moreFiles = false;
    await access.call(
      `list the files of pull request #${input.number}`,
      async (client) => {
        const pages = client.paginate.iterator(client.rest.pulls.listFiles, {
          owner,
          repo,
          pull_number: input.number,
          per_page: 100,
        });
        for await (const page of pages) {
          files.push(...page.data);
          if (files.length >= MAX_FILES_SHOWN) {
            moreFiles = files.length > MAX_FILES_SHOWN || pull.changed_files > MAX_FILES_SHOWN;
            break;
          }
        }
      },
      notFound,
    );

    const notes: string[] = [];
    let diff: string | undefined;
    if (input.include_diff) {
      const answer = await access.call(
        `read the diff of pull request #${input.number}`,
        (client) =>
          client.rest.pulls.get({ owner, repo, pull_number: input.number, mediaType: { format: 'diff' } }),
        notFound,
      );
      const text = String(answer.data as unknown);
      diff = text.length <= MAX_DIFF_CHARS ? text : text.slice(0, text.lastIndexOf('\n', MAX_DIFF_CHARS) + 1);
      if (diff.length < text.length) {
        notes.push(
          `the diff was cut at ${formatCount(diff.length)} of ${formatCount(text.length)} characters: call with include_diff: false for each file's patch, or read the files`,
        );
      }
    }
    let patchBudget = MAX_PATCHES_CHARS;
    const fileLines: string[] = [];
    for (const file of files.slice(0, MAX_FILES_SHOWN)) {
      const renamed = file.previous_filename ? ` (from ${file.previous_filename})` : '';
      fileLines.push(
        `  ${file.status.padEnd(9)} ${file.filename}${renamed}  +${file.additions} −${file.deletions}`,
      );
    }
    const patchLines: string[] = [];
    if (!input.include_diff) {
      for (const file of files.slice(0, MAX_FILES_SHOWN)) {
        if (file.patch === undefined) continue;
        if (patchBudget <= 0) {
          notes.push('patches were cut to fit: read the files in the workspace for the rest');
          break;
        }
        const limit = Math.min(MAX_PATCH_CHARS, patchBudget);
        const patch =
          file.patch.length <= limit ? file.patch : `${file.patch.slice(0, limit)}\n[… patch cut]`;
        patchLines.push(`--- ${file.filename}`, patch);
        patchBudget -= Math.min(file.patch.length, limit);
      }
    }
    if (moreFiles)
      notes.push(`only the first ${MAX_FILES_SHOWN} of ${formatCount(pull.changed_files)} files are listed`);
    const body = pull.body ?? '';
    if (body.length > MAX_BODY_SHOWN)
      notes.push(`the body was cut at ${formatCount(MAX_BODY_SHOWN)} characters`);
    const merged = pull.merged ?? pull.merged_at !== null;
    const state = merged ? 'merged' : pull.draft && pull.state === 'open' ? 'open (draft)' : pull.state;

    const lines = [
      `Pull request #${pull.number} in ${fullName}: ${pull.title}`,
      `State: ${state} · author ${pull.user?.login ?? 'unknown'} · base ${pull.base.ref} ← head ${pull.head.ref} (${pull.head.sha.slice(0, 7)})`,
      `${countOf(pull.commits, 'commit')}, ${countOf(pull.changed_files, 'file')} changed, +${formatCount(pull.additions)} −${formatCount(pull.deletions)}`,
      `URL: ${pull.html_url}`,
      '',
      'Body:',
      body === '' ? '(empty)' : body.length <= MAX_BODY_SHOWN ? body : `${body.slice(0, MAX_BODY_SHOWN)}…`,
      '',
      `Files (${formatCount(pull.changed_files)}):`,
      ...fileLines,
      ...(patchLines.length > 0 ? ['', 'Patches:', ...patchLines] : []),
      ...(diff !== undefined ? ['', 'Diff:', diff.replace(/\n$/, '')] : []),
      ...notes.map((note) => `[… ${note}]`),
    ];
    return {
      output: lines.join('\n'),
      truncated: notes.length > 0,
      summary: `#${pull.number} ${state}: ${clip(pull.title, 80)} (${countOf(pull.changed_files, 'file')}, +${pull.additions} −${pull.deletions})`,
    };
  },
});

// ---------------------------------------------------------------------------------------------
// github_comment

const commentInput = z.object({
  number: z.number().int().positive().describe('The pull request (or issue) number.'),
  body: z.string().min(1).max(MAX_COMMENT_CHARS).describe('The comment (Markdown).'),
});

/** `github_comment`: one comment on a pull request or issue. */
export const githubCommentTool = defineTool({
  name: 'github_comment',
  description: [
    "Post a comment on a pull request or issue of the project's GitHub repository (Markdown, at most 20,000 characters).",
    `At most ${MAX_WRITES_PER_RUN} comments per run: say everything in one comment rather than several. Returns the comment's URL.`,
  ].join(' '),
  inputSchema: commentInput,
  async execute(input, context) {
    const body = input.body.trim();
    if (body === '') throw new ToolError('tool.invalid-input', 'the comment is empty: say something');
    const writes = await writeCounter(context);
    if (writes.comments >= MAX_WRITES_PER_RUN) {
      throw new ToolError(
        'github.limit-reached',
        `this run has posted ${MAX_WRITES_PER_RUN} comments, the most a run may: put what is left in your final answer`,
      );
    }
    const access = await gitHubAccess(context);
    const { owner, name: repo, fullName } = access.repository;
    const comment = await access.call(
      `comment on #${input.number}`,
      (client) =>
        client.rest.issues.createComment({
          owner,
          repo,
          issue_number: input.number,
          body: `${body}\n\n<sub>Agentry agent \`${context.agent}\`, run \`${context.runId}\`</sub>`,
        }),
      `#${input.number} does not exist in ${fullName} (or the token in ${access.tokenEnv} cannot see it): check the number`,
    );
    writes.comments += 1;
    return {
      output: { id: comment.data.id, url: comment.data.html_url, number: input.number },
      summary: `comment on #${input.number} (${formatCount(body.length)} chars)`,
    };
  },
});

// ---------------------------------------------------------------------------------------------
// github_create_review

const reviewInput = z.object({
  number: z.number().int().positive().describe('The pull request number.'),
  body: z.string().min(1).max(MAX_COMMENT_CHARS).describe('The review summary (Markdown).'),
  event: z
    .enum(['COMMENT', 'REQUEST_CHANGES'])
    .default('COMMENT')
    .describe('COMMENT (default) or REQUEST_CHANGES. Agents never approve.'),
  comments: z
    .array(
      z.object({
        path: z.string().min(1).max(1000).describe('The file, as the pull request names it.'),
        line: z
          .number()
          .int()
          .positive()
          .describe("The line in the file's new version; it must be part of the diff."),
        body: z.string().min(1).max(MAX_LINE_COMMENT_CHARS).describe('The comment on that line.'),
      }),
    )
    .max(MAX_REVIEW_LINE_COMMENTS)
    .optional()
    .describe(`Comments on lines of the diff (at most ${MAX_REVIEW_LINE_COMMENTS}).`),
});

/** `github_create_review`: a review with line comments; COMMENT or REQUEST_CHANGES, never APPROVE. */
export const githubCreateReviewTool = defineTool({
  name: 'github_create_review',
  description: [
    'Review a pull request of the GitHub repository: a summary body and optional comments on lines of the diff',
    "(path and line in the file's new version; a line outside the diff is refused by GitHub and nothing is posted).",
    `event is COMMENT (default) or REQUEST_CHANGES; agents never approve. At most ${MAX_WRITES_PER_RUN} reviews per run.`,
  ].join(' '),
  inputSchema: reviewInput,
  async execute(input, context) {
    const body = input.body.trim();
    if (body === '')
      throw new ToolError('tool.invalid-input', 'the review body is empty: summarise the review');
    const writes = await writeCounter(context);
    if (writes.reviews >= MAX_WRITES_PER_RUN) {
      throw new ToolError(
        'github.limit-reached',
        `this run has posted ${MAX_WRITES_PER_RUN} reviews, the most a run may: put what is left in your final answer`,
      );
    }
    const access = await gitHubAccess(context);
    const { owner, name: repo, fullName } = access.repository;
    const comments = (input.comments ?? []).map((comment) => ({
      path: comment.path,
      line: comment.line,
      side: 'RIGHT' as const,
      body: comment.body,
    }));
    const review = await access.call(
      `review pull request #${input.number}`,
      (client) =>
        client.rest.pulls.createReview({
          owner,
          repo,
          pull_number: input.number,
          body: `${body}\n\n<sub>Agentry agent \`${context.agent}\`, run \`${context.runId}\`</sub>`,
          event: input.event,
          ...(comments.length > 0 ? { comments } : {}),
        }),
      `pull request #${input.number} does not exist in ${fullName} (or the token in ${access.tokenEnv} cannot see it): check the number`,
    );
    writes.reviews += 1;
    return {
      output: {
        id: review.data.id,
        url: review.data.html_url,
        state: review.data.state,
        number: input.number,
        line_comments: comments.length,
      },
      summary: `${input.event === 'REQUEST_CHANGES' ? 'changes requested' : 'review'} on #${input.number} (${countOf(comments.length, 'line comment')})`,
    };
  },
});

// ---------------------------------------------------------------------------------------------
// shared

async function writeCounter(context: ToolContext): Promise<{ comments: number; reviews: number }> {
  return context.resources.get('github.writes', async () => ({ comments: 0, reviews: 0 }));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

function countOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** The GitHub tools, for the registry. */
export const githubTools = [
  githubCreatePullRequestTool,
  githubGetPullRequestTool,
  githubCommentTool,
  githubCreateReviewTool,
] as const;
