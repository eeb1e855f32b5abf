import { type Resolvable, validationError } from './graphql-document.js';

/**
 * Linear's filter language (`IssueFilter`, `TeamFilter`, `IssueLabelFilter`, …) evaluated over the
 * fake's objects: fields combine with AND, `and`/`or` take lists, relations take nested filters,
 * collections take `some`/`every`, scalars take comparators (`eq`, `eqIgnoreCase`, `in`,
 * `containsIgnoreCase`, …), and `null: true` matches an absent relation. A field or comparator the
 * fake does not know is a validation error, so a client's typo fails in tests.
 */
export function matchesFilter(node: Resolvable | undefined, filter: unknown, typeName: string): boolean {
  if (filter === undefined || filter === null) return true;
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw validationError(`Expected type "${typeName}Filter" to be an object.`);
  }
  for (const [key, condition] of Object.entries(filter as Record<string, unknown>)) {
    if (condition === undefined) continue;
    if (!matchesKey(node, key, condition, typeName)) return false;
  }
  return true;
}

function matchesKey(
  node: Resolvable | undefined,
  key: string,
  condition: unknown,
  typeName: string,
): boolean {
  if (key === 'and' || key === 'or') {
    if (!Array.isArray(condition)) throw validationError(`"${key}" of ${typeName}Filter takes a list.`);
    const results = condition.map((sub) => matchesFilter(node, sub, typeName));
    return key === 'and' ? results.every(Boolean) : results.some(Boolean);
  }
  if (key === 'null') return (node === null || node === undefined) === condition;
  if (node === null || node === undefined) return false;
  if (typeof node !== 'object' || Array.isArray(node) || typeof node === 'function') {
    throw validationError(`Field "${key}" is not defined by type "${typeName}Filter".`);
  }
  if (!(key in node) || key === '__typename') {
    throw validationError(`Field "${key}" is not defined by type "${typeName}Filter".`);
  }
  const value = materialize(node[key]);
  const childType = typeNameOf(value) ?? `${typeName}.${key}`;
  if (Array.isArray(value)) return matchesCollection(value, condition, childType);
  if (value !== null && typeof value === 'object') return matchesFilter(value, condition, childType);
  if (value === null && isRelationFilter(condition)) return matchesFilter(null, condition, childType);
  return matchesComparator(value as string | number | boolean | null, condition, key);
}

/** A connection field (a function) as its list of nodes, for filtering. */
function materialize(value: Resolvable | undefined): Resolvable | undefined {
  if (typeof value !== 'function') return value;
  const resolved = value({ first: 250 });
  if (resolved && typeof resolved === 'object' && !Array.isArray(resolved) && 'nodes' in resolved) {
    return resolved.nodes;
  }
  return resolved;
}

function typeNameOf(value: Resolvable | undefined): string | undefined {
  if (Array.isArray(value)) return typeNameOf(value[0]);
  if (value && typeof value === 'object' && typeof value.__typename === 'string') return value.__typename;
  return undefined;
}

function matchesCollection(items: Resolvable[], condition: unknown, typeName: string): boolean {
  if (typeof condition !== 'object' || condition === null) {
    throw validationError(`Expected a collection filter for ${typeName}.`);
  }
  for (const [key, sub] of Object.entries(condition as Record<string, unknown>)) {
    if (sub === undefined) continue;
    let ok: boolean;
    if (key === 'some') ok = items.some((item) => matchesFilter(item, sub, typeName));
    else if (key === 'every') ok = items.every((item) => matchesFilter(item, sub, typeName));
    else if (key === 'length') ok = matchesComparator(items.length, sub, 'length');
    else if (key === 'null') ok = (items.length === 0) === sub;
    else if (key === 'and' || key === 'or') {
      if (!Array.isArray(sub)) throw validationError(`"${key}" takes a list.`);
      const results = sub.map((part) => matchesCollection(items, part, typeName));
      ok = key === 'and' ? results.every(Boolean) : results.some(Boolean);
    } else {
      // A field straight on a collection filter (`labels: { name: { eq } }`) means "some item".
      ok = items.some((item) => matchesKey(item, key, sub, typeName));
    }
    if (!ok) return false;
  }
  return true;
}

const COMPARATORS = new Set([
  'eq',
  'neq',
  'in',
  'nin',
  'eqIgnoreCase',
  'neqIgnoreCase',
  'contains',
  'containsIgnoreCase',
  'containsIgnoreCaseAndAccent',
  'notContains',
  'notContainsIgnoreCase',
  'startsWith',
  'startsWithIgnoreCase',
  'notStartsWith',
  'endsWith',
  'notEndsWith',
  'lt',
  'lte',
  'gt',
  'gte',
  'null',
]);

function isRelationFilter(condition: unknown): boolean {
  return (
    typeof condition === 'object' &&
    condition !== null &&
    Object.keys(condition).some((key) => !COMPARATORS.has(key) || key === 'null')
  );
}

function matchesComparator(
  value: string | number | boolean | null,
  condition: unknown,
  field: string,
): boolean {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) {
    throw validationError(`Expected a comparator object for field "${field}".`);
  }
  const text = value === null ? null : String(value);
  const lower = text?.toLowerCase() ?? null;
  for (const [operator, operand] of Object.entries(condition as Record<string, unknown>)) {
    if (operand === undefined) continue;
    if (!COMPARATORS.has(operator)) {
      throw validationError(`Field "${operator}" is not defined by the comparator of "${field}".`);
    }
    const wanted = operand === null ? null : String(operand);
    const wantedLower = wanted?.toLowerCase() ?? '';
    const list = Array.isArray(operand) ? operand : [];
    let ok: boolean;
    switch (operator) {
      case 'eq':
        ok = value === operand;
        break;
      case 'neq':
        ok = value !== operand;
        break;
      case 'in':
        ok = list.includes(value);
        break;
      case 'nin':
        ok = !list.includes(value);
        break;
      case 'null':
        ok = (value === null) === operand;
        break;
      case 'eqIgnoreCase':
        ok = lower !== null && lower === wantedLower;
        break;
      case 'neqIgnoreCase':
        ok = lower === null || lower !== wantedLower;
        break;
      case 'contains':
        ok = text !== null && wanted !== null && text.includes(wanted);
        break;
      case 'containsIgnoreCase':
      case 'containsIgnoreCaseAndAccent':
        ok = lower?.includes(wantedLower) === true;
        break;
      case 'notContains':
        ok = text === null || wanted === null || !text.includes(wanted);
        break;
      case 'notContainsIgnoreCase':
        ok = lower === null || !lower.includes(wantedLower);
        break;
      case 'startsWith':
        ok = text !== null && wanted !== null && text.startsWith(wanted);
        break;
      case 'startsWithIgnoreCase':
        ok = lower?.startsWith(wantedLower) === true;
        break;
      case 'notStartsWith':
        ok = text === null || wanted === null || !text.startsWith(wanted);
        break;
      case 'endsWith':
        ok = text !== null && wanted !== null && text.endsWith(wanted);
        break;
      case 'notEndsWith':
        ok = text === null || wanted === null || !text.endsWith(wanted);
        break;
      default:
        ok = compareOrdered(value, operand, operator);
    }
    if (!ok) return false;
  }
  return true;
}

function compareOrdered(
  value: string | number | boolean | null,
  operand: unknown,
  operator: string,
): boolean {
  if (value === null || operand === null || operand === undefined) return false;
  const left = typeof value === 'number' ? value : String(value);
  const right = typeof value === 'number' ? Number(operand) : String(operand);
  if (operator === 'lt') return left < right;
  if (operator === 'lte') return left <= right;
  if (operator === 'gt') return left > right;
  return left >= right;
}
