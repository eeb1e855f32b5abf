import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isAgentryError } from '../errors.js';
import {
  DbtArtifactNotFoundError,
  type DbtManifest,
  type DbtNodeRecord,
  type DbtOwnerEvidence,
  displayName,
} from '../integrations/dbt/index.js';
import { loadDbtManifest } from './dbt.js';
import { ToolError } from './errors.js';
import { clipLine, formatCount } from './output-cap.js';
import { compileLinear } from './pattern.js';
import { defineTool, type ToolContext } from './tool.js';
import { resolveInWorkspace, workspaceRelative } from './workspace-path.js';

// ---------------------------------------------------------------------------------------------
// CODEOWNERS

/** Where GitHub looks for CODEOWNERS, in order; the first one found is the one used. */
export const CODEOWNERS_LOCATIONS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

/** GitHub ignores a CODEOWNERS file of this size or more. */
const CODEOWNERS_MAX_BYTES = 3 * 1024 * 1024;

/** One rule line of a CODEOWNERS file. */
export interface CodeownersRule {
  /** 1-based line number in the file. */
  line: number;
  /** The pattern as written. */
  pattern: string;
  /** `@user`, `@org/team` or an email; empty means "no owner" (it overrides earlier rules). */
  owners: string[];
  /** The line as written, for evidence. */
  text: string;
  matches(file: string): boolean;
}

/** A line GitHub would skip, and why. */
export interface CodeownersProblem {
  line: number;
  text: string;
  reason: string;
}

/** A parsed CODEOWNERS file. */
export interface Codeowners {
  rules: CodeownersRule[];
  problems: CodeownersProblem[];
}

/**
 * Parses a CODEOWNERS file with GitHub's rules: gitignore-style patterns, `#` comments, owners
 * after the pattern, the last matching rule wins. Lines GitHub rejects (`!` negation, `[ ]`
 * character ranges) are skipped and reported as problems.
 */
export function parseCodeowners(text: string): Codeowners {
  const rules: CodeownersRule[] = [];
  const problems: CodeownersProblem[] = [];
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const tokens = splitTokens(line);
    const pattern = tokens[0]!;
    const owners: string[] = [];
    for (const token of tokens.slice(1)) {
      if (token.startsWith('#')) break;
      owners.push(token);
    }
    const problem = patternProblem(pattern) ?? owners.map(ownerProblem).find(Boolean);
    if (problem) {
      problems.push({ line: index + 1, text: line, reason: problem });
      continue;
    }
    const matcher = compilePattern(pattern);
    rules.push({ line: index + 1, pattern, owners, text: line, matches: (file) => matcher.test(file) });
  }
  return { rules, problems };
}

/** The rule that decides a file's owners (the last that matches) and every rule that matched. */
export function matchCodeowners(
  codeowners: Codeowners,
  file: string,
): { rule: CodeownersRule | undefined; matching: CodeownersRule[] } {
  const normalized = path.posix.normalize(file).replace(/^\/+/, '').replace(/^\.\//, '');
  const matching = codeowners.rules.filter((rule) => rule.matches(normalized));
  return { rule: matching.at(-1), matching };
}

/** Splits on unescaped whitespace; `\ ` is a space inside a pattern. */
function splitTokens(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  for (let index = 0; index < line.length; index++) {
    const character = line[index]!;
    if (character === '\\' && index + 1 < line.length) {
      current += character + line[index + 1];
      index += 1;
    } else if (/\s/.test(character)) {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  if (current !== '') tokens.push(current);
  return tokens;
}

/** Longer CODEOWNERS patterns are reported, not compiled: no real path glob is this long. */
const MAX_CODEOWNERS_PATTERN_CHARS = 500;

function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_CODEOWNERS_PATTERN_CHARS) {
    return `the pattern is over ${MAX_CODEOWNERS_PATTERN_CHARS} characters long`;
  }
  if (pattern.startsWith('!')) return 'negation (!) is not supported in CODEOWNERS';
  if (/(^|[^\\])\[/.test(pattern)) return 'character ranges ([ ]) are not supported in CODEOWNERS';
  return undefined;
}

function ownerProblem(owner: string): string | undefined {
  if (/^@[\w.-]+(\/[\w.-]+)?$/.test(owner) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(owner)) return undefined;
  return `"${owner}" is not a @user, @org/team or email`;
}

/**
 * A gitignore-style pattern as a regular expression over repository paths. A pattern with a `/`
 * at its start or middle is anchored at the root, else it matches at any depth; a trailing `/`
 * matches only what is inside a directory; a pattern that names a directory owns everything in
 * it, except that `dir/*` owns only the files directly in `dir` (GitHub's documented exception).
 * Compiled for RE2: the file is the repository's, and `*a*a*a*a*b` would backtrack for minutes.
 */
function compilePattern(pattern: string): { test(file: string): boolean } {
  let body = pattern.startsWith('\\#') ? pattern.slice(1) : pattern;
  const directoryOnly = body.endsWith('/');
  if (directoryOnly) body = body.replace(/\/+$/, '');
  const anchored = body.includes('/');
  body = body.replace(/^\/+/, '');
  const directChildrenOnly = !directoryOnly && body.endsWith('/*');

  let source = '';
  for (let index = 0; index < body.length; index++) {
    const character = body[index]!;
    if (body.startsWith('**/', index) && (index === 0 || body[index - 1] === '/')) {
      source += '(?:.*/)?';
      index += 2;
    } else if (body.startsWith('**', index) && index === body.length - 2 && body[index - 1] === '/') {
      source += '.*';
      index += 1;
    } else if (character === '*') {
      source += '[^/]*';
    } else if (character === '?') {
      source += '[^/]';
    } else if (character === '\\' && index + 1 < body.length) {
      source += escapeRegex(body[index + 1]!);
      index += 1;
    } else {
      source += escapeRegex(character);
    }
  }
  const prefix = anchored ? '^' : '^(?:.*/)?';
  const suffix = directoryOnly ? '/.+$' : directChildrenOnly ? '$' : '(?:/.*)?$';
  return compileLinear(`${prefix}${source}${suffix}`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// git history

/** One commit that touched a file. */
export interface FileCommit {
  hash: string;
  author: string;
  email: string;
  /** ISO 8601 author date. */
  date: string;
  subject: string;
}

/** Who changed a file, from `git log --follow`. */
export interface FileHistory {
  commits: FileCommit[];
  /** Authors by number of commits, most first (ties: the more recent author first). */
  authors: Array<{ author: string; email: string; commits: number; lastDate: string }>;
  /** True when the history was cut at {@link GIT_LOG_MAX_COMMITS}. */
  truncated: boolean;
}

const GIT_LOG_MAX_COMMITS = 2000;
const GIT_TIMEOUT_MS = 20_000;
const FIELD = '\x1f';
const RECORD = '\x1e';

/**
 * The commits that touched `file` (relative to the repository root `root`), newest first,
 * following renames. Authors go through `.mailmap`. Undefined when `root` is not a git repository.
 */
export async function fileHistory(
  root: string,
  file: string,
  signal?: AbortSignal,
): Promise<FileHistory | undefined> {
  const args = [
    // A repository's own config must not run programs for a read-only log.
    '-c',
    'core.fsmonitor=false',
    '-c',
    'core.quotepath=off',
    'log',
    '--follow',
    '--no-color',
    `--max-count=${GIT_LOG_MAX_COMMITS + 1}`,
    `--format=${RECORD}%H${FIELD}%aN${FIELD}%aE${FIELD}%aI${FIELD}%s`,
    '--',
    file,
  ];
  const output = await new Promise<string | undefined>((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd: root,
        signal,
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_OPTIONAL_LOCKS: '0',
          GIT_PAGER: 'cat',
          LC_ALL: 'C',
        },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if (/not a git repository/i.test(stderr)) return resolve(undefined);
        reject(
          new ToolError('owners.git-failed', `git log failed for ${file}: ${stderr.trim() || error.message}`),
        );
      },
    );
  });
  if (output === undefined) return undefined;
  const commits = output
    .split(RECORD)
    .filter((record) => record.trim() !== '')
    .map((record) => {
      const [hash = '', author = '', email = '', date = '', subject = ''] = record
        .replace(/\n+$/, '')
        .split(FIELD);
      return { hash, author, email, date, subject };
    });
  const truncated = commits.length > GIT_LOG_MAX_COMMITS;
  if (truncated) commits.length = GIT_LOG_MAX_COMMITS;
  return { commits, authors: countAuthors(commits), truncated };
}

function countAuthors(commits: FileCommit[]): FileHistory['authors'] {
  const byKey = new Map<string, FileHistory['authors'][number]>();
  for (const commit of commits) {
    const key = (commit.email || commit.author).toLowerCase();
    const entry = byKey.get(key);
    // Commits come newest first, so the first one seen holds the author's last date.
    if (entry) entry.commits += 1;
    else byKey.set(key, { author: commit.author, email: commit.email, commits: 1, lastDate: commit.date });
  }
  return [...byKey.values()].sort((a, b) => b.commits - a.commits || b.lastDate.localeCompare(a.lastDate));
}

// ---------------------------------------------------------------------------------------------
// find_owner

const RECENT_COMMITS = 5;

const findOwnerInput = z.object({
  target: z
    .string()
    .min(1)
    .describe(
      'A dbt model (name like "fct_orders", or unique id) or a file path relative to the repository root ' +
        '(e.g. "models/marts/fct_orders.sql", "dags/daily.py").',
    ),
});

/** `find_owner`: who owns a model or a file, from dbt, CODEOWNERS and git history, with evidence. */
export const findOwnerTool = defineTool({
  name: 'find_owner',
  description: [
    'Find who owns a dbt model or a file in the repository, to know whom to notify or ask.',
    "Checks three sources and gives the evidence for each: the dbt manifest (meta.owner, or the owner of the model's group),",
    'CODEOWNERS (.github/, root or docs/; the last matching rule wins, and the rule line is quoted),',
    'and git history of the file (who changed it most and who changed it last, with commit hashes, dates and subjects).',
    'Ends with the best contact. Give a model name or a path relative to the repository root.',
  ].join(' '),
  inputSchema: findOwnerInput,
  concurrent: true,
  async execute(input, context) {
    const target = await resolveTarget(input.target, context);
    const lines = [`Owners of ${target.label}`];
    const answers: string[] = [];

    if (target.node && target.manifest) {
      const owners = target.manifest.ownersOf(target.node);
      lines.push('', `dbt (${target.manifestShown}):`);
      if (owners.length === 0) lines.push('  no owner declared (no meta.owner, and no group with an owner)');
      for (const owner of owners) lines.push(`  ${owner.owner} — ${owner.evidence}`);
      answers.push(...owners.map((owner) => `${owner.owner} (${ownerSourceLabel(owner)})`));
    } else if (target.manifestNote) {
      lines.push('', `dbt: ${target.manifestNote}`);
    }

    const codeowners = await codeownersFor(target.file, context);
    lines.push('', ...codeowners.lines);
    if (codeowners.owners) answers.push(`${codeowners.owners} (CODEOWNERS)`);

    const git = await gitEvidence(target, context);
    lines.push('', ...git.lines);
    answers.push(...git.answers);

    lines.push(
      '',
      answers.length > 0
        ? `Best contact: ${answers[0]}${answers.length > 1 ? `; also ${answers.slice(1).join('; ')}` : ''}.`
        : 'No owner found: no dbt owner, no CODEOWNERS rule and no git history for this file.',
    );
    return {
      output: lines.join('\n'),
      summary: `${target.file ?? input.target}: ${answers[0] ?? 'no owner found'}`,
    };
  },
});

interface OwnerTarget {
  label: string;
  /** The file, relative to the repository root; undefined when the target is a node with no file. */
  file: string | undefined;
  /** True when the file exists in the workspace. */
  fileExists: boolean;
  node?: DbtNodeRecord;
  manifest?: DbtManifest;
  manifestShown?: string;
  /** Why there is no dbt answer (no manifest, not a dbt file). */
  manifestNote?: string;
}

/**
 * What the target names: a file in the workspace, a dbt node, or both (a model's SQL file). An
 * unknown target is an error with suggestions from the manifest.
 */
async function resolveTarget(target: string, context: ToolContext): Promise<OwnerTarget> {
  const file = await existingFile(target, context);
  let manifest: DbtManifest | undefined;
  let manifestShown: string | undefined;
  let manifestNote: string | undefined;
  try {
    const loaded = await loadDbtManifest(context);
    manifest = loaded.value;
    manifestShown = loaded.shown;
  } catch (error) {
    // Without a usable manifest, CODEOWNERS and git can still answer.
    if (!isAgentryError(error)) throw error;
    manifestNote =
      error instanceof DbtArtifactNotFoundError
        ? 'no manifest found, so no dbt owner'
        : `unusable manifest: ${error.message}`;
  }

  const projectDir = context.config.dbt?.project_dir;
  const found = manifest?.lookup(file ? dbtRelative(file, projectDir) : target);
  if (found?.status === 'found' && found.node.resourceType !== 'test') {
    const node = found.node;
    // The target's file when it is the node's own (a path was given), else the node's file.
    const ownFile =
      file !== undefined && node.path !== undefined && (file === node.path || file.endsWith(`/${node.path}`));
    const nodeFile = ownFile ? file : node.path ? repositoryPath(node.path, projectDir) : undefined;
    const exists =
      ownFile || (nodeFile !== undefined && (await existingFile(nodeFile, context)) !== undefined);
    return {
      label: `${node.resourceType} ${displayName(node)} (${node.uniqueId})${nodeFile ? `, file ${nodeFile}` : ''}`,
      file: nodeFile,
      fileExists: exists,
      node,
      manifest,
      manifestShown,
    };
  }
  if (file) {
    return {
      label: `file ${file}`,
      file,
      fileExists: true,
      manifestNote: manifestNote ?? 'the file is not a node in the manifest',
    };
  }
  if (found?.status === 'ambiguous') {
    const ids = found.candidates.map((node) => node.uniqueId).join(', ');
    throw new ToolError(
      'owners.ambiguous-target',
      `"${target}" names several dbt nodes (${ids}): pass one unique id`,
    );
  }
  const suggestions = found?.status === 'missing' ? found.suggestions : [];
  const hint = suggestions.length > 0 ? ` (did you mean '${suggestions[0]}'?)` : '';
  throw new ToolError(
    'owners.unknown-target',
    `"${target}" is neither a file in the repository nor a dbt model${manifest ? '' : ' (no dbt manifest was found)'}${hint}: give a path relative to the repository root or a model name`,
  );
}

/** The target as a repository-relative path of an existing file, or undefined. */
async function existingFile(target: string, context: ToolContext): Promise<string | undefined> {
  if (path.isAbsolute(target) || target.includes('\0')) return undefined;
  try {
    const absolute = await resolveInWorkspace(context.session.root, target, { mustExist: true });
    if (!(await stat(absolute)).isFile()) return undefined;
    const root = await resolveInWorkspace(context.session.root, '.', { mustExist: true });
    return workspaceRelative(root, absolute);
  } catch {
    return undefined;
  }
}

/** A node's path (relative to the dbt project) as a repository path. */
function repositoryPath(nodePath: string, projectDir: string | undefined): string {
  return projectDir ? path.posix.normalize(path.posix.join(projectDir, nodePath)) : nodePath;
}

/** A repository path as the manifest writes it (relative to the dbt project). */
function dbtRelative(file: string, projectDir: string | undefined): string {
  if (!projectDir) return file;
  const prefix = `${path.posix.normalize(projectDir).replace(/\/+$/, '')}/`;
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}

function ownerSourceLabel(owner: DbtOwnerEvidence): string {
  if (owner.source === 'group') return 'dbt group owner';
  if (owner.source === 'exposure') return 'dbt exposure owner';
  return 'dbt meta.owner';
}

/** The CODEOWNERS evidence for a file: the deciding rule, quoted with its line. */
async function codeownersFor(
  file: string | undefined,
  context: ToolContext,
): Promise<{ lines: string[]; owners?: string }> {
  const found = await readCodeowners(context);
  if (!found) return { lines: [`CODEOWNERS: none (looked at ${CODEOWNERS_LOCATIONS.join(', ')})`] };
  if (!file) return { lines: [`CODEOWNERS (${found.path}): the target has no file to match`] };
  const { rule, matching } = matchCodeowners(found.codeowners, file);
  const lines = [`CODEOWNERS (${found.path}):`];
  if (!rule) {
    lines.push(`  no rule matches ${file}`);
  } else if (rule.owners.length === 0) {
    lines.push(
      `  no owner: line ${rule.line} "${rule.text}" matches last and names nobody, so the file is unowned`,
    );
  } else {
    lines.push(
      `  ${rule.owners.join(' ')} — line ${rule.line}: "${clipLine(rule.text, 200)}" (the last matching rule wins)`,
    );
  }
  if (matching.length > 1) {
    const earlier = matching.slice(0, -1).map((match) => `line ${match.line} "${clipLine(match.text, 80)}"`);
    lines.push(`  earlier matching rules, overridden: ${earlier.join('; ')}`);
  }
  if (found.codeowners.problems.length > 0) {
    const problems = found.codeowners.problems
      .slice(0, 5)
      .map((problem) => `line ${problem.line}: ${problem.reason}`);
    lines.push(`  lines GitHub would skip: ${problems.join('; ')}`);
  }
  return { lines, owners: rule && rule.owners.length > 0 ? rule.owners.join(' ') : undefined };
}

/** The CODEOWNERS file GitHub would use: the first of {@link CODEOWNERS_LOCATIONS} that exists. */
async function readCodeowners(
  context: ToolContext,
): Promise<{ path: string; codeowners: Codeowners } | undefined> {
  for (const location of CODEOWNERS_LOCATIONS) {
    try {
      const absolute = await resolveInWorkspace(context.session.root, location, { mustExist: true });
      // GitHub does not load a CODEOWNERS file of 3 MB or more; compiling one would take seconds.
      if ((await stat(absolute)).size >= CODEOWNERS_MAX_BYTES) return undefined;
      const text = await readFile(absolute, 'utf8');
      return { path: location, codeowners: parseCodeowners(text) };
    } catch {
      // Missing, a directory, or a symlink out of the workspace: try the next location.
    }
  }
  return undefined;
}

async function gitEvidence(
  target: OwnerTarget,
  context: ToolContext,
): Promise<{ lines: string[]; answers: string[] }> {
  if (!target.file) return { lines: ['git: the target has no file'], answers: [] };
  if (!target.fileExists) {
    return {
      lines: [`git: ${target.file} is not in the repository (a package's model?), so it has no history here`],
      answers: [],
    };
  }
  const history = await fileHistory(context.session.root, target.file, context.signal);
  if (!history) return { lines: ['git: the workspace is not a git repository'], answers: [] };
  if (history.commits.length === 0) {
    return { lines: [`git: no commits touch ${target.file} (it is not committed yet)`], answers: [] };
  }
  const total = history.commits.length;
  const top = history.authors[0]!;
  const last = history.commits[0]!;
  const lastOfTop = history.commits.find(
    (commit) => (commit.email || commit.author).toLowerCase() === (top.email || top.author).toLowerCase(),
  )!;
  const lines = [
    `git history of ${target.file} (${formatCount(total)}${history.truncated ? '+' : ''} commit${total === 1 ? '' : 's'}, renames followed):`,
    `  most changes: ${person(top.author, top.email)} — ${top.commits} of ${formatCount(total)} commits (latest ${commitLine(lastOfTop)})`,
    `  last change: ${person(last.author, last.email)} — ${commitLine(last)}`,
  ];
  if (history.authors.length > 1) {
    const authors = history.authors.slice(0, 10).map((author) => `${author.author} ${author.commits}`);
    lines.push(`  commits per author: ${authors.join(', ')}${history.authors.length > 10 ? ', …' : ''}`);
  }
  lines.push('  recent commits:');
  for (const commit of history.commits.slice(0, RECENT_COMMITS)) {
    lines.push(
      `    ${commit.hash.slice(0, 10)} ${commit.date.slice(0, 10)} ${person(commit.author, commit.email)}: ${clipLine(commit.subject, 120)}`,
    );
  }
  const answers = [`${person(top.author, top.email)} (changed it most in git)`];
  if ((last.email || last.author).toLowerCase() !== (top.email || top.author).toLowerCase()) {
    answers.push(`${person(last.author, last.email)} (changed it last in git)`);
  }
  return { lines, answers };
}

function person(name: string, email: string): string {
  return email ? `${name} <${email}>` : name;
}

function commitLine(commit: FileCommit): string {
  return `${commit.date.slice(0, 10)} ${commit.hash.slice(0, 10)} "${clipLine(commit.subject, 100)}"`;
}
