import { machine } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { createProject, type TempProject } from '../helpers/project.js';
import { bwrapDriver, cleanupProject } from './sandbox-helpers.js';

// Escape attempts against the seccomp filter, from inside a real bwrap sandbox: each system
// call is made with arguments for which the kernel, without the filter, answers something other
// than EPERM (ESRCH, EFAULT, EINVAL, ENOSPC, a file descriptor…), so each check fails if the
// filter is not loaded. kexec_load, *_module, pivot_root and fsopen fail for lack of
// capabilities anyway; the filter's answer for them is checked in seccomp-filter.test.ts.

/** Syscall numbers of the machine the tests run on (the sandbox runs the host's python3). */
const NUMBERS: Record<string, Record<string, number>> = {
  x86_64: {
    ptrace: 101,
    mount: 165,
    umount2: 166,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    bpf: 321,
    unshare: 272,
    clone: 56,
    clone3: 435,
    perf_event_open: 298,
    kexec_load: 246,
    init_module: 175,
    finit_module: 313,
    userfaultfd: 323,
    setns: 308,
    process_vm_readv: 310,
    io_uring_setup: 425,
    open_tree: 428,
  },
  aarch64: {
    ptrace: 117,
    mount: 40,
    umount2: 39,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    bpf: 280,
    unshare: 97,
    clone: 220,
    clone3: 435,
    perf_event_open: 241,
    kexec_load: 104,
    init_module: 105,
    finit_module: 273,
    userfaultfd: 282,
    setns: 268,
    process_vm_readv: 270,
    io_uring_setup: 425,
    open_tree: 428,
  },
};

const PROBE = `
import ctypes, json, os, subprocess, sys, threading
N = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
out = {}
def call(label, name, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(N[name]), *[ctypes.c_long(a) for a in args])
    out[label] = os.strerror(ctypes.get_errno()) if r < 0 else 'returned %d' % r
CLONE_NEWUSER = 0x10000000
call('ptrace', 'ptrace', 2, os.getppid(), 0, 0)           # PEEKDATA of a non-tracee: ESRCH
call('mount', 'mount', 1, 1, 1, 0, 0)                     # bad pointers: EFAULT
call('umount2', 'umount2', 1, 0xffff)                     # bad flags: EINVAL
call('keyctl', 'keyctl', 9999)                            # no such operation: EOPNOTSUPP
call('add_key', 'add_key', 0, 0, 0, 0, 0)                 # NULL type: EFAULT
call('request_key', 'request_key', 0, 0, 0, 0)            # NULL type: EFAULT
call('bpf', 'bpf', 9999, 1, 8)                            # bad attr pointer: EFAULT
call('unshare(CLONE_NEWUSER)', 'unshare', CLONE_NEWUSER)  # bwrap's --disable-userns: ENOSPC
call('clone(CLONE_NEWUSER)', 'clone', CLONE_NEWUSER, 0, 0, 0, 0)
call('perf_event_open', 'perf_event_open', 1, 0, -1, -1, 0)   # bad attr pointer: EFAULT
call('kexec_load', 'kexec_load', 0, 0, 0, 0)
call('init_module', 'init_module', 0, 0, 0)
call('finit_module', 'finit_module', -1, 0, 0)
call('userfaultfd', 'userfaultfd', 1)                     # UFFD_USER_MODE_ONLY: a descriptor
call('setns', 'setns', -1, 0)                             # EBADF
call('process_vm_readv', 'process_vm_readv', os.getppid(), 0, 0, 0, 0, 0)  # nothing to read: 0
call('io_uring_setup', 'io_uring_setup', 1, 0)            # EFAULT
call('open_tree', 'open_tree', -100, 0, 0)                # EFAULT
call('clone3', 'clone3', 0, 0)                            # too small: EINVAL
# What must still work: threads (clone3 falls back to clone), processes, unshare without a user ns.
call('unshare(0)', 'unshare', 0)
box = []
t = threading.Thread(target=lambda: box.append('ok')); t.start(); t.join()
out['thread'] = box[0] if box else 'no'
out['subprocess'] = subprocess.run(['echo', 'spawned'], capture_output=True, text=True).stdout.strip()
out['seccomp'] = [l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')][0]
out['fds'] = sorted(os.listdir('/proc/self/fd'))
print('RESULT ' + json.dumps(out))
`;

let project: TempProject;
let sandbox: Sandbox;

beforeAll(async () => {
  project = createProject({ 'probe.py': PROBE, 'models/orders.sql': 'select 1\n' });
  sandbox = await bwrapDriver(project.workspaces).provision({ runId: 'seccomp-1', repoRoot: project.root });
});

afterAll(async () => {
  await sandbox?.destroy();
  await cleanupProject(project);
});

async function probe(): Promise<Record<string, unknown>> {
  const numbers = NUMBERS[machine()];
  if (!numbers) throw new Error(`no syscall numbers for ${machine()} in this test`);
  const result = await sandbox.session.exec!(`python3 probe.py '${JSON.stringify(numbers)}'`);
  const line = result.output.split('\n').find((candidate) => candidate.startsWith('RESULT '));
  if (!line) throw new Error(`the probe did not finish:\n${result.output}`);
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>;
}

describe('bwrap sandbox: the seccomp filter', () => {
  it('is loaded for every command and recorded in the isolation report', async () => {
    expect(sandbox.isolation.syscalls.filter).toBe('seccomp');
    expect(sandbox.isolation.syscalls.denied).toContain('ptrace');
    expect(sandbox.isolation.syscalls.denied).toContain('unshare(CLONE_NEWUSER)');
    const result = await probe();
    expect(result.seccomp).toBe('2'); // SECCOMP_MODE_FILTER
    // bwrap closed the fd it read the filter from: the command does not inherit it.
    expect(result.fds).not.toContain('4');
  });

  it('refuses each escape-prone system call with EPERM', async () => {
    const result = await probe();
    const denied = [
      'ptrace',
      'mount',
      'umount2',
      'keyctl',
      'add_key',
      'request_key',
      'bpf',
      'unshare(CLONE_NEWUSER)',
      'clone(CLONE_NEWUSER)',
      'perf_event_open',
      'kexec_load',
      'init_module',
      'finit_module',
      'userfaultfd',
      'setns',
      'process_vm_readv',
      'io_uring_setup',
      'open_tree',
    ];
    for (const name of denied) expect(result[name], name).toBe('Operation not permitted');
    expect(result.clone3).toBe('Function not implemented');
  });

  it('leaves the rest alone: threads, child processes, unshare without a user namespace, git', async () => {
    const result = await probe();
    expect(result['unshare(0)']).toBe('returned 0');
    expect(result.thread).toBe('ok');
    expect(result.subprocess).toBe('spawned');
    const git = await sandbox.session.exec!('git status --short && git log --oneline | wc -l');
    expect(git.exitCode).toBe(0);
  });

  it('stops `unshare -U` (a user namespace would give the command its capabilities back)', async () => {
    const result = await sandbox.session.exec!('unshare -U id -u; echo exit=$?');
    expect(result.output).toContain('Operation not permitted');
    expect(result.output).toContain('exit=1');
  });
});
