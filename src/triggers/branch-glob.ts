/**
 * Whether `branch` passes a trigger's `branches:` filter. Patterns read like GitHub Actions'
 * branch filters: `*` matches within one path segment (`release/*`), `**` across segments,
 * `?` one character, and a leading `!` excludes. Patterns apply in order and the last one that
 * matches decides; a list of only exclusions lets every other branch through.
 */
export function branchMatches(branch: string, patterns: readonly string[]): boolean {
  let passed = patterns.every((pattern) => pattern.startsWith('!'));
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (globToRegExp(negated ? pattern.slice(1) : pattern).test(branch)) passed = !negated;
  }
  return passed;
}

const compiled = new Map<string, RegExp>();

/** A branch glob as an anchored regular expression; cached, since every delivery re-reads them. */
export function globToRegExp(glob: string): RegExp {
  const cached = compiled.get(glob);
  if (cached) return cached;
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!;
    if (char === '*' && glob[index + 1] === '*') {
      source += '.*';
      index++;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const regExp = new RegExp(`^${source}$`);
  compiled.set(glob, regExp);
  return regExp;
}
