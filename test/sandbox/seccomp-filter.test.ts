import { describe, expect, it } from 'vitest';
import { SECCOMP_DENIED, seccompArch, seccompFilter } from '../../src/sandbox/seccomp.js';

// The filter is run here by a classic-BPF interpreter over `struct seccomp_data`, for both
// machines, with syscall numbers written out independently of src/ (from the kernel's
// arch/x86/entry/syscalls/syscall_{64,32}.tbl and include/uapi/asm-generic/unistd.h). The real
// kernel runs it in bwrap-seccomp.test.ts, on whatever machine the tests run on.

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const AUDIT_ARCH_ARM = 0x40000028;
const ALLOW = 0x7fff0000;
const KILL_PROCESS = 0x80000000;
const EPERM = 0x00050000 | 1;
const ENOSYS = 0x00050000 | 38;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNS = 0x00020000;
const SIGCHLD = 17;

interface SeccompData {
  nr: number;
  arch: number;
  args?: bigint[];
}

/** Run a classic-BPF seccomp program the way the kernel does; throws on what the kernel would refuse. */
function runFilter(program: Uint8Array, data: SeccompData): number {
  const view = Buffer.from(program);
  expect(view.length % 8).toBe(0);
  const count = view.length / 8;
  expect(count).toBeLessThanOrEqual(4096); // BPF_MAXINSNS
  const packet = Buffer.alloc(64);
  packet.writeInt32LE(data.nr, 0);
  packet.writeUInt32LE(data.arch, 4);
  for (const [index, arg] of (data.args ?? []).entries())
    packet.writeBigUInt64LE(BigInt.asUintN(64, arg), 16 + index * 8);
  let accumulator = 0;
  let pc = 0;
  while (pc < count) {
    const code = view.readUInt16LE(pc * 8);
    const jt = view.readUInt8(pc * 8 + 2);
    const jf = view.readUInt8(pc * 8 + 3);
    const k = view.readUInt32LE(pc * 8 + 4);
    const jump = (taken: boolean) => {
      pc += 1 + (taken ? jt : jf);
    };
    switch (code) {
      case 0x20: // ld w abs
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`load out of seccomp_data at ${k}`);
        accumulator = packet.readUInt32LE(k);
        pc++;
        break;
      case 0x15: // jeq k
        jump(accumulator === k);
        break;
      case 0x35: // jge k
        jump(accumulator >= k);
        break;
      case 0x45: // jset k
        jump((accumulator & k) !== 0);
        break;
      case 0x05: // ja
        pc += 1 + k;
        break;
      case 0x06: // ret k
        return k;
      default:
        throw new Error(`opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('the program ran off its end');
}

interface ArchCase {
  arch: 'x86_64' | 'aarch64';
  audit: number;
  denied: Record<string, number>;
  clone: number;
  unshare: number;
  clone3: number;
  allowed: Record<string, number>;
  foreign: number[];
}

const CASES: ArchCase[] = [
  {
    arch: 'x86_64',
    audit: AUDIT_ARCH_X86_64,
    denied: {
      ptrace: 101,
      mount: 165,
      umount2: 166,
      keyctl: 250,
      add_key: 248,
      request_key: 249,
      bpf: 321,
      perf_event_open: 298,
      kexec_load: 246,
      kexec_file_load: 320,
      init_module: 175,
      finit_module: 313,
      delete_module: 176,
      userfaultfd: 323,
      setns: 308,
      pivot_root: 155,
      process_vm_readv: 310,
      process_vm_writev: 311,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      open_tree_attr: 467,
    },
    clone: 56,
    unshare: 272,
    clone3: 435,
    allowed: { read: 0, write: 1, openat: 257, execve: 59, fork: 57, vfork: 58, getpid: 39, seccomp: 317 },
    foreign: [AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, 0],
  },
  {
    arch: 'aarch64',
    audit: AUDIT_ARCH_AARCH64,
    denied: {
      ptrace: 117,
      mount: 40,
      umount2: 39,
      keyctl: 219,
      add_key: 217,
      request_key: 218,
      bpf: 280,
      perf_event_open: 241,
      kexec_load: 104,
      kexec_file_load: 294,
      init_module: 105,
      finit_module: 273,
      delete_module: 106,
      userfaultfd: 282,
      setns: 268,
      pivot_root: 41,
      process_vm_readv: 270,
      process_vm_writev: 271,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      open_tree_attr: 467,
    },
    clone: 220,
    unshare: 97,
    clone3: 435,
    allowed: { read: 63, write: 64, openat: 56, execve: 221, getpid: 172, seccomp: 277, wait4: 260 },
    // 32-bit ARM on arm64, and anything claiming to be x86.
    foreign: [AUDIT_ARCH_ARM, AUDIT_ARCH_X86_64, AUDIT_ARCH_I386],
  },
];

describe.each(CASES)('seccomp filter for $arch', (machine) => {
  const program = seccompFilter(machine.arch);
  const call = (nr: number, args: bigint[] = []) => runFilter(program, { nr, arch: machine.audit, args });

  it('refuses each denied call with EPERM', () => {
    for (const [name, nr] of Object.entries(machine.denied)) expect(call(nr), name).toBe(EPERM);
  });

  it('refuses a new user namespace by clone or unshare, and allows them otherwise', () => {
    expect(call(machine.unshare, [BigInt(CLONE_NEWUSER)])).toBe(EPERM);
    expect(call(machine.unshare, [BigInt(CLONE_NEWUSER | CLONE_NEWNS)])).toBe(EPERM);
    expect(call(machine.clone, [BigInt(CLONE_NEWUSER | SIGCHLD)])).toBe(EPERM);
    // The flags are an unsigned long: bits above 32 do not hide CLONE_NEWUSER.
    expect(call(machine.clone, [(1n << 40n) | BigInt(CLONE_NEWUSER)])).toBe(EPERM);
    expect(call(machine.unshare, [0n])).toBe(ALLOW);
    expect(call(machine.unshare, [BigInt(CLONE_NEWNS)])).toBe(ALLOW);
    expect(call(machine.clone, [BigInt(SIGCHLD)])).toBe(ALLOW);
    expect(call(machine.clone, [0x003d0f00n])).toBe(ALLOW); // pthread_create's flags
  });

  it('answers clone3 with ENOSYS, so the C library falls back to clone', () => {
    expect(call(machine.clone3)).toBe(ENOSYS);
  });

  it('allows everything else', () => {
    for (const [name, nr] of Object.entries(machine.allowed)) expect(call(nr), name).toBe(ALLOW);
    const denied = new Set([
      ...Object.values(machine.denied),
      machine.clone,
      machine.unshare,
      machine.clone3,
    ]);
    for (let nr = 0; nr < 500; nr++) if (!denied.has(nr)) expect(call(nr), `syscall ${nr}`).toBe(ALLOW);
  });

  it('kills a call made as an architecture whose numbers it does not know', () => {
    for (const arch of machine.foreign) expect(runFilter(program, { nr: 0, arch })).toBe(KILL_PROCESS);
  });
});

describe('seccomp filter: x86_64 specifics', () => {
  const program = seccompFilter('x86_64');

  it('applies the same denials to 32-bit calls (int 0x80), by their i386 numbers', () => {
    const i386 = (nr: number, args: bigint[] = []) => runFilter(program, { nr, arch: AUDIT_ARCH_I386, args });
    const denied = { ptrace: 26, mount: 21, umount: 22, umount2: 52, keyctl: 288, bpf: 357, setns: 346 };
    for (const [name, nr] of Object.entries(denied)) expect(i386(nr), name).toBe(EPERM);
    expect(i386(120, [BigInt(CLONE_NEWUSER)])).toBe(EPERM); // clone
    expect(i386(310, [BigInt(CLONE_NEWUSER)])).toBe(EPERM); // unshare
    expect(i386(120, [BigInt(SIGCHLD)])).toBe(ALLOW);
    expect(i386(3)).toBe(ALLOW); // read
    expect(i386(101)).toBe(ALLOW); // ioperm on i386, not ptrace
  });

  it('kills x32 calls (the same numbers with bit 30 set)', () => {
    expect(runFilter(program, { nr: 0x40000000 | 101, arch: AUDIT_ARCH_X86_64 })).toBe(KILL_PROCESS);
    expect(runFilter(program, { nr: 0x40000000, arch: AUDIT_ARCH_X86_64 })).toBe(KILL_PROCESS);
  });
});

describe('seccomp filter: what is known', () => {
  it('knows x86_64 and aarch64 kernels only', () => {
    expect(seccompArch('x86_64')).toBe('x86_64');
    expect(seccompArch('aarch64')).toBe('aarch64');
    expect(seccompArch('riscv64')).toBeUndefined();
    expect(seccompArch('armv7l')).toBeUndefined();
  });

  it('names what it refuses, as recorded in sandbox.provisioned', () => {
    for (const name of ['ptrace', 'mount', 'umount2', 'keyctl', 'add_key', 'request_key', 'bpf'])
      expect(SECCOMP_DENIED).toContain(name);
    for (const name of ['perf_event_open', 'kexec_load', 'init_module', 'finit_module', 'userfaultfd'])
      expect(SECCOMP_DENIED).toContain(name);
    expect(SECCOMP_DENIED).toContain('unshare(CLONE_NEWUSER)');
    expect(SECCOMP_DENIED).toContain('clone(CLONE_NEWUSER)');
  });
});
