import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAgentryError } from '../../src/errors.js';
import { closest, didYouMean } from '../../src/spec/did-you-mean.js';
import { formatIssue, SpecError, type SpecIssue } from '../../src/spec/index.js';

const root = '/repo';
const issue: SpecIssue = {
  file: join(root, '.agentry', 'agents', 'probe.yml'),
  line: 3,
  column: 1,
  message: "unknown key 'gaol' (did you mean 'goal'?)",
};

describe('formatIssue', () => {
  it('writes file:line:col: message with the file relative to the root', () => {
    expect(formatIssue(issue, root)).toBe(
      ".agentry/agents/probe.yml:3:1: unknown key 'gaol' (did you mean 'goal'?)",
    );
  });

  it('keeps files outside the root, and relative files, as they are', () => {
    expect(formatIssue(issue, '/elsewhere')).toBe(`${issue.file}:3:1: ${issue.message}`);
    expect(formatIssue({ ...issue, file: 'probe.yml' }, root)).toBe(`probe.yml:3:1: ${issue.message}`);
  });
});

describe('SpecError', () => {
  it('is a user error whose message is one formatted issue per line', () => {
    const second = {
      ...issue,
      line: 5,
      column: 14,
      message: `'limits.max_steps' must be a positive integer, got "ten"`,
    };
    const error = new SpecError([issue, second], { root });
    expect(isAgentryError(error)).toBe(true);
    expect(error.code).toBe('spec.invalid');
    expect(error.kind).toBe('user');
    expect(error.name).toBe('SpecError');
    expect(error.issues).toEqual([issue, second]);
    expect(error.message.split('\n')).toEqual([
      ".agentry/agents/probe.yml:3:1: unknown key 'gaol' (did you mean 'goal'?)",
      `.agentry/agents/probe.yml:5:14: 'limits.max_steps' must be a positive integer, got "ten"`,
    ]);
  });
});

describe('did you mean', () => {
  it('suggests a close candidate, transpositions included', () => {
    expect(closest('gaol', ['name', 'role', 'goal'])).toBe('goal');
    expect(closest('max_step', ['max_steps', 'timeout'])).toBe('max_steps');
    expect(closest('Agents_Squad', ['agents_squad'])).toBe('agents_squad');
    expect(didYouMean('modles', ['models', 'store'])).toBe(" (did you mean 'models'?)");
  });

  it('suggests nothing when every candidate is far, and is stricter for short words', () => {
    expect(closest('budget', ['max_steps', 'timeout'])).toBeUndefined();
    expect(closest('tool', ['goal'])).toBeUndefined();
    expect(closest('tool', ['tools'])).toBe('tools');
    expect(didYouMean('xyz', [])).toBe('');
  });
});
