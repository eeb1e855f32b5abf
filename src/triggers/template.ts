const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

/** The longest message a template renders to; a payload can carry megabytes of text. */
export const MAX_RENDERED_MESSAGE_CHARS = 20_000;

/**
 * Render a trigger's `message:` template: each `{{ path.in.payload }}` is replaced by the value at
 * that path in `values` (array items by index: `{{ labels.0.name }}`). A lookup only follows the
 * values' own keys — no expressions, no prototype walks, nothing executed. A missing value renders
 * as nothing; a list of plain values as `a, b, c`; any other object as compact JSON. The result is
 * cut to {@link MAX_RENDERED_MESSAGE_CHARS}.
 */
export function renderTemplate(template: string, values: unknown): string {
  const rendered = template.replace(PLACEHOLDER, (_match, path: string) =>
    formatValue(lookupPath(values, path)),
  );
  return truncate(rendered, MAX_RENDERED_MESSAGE_CHARS);
}

/** The value at a dotted path (`pull_request.user.login`), or undefined; follows own keys only. */
export function lookupPath(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(key)) return undefined;
      value = value[Number(key)];
      continue;
    }
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** How a looked-up value reads inside a message. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return value.map(formatValue).join(', ');
  }
  return JSON.stringify(value);
}

/** `text` cut to `max` characters, saying so at the end. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `\n[… cut: ${text.length - max} more characters]`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}
