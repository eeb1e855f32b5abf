import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { type CappedOutput, runCapped } from '../integrations/capped-process.js';
import { ToolError } from './errors.js';
import { cutNote, DEFAULT_MAX_OUTPUT_BYTES, formatCount, splitLines, takeHead } from './output-cap.js';
import { PathProtectedError, protectedPathsFor, resolveWritable } from './protected-paths.js';
import { defineTool, type ToolContext } from './tool.js';
import { resolveInWorkspace, workspaceRelative } from './workspace-path.js';

/**
 * Git as the tools run it: hooks off (a repository's hooks must not run on the worker), no
 * fsmonitor, pager, colour, external diff or textconv program, no signing prompt, literal
 * pathspecs (`:(exclude)` magic in a path argument is just a name), and an environment without
 * the worker's credentials.
 */
const SAFE_OPTIONS = [
  '--no-pager',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.quotePath=false',
  '-c',
  'color.ui=false',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'log.showSignature=false',
];
/** Worker variables git may see; everything else (API keys, tokens) stays out. */
const PASSED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'USER', 'TZ'];
/** Raw output a git call may produce before it is stopped: a diff of a vendored tree is huge. */
const MAX_RAW_BYTES = 4 * 1024 * 1024;
const MAX_PATHS = 100;
const LOG_DEFAULT = 20;
const LOG_MAX = 200;
const BLAME_DEFAULT_LINES = 400;
const BLAME_MAX_LINES = 2000;
const UNTRACKED_SHOWN = 100;
const MAX_MESSAGE_CHARS = 5000;
const DIFF_MAX_CONTEXT = 20;
const BRANCH_PREFIX = 'agentry/';

/** What one git call produced. */
export type GitOutput = CappedOutput;

/** How to run one git call in the workspace. */
export interface GitCall {
  context: ToolContext;
  /** Exit codes that are not failures (`git diff --no-index` exits 1 when files differ). */
  okCodes?: number[];
  maxBytes?: number;
  env?: Record<string, string>;
}

/** Runs git in the workspace. A failure becomes a ToolError with git's own first line. */
export async function git(args: readonly string[], call: GitCall): Promise<GitOutput> {
  const output = await spawnGit(args, call);
  if ((call.okCodes ?? [0]).includes(output.exitCode) || output.cut) return output;
  throw new ToolError(
    'tool.git-failed',
    `git ${args[0]} failed: ${firstLine(output.stderr) || `exit code ${output.exitCode}`}`,
  );
}

/** Runs git in the workspace with the safe options; a failure is a result, not an error. */
export async function spawnGit(args: readonly string[], call: GitCall): Promise<GitOutput> {
  const maxBytes = call.maxBytes ?? MAX_RAW_BYTES;
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_LITERAL_PATHSPECS: '1',
    GIT_OPTIONAL_LOCKS: '0',
    ...call.env,
  };
  for (const name of PASSED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  try {
    return await runCapped('git', [...SAFE_OPTIONS, ...args], {
      cwd: call.context.session.root,
      env,
      signal: call.context.signal,
      maxBytes,
    });
  } catch (error) {
    if (call.context.signal.aborted) throw error;
    throw new ToolError(
      'tool.git-failed',
      `git cannot be started (${(error as Error).message}): is git installed on the worker?`,
      { cause: error },
    );
  }
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.replace(/^(fatal|error): /, '').trim())
      .find((line) => line !== '') ?? ''
  );
}

// ---------------------------------------------------------------------------------------------
// refs and paths

const refSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[^\s-][^\s]*$/,
    'a commit, branch or tag such as HEAD~1, main or a1b2c3d; it may not start with "-"',
  )
  .refine((ref) => !ref.includes('..'), 'give two refs as base and target, not a range "a..b"');

/** The full commit id a ref names, or a ToolError the model can act on. */
async function resolveRef(ref: string, context: ToolContext): Promise<string> {
  const output = await spawnGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], {
    context,
  });
  if (output.exitCode === 0) return output.stdout.trim();
  throw new ToolError(
    'tool.git-unknown-ref',
    `${ref} is not a commit, branch or tag in this repository: use git_log to find commits`,
  );
}

/** Workspace-relative pathspecs for git, each checked by the workspace path guard. */
async function pathspecs(paths: readonly string[] | undefined, context: ToolContext): Promise<string[]> {
  if (!paths || paths.length === 0) return [];
  const root = await resolveInWorkspace(context.session.root, '.', { mustExist: true });
  const specs: string[] = [];
  for (const requested of paths)
    specs.push(workspaceRelative(root, await resolveInWorkspace(context.session.root, requested)));
  return specs;
}

/** The branch HEAD is on, or undefined when HEAD is detached. */
export async function currentBranch(context: ToolContext): Promise<string | undefined> {
  const output = await spawnGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], { context });
  return output.exitCode === 0 ? output.stdout.trim() : undefined;
}

/**
 * The commit this run's workspace started from: where its branch `agentry/<run id>` was created
 * (the oldest entry of the branch's reflog). Undefined outside a run's workspace.
 */
export async function runStartCommit(context: ToolContext): Promise<string | undefined> {
  const branch = await currentBranch(context);
  if (branch !== `${BRANCH_PREFIX}${context.runId}`) return undefined;
  const output = await spawnGit(['reflog', 'show', '--format=%H', `refs/heads/${branch}`, '--'], { context });
  if (output.exitCode !== 0) return undefined;
  return output.stdout.trim().split('\n').at(-1) || undefined;
}

// ---------------------------------------------------------------------------------------------
// git_diff

const pathsInput = z
  .array(z.string().min(1))
  .max(MAX_PATHS)
  .optional()
  .describe('Only these files or directories, relative to the repository root, e.g. ["models/marts"].');

const gitDiffInput = z.object({
  base: refSchema
    .optional()
    .describe(
      'The commit to compare from, e.g. "HEAD~3" or "main". Default: the commit this run started from (so your commits and uncommitted changes both show), or HEAD.',
    ),
  target: refSchema
    .optional()
    .describe(
      'The commit to compare to. Default: the working tree (uncommitted changes and new files included).',
    ),
  paths: pathsInput,
  stat_only: z
    .boolean()
    .default(false)
    .describe('Only list the changed files with lines added and removed (default false).'),
  context_lines: z
    .number()
    .int()
    .min(0)
    .max(DIFF_MAX_CONTEXT)
    .default(3)
    .describe(`Unchanged lines shown around each change (default 3, at most ${DIFF_MAX_CONTEXT}).`),
});

/** `git_diff`: the working tree against a base commit, or two commits against each other. */
export const gitDiffTool = defineTool({
  name: 'git_diff',
  description: [
    'Show changes in the repository as a unified diff: by default everything changed since this run started',
    '(your commits, uncommitted edits and new files), or between two commits with base and target.',
    'Starts with the list of changed files and lines added/removed; narrow with paths, or use stat_only for the list alone.',
    'Output is capped at about 100 KB with a note saying what was cut.',
  ].join(' '),
  inputSchema: gitDiffInput,
  concurrent: true,
  async execute(input, context) {
    const specs = await pathspecs(input.paths, context);
    const start = input.base === undefined ? await runStartCommit(context) : undefined;
    const baseRef = input.base ?? start ?? 'HEAD';
    const base = await resolveRef(baseRef, context);
    const target = input.target === undefined ? undefined : await resolveRef(input.target, context);
    const revisions = target ? [base, target] : [base];
    const common = ['--no-ext-diff', '--no-textconv', '--no-color'];

    const numstat = await git(['diff', ...common, '--numstat', ...revisions, '--', ...specs], { context });
    const files = parseNumstat(numstat.stdout);
    const untracked = target ? [] : await untrackedFiles(specs, context);
    const baseName =
      input.base !== undefined
        ? `${input.base} (${base.slice(0, 7)})`
        : start
          ? `${base.slice(0, 7)}, the commit this run started from`
          : `HEAD (${base.slice(0, 7)})`;
    const scope = specs.length > 0 ? ` in ${specs.join(', ')}` : '';
    const comparing = target
      ? `${baseName} → ${input.target} (${target.slice(0, 7)})`
      : `the working tree against ${baseName}`;
    if (files.length === 0 && untracked.length === 0) {
      return { output: `No changes${scope}: ${comparing}.`, summary: `no changes (${comparing})` };
    }

    const untrackedShown = untracked.slice(0, UNTRACKED_SHOWN);
    const untrackedPatches = await Promise.all(
      untrackedShown.map((file) => untrackedPatch(file, input.context_lines, context)),
    );
    const added =
      files.reduce((sum, file) => sum + file.added, 0) +
      untrackedPatches.reduce((sum, patch) => sum + patch.added, 0);
    const removed = files.reduce((sum, file) => sum + file.removed, 0);
    const fileCount = files.length + untracked.length;
    const header = `Changes${scope}: ${comparing}. ${countOf(fileCount, 'file')}, +${formatCount(added)} −${formatCount(removed)}.`;
    const list = [
      ...files.map(
        (file) => `  ${file.path}  ${file.binary ? '(binary)' : `+${file.added} −${file.removed}`}`,
      ),
      ...untrackedShown.map(
        (file, index) => `  ${file}  +${untrackedPatches[index]!.added} (new, untracked)`,
      ),
    ];
    if (untracked.length > untrackedShown.length) {
      list.push(
        `  [… ${formatCount(untracked.length - untrackedShown.length)} more new files: pass paths to see them]`,
      );
    }
    const summary = `${countOf(fileCount, 'file')} changed, +${added} −${removed} (${comparing})`;
    if (input.stat_only)
      return capText([header, ...list], 'entries', 'pass paths to narrow the list', summary);

    const patch = await git(['diff', ...common, `-U${input.context_lines}`, ...revisions, '--', ...specs], {
      context,
    });
    const patchLines = [
      ...splitLines(patch.stdout),
      ...untrackedPatches.flatMap((each) => splitLines(each.text)),
    ];
    const result = capText(
      [header, ...list, '', ...patchLines],
      'diff lines',
      'pass paths to see one file at a time, or stat_only: true for the list alone',
      summary,
    );
    if (patch.cut && !result.truncated) {
      return {
        ...result,
        output: `${result.output}\n[… the diff is longer than ${MAX_RAW_BYTES / 1024 / 1024} MB and was cut: pass paths]`,
        truncated: true,
      };
    }
    return result;
  },
});

/** One file of `git diff --numstat`. */
export interface NumstatEntry {
  path: string;
  added: number;
  removed: number;
  binary: boolean;
}

/** Parses `git diff --numstat` (binary files count 0 lines). */
export function parseNumstat(text: string): NumstatEntry[] {
  return splitLines(text).flatMap((line) => {
    const [added, removed, ...rest] = line.split('\t');
    if (added === undefined || removed === undefined || rest.length === 0) return [];
    const binary = added === '-';
    return [
      {
        path: rest.join('\t'),
        added: binary ? 0 : Number(added),
        removed: binary ? 0 : Number(removed),
        binary,
      },
    ];
  });
}

async function untrackedFiles(specs: string[], context: ToolContext): Promise<string[]> {
  const output = await git(['ls-files', '--others', '--exclude-standard', '-z', '--', ...specs], { context });
  return output.stdout.split('\0').filter((file) => file !== '');
}

/** A new file as a diff against nothing, and its line count. */
async function untrackedPatch(
  file: string,
  contextLines: number,
  context: ToolContext,
): Promise<{ text: string; added: number }> {
  const output = await git(
    [
      'diff',
      '--no-index',
      '--no-ext-diff',
      '--no-textconv',
      '--no-color',
      `-U${contextLines}`,
      '--',
      '/dev/null',
      file,
    ],
    { context, okCodes: [0, 1], maxBytes: 512 * 1024 },
  );
  const added = splitLines(output.stdout).filter(
    (line) => line.startsWith('+') && !line.startsWith('+++'),
  ).length;
  return { text: output.stdout, added };
}

// ---------------------------------------------------------------------------------------------
// git_log

const gitLogInput = z.object({
  path: z
    .string()
    .min(1)
    .optional()
    .describe('Only commits that touched this file or directory (a file is followed across renames).'),
  n: z
    .number()
    .int()
    .min(1)
    .max(LOG_MAX)
    .default(LOG_DEFAULT)
    .describe(`How many commits (default ${LOG_DEFAULT}, at most ${LOG_MAX}).`),
  ref: refSchema.optional().describe('Start from this commit, branch or tag instead of HEAD.'),
  author: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only commits whose author name or email contains this text.'),
  since: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^-]/, 'a date such as 2025-03-01 or "2 weeks ago"')
    .optional()
    .describe('Only commits after this date, e.g. "2025-03-01" or "2 weeks ago".'),
  grep: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only commits whose message contains this text (case-insensitive).'),
  files: z
    .boolean()
    .default(false)
    .describe('List the files each commit changed, with A/M/D/R status (default false).'),
});

/** `git_log`: commit history, newest first. */
export const gitLogTool = defineTool({
  name: 'git_log',
  description: [
    'List commits newest first: short hash, author date, author name and email, subject.',
    'Filter by path (who changed this model, and when), author, since, or text in the message; files lists what each commit changed.',
    `Returns ${LOG_DEFAULT} commits by default, at most ${LOG_MAX}; says when there are more.`,
    'Use git_diff with base/target to see what a commit changed, and git_blame for who last changed each line.',
  ].join(' '),
  inputSchema: gitLogInput,
  concurrent: true,
  async execute(input, context) {
    const specs = input.path === undefined ? [] : await pathspecs([input.path], context);
    const ref = input.ref === undefined ? 'HEAD' : await resolveRef(input.ref, context);
    const args = [
      'log',
      '--no-color',
      '--no-ext-diff',
      '--date=iso-strict',
      '--format=%x1e%h%x1f%ad%x1f%an%x1f%ae%x1f%s',
      `-n${input.n + 1}`,
      '-F',
      '-i',
    ];
    if (input.author) args.push(`--author=${input.author}`);
    if (input.grep) args.push(`--grep=${input.grep}`);
    if (input.since) args.push(`--since=${input.since}`);
    if (input.files) args.push('--name-status');
    if (specs.length === 1 && (await isFile(input.path!, context))) args.push('--follow');
    const output = await git([...args, ref, '--', ...specs], { context }).catch((error: unknown) => {
      if (error instanceof ToolError && /does not have any commits/.test(error.message)) return undefined;
      throw error;
    });
    const commits = parseLog(output?.stdout ?? '');
    const where = input.path ? ` touching ${input.path}` : '';
    if (commits.length === 0) return { output: `No commits${where} match.`, summary: `0 commits${where}` };
    const more = commits.length > input.n;
    const shown = commits.slice(0, input.n);
    const lines = shown.flatMap((commit) => [
      `${commit.hash}  ${commit.date}  ${commit.author} <${commit.email}>  ${commit.subject}`,
      ...commit.files.map((file) => `    ${file}`),
    ]);
    if (more)
      lines.push(
        `[… more commits${where}: raise n (at most ${LOG_MAX}), or narrow with since, author or path]`,
      );
    const summary = `${shown.length}${more ? '+' : ''} commits${where}`;
    return capText(lines, 'lines', 'ask for fewer commits (n) or leave out files', summary, more);
  },
});

interface LogEntry {
  hash: string;
  date: string;
  author: string;
  email: string;
  subject: string;
  files: string[];
}

function parseLog(text: string): LogEntry[] {
  return text
    .split('\x1e')
    .filter((record) => record.trim() !== '')
    .map((record) => {
      const [head = '', ...rest] = record.split('\n');
      const [hash = '', date = '', author = '', email = '', subject = ''] = head.split('\x1f');
      const files = rest.filter((line) => line.trim() !== '').map((line) => line.replace(/\t/g, ' '));
      return { hash, date, author, email, subject, files };
    });
}

async function isFile(requested: string, context: ToolContext): Promise<boolean> {
  try {
    const file = await resolveInWorkspace(context.session.root, requested, { mustExist: true });
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// git_blame

const gitBlameInput = z.object({
  path: z.string().min(1).describe('The file, relative to the repository root.'),
  start_line: z.number().int().min(1).optional().describe('The first line to blame, 1-based (default 1).'),
  end_line: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      `The last line to blame (default start_line + ${BLAME_DEFAULT_LINES - 1}; at most ${BLAME_MAX_LINES} lines per call).`,
    ),
  ref: refSchema.optional().describe('Blame the file as it was at this commit instead of the working tree.'),
});

/** `git_blame`: who last changed each line of a file, and in which commit. */
export const gitBlameTool = defineTool({
  name: 'git_blame',
  description: [
    'Show who last changed each line of a file: line number, short commit hash, author, date, and the line.',
    'Starts with a summary of the authors of the lines shown. Useful to find who owns or last touched a model or a line that fails.',
    `Blames ${BLAME_DEFAULT_LINES} lines by default (start_line/end_line for others, at most ${BLAME_MAX_LINES}).`,
    'Uncommitted lines show as "Not Committed Yet".',
  ].join(' '),
  inputSchema: gitBlameInput,
  concurrent: true,
  async execute(input, context) {
    const [spec] = await pathspecs([input.path], context);
    const start = input.start_line ?? 1;
    const end = input.end_line ?? start + BLAME_DEFAULT_LINES - 1;
    if (end < start)
      throw new ToolError('tool.invalid-input', `end_line (${end}) is before start_line (${start})`);
    if (end - start + 1 > BLAME_MAX_LINES) {
      throw new ToolError(
        'tool.invalid-input',
        `at most ${BLAME_MAX_LINES} lines per call: narrow start_line and end_line`,
      );
    }
    const ref = input.ref === undefined ? [] : [await resolveRef(input.ref, context)];
    // One line more than asked for says whether the file goes on.
    const blame = (last: number) =>
      spawnGit(
        ['blame', '--line-porcelain', '--no-textconv', '-L', `${start},${last + 1}`, ...ref, '--', spec!],
        { context },
      );
    let output = await blame(end);
    const short = /has only (\d+) lines?/.exec(output.stderr);
    if (output.exitCode !== 0 && short) {
      const total = Number(short[1]);
      if (start > total) {
        throw new ToolError(
          'tool.offset-out-of-range',
          `start_line=${start} is past the end of ${spec}, which has ${formatCount(total)} lines`,
        );
      }
      output = await blame(total - 1);
    }
    if (output.exitCode !== 0) throw blameFailure(output.stderr, spec!, input.ref);
    const parsed = parseBlame(output.stdout);
    const lines = parsed.slice(0, end - start + 1);
    const more = parsed.length > lines.length;
    if (lines.length === 0) return { output: `${spec} is empty.`, summary: `${spec}: empty` };

    const last = lines.at(-1)!.line;
    const width = Math.max(4, String(last).length);
    const authorWidth = Math.min(Math.max(...lines.map((line) => line.author.length)), 20);
    const body = lines.map(
      (line) =>
        `${String(line.line).padStart(width)} ${line.hash} ${line.author.slice(0, 20).padEnd(authorWidth)} ${line.date} | ${clip(line.text, 300)}`,
    );
    const what = input.ref ? `at ${input.ref}` : 'in the working tree';
    const header = [`Blame of ${spec} lines ${start}-${last} ${what}.`, `Authors: ${authorSummary(lines)}.`];
    if (more)
      body.push(`[… the file goes on after line ${last}: git_blame with start_line=${last + 1} to see more]`);
    return capText(
      [...header, ...body],
      'lines',
      'narrow start_line and end_line',
      `${spec} lines ${start}-${last}: ${authorSummary(lines)}`,
      more,
    );
  },
});

interface BlameLine {
  line: number;
  hash: string;
  author: string;
  email: string;
  date: string;
  text: string;
}

/** `git blame --line-porcelain`: a header per line (`<sha> <orig> <final>`), its fields, then `\t<text>`. */
function parseBlame(text: string): BlameLine[] {
  const lines: BlameLine[] = [];
  let current: Partial<BlameLine> & { time?: number } = {};
  for (const row of text.split('\n')) {
    if (row.startsWith('\t')) {
      const uncommitted = /^0+$/.test(current.hash ?? '');
      lines.push({
        line: current.line ?? 0,
        hash: uncommitted ? '0000000' : (current.hash ?? '').slice(0, 7),
        author: uncommitted ? 'Not Committed Yet' : (current.author ?? ''),
        email: current.email ?? '',
        date: current.time ? new Date(current.time * 1000).toISOString().slice(0, 10) : '',
        text: row.slice(1),
      });
      current = {};
      continue;
    }
    const header = /^([0-9a-f]{40}) \d+ (\d+)/.exec(row);
    if (header) {
      current.hash = header[1]!;
      current.line = Number(header[2]);
    } else if (row.startsWith('author ')) current.author = row.slice('author '.length);
    else if (row.startsWith('author-mail '))
      current.email = row.slice('author-mail '.length).replace(/^<|>$/g, '');
    else if (row.startsWith('author-time ')) current.time = Number(row.slice('author-time '.length));
  }
  return lines;
}

/** `Alice <a@x> 30 lines (last 2025-03-01), Bob <b@x> 4 lines (…)`, most lines first. */
function authorSummary(lines: BlameLine[]): string {
  const byAuthor = new Map<string, { lines: number; last: string }>();
  for (const line of lines) {
    const key =
      line.email && line.author !== 'Not Committed Yet' ? `${line.author} <${line.email}>` : line.author;
    const entry = byAuthor.get(key) ?? { lines: 0, last: '' };
    entry.lines += 1;
    if (line.date > entry.last) entry.last = line.date;
    byAuthor.set(key, entry);
  }
  const ranked = [...byAuthor].sort((a, b) => b[1].lines - a[1].lines);
  const named = ranked
    .slice(0, 5)
    .map(
      ([author, entry]) =>
        `${author} ${countOf(entry.lines, 'line')}${entry.last ? ` (last ${entry.last})` : ''}`,
    );
  if (ranked.length > 5) named.push(`${ranked.length - 5} more`);
  return named.join(', ');
}

function blameFailure(stderr: string, spec: string, ref: string | undefined): ToolError {
  if (/no such path|no such ref|does not exist/i.test(stderr)) {
    return new ToolError(
      'tool.git-not-tracked',
      `${spec} is not in git${ref ? ` at ${ref}` : ''}: blame works on files git tracks; use git_log with path to find where it was`,
    );
  }
  return new ToolError('tool.git-failed', `git blame failed: ${firstLine(stderr)}`);
}

// ---------------------------------------------------------------------------------------------
// git_commit

const gitCommitInput = z.object({
  message: z
    .string()
    .min(1)
    .max(MAX_MESSAGE_CHARS)
    .describe('The commit message: a short subject line, then a blank line and details if useful.'),
  paths: z
    .array(z.string().min(1))
    .max(MAX_PATHS)
    .optional()
    .describe('Commit only changes to these files or directories. Default: every change in the workspace.'),
});

/** `git_commit`: stages and commits on the run's branch. Never pushes. */
export const gitCommitTool = defineTool({
  name: 'git_commit',
  description: [
    "Commit changes in the workspace to the run's branch (never pushed; a person or a pull-request tool takes it from there).",
    'Commits the given paths, or every change (new, changed and deleted files) when paths is left out.',
    'Refuses protected paths (.agentry/, .git/, AGENTS.md, .gitattributes, .gitmodules, .agentryignore and any the config lists) and a detached HEAD. Returns the commit hash and the files it changed.',
    'Check what you are about to commit with git_diff first.',
  ].join(' '),
  inputSchema: gitCommitInput,
  async execute(input, context) {
    const commit = await commitWorkspaceChanges(context, input);
    const { author, branch, short, subject } = commit;
    const lines = [
      `Committed ${short} on ${branch} as ${author.name} <${author.email}>: ${subject}`,
      ...commit.stat,
      "Not pushed: the commit stays on the run's branch.",
    ];
    return capText(lines, 'lines', undefined, `${short} on ${branch}: ${subject}`);
  },
});

/** A commit {@link commitWorkspaceChanges} made. */
export interface WorkspaceCommit {
  hash: string;
  short: string;
  branch: string;
  /** The message's first line. */
  subject: string;
  author: { name: string; email: string };
  /** `git show --stat` lines: one per file, then the totals. */
  stat: string[];
}

/**
 * Stages and commits the workspace's changes (all, or those under `paths`) on the run's branch,
 * with the run's trailers, as `tools.git_author`. Refuses protected paths, a detached HEAD and
 * another run's branch; shared by git_commit and the pull-request tool.
 */
export async function commitWorkspaceChanges(
  context: ToolContext,
  input: { message: string; paths?: readonly string[] | undefined },
): Promise<WorkspaceCommit> {
  const message = input.message.trim();
  if (message === '')
    throw new ToolError('tool.invalid-input', 'the commit message is empty: say what the change does');
  const branch = await currentBranch(context);
  if (!branch) {
    throw new ToolError(
      'tool.git-detached',
      "HEAD is detached, not on a branch: commits go only on the run's branch; do not check out other commits",
    );
  }
  if (branch.startsWith(BRANCH_PREFIX) && branch !== `${BRANCH_PREFIX}${context.runId}`) {
    throw new ToolError(
      'tool.git-wrong-branch',
      `the workspace is on ${branch}, another run's branch: commits go on this run's branch only`,
    );
  }

  const protectedPaths = protectedPathsFor(context);
  const specs: string[] = [];
  for (const requested of input.paths ?? [])
    specs.push((await resolveWritable(context, requested, protectedPaths)).relative);
  const changed = await changedPaths(specs, context);
  if (changed.length === 0) {
    const where = specs.length > 0 ? ` under ${specs.join(', ')}` : '';
    throw new ToolError(
      'tool.nothing-to-commit',
      `there are no changes to commit${where}: edit files first, or check with git_diff`,
    );
  }
  const refused = changed.flatMap((file) => {
    const pattern = protectedPaths.match(file);
    return pattern ? [{ file, pattern }] : [];
  });
  if (refused.length > 0) {
    const named = refused
      .slice(0, 5)
      .map((each) => each.file)
      .join(', ');
    const error = new PathProtectedError(refused[0]!.file, refused[0]!.pattern);
    error.message = `the changes include protected paths (${named}${refused.length > 5 ? ', …' : ''}), which agents may not commit: pass paths to commit only your other changes`;
    throw error;
  }

  const author = context.config.tools?.git_author ?? { name: 'Agentry', email: context.agent };
  const identity = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  await git(['add', '--all', '--', ...(specs.length > 0 ? specs : ['.'])], { context });
  const fullMessage = `${message}\n\nAgentry-Run: ${context.runId}\nAgentry-Agent: ${context.agent}`;
  await git(
    [
      'commit',
      '--quiet',
      '--no-verify',
      '--cleanup=strip',
      '-m',
      fullMessage,
      ...(specs.length > 0 ? ['--only', '--', ...specs] : []),
    ],
    { context, env: identity },
  );
  const shown = await git(['show', '--stat', '--no-color', '--format=%h%x1f%H', 'HEAD'], {
    context,
    maxBytes: 256 * 1024,
  });
  const [head = '', ...stat] = splitLines(shown.stdout);
  const [short = '', hash = ''] = head.split('\x1f');
  return {
    hash,
    short,
    branch,
    subject: message.split('\n')[0]!,
    author,
    stat: stat.filter((line) => line.trim() !== ''),
  };
}

/** Paths with changes (staged, unstaged, untracked; both sides of a rename) under `specs`. */
export async function changedPaths(specs: string[], context: ToolContext): Promise<string[]> {
  const output = await git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...specs], {
    context,
  });
  const fields = output.stdout.split('\0');
  const paths: string[] = [];
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    if (field.length < 4) continue;
    paths.push(field.slice(3));
    // A rename or copy is followed by its source path.
    if (/^[RC]|^.[RC]/.test(field)) {
      index += 1;
      if (fields[index]) paths.push(fields[index]!);
    }
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------
// shared

/** Lines within the output cap, with a cut note; `alreadyCut` marks output cut before (more commits). */
function capText(
  lines: string[],
  noun: string,
  hint: string | undefined,
  summary: string,
  alreadyCut = false,
): { output: string; truncated: boolean; summary: string } {
  const { kept, omitted } = takeHead(lines, { maxBytes: DEFAULT_MAX_OUTPUT_BYTES });
  if (omitted === 0) return { output: kept.join('\n'), truncated: alreadyCut, summary };
  return { output: [...kept, cutNote(omitted, noun, hint)].join('\n'), truncated: true, summary };
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

function countOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** The git tools, for the registry. */
export const gitTools = [gitDiffTool, gitLogTool, gitBlameTool, gitCommitTool] as const;
