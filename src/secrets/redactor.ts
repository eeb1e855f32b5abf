import type { AgentryConfig } from '../spec/config.js';
import { secretForms } from './encodings.js';
import { percentDecoded, plainView, type TextView, withoutLineBreaks } from './text-view.js';

/** What a redacted value is replaced with. Names the variable so a reader knows what was there. */
const mask = (name: string) => `[REDACTED:${name}]`;

/**
 * Values shorter than this are not redacted: replacing every "1" or "dev" in a run's text would
 * destroy the trail and protect nothing a real credential looks like.
 */
const MIN_SECRET_LENGTH = 6;

/** Keys the model providers read when the config names none; always treated as secrets. */
const PROVIDER_KEY_ENV = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY'];

/**
 * Replaces secret values wherever they appear: event payloads, messages, CLI output, logs, even
 * text the model wrote. Secrets are the values of every environment variable the config points at
 * (any `*_env` key) and every name under `secrets:`.
 *
 * Each value is also looked for in the forms a model or a command re-encodes it to (base64 at each
 * byte alignment, base64url, hex in either case, reversed, JSON-escaped, URL-encoded), across line
 * breaks. docs/secrets.md says exactly what is caught and what is not.
 */
export class Redactor {
  private readonly secrets: { name: string; value: string }[];
  /** Each string searched for (a value or one of its forms) and the name of its secret. */
  private readonly owners = new Map<string, string>();
  /**
   * Every string of `owners` in one alternation, longest first: one pass of the regex engine over
   * a text costs a fraction of one `indexOf` per string. Undefined when there is nothing to find.
   */
  private readonly pattern: RegExp | undefined;
  /** Text shorter than this cannot hold any of them, so most short strings cost one comparison. */
  private readonly shortest: number;

  constructor(secrets: Iterable<{ name: string; value: string }>) {
    // Longest first: a form two secrets share is masked with the longer one's name.
    this.secrets = [...secrets]
      .filter((secret) => secret.value.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.value.length - a.value.length);
    for (const { name, value } of this.secrets) {
      for (const form of secretForms(value)) {
        // Searched in text without line breaks, so a value that has some (a PEM key) is searched without.
        const text = form.text.replace(/[\r\n]+/g, '');
        // A string two secrets share (one value is another reversed) is masked as the longer's.
        if (text.length >= MIN_SECRET_LENGTH && !this.owners.has(text)) this.owners.set(text, name);
      }
    }
    const needles = [...this.owners.keys()].sort((a, b) => b.length - a.length);
    this.pattern = needles.length === 0 ? undefined : new RegExp(needles.map(escapeRegExp).join('|'), 'g');
    this.shortest = needles.at(-1)?.length ?? Number.POSITIVE_INFINITY;
  }

  /** A redactor built from the config's `*_env` keys and `secrets:` list, reading `env`. */
  static fromConfig(config: AgentryConfig, env: NodeJS.ProcessEnv = process.env): Redactor {
    const names = new Set([...PROVIDER_KEY_ENV, ...secretEnvNames(config), ...config.secrets]);
    const secrets: { name: string; value: string }[] = [];
    for (const name of names) {
      const value = env[name];
      if (value) secrets.push({ name, value });
    }
    return new Redactor(secrets);
  }

  /** How many secret values this redactor knows. */
  get size(): number {
    return this.secrets.length;
  }

  /** `text` with every secret, in every form this redactor knows, replaced by its mask. */
  redactText(text: string): string {
    if (this.pattern === undefined || text.length < this.shortest) return text;
    const found: Match[] = [];
    const joined = withoutLineBreaks(plainView(text));
    this.search(this.pattern, joined, found);
    const decoded = percentDecoded(joined);
    // Line breaks again: `%0A` decodes to one.
    if (decoded !== joined) this.search(this.pattern, withoutLineBreaks(decoded), found);
    if (found.length === 0) return text;
    return maskMatches(text, found);
  }

  private search(pattern: RegExp, view: TextView, found: Match[]): void {
    // Overlapping matches are merged here, in the view, so a run of them (a secret like `aaaaaa` in
    // a line of a's) costs one exec each and one range in the end, not one range each.
    let start = -1;
    let end = -1;
    let name = '';
    const flush = () => {
      if (start < 0) return;
      const [from, to] = view.originalRange(start, end);
      found.push({ start: from, end: to, name });
    };
    pattern.lastIndex = 0;
    for (let match = pattern.exec(view.text); match !== null; match = pattern.exec(view.text)) {
      const matchEnd = match.index + match[0].length;
      if (match.index < end) {
        end = Math.max(end, matchEnd);
      } else {
        flush();
        start = match.index;
        end = matchEnd;
        name = this.owners.get(match[0])!;
      }
      // On from the next character, not the match's end: a form that starts inside this one (two
      // secrets overlapping) must be found too. The longest form at each position is the one found.
      pattern.lastIndex = match.index + 1;
    }
    flush();
  }

  /** A deep copy of `value` with every string redacted (keys included). */
  redact<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    return mapStrings(value, (text) => this.redactText(text));
  }
}

/**
 * A deep copy of a JSON-like value with every string (object keys included) passed through
 * `map`; bytes and other values are kept as they are. How every redaction walks a value.
 */
export function mapStrings<T>(value: T, map: (text: string) => string): T {
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return map(item);
    if (Array.isArray(item)) return item.map(walk);
    if (item instanceof Uint8Array) return item;
    if (item !== null && typeof item === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(item)) copy[map(key)] = walk(child);
      return copy;
    }
    return item;
  };
  return walk(value) as T;
}

/** Where a needle was found in the original text, and whose secret it is. */
interface Match {
  start: number;
  end: number;
  name: string;
}

/**
 * `text` with each match masked. Overlapping matches (a secret inside another, two encodings of one
 * secret sharing characters) become one mask, named after the match that starts first and, of
 * those, the longest: the secret a reader would have seen there.
 */
function maskMatches(text: string, found: Match[]): string {
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: string[] = [];
  let copied = 0;
  let current = found[0]!;
  let currentEnd = current.end;
  for (let index = 1; index <= found.length; index++) {
    const match = found[index];
    if (match !== undefined && match.start < currentEnd) {
      currentEnd = Math.max(currentEnd, match.end);
      continue;
    }
    parts.push(text.slice(copied, current.start), mask(current.name));
    copied = currentEnd;
    if (match === undefined) break;
    current = match;
    currentEnd = match.end;
  }
  parts.push(text.slice(copied));
  return parts.join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Every environment variable name the config refers to through a key ending in `_env`. */
export function secretEnvNames(config: unknown): string[] {
  const names: string[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (key.endsWith('_env') && typeof item === 'string') names.push(item);
      else visit(item);
    }
  };
  visit(config);
  return names;
}
