import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CGROUP_PREFIX, prepareCgroupV2 } from '../../src/sandbox/cgroup.js';
import { CommandRunner } from '../../src/sandbox/exec.js';

// cgroup v2 against a directory laid out like a delegated cgroup2 hierarchy: what Agentry writes
// and reads, by the kernel's documented interface (Documentation/admin-guide/cgroup-v2.rst).
// What a plain directory cannot do — create interface files on mkdir, refuse a write with EBUSY,
// remove a cgroup holding files — the kernel does; this machine mounts cgroup v1 (hybrid, with no
// controllers on its v2 hierarchy), so those parts are untested on a real v2 host here.

const MIB = 1024 * 1024;
let base: string;
let children: ChildProcess[] = [];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'agentry-cgroup2-'));
});

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children = [];
  rmSync(base, { recursive: true, force: true });
});

/** The worker's own cgroup: available controllers, what its children get, who is in it. */
function ownCgroup(options: { controllers?: string; subtreeControl?: string; root?: boolean } = {}): string {
  const own = join(base, 'system.slice', 'agentry.service');
  mkdirSync(own, { recursive: true });
  writeFileSync(join(own, 'cgroup.controllers'), `${options.controllers ?? 'cpuset cpu io memory pids'}\n`);
  writeFileSync(join(own, 'cgroup.subtree_control'), options.subtreeControl ?? '');
  writeFileSync(join(own, 'cgroup.procs'), `${process.pid}\n`);
  if (!options.root) writeFileSync(join(own, 'cgroup.type'), 'domain\n');
  return own;
}

const read = (file: string) => readFileSync(file, 'utf8');
const leafOf = (own: string) => join(own, `${CGROUP_PREFIX}${process.pid}-worker`);

describe('cgroup v2: making the worker a delegation root', () => {
  it('moves the worker into a leaf of its own, then enables memory and pids for its children', () => {
    const own = ownCgroup();
    const factory = prepareCgroupV2(own);
    expect(factory?.version).toBe(2);
    expect(factory?.parent).toBe(own);
    // No internal processes: the worker left its cgroup before enabling controllers in it.
    expect(read(join(leafOf(own), 'cgroup.procs'))).toBe(String(process.pid));
    expect(read(join(own, 'cgroup.subtree_control'))).toBe('+memory +pids');
  });

  it('stays where it is in the root cgroup, which may hold processes and enable controllers', () => {
    const own = ownCgroup({ root: true });
    expect(prepareCgroupV2(own)?.parent).toBe(own);
    expect(existsSync(leafOf(own))).toBe(false);
    expect(read(join(own, 'cgroup.subtree_control'))).toBe('+memory +pids');
  });

  it('writes nothing when the controllers are enabled for its children already', () => {
    const own = ownCgroup({ subtreeControl: 'memory pids\n' });
    expect(prepareCgroupV2(own)?.parent).toBe(own);
    expect(existsSync(leafOf(own))).toBe(false);
    expect(read(join(own, 'cgroup.subtree_control'))).toBe('memory pids\n');
  });

  it('gives up, touching nothing, when memory or pids is not delegated to it', () => {
    const own = ownCgroup({ controllers: 'cpu io memory' });
    expect(prepareCgroupV2(own)).toBeUndefined();
    expect(existsSync(leafOf(own))).toBe(false);
    expect(read(join(own, 'cgroup.subtree_control'))).toBe('');
  });

  it('goes back to its cgroup when the kernel refuses to enable the controllers (EBUSY: others live there)', () => {
    const own = ownCgroup();
    writeFileSync(join(own, 'cgroup.procs'), `${process.pid}\n4242\n`);
    // A write that fails, as EBUSY would.
    rmSync(join(own, 'cgroup.subtree_control'));
    mkdirSync(join(own, 'cgroup.subtree_control'));
    expect(prepareCgroupV2(own)).toBeUndefined();
    expect(read(join(own, 'cgroup.procs'))).toBe(String(process.pid));
  });
});

describe('cgroup v2: one cgroup per command', () => {
  it('sets the memory (no swap, killed as a group) and process limits', async () => {
    const factory = prepareCgroupV2(ownCgroup())!;
    const cgroup = await factory.create('run-1-1', { memoryBytes: 64 * MIB, processes: 32 });
    const directory = join(factory.parent, `${CGROUP_PREFIX}${process.pid}-run-1-1`);
    expect(cgroup.procsFiles).toEqual([join(directory, 'cgroup.procs')]);
    expect(read(join(directory, 'memory.max'))).toBe(String(64 * MIB));
    expect(read(join(directory, 'memory.swap.max'))).toBe('0');
    expect(read(join(directory, 'memory.oom.group'))).toBe('1');
    expect(read(join(directory, 'pids.max'))).toBe('32');
  });

  it('reads an out-of-memory kill and a refused fork from memory.events and pids.events', async () => {
    const factory = prepareCgroupV2(ownCgroup())!;
    const cgroup = await factory.create('run-1-2', { memoryBytes: 64 * MIB, processes: 32 });
    const directory = join(factory.parent, `${CGROUP_PREFIX}${process.pid}-run-1-2`);
    expect(await cgroup.events()).toEqual({ oomKilled: false, processLimitReached: false });
    // `oom 1` alone (the limit was hit, reclaim sufficed) is not a kill.
    writeFileSync(join(directory, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 0\n');
    writeFileSync(join(directory, 'pids.events'), 'max 0\n');
    expect(await cgroup.events()).toEqual({ oomKilled: false, processLimitReached: false });
    writeFileSync(
      join(directory, 'memory.events'),
      'low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\noom_group_kill 1\n',
    );
    writeFileSync(join(directory, 'pids.events'), 'max 3\n');
    expect(await cgroup.events()).toEqual({ oomKilled: true, processLimitReached: true });
  });

  it('kills what is in it: cgroup.kill, and SIGKILL to every pid it lists', async () => {
    const factory = prepareCgroupV2(ownCgroup())!;
    const cgroup = await factory.create('run-1-3', { memoryBytes: 64 * MIB, processes: 32 });
    const directory = join(factory.parent, `${CGROUP_PREFIX}${process.pid}-run-1-3`);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(sleeper);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      sleeper.on('exit', (_, signal) => resolve(signal)),
    );
    writeFileSync(join(directory, 'cgroup.procs'), `${sleeper.pid}\n`);
    await cgroup.kill();
    expect(read(join(directory, 'cgroup.kill'))).toBe('1');
    expect(await exited).toBe('SIGKILL');
  });

  it('puts a command in it before the command runs', async () => {
    const factory = prepareCgroupV2(ownCgroup())!;
    const cgroup = await factory.create('run-1-4', { memoryBytes: 64 * MIB, processes: 32 });
    const result = await new CommandRunner().run({
      argv: ['/bin/sh', '-c', 'echo pid=$$'],
      env: { PATH: '/usr/bin:/bin' },
      cwd: base,
      timeoutMs: 10_000,
      maxOutputBytes: 4096,
      cgroup,
    });
    expect(result.exitCode).toBe(0);
    // The shell that became the command wrote its own pid first (`exec` keeps the pid).
    const pid = /pid=(\d+)/.exec(result.output)?.[1];
    expect(read(cgroup.procsFiles[0]!).trim()).toBe(pid);
  });
});
