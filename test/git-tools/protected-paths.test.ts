import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTECTED_PATHS, ProtectedPaths } from '../../src/tools/protected-paths.js';

describe('ProtectedPaths (gitignore-style globs)', () => {
  const cases: [pattern: string, protectedPaths: string[], free: string[]][] = [
    [
      '.agentry/**',
      ['.agentry/config.yml', '.agentry/agents/a.yml', '.AGENTRY/agents/a.yml'],
      ['agentry/x', 'models/.agentry'],
    ],
    ['*.env', ['.env', 'prod.env', 'deploy/prod.env'], ['env', 'prod.env.example']],
    [
      'models/finance/**',
      ['models/finance/revenue.sql', 'models/finance/a/b.sql'],
      ['models/finance.sql', 'x/models/finance/a.sql'],
    ],
    ['/dbt_project.yml', ['dbt_project.yml'], ['sub/dbt_project.yml']],
    ['dbt_project.yml', ['dbt_project.yml', 'sub/dbt_project.yml'], ['dbt_project.yaml']],
    ['seeds/', ['seeds/countries.csv', 'seeds/a/b.csv'], ['seedsx/a.csv']],
    ['**/secrets/*.yml', ['secrets/a.yml', 'a/b/secrets/c.yml'], ['secrets/a/b.yml']],
    ['models/[ab]*.sql', ['models/a1.sql', 'models/b.sql'], ['models/c.sql']],
    ['models/?.sql', ['models/a.sql'], ['models/ab.sql', 'models/a/b.sql']],
    ['target', ['target', 'target/manifest.json', 'sub/target/x'], ['targets/x']],
  ];

  it.each(cases)('%s', (pattern, protectedPaths, free) => {
    const rules = new ProtectedPaths([pattern]);
    for (const path of protectedPaths) expect(rules.match(path), path).toBe(pattern);
    for (const path of free) expect(rules.match(path), path).toBeUndefined();
  });

  it('always protects the agent files and git internals', () => {
    const rules = new ProtectedPaths(DEFAULT_PROTECTED_PATHS);
    expect(rules.match('.agentry/agents/incident-commander.yml')).toBe('.agentry/**');
    expect(rules.match('.git/hooks/pre-commit')).toBe('.git/**');
    expect(rules.match('models/orders.sql')).toBeUndefined();
  });
});
