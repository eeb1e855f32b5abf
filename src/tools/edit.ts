import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isAgentryError } from '../errors.js';
import { ToolError } from './errors.js';
import { formatCount } from './output-cap.js';
import { resolveWritable } from './protected-paths.js';
import { defineTool, type ToolContext } from './tool.js';
import { errorCode, PathNotFoundError } from './workspace-path.js';

/** Largest content write_file writes: a model that needs more is writing data, not code. */
export const MAX_WRITE_BYTES = 1024 * 1024;
/** Largest file edit_file edits (it is read whole). */
export const MAX_EDIT_FILE_BYTES = 10 * 1024 * 1024;
/** Like git: a NUL byte in the first 8,000 bytes makes a file binary. */
const BINARY_SNIFF_BYTES = 8000;
/** Lines of the edited file shown back around a change. */
const SHOWN_AROUND = 3;
const MAX_SHOWN_LINES = 40;
/** Line numbers named when old_string is found more than once. */
const NAMED_MATCHES = 10;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

// ---------------------------------------------------------------------------------------------
// write_file

const writeFileInput = z.object({
  path: z
    .string()
    .min(1)
    .describe(
      'The file to create or replace, relative to the repository root, e.g. "models/marts/fct_orders.sql".',
    ),
  content: z.string().describe('The whole new content of the file.'),
});

/** `write_file`: creates or replaces a whole file in the workspace. */
export const writeFileTool = defineTool({
  name: 'write_file',
  description: [
    'Create a file, or replace a whole file, in the repository (a new dbt model, a schema.yml, a test).',
    'Missing parent directories are created.',
    `Content is at most ${formatBytes(MAX_WRITE_BYTES)}.`,
    'To change part of an existing file, prefer edit_file: it cannot lose the rest of the file by accident.',
    'Paths are relative to the repository root and may not leave it; protected paths (.agentry/, .git/, AGENTS.md, .gitattributes, .gitmodules, .agentryignore and any the config lists) are refused.',
  ].join(' '),
  inputSchema: writeFileInput,
  async execute(input, context) {
    const bytes = Buffer.byteLength(input.content);
    if (bytes > MAX_WRITE_BYTES) {
      throw new ToolError(
        'tool.too-large',
        `content is ${formatBytes(bytes)}, over the ${formatBytes(MAX_WRITE_BYTES)} write_file accepts: write a smaller file`,
      );
    }
    const target = await resolveWritable(context, input.path);
    const before = await stat(target.absolute).catch(() => undefined);
    if (before?.isDirectory()) {
      throw new ToolError(
        'tool.not-a-file',
        `${target.relative} is a directory: give the path of a file inside it`,
      );
    }
    await mkdir(path.dirname(target.absolute), { recursive: true }).catch((error: unknown) =>
      rethrow(error, target.relative, context),
    );
    const previousLines = before ? await countLines(target.absolute) : 0;
    await writeWhole(target.absolute, input.content).catch((error: unknown) =>
      rethrow(error, target.relative, context),
    );
    const lines = countTextLines(input.content);
    const what = `${countOf(lines, 'line')}, ${formatBytes(bytes)}`;
    const output = before
      ? `Replaced ${target.relative} (${what}; it had ${countOf(previousLines, 'line')}).`
      : `Created ${target.relative} (${what}).`;
    return { output, summary: `${before ? 'replaced' : 'created'} ${target.relative} (${what})` };
  },
});

// ---------------------------------------------------------------------------------------------
// edit_file

const editFileInput = z.object({
  path: z.string().min(1).describe('The file to edit, relative to the repository root.'),
  old_string: z
    .string()
    .min(1)
    .describe(
      "The exact text to replace, as it is in the file (indentation and line breaks included, without read_file's line-number prefixes). " +
        'Include enough surrounding lines that it occurs once.',
    ),
  new_string: z.string().describe('The text to put in its place (may be empty to delete old_string).'),
  replace_all: z
    .boolean()
    .default(false)
    .describe('Replace every occurrence of old_string instead of requiring exactly one (default false).'),
});

/** `edit_file`: exact search and replace in one file of the workspace. */
export const editFileTool = defineTool({
  name: 'edit_file',
  description: [
    'Change part of a file in the repository by exact search and replace: old_string must occur exactly once',
    '(or set replace_all to change every occurrence). Fails, changing nothing, when old_string is not found or is found more than once,',
    'saying how many times and on which lines, so you can add context and retry.',
    'Read the file first (read_file) and copy old_string exactly. Returns the changed lines, numbered.',
    'Protected paths (.agentry/, .git/ and any the config lists) are refused. To create a file, use write_file.',
  ].join(' '),
  inputSchema: editFileInput,
  async execute(input, context) {
    if (input.old_string === input.new_string) {
      throw new ToolError(
        'tool.edit-no-change',
        'old_string and new_string are the same: there is nothing to change',
      );
    }
    const target = await resolveWritable(context, input.path);
    const content = await readEditable(target.absolute, target.relative, context);

    // A file with CRLF line ends still matches text the model wrote with LF.
    const crlf = content.includes('\r\n') && !input.old_string.includes('\r');
    const search = crlf ? input.old_string.replaceAll('\n', '\r\n') : input.old_string;
    const replacement = crlf ? input.new_string.replaceAll('\n', '\r\n') : input.new_string;
    const positions = occurrences(content, search);
    if (positions.length === 0) throw notFound(content, input.old_string, target.relative);
    if (positions.length > 1 && !input.replace_all) {
      const lines = linesAt(content, positions.slice(0, NAMED_MATCHES));
      const more = positions.length > NAMED_MATCHES ? ', …' : '';
      throw new ToolError(
        'tool.edit-ambiguous',
        `old_string is found ${positions.length} times in ${target.relative} (lines ${lines.join(', ')}${more}): add surrounding lines to old_string so it matches once, or set replace_all: true to change all ${positions.length}`,
      );
    }

    const updated = replaceAt(content, positions, search.length, replacement);
    await writeWhole(target.absolute, updated).catch((error: unknown) =>
      rethrow(error, target.relative, context),
    );
    const changedLines = changedLineNumbers(content, positions, search.length, replacement);
    const where =
      changedLines.length === 1
        ? `line ${changedLines[0]}`
        : `lines ${changedLines.slice(0, NAMED_MATCHES).join(', ')}${changedLines.length > NAMED_MATCHES ? ', …' : ''}`;
    const total = countTextLines(updated);
    const header = `Edited ${target.relative}: replaced ${countOf(positions.length, 'occurrence')} at ${where}. The file has ${countOf(total, 'line')} now.`;
    const first = changedLines[0]!;
    const newLineCount = replacement.split('\n').length;
    const excerpt = numberedExcerpt(updated, first - SHOWN_AROUND, first + newLineCount - 1 + SHOWN_AROUND);
    return {
      output: [header, ...excerpt].join('\n'),
      summary: `${target.relative}: ${countOf(positions.length, 'replacement')} at ${where}`,
    };
  },
});

/** Every start of `search` in `content`, without overlaps. */
function occurrences(content: string, search: string): number[] {
  const found: number[] = [];
  for (
    let index = content.indexOf(search);
    index !== -1;
    index = content.indexOf(search, index + search.length)
  ) {
    found.push(index);
  }
  return found;
}

function replaceAt(content: string, positions: number[], length: number, replacement: string): string {
  const parts: string[] = [];
  let from = 0;
  for (const position of positions) {
    parts.push(content.slice(from, position), replacement);
    from = position + length;
  }
  parts.push(content.slice(from));
  return parts.join('');
}

/** The 1-based line where each replacement starts, in the updated file. */
function changedLineNumbers(
  content: string,
  positions: number[],
  length: number,
  replacement: string,
): number[] {
  const shift =
    replacement.split('\n').length - content.slice(positions[0], positions[0]! + length).split('\n').length;
  return linesAt(content, positions).map((line, index) => line + index * shift);
}

/** The 1-based line of each position (ascending), walking the text once. */
function linesAt(content: string, positions: readonly number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let newline = content.indexOf('\n');
  for (const position of positions) {
    while (newline !== -1 && newline < position) {
      line += 1;
      newline = content.indexOf('\n', newline + 1);
    }
    lines.push(line);
  }
  return lines;
}

function lineAt(content: string, position: number): number {
  return linesAt(content, [position])[0]!;
}

/** Why old_string was not found, with the hint most likely to help. */
function notFound(content: string, oldString: string, shown: string): ToolError {
  if (/^\s*\d+[|>] /m.test(oldString)) {
    return new ToolError(
      'tool.edit-not-found',
      `old_string is not in ${shown}: it contains line-number prefixes such as "  12| " from read_file; remove them and keep only the file's text`,
    );
  }
  const loose = looseMatch(content, oldString);
  if (loose !== undefined) {
    return new ToolError(
      'tool.edit-not-found',
      `old_string is not in ${shown} exactly, but it is with different whitespace or indentation at line ${lineAt(content, loose)}: copy that text exactly (read_file shows it) and retry`,
    );
  }
  return new ToolError(
    'tool.edit-not-found',
    `old_string is not in ${shown}: read the file again (it may have changed) and copy the text exactly, including indentation`,
  );
}

/** Where `oldString` occurs when runs of whitespace may differ, if it does. */
function looseMatch(content: string, oldString: string): number | undefined {
  const words = oldString
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length === 0 || words.length > 2000) return undefined;
  const pattern = new RegExp(words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'));
  return pattern.exec(content)?.index;
}

/** Lines `from`..`to` (clamped) numbered as read_file numbers them. */
function numberedExcerpt(content: string, from: number, to: number): string[] {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const first = Math.max(from, 1);
  const last = Math.min(to, lines.length, first + MAX_SHOWN_LINES - 1);
  if (last < first) return [];
  const width = Math.max(4, String(last).length);
  const shown = lines
    .slice(first - 1, last)
    .map((line, index) => `${String(first + index).padStart(width)}| ${line.replace(/\r$/, '')}`);
  if (last < Math.min(to, lines.length))
    shown.push(`[… more changed lines: read_file with offset=${last + 1} to see them]`);
  return shown;
}

async function readEditable(file: string, shown: string, context: ToolContext): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') throw new PathNotFoundError(shown);
    return rethrow(error, shown, context);
  });
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new ToolError('tool.not-a-file', `${shown} is a directory, not a file`);
    if (stats.size > MAX_EDIT_FILE_BYTES) {
      throw new ToolError(
        'tool.too-large',
        `${shown} is ${formatBytes(stats.size)}, over the ${formatBytes(MAX_EDIT_FILE_BYTES)} edit_file edits`,
      );
    }
    const bytes = await handle.readFile();
    if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
      throw new ToolError('tool.binary-file', `${shown} is a binary file: edit_file changes text files only`);
    }
    return bytes.toString('utf8');
  } catch (error) {
    return rethrow(error, shown, context);
  } finally {
    await handle.close();
  }
}

/** Writes `content` over the file, never through a symlink (the path is already resolved). */
async function writeWhole(file: string, content: string): Promise<void> {
  const handle = await open(file, WRITE_FLAGS, 0o644);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

async function countLines(file: string): Promise<number> {
  const stats = await stat(file);
  if (stats.size > MAX_EDIT_FILE_BYTES) return 0;
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return countTextLines((await handle.readFile()).toString('utf8'));
  } finally {
    await handle.close();
  }
}

function countTextLines(text: string): number {
  if (text === '') return 0;
  let lines = 0;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lines += 1;
  return text.endsWith('\n') ? lines : lines + 1;
}

function rethrow(error: unknown, shown: string, context: ToolContext): never {
  if (isAgentryError(error) || context.signal.aborted) throw error;
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    throw new ToolError('tool.permission-denied', `${shown} cannot be written: permission denied`, {
      cause: error,
    });
  }
  if (code === 'ELOOP') {
    throw new ToolError(
      'tool.path-loop',
      `${shown} is a symlink and is not written through: use the path it points to`,
      {
        cause: error,
      },
    );
  }
  throw new ToolError('tool.io-error', `${shown} cannot be written (${code ?? 'unknown error'})`, {
    cause: error,
  });
}

function countOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The file-changing tools, for the registry. */
export const editTools = [writeFileTool, editFileTool] as const;
