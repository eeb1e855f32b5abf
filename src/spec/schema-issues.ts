import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import type { SpecIssue } from './errors.js';
import { expectedValues } from './expected.js';
import type { ValuePath, YamlDocument } from './yaml-document.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

/**
 * Turns zod's issues into one-line messages pinned to the YAML node at fault. `schema` is the
 * one the document was parsed with; it is walked along each issue's path to name what is
 * expected and which keys would have been right.
 */
export function schemaIssues(issues: readonly Issue[], schema: Schema, document: YamlDocument): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) convert(issue, [], schema, document, out);
  return out;
}

function convert(
  issue: Issue,
  prefix: ValuePath,
  base: Schema,
  document: YamlDocument,
  out: SpecIssue[],
): void {
  const path = [...prefix, ...issue.path];
  const schema = schemaAt(base, issue.path);
  const value = valueAt(document.value, path);
  const name = `'${formatPath(path)}'`;
  const got = `got ${describeValue(value)}`;
  const expected = schema ? describeExpected(schema) : undefined;

  switch (issue.code) {
    case 'unrecognized_keys': {
      const present = new Set(document.keysAt(path));
      const known = (schema ? shapeKeys(schema) : []).filter((key) => !present.has(key));
      for (const key of issue.keys) {
        out.push(document.issueAtKey(path, key, unknownKeyMessage(key, path, known)));
      }
      return;
    }
    case 'invalid_union': {
      const branch = issue.errors.findIndex((errors) => !errors.every(isTypeMismatchAtRoot));
      const options = schema ? unionOptions(schema) : [];
      const option = options[branch];
      if (branch >= 0 && option) {
        for (const inner of issue.errors[branch]!) convert(inner, path, option, document, out);
        return;
      }
      out.push(document.issueAt(path, `${name} must be ${expected ?? 'something else'}, ${got}`));
      return;
    }
    case 'invalid_type': {
      if (value === undefined) {
        out.push(document.issueAt(path, missingKeyMessage(path)));
        return;
      }
      out.push(document.issueAt(path, `${name} must be ${expected ?? `a ${issue.expected}`}, ${got}`));
      return;
    }
    case 'too_small':
    case 'too_big':
      out.push(document.issueAt(path, sizeMessage(issue, name, expected, got)));
      return;
    case 'invalid_value': {
      const allowed = issue.values.map((allowedValue) => String(allowedValue));
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
      const oneOf = allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`;
      out.push(document.issueAt(path, `${name} must be ${oneOf}, ${got}${hint}`));
      return;
    }
    case 'invalid_format': {
      // A regex's own message says more than "a string"; a named expectation says more still.
      const named = schema ? namedExpected(schema) : undefined;
      const predicate = named
        ? `must be ${named}`
        : issue.format === 'regex'
          ? issue.message
          : `must be ${formatNoun(issue.format)}`;
      out.push(document.issueAt(path, `${name} ${predicate}, ${got}`));
      return;
    }
    case 'custom':
      out.push(document.issueAt(path, path.length > 0 ? `${name} ${issue.message}` : issue.message));
      return;
    default:
      out.push(document.issueAt(path, `${name}: ${issue.message}`));
  }
}

function isTypeMismatchAtRoot(issue: Issue): boolean {
  return issue.code === 'invalid_type' && issue.path.length === 0;
}

function unknownKeyMessage(key: string, path: ValuePath, known: readonly string[]): string {
  const where = path.length > 0 ? ` in '${formatPath(path)}'` : '';
  const hint = didYouMean(key, known);
  if (hint !== '' || known.length === 0 || known.length > 8) return `unknown key '${key}'${where}${hint}`;
  return `unknown key '${key}'${where}: expected one of ${known.join(', ')}`;
}

function missingKeyMessage(path: ValuePath): string {
  const key = String(path.at(-1));
  const parent = path.slice(0, -1);
  return parent.length > 0
    ? `missing required key '${key}' in '${formatPath(parent)}'`
    : `missing required key '${key}'`;
}

function sizeMessage(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  name: string,
  expected: string | undefined,
  got: string,
): string {
  if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1) {
    return `${name} must not be empty`;
  }
  const count = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  const bound = `${issue.code === 'too_small' ? 'at least' : 'at most'} ${count}`;
  if (issue.origin === 'array') return `${name} must have ${bound} item${count === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return `${name} must be ${bound} characters long, ${got}`;
  return `${name} must be ${expected ?? 'a number in range'}, ${got}`;
}

function formatNoun(format: string): string {
  if (format === 'url') return 'a URL such as http://127.0.0.1:11434/v1';
  return `a valid ${format}`;
}

/** `limits.max_steps`, `triggers[1].github.events`. */
export function formatPath(path: ValuePath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/** How a value the author wrote is shown back in a message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function valueAt(value: unknown, path: ValuePath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** The schema that validates the value at `path`, through wrappers, lists, records and unions. */
function schemaAt(schema: Schema, path: ValuePath): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const segment of path) {
    if (!current) return undefined;
    current = childSchema(current, segment);
  }
  return current;
}

function childSchema(schema: Schema, segment: PropertyKey): Schema | undefined {
  const def = (unwrap(schema) as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'object':
      return def.shape[String(segment)];
    case 'array':
      return def.element;
    case 'record':
      return def.valueType;
    case 'union':
      for (const option of def.options) {
        const child = childSchema(option, segment);
        if (child) return child;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Strips optional/default/nullable/… layers, stopping early at one that names what it expects. */
function unwrap(schema: Schema, stopAtExpected = false): Schema {
  let current = schema;
  for (;;) {
    if (stopAtExpected && expectedValues.has(current)) return current;
    const def = (current as z.core.$ZodTypes)._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        current = def.innerType;
        break;
      case 'pipe':
        current = def.in;
        break;
      case 'lazy':
        current = def.getter();
        break;
      default:
        return current;
    }
  }
}

function shapeKeys(schema: Schema): string[] {
  const def = (unwrap(schema) as z.core.$ZodTypes)._zod.def;
  return def.type === 'object' ? Object.keys(def.shape) : [];
}

function unionOptions(schema: Schema): readonly Schema[] {
  const def = (unwrap(schema) as z.core.$ZodTypes)._zod.def;
  return def.type === 'union' ? def.options : [];
}

function namedExpected(schema: Schema): string | undefined {
  return expectedValues.get(unwrap(schema, true))?.expected;
}

/** `a positive integer`, `a list`, `one of allowlist, denylist`: what goes after "must be". */
function describeExpected(schema: Schema): string | undefined {
  const named = namedExpected(schema);
  if (named) return named;
  const def = (unwrap(schema) as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'string':
      return 'format' in def && def.format === 'url' ? formatNoun('url') : 'a string';
    case 'number':
      return describeNumber(def.checks ?? []);
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'enum':
      return `one of ${Object.values(def.entries).join(', ')}`;
    case 'literal':
      return def.values.map(String).join(' or ');
    case 'union': {
      const options = def.options.map(describeExpected);
      return options.every(Boolean) ? options.join(' or ') : undefined;
    }
    default:
      return undefined;
  }
}

function describeNumber(checks: readonly z.core.$ZodCheck<never>[]): string {
  let integer = false;
  let minimum: { value: number; inclusive: boolean } | undefined;
  let maximum: number | undefined;
  for (const check of checks) {
    const def = (check as z.core.$ZodChecks)._zod.def;
    if (def.check === 'number_format') integer = def.format !== 'float32' && def.format !== 'float64';
    if (def.check === 'greater_than') minimum = { value: Number(def.value), inclusive: def.inclusive };
    if (def.check === 'less_than') maximum = Number(def.value);
  }
  const noun = integer ? 'integer' : 'number';
  if (minimum && maximum !== undefined && maximum < Number.MAX_SAFE_INTEGER) {
    return `a ${noun} from ${minimum.value} to ${maximum}`;
  }
  if (minimum?.value === 0) return minimum.inclusive ? `a ${noun} of 0 or more` : `a positive ${noun}`;
  if (minimum) return `a ${noun} ${minimum.inclusive ? 'of at least' : 'above'} ${minimum.value}`;
  return integer ? 'an integer' : 'a number';
}
