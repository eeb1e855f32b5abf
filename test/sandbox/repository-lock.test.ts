import { describe, expect, it } from 'vitest';
import { withRepositoryLock } from '../../src/sandbox/repository-lock.js';

describe('withRepositoryLock', () => {
  it('runs work on one repository one at a time, in order, and goes on after a failure', async () => {
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) =>
      withRepositoryLock('/repo', async () => {
        log.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([step('a', 30), step('b', 1, true), step('c', 1)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('does not order work on different repositories', async () => {
    const log: string[] = [];
    const slow = withRepositoryLock('/one', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      log.push('one');
    });
    const fast = withRepositoryLock('/two', async () => {
      log.push('two');
    });
    await Promise.all([slow, fast]);
    expect(log).toEqual(['two', 'one']);
  });
});
