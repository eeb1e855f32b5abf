/**
 * The one JSON text of a value that the audit trail hashes: object keys sorted (by UTF-16 code
 * unit, recursively), no whitespace, and otherwise exactly what `JSON.stringify` writes —
 * `toJSON` is honoured, `undefined`, functions and symbols are dropped from objects and become
 * `null` in arrays, non-finite numbers become `null`. For plain JSON values this is RFC 8785
 * (JCS), so a verifier in another language can recompute it.
 *
 * Throws a `TypeError` for values JSON cannot hold (a bigint, a cycle, a bare `undefined`).
 */
export function canonicalJson(value: unknown): string {
  const text = write(value, '', new Set());
  if (text === undefined) throw new TypeError(`canonicalJson: a bare ${typeof value} has no JSON form`);
  return text;
}

function write(input: unknown, key: string, ancestors: Set<object>): string | undefined {
  const value = unbox(applyToJson(input, key));
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: a bigint has no JSON form; store it as a string');
  }
  if (value === null) return 'null';
  // undefined, functions and symbols: dropped from objects, null in arrays.
  if (typeof value !== 'object') return undefined;
  if (ancestors.has(value)) throw new TypeError('canonicalJson: the value contains a cycle');
  ancestors.add(value);
  const text = Array.isArray(value) ? writeArray(value, ancestors) : writeObject(value, ancestors);
  ancestors.delete(value);
  return text;
}

function writeArray(items: readonly unknown[], ancestors: Set<object>): string {
  const parts = items.map((item, index) => write(item, String(index), ancestors) ?? 'null');
  return `[${parts.join(',')}]`;
}

function writeObject(object: object, ancestors: Set<object>): string {
  const record = object as Record<string, unknown>;
  const parts: string[] = [];
  // Array.prototype.sort compares UTF-16 code units, which is the order RFC 8785 asks for.
  for (const key of Object.keys(record).sort()) {
    const text = write(record[key], key, ancestors);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

function applyToJson(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? toJSON.call(value, key) : value;
}

/** `new String('a')` and friends serialize as their primitive, as in JSON.stringify. */
function unbox(value: unknown): unknown {
  if (value instanceof String || value instanceof Number || value instanceof Boolean) return value.valueOf();
  return value;
}
