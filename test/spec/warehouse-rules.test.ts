import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatIssue, loadProject } from '../../src/spec/index.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('agent warehouse grants', () => {
  it('must name warehouses of config.yml, at their line and column', async () => {
    root = mkdtempSync(join(tmpdir(), 'agentry-spec-'));
    mkdirSync(join(root, '.agentry/agents'), { recursive: true });
    writeFileSync(
      join(root, '.agentry/config.yml'),
      'models:\n  default: { provider: openai, model: gpt-4o-mini }\nwarehouses:\n  analytics: { type: duckdb, path: a.duckdb }\n',
    );
    writeFileSync(
      join(root, '.agentry/agents/writer.yml'),
      'name: writer\nrole: r\ngoal: g\nwarehouse:\n  default: analytcs\n  allow_writes: [analytics, scratch]\n',
    );
    const { issues } = await loadProject(root);
    expect(issues.map((issue) => formatIssue(issue, root))).toEqual([
      ".agentry/agents/writer.yml:5:12: warehouse 'analytcs' is not in .agentry/config.yml warehouses (did you mean 'analytics'?)",
      ".agentry/agents/writer.yml:6:29: warehouse 'scratch' is not in .agentry/config.yml warehouses (defined: analytics)",
    ]);
  });
});
