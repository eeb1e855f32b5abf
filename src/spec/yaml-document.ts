import {
  type Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import type { SpecIssue } from './errors.js';

/** A path into a parsed value, as zod reports it: keys and list indexes. */
export type ValuePath = readonly PropertyKey[];

/**
 * A YAML file parsed once, keeping its syntax tree so any problem found later, by zod or by a
 * cross-file rule, can be pinned to the line and column of the node that caused it.
 */
export class YamlDocument {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly document: Document.Parsed,
    private readonly lineCounter: LineCounter,
  ) {}

  /**
   * Parses one YAML document. Syntax errors come back as issues at the yaml package's own
   * positions; an empty file parses to a document whose `value` is `null`.
   */
  static parse(
    file: string,
    text: string,
  ): { ok: true; document: YamlDocument } | { ok: false; issues: SpecIssue[] } {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false });
    if (document.errors.length > 0) {
      return { ok: false, issues: syntaxIssues(file, text, document, lineCounter) };
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Only alias bombs and similar resource guards throw here.
      const message = error instanceof Error ? error.message : String(error);
      return {
        ok: false,
        issues: [{ file, line: 1, column: 1, message: `cannot read this YAML: ${message}` }],
      };
    }
    return { ok: true, document: new YamlDocument(file, value, document, lineCounter) };
  }

  /** True when the file holds a mapping at its top (what every agent and config file must be). */
  get isMapping(): boolean {
    return isMap(this.document.contents);
  }

  /** An issue at the node `path` points to, or at its nearest ancestor that exists in the file. */
  issueAt(path: ValuePath, message: string): SpecIssue {
    return this.issueAtOffset(this.offsetOf(path), message);
  }

  /** An issue at the key `key` of the mapping at `path` (for keys that should not be there). */
  issueAtKey(path: ValuePath, key: string, message: string): SpecIssue {
    const parent = this.nodeAt(path);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => keyText(item.key) === key);
      if (pair && isNode(pair.key) && pair.key.range) return this.issueAtOffset(pair.key.range[0], message);
    }
    return this.issueAt(path, message);
  }

  /** The keys written in the mapping at `path`, so hints do not suggest a key already there. */
  keysAt(path: ValuePath): string[] {
    const node = this.nodeAt(path);
    return isMap(node) ? node.items.map((item) => keyText(item.key)) : [];
  }

  private issueAtOffset(offset: number, message: string): SpecIssue {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col, message };
  }

  private offsetOf(path: ValuePath): number {
    const root = this.document.contents;
    let node: Node | null = isNode(root) ? root : null;
    let offset = node?.range?.[0] ?? 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (!pair) return offset;
        if (isEmptyScalar(pair.value) || !isNode(pair.value) || !pair.value.range) {
          // `role:` with nothing after it: the key is what the author will look for.
          return isNode(pair.key) && pair.key.range ? pair.key.range[0] : offset;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (!isNode(item) || !item.range) return offset;
        node = item;
      } else {
        return offset;
      }
      offset = node.range?.[0] ?? offset;
    }
    return offset;
  }

  private nodeAt(path: ValuePath): Node | null {
    let node: unknown = this.document.contents;
    for (const segment of path) {
      if (isMap(node)) node = node.items.find((item) => keyText(item.key) === String(segment))?.value;
      else if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
      else return null;
    }
    return isNode(node) ? node : null;
  }
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && node.range != null && node.range[0] === node.range[1];
}

function syntaxIssues(
  file: string,
  text: string,
  document: Document.Parsed,
  lineCounter: LineCounter,
): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const seen = new Set<string>();
  for (const error of document.errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    // The yaml package often reports one mistake twice at the same spot under two codes.
    const spot = `${line}:${col}`;
    if (seen.has(spot)) continue;
    seen.add(spot);
    issues.push({ file, line, column: col, message: syntaxMessage(error, text, document, lineCounter) });
  }
  return issues;
}

function syntaxMessage(
  error: YAMLError,
  text: string,
  document: Document.Parsed,
  lineCounter: LineCounter,
): string {
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return 'YAML does not allow tabs for indentation: indent with spaces';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'bad indentation: the next line is indented as if it continued this value (align it with its sibling keys)';
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(text.slice(error.pos[0]))?.[0].trim();
      return `duplicate key '${key}': each key may appear once in a mapping`;
    }
    case 'MULTIPLE_DOCS':
      return "a file holds one YAML document: remove the second '---' and what follows, or move it to its own file";
  }
  if (error.message === 'All mapping items must start at the same column') {
    return 'bad indentation: keys of one mapping must start at the same column';
  }
  if (error.message.startsWith('Missing closing')) return unclosedQuoteMessage(error, document, lineCounter);
  return `YAML syntax error: ${lowerFirst(error.message)}`;
}

/** The yaml package reports an unclosed quote where the file ends; say where it was opened. */
function unclosedQuoteMessage(error: YAMLError, document: Document.Parsed, lineCounter: LineCounter): string {
  let opened: { line: number; col: number } | undefined;
  visit(document, {
    Scalar(_, node) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted && node.range?.[1] === error.pos[0]) opened = lineCounter.linePos(node.range[0]);
    },
  });
  if (!opened) return `YAML syntax error: ${lowerFirst(error.message)}`;
  return `the quote opened at line ${opened.line}, column ${opened.col} is never closed: add the closing quote`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
