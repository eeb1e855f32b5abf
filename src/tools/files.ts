import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { isAgentryError } from '../errors.js';
import { ToolError } from './errors.js';
import { compileGlob as compileGlobMatcher } from './glob-pattern.js';
import {
  clipLine,
  cutNote,
  DEFAULT_MAX_OUTPUT_BYTES,
  formatCount,
  splitLines,
  takeHead,
} from './output-cap.js';
import { compileSearchPattern, type SearchPattern } from './pattern.js';
import { openPatternMatcher, type PatternMatcher } from './pattern-matcher.js';
import { defineTool } from './tool.js';
import { errorCode, isGitEntry, resolveInWorkspace, workspaceRelative } from './workspace-path.js';

/** Lines `read_file` returns when the model does not say. */
const READ_DEFAULT_LINES = 400;
const READ_MAX_LINES = 2000;
/** Longer lines (minified JSON, generated SQL) are clipped so one line cannot fill the context. */
const MAX_LINE_CHARS = 2000;
/** Like git: a NUL byte in the first 8,000 bytes makes a file binary. */
const BINARY_SNIFF_BYTES = 8000;
const READ_CHUNK_BYTES = 64 * 1024;

const LIST_MAX_ENTRIES = 500;
/** Entries shown per subdirectory below the listed one. */
const NESTED_MAX_ENTRIES = 50;
/** Past this many entries `list_directory` stops counting, so a huge tree costs little. */
const LIST_SCAN_LIMIT = 20_000;

const SEARCH_MAX_FILE_BYTES = 2 * 1024 * 1024;
const SEARCH_MAX_RESULTS = 1000;
const SEARCH_SCAN_LIMIT = 200_000;
const SEARCH_MAX_LINE_CHARS = 300;
/** Longest stretch of a walk without giving the event loop a turn. */
const WALK_SLICE_MS = 50;
/** Directories no file tool walks into: git internals have git tools, dependencies are noise. */
const NEVER_WALKED = new Set(['node_modules']);

// ---------------------------------------------------------------------------------------------
// read_file

const readFileInput = z.object({
  path: z
    .string()
    .min(1)
    .describe('The file to read, relative to the repository root, e.g. "models/staging/stg_orders.sql".'),
  offset: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'The first line to return, 1-based (default 1). To page through a long file, use the offset the cut note gives.',
    ),
  limit: z
    .number()
    .int()
    .min(1)
    .max(READ_MAX_LINES)
    .optional()
    .describe(`How many lines to return (default ${READ_DEFAULT_LINES}, at most ${READ_MAX_LINES}).`),
});

/** `read_file`: numbered lines of a text file in the workspace. */
export const readFileTool = defineTool({
  name: 'read_file',
  description: [
    'Read a text file in the repository (SQL models, YAML, Python, logs, docs).',
    'Returns numbered lines like "  12| select ..."; cite those numbers when you refer to a line.',
    `Returns at most ${READ_DEFAULT_LINES} lines by default (up to ${READ_MAX_LINES} with limit) and about 100 KB;`,
    'when the file is longer the output ends with a note giving the offset to read next.',
    `Lines longer than ${formatCount(MAX_LINE_CHARS)} characters are clipped.`,
    'Binary files are refused. Paths are relative to the repository root and may not leave it.',
    'To find a file first, use list_directory or search_files_and_directories.',
  ].join(' '),
  inputSchema: readFileInput,
  concurrent: true,
  async execute(input, context) {
    const shown = displayPath(input.path);
    const file = await resolveInWorkspace(context.session.root, input.path, { mustExist: true });
    const stats = await stat(file).catch((error: unknown) =>
      rethrowAsToolError(error, shown, context.signal),
    );
    if (stats.isDirectory()) {
      throw new ToolError(
        'tool.not-a-file',
        `${shown} is a directory: use list_directory to see what it holds`,
      );
    }
    if (!stats.isFile()) throw new ToolError('tool.not-a-file', `${shown} is not a regular file`);

    const first = input.offset ?? 1;
    const window = await readLineWindow(file, first, input.limit ?? READ_DEFAULT_LINES, context.signal).catch(
      (error: unknown) => rethrowAsToolError(error, shown, context.signal),
    );
    if (window.binary) {
      throw new ToolError(
        'tool.binary-file',
        `${shown} is a binary file (it contains NUL bytes): read_file shows text files only`,
      );
    }
    if (window.total === 0) return { output: `${shown} is empty.`, summary: `${shown} (empty)` };
    if (first > window.total) {
      throw new ToolError(
        'tool.offset-out-of-range',
        `offset=${first} is past the end of ${shown}, which has ${formatCount(window.total)} lines: use an offset from 1 to ${window.total}`,
      );
    }

    const width = Math.max(4, String(first + window.lines.length - 1).length);
    const numbered = window.lines.map((line, index) => `${String(first + index).padStart(width)}| ${line}`);
    const { kept } = takeHead(numbered, { maxBytes: DEFAULT_MAX_OUTPUT_BYTES });
    const last = first + kept.length - 1;
    const summary = `${shown} lines ${first}-${last} of ${window.total}`;
    const rest = window.total - last;
    if (rest === 0) return { output: kept.join('\n'), summary };
    const hint = `read with offset=${last + 1} to see more (the file has ${formatCount(window.total)} lines)`;
    return { output: [...kept, cutNote(rest, 'lines', hint)].join('\n'), truncated: true, summary };
  },
});

interface LineWindow {
  /** Lines `first` to `first + count - 1`, clipped to {@link MAX_LINE_CHARS}. */
  lines: string[];
  /** Lines in the whole file. */
  total: number;
  binary: boolean;
}

/**
 * Streams the file once: keeps only the asked-for lines and counts the rest, so a large log costs
 * memory for the window only.
 */
async function readLineWindow(
  file: string,
  first: number,
  count: number,
  signal: AbortSignal,
): Promise<LineWindow> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const last = first + count - 1;
    const lines: string[] = [];
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    let total = 0;
    // The current line, kept only up to what clipping needs; its full length is counted apart.
    let pending = '';
    let pendingLength = 0;
    let endsWithReturn = false;

    const append = (piece: string) => {
      if (piece === '') return;
      const wanted = total + 1 >= first && total + 1 <= last;
      if (wanted && pending.length <= MAX_LINE_CHARS)
        pending += piece.slice(0, MAX_LINE_CHARS + 1 - pending.length);
      pendingLength += piece.length;
      endsWithReturn = piece.endsWith('\r');
    };
    const endLine = () => {
      total += 1;
      if (total >= first && total <= last) {
        const length = pendingLength - (endsWithReturn ? 1 : 0);
        lines.push(clipLine(pending.slice(0, length), MAX_LINE_CHARS, length));
      }
      pending = '';
      pendingLength = 0;
      endsWithReturn = false;
    };

    for (let position = 0; ; ) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      if (position === 0 && chunk.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
        return { lines: [], total: 0, binary: true };
      }
      position += bytesRead;
      const text = decoder.write(chunk);
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        append(text.slice(start, newline));
        endLine();
        start = newline + 1;
      }
      append(text.slice(start));
    }
    append(decoder.end());
    if (pendingLength > 0) endLine();
    return { lines, total, binary: false };
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// list_directory

const listDirectoryInput = z.object({
  path: z
    .string()
    .default('.')
    .describe(
      'The directory to list, relative to the repository root (default "." for the root), e.g. "models/staging".',
    ),
  depth: z
    .number()
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe(
      'How many levels to descend (1 to 5, default 1): 1 lists the directory itself, 2 adds its subdirectories, and so on.',
    ),
});

/** `list_directory`: the entries of a workspace directory, as a tree of repository paths. */
export const listDirectoryTool = defineTool({
  name: 'list_directory',
  description: [
    'List the files and subdirectories of a directory in the repository, to learn its layout',
    '(e.g. where the dbt models, seeds and macros are).',
    'Returns one entry per line as a path relative to the repository root, ready to pass to read_file:',
    'directories end with "/", files show their size, symlinks are marked and not followed.',
    'Entries are sorted by name, each subdirectory followed by its own entries down to depth levels.',
    `Returns at most ${LIST_MAX_ENTRIES} entries, and ${NESTED_MAX_ENTRIES} per subdirectory below the listed one, with a note saying what was cut.`,
    '.git is never listed and node_modules is not expanded.',
    'To find files by name or content across the repository, use search_files_and_directories.',
  ].join(' '),
  inputSchema: listDirectoryInput,
  concurrent: true,
  async execute(input, context) {
    const shown = displayPath(input.path);
    const root = await resolveInWorkspace(context.session.root, '.', { mustExist: true });
    const directory = await resolveInWorkspace(context.session.root, input.path, { mustExist: true });
    const stats = await stat(directory).catch((error: unknown) =>
      rethrowAsToolError(error, shown, context.signal),
    );
    if (!stats.isDirectory()) {
      throw new ToolError(
        'tool.not-a-directory',
        `${shown} is a file, not a directory: use read_file to read it`,
      );
    }

    const lines: string[] = [];
    let found = 0;
    let cut = 0;
    let summarized = false;
    let stoppedCounting = false;
    const stack: ListItem[] = (
      await readChildren(root, directory, 1).catch((error: unknown) =>
        rethrowAsToolError(error, shown, context.signal),
      )
    ).reverse();
    while (stack.length > 0) {
      context.signal.throwIfAborted();
      const item = stack.pop()!;
      const isSummary = 'hidden' in item;
      found += isSummary ? item.hidden : 1;
      summarized ||= isSummary;
      const expand = !isSummary && item.kind === 'directory' && item.level < input.depth;
      if (lines.length >= LIST_MAX_ENTRIES) cut += isSummary ? item.hidden : 1;
      else lines.push(isSummary ? hiddenNote(item) : await describeEntry(item, expand));
      if (found >= LIST_SCAN_LIMIT && stack.length > 0) {
        stoppedCounting = true;
        break;
      }
      if (expand && !NEVER_WALKED.has(item.name)) stack.push(...(await nestedChildren(root, item)).reverse());
    }

    const summary = `${shown}: ${formatCount(found)}${stoppedCounting ? '+' : ''} entries, depth ${input.depth}`;
    if (found === 0) return { output: `${shown} is empty.`, summary };
    if (cut === 0) return { output: lines.join('\n'), truncated: summarized, summary };
    const hint = 'list a subdirectory, or use a smaller depth, to see them';
    const note = cutNote(cut, 'entries', hint, { atLeast: stoppedCounting });
    return { output: [...lines, note].join('\n'), truncated: true, summary };
  },
});

/** Entries of a subdirectory left out of a deep listing, shown as one line. */
interface HiddenEntries {
  /** The subdirectory, relative to the workspace root. */
  directory: string;
  hidden: number;
}

type ListItem = WalkEntry | HiddenEntries;

/**
 * A subdirectory's entries in a deep listing, at most {@link NESTED_MAX_ENTRIES}: a seeds folder
 * of 5,000 CSVs must not hide the rest of the tree.
 */
async function nestedChildren(root: string, parent: WalkEntry): Promise<ListItem[]> {
  const children = await readChildren(root, parent.absolute, parent.level + 1).catch(() => []);
  if (children.length <= NESTED_MAX_ENTRIES) return children;
  const hidden = { directory: parent.relative, hidden: children.length - NESTED_MAX_ENTRIES };
  return [...children.slice(0, NESTED_MAX_ENTRIES), hidden];
}

function hiddenNote(item: HiddenEntries): string {
  return `[… ${formatCount(item.hidden)} more entries in ${item.directory}/: list ${item.directory} to see them]`;
}

interface WalkEntry {
  name: string;
  absolute: string;
  /** Relative to the workspace root, `/`-separated. */
  relative: string;
  kind: 'directory' | 'file' | 'symlink' | 'other';
  /** 1 for the children of the directory the walk started in. */
  level: number;
}

/** A directory's entries sorted by name, without `.git`. Symlinks stay symlinks: never followed. */
async function readChildren(root: string, directory: string, level: number): Promise<WalkEntry[]> {
  const dirents = await readdir(directory, { withFileTypes: true });
  return dirents
    .filter((dirent) => !isGitEntry(dirent.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((dirent) => {
      const absolute = path.join(directory, dirent.name);
      return {
        name: dirent.name,
        absolute,
        relative: workspaceRelative(root, absolute),
        kind: kindOf(dirent),
        level,
      };
    });
}

function kindOf(dirent: Dirent): WalkEntry['kind'] {
  if (dirent.isSymbolicLink()) return 'symlink';
  if (dirent.isDirectory()) return 'directory';
  if (dirent.isFile()) return 'file';
  return 'other';
}

async function describeEntry(entry: WalkEntry, expand: boolean): Promise<string> {
  switch (entry.kind) {
    case 'directory':
      return expand && NEVER_WALKED.has(entry.name)
        ? `${entry.relative}/ (not expanded)`
        : `${entry.relative}/`;
    case 'symlink':
      return `${entry.relative} (symlink)`;
    case 'other':
      return `${entry.relative} (special file)`;
    case 'file': {
      const size = await lstat(entry.absolute).then(
        (stats) => formatBytes(stats.size),
        () => 'unreadable',
      );
      return `${entry.relative} (${size})`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// search_files_and_directories

const searchInput = z.object({
  pattern: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A glob matched against paths, e.g. "models/**/*.sql" or "*.yml". Without a "/" it matches the name at any depth; ' +
        'with one it matches the path from the search directory (or from the repository root). ' +
        'Supports *, **, ?, [abc] and {a,b}. Alone, it finds files and directories by name; with regex, it picks the files whose contents are searched.',
    ),
  regex: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A regular expression (RE2 syntax: like JavaScript without lookaround or backreferences) searched in file contents, one line at a time, e.g. "ref\\(\'stg_orders\'\\)" or "select\\s+\\*". ' +
        'Returns every matching line as "path:line: text".',
    ),
  path: z
    .string()
    .default('.')
    .describe(
      'The directory to search under, relative to the repository root (default "." for the whole repository).',
    ),
  case_sensitive: z
    .boolean()
    .default(false)
    .describe(
      'Match letter case exactly in pattern and regex (default false: "orders" also finds "Orders").',
    ),
  max_results: z
    .number()
    .int()
    .min(1)
    .max(SEARCH_MAX_RESULTS)
    .default(100)
    .describe(
      `The most paths or matching lines to return (default 100, at most ${formatCount(SEARCH_MAX_RESULTS)}).`,
    ),
});

/** `search_files_and_directories`: find paths by glob and lines by regex in the workspace. */
export const searchFilesTool = defineTool({
  name: 'search_files_and_directories',
  description: [
    'Find files and directories in the repository by name (pattern, a glob) and/or lines in files by content (regex).',
    'Give at least one of pattern and regex. With pattern only it returns matching paths (directories end with "/");',
    'with regex it returns matching lines as "path:line: text" with 1-based line numbers you can pass to read_file as offset.',
    'Paths are relative to the repository root. Case is ignored unless case_sensitive is true.',
    'Skips .git and node_modules, does not follow symlinks, and does not search binary files or files over 2 MB (the output says which).',
    `Returns at most max_results results (default 100) and about 100 KB, with a note when there were more.`,
  ].join(' '),
  inputSchema: searchInput,
  concurrent: true,
  async execute(input, context) {
    if (input.pattern === undefined && input.regex === undefined) {
      throw new ToolError(
        'tool.invalid-input',
        'give pattern (a glob such as "models/**/*.sql"), regex (text to find in files), or both',
      );
    }
    const shown = displayPath(input.path);
    const matchesPath =
      input.pattern === undefined ? undefined : compileGlob(input.pattern, input.case_sensitive);
    const regex =
      input.regex === undefined
        ? undefined
        : compileSearchPattern(input.regex, { caseSensitive: input.case_sensitive, field: 'regex' });
    const root = await resolveInWorkspace(context.session.root, '.', { mustExist: true });
    const base = await resolveInWorkspace(context.session.root, input.path, { mustExist: true });

    const search: SearchState = {
      results: [],
      filesWithMatches: 0,
      more: false,
      largeFiles: [],
      binaryFiles: 0,
      scanStopped: false,
    };
    const limit = input.max_results;
    const matcher = regex ? openPatternMatcher(regex, context.signal) : undefined;
    try {
      for await (const entry of walkFiles(root, base, context.signal, search)) {
        const relativeToBase = entry.level === 0 ? entry.name : workspaceRelative(base, entry.absolute);
        if (matchesPath && !matchesPath(entry.name, relativeToBase, entry.relative)) continue;
        if (!matcher) {
          search.results.push(entry.kind === 'directory' ? `${entry.relative}/` : entry.relative);
        } else if (entry.kind === 'file') {
          await searchFile(entry, matcher, limit + 1 - search.results.length, search, context.signal);
        }
        if (search.results.length > limit) {
          search.more = true;
          search.results.length = limit;
          break;
        }
      }
    } catch (error) {
      rethrowAsToolError(error, shown, context.signal);
    } finally {
      await matcher?.close();
    }
    return searchOutput(input, shown, search, regex);
  },
});

interface SearchState {
  /** Result lines: paths, or `path:line: text`. */
  results: string[];
  filesWithMatches: number;
  /** More results exist than max_results. */
  more: boolean;
  largeFiles: string[];
  binaryFiles: number;
  /** The walk stopped at {@link SEARCH_SCAN_LIMIT} entries. */
  scanStopped: boolean;
}

/**
 * Every entry under `base`, depth first in name order, never following symlinks nor entering
 * `.git` and node_modules. Iterative: a deep tree cannot overflow the stack.
 */
async function* walkFiles(
  root: string,
  base: string,
  signal: AbortSignal,
  search: SearchState,
): AsyncGenerator<WalkEntry> {
  const baseStats = await stat(base);
  if (!baseStats.isDirectory()) {
    yield {
      name: path.basename(base),
      absolute: base,
      relative: workspaceRelative(root, base),
      kind: 'file',
      level: 0,
    };
    return;
  }
  const stack = (await readChildren(root, base, 1)).reverse();
  let seen = 0;
  let sliceStarted = performance.now();
  while (stack.length > 0) {
    if (performance.now() - sliceStarted > WALK_SLICE_MS) {
      // The caller matches a glob per entry on this thread: let timers (the run's timeout, a
      // cancel) and other requests in now and then, even inside one huge directory.
      await new Promise((resolve) => setImmediate(resolve));
      sliceStarted = performance.now();
    }
    signal.throwIfAborted();
    const entry = stack.pop()!;
    if (entry.kind === 'directory' && NEVER_WALKED.has(entry.name)) continue;
    seen += 1;
    if (seen > SEARCH_SCAN_LIMIT) {
      search.scanStopped = true;
      return;
    }
    yield entry;
    if (entry.kind === 'directory') {
      stack.push(...(await readChildren(root, entry.absolute, entry.level + 1).catch(() => [])).reverse());
    }
  }
}

/** Adds up to `room` matching lines of one file to the results. */
async function searchFile(
  entry: WalkEntry,
  matcher: PatternMatcher,
  room: number,
  search: SearchState,
  signal: AbortSignal,
): Promise<void> {
  const content = await readSearchable(entry, search, signal);
  if (content === undefined) return;
  const lines = splitLines(content);
  const { hits, positions } = await matcher.matchLines(lines, {
    limit: room,
    positionsOver: SEARCH_MAX_LINE_CHARS,
  });
  for (const [hit, index] of hits.entries()) {
    search.results.push(`${entry.relative}:${index + 1}: ${snippet(lines[index]!, positions[hit]!)}`);
  }
  if (hits.length > 0) search.filesWithMatches += 1;
}

/** The text of a file worth searching, or undefined when it is too large, binary or unreadable. */
async function readSearchable(
  entry: WalkEntry,
  search: SearchState,
  signal: AbortSignal,
): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(entry.absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
    const { size } = await handle.stat();
    if (size > SEARCH_MAX_FILE_BYTES) {
      search.largeFiles.push(entry.relative);
      return undefined;
    }
    const bytes = await handle.readFile({ signal });
    if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
      search.binaryFiles += 1;
      return undefined;
    }
    return bytes.toString('utf8');
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** The matching line, clipped around the match so a long line still shows it. */
function snippet(line: string, matchIndex: number): string {
  if (line.length <= SEARCH_MAX_LINE_CHARS) return line;
  const start = Math.max(0, Math.min(matchIndex - 100, line.length - SEARCH_MAX_LINE_CHARS));
  const end = start + SEARCH_MAX_LINE_CHARS;
  return `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`;
}

function searchOutput(
  input: z.infer<typeof searchInput>,
  shown: string,
  search: SearchState,
  regex: SearchPattern | undefined,
): { output: string; truncated?: boolean; summary: string } {
  const count = `${formatCount(search.results.length)}${search.more ? '+' : ''}`;
  const what = [
    regex ? `regex ${regex}` : undefined,
    input.pattern !== undefined ? `pattern "${input.pattern}"` : undefined,
  ].filter((part) => part !== undefined);
  const summary = regex
    ? `${count} matching lines in ${countOf(search.filesWithMatches, 'file')} for ${what.join(', ')} under ${shown}`
    : `${count} paths for ${what.join(', ')} under ${shown}`;

  const notes: string[] = [];
  const { kept, omitted } = takeHead(search.results, { maxBytes: DEFAULT_MAX_OUTPUT_BYTES });
  const narrow = 'narrow the pattern, regex or path';
  if (omitted > 0) notes.push(cutNote(omitted, 'results', `${narrow} to see them`, { atLeast: search.more }));
  else if (search.more) {
    notes.push(
      `[stopped after ${formatCount(input.max_results)} results and there are more: ${narrow}, or raise max_results (at most ${formatCount(SEARCH_MAX_RESULTS)})]`,
    );
  }
  if (search.scanStopped) {
    notes.push(
      `[stopped after looking at ${formatCount(SEARCH_SCAN_LIMIT)} entries: search under a narrower path]`,
    );
  }
  const skipped = skippedNote(search);
  if (skipped) notes.push(skipped);

  const truncated = omitted > 0 || search.more || search.scanStopped;
  if (kept.length === 0) {
    const none = `No ${regex ? 'lines match' : 'files or directories match'} ${what.join(' in files matching ')} under ${shown}.`;
    return { output: [none, ...notes].join('\n'), summary };
  }
  return { output: [...kept, ...notes].join('\n'), truncated, summary };
}

function skippedNote(search: SearchState): string | undefined {
  const parts: string[] = [];
  if (search.largeFiles.length > 0) {
    const named = search.largeFiles.slice(0, 5).join(', ');
    const others =
      search.largeFiles.length > 5 ? `, and ${formatCount(search.largeFiles.length - 5)} more` : '';
    parts.push(
      `${countOf(search.largeFiles.length, 'file')} over 2 MB (${named}${others}: use read_file instead)`,
    );
  }
  if (search.binaryFiles > 0) parts.push(countOf(search.binaryFiles, 'binary file'));
  return parts.length > 0 ? `[not searched: ${parts.join(', ')}]` : undefined;
}

/**
 * A matcher for the model's glob. A pattern without `/` matches an entry's name at any depth;
 * with `/` it matches the path from the search directory or from the repository root.
 */
function compileGlob(
  pattern: string,
  caseSensitive: boolean,
): (name: string, relativeToBase: string, relativeToRoot: string) => boolean {
  const normalized = pattern
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');
  if (normalized.split('/').includes('..')) {
    throw new ToolError(
      'tool.bad-pattern',
      `pattern "${pattern}" may not contain "..": use path to pick the directory`,
    );
  }
  // RE2, not `path.matchesGlob`: a glob with many `*` made that backtrack for minutes.
  const matches = compileGlobMatcher(normalized, { caseSensitive, field: 'pattern' });
  if (!normalized.includes('/')) return (name) => matches(name);
  return (_name, relativeToBase, relativeToRoot) => matches(relativeToBase) || matches(relativeToRoot);
}

// ---------------------------------------------------------------------------------------------
// shared

/** The path as the model should see it back: normalized, relative, `.` for the root. */
function displayPath(requested: string): string {
  const normalized = path.posix.normalize(requested === '' ? '.' : requested).replace(/\/+$/, '');
  return normalized === '' ? '.' : normalized;
}

/** A file-system failure as an error the model can read, without the host's absolute paths. */
function rethrowAsToolError(error: unknown, shown: string, signal: AbortSignal): never {
  if (isAgentryError(error) || signal.aborted) throw error;
  const code = errorCode(error);
  const options = { cause: error };
  if (code === 'EACCES' || code === 'EPERM') {
    throw new ToolError('tool.permission-denied', `${shown} cannot be read: permission denied`, options);
  }
  if (code === 'ELOOP') {
    const message = `${shown} is a symlink and was not followed: use the path it points to`;
    throw new ToolError('tool.path-loop', message, options);
  }
  throw new ToolError('tool.io-error', `${shown} cannot be read (${code ?? 'unknown error'})`, options);
}

/** `1 file`, `2 files`, `1,234 files`. */
function countOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
