import type { AgentryConfig } from '../spec/config.js';

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
 */
export class Redactor {
  private readonly secrets: { name: string; value: string }[];

  constructor(secrets: Iterable<{ name: string; value: string }>) {
    // Longest first, so a secret that contains another is masked whole.
    this.secrets = [...secrets]
      .filter((secret) => secret.value.length >= MIN_SECRET_LENGTH)
      .sort((a, b) => b.value.length - a.value.length);
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

  redactText(text: string): string {
    let result = text;
    for (const secret of this.secrets) {
      if (result.includes(secret.value)) result = result.split(secret.value).join(mask(secret.name));
    }
    return result;
  }

  /** A deep copy of `value` with every string redacted (keys included). */
  redact<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    return this.redactValue(value) as T;
  }

  private redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redactText(value);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item));
    if (value instanceof Uint8Array) return value;
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[this.redactText(key)] = this.redactValue(item);
      return copy;
    }
    return value;
  }
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
