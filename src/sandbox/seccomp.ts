import { endianness, machine } from 'node:os';

/**
 * The seccomp filter of the bwrap driver: a classic-BPF program, built here (no libseccomp), that
 * bubblewrap loads with `--seccomp FD` just before it starts the command. It refuses the system
 * calls a command in a data-engineering sandbox has no use for and that are the usual first step
 * of a kernel escape: debugging other processes, mounting, the kernel keyring, loading BPF or
 * kernel modules, new user namespaces, userfaultfd and io_uring. Everything else is allowed:
 * this is a deny list on top of the namespaces and dropped capabilities, not an allow list.
 */

/** Machines the filter knows the system call numbers of (`uname -m`). */
export type SeccompArch = 'x86_64' | 'aarch64';

/** The fd bwrap reads the filter from: 3 is the watchdog's lifeline (see exec.ts). */
export const SECCOMP_FD = 4;

const EPERM = 1;
const ENOSYS = 38;
/** `clone`/`unshare` flag for a new user namespace: with one, a process gets every capability back inside it. */
const CLONE_NEWUSER = 0x10000000;

/** A refused system call: always, or only when its first argument has one of `flags` set. */
interface Denial {
  name: string;
  errno: number;
  flags?: number;
}

const DENIALS: readonly Denial[] = [
  // Reading and writing other processes' memory.
  { name: 'ptrace', errno: EPERM },
  { name: 'process_vm_readv', errno: EPERM },
  { name: 'process_vm_writev', errno: EPERM },
  // Mounts, old and new API.
  { name: 'mount', errno: EPERM },
  { name: 'umount', errno: EPERM },
  { name: 'umount2', errno: EPERM },
  { name: 'pivot_root', errno: EPERM },
  { name: 'open_tree', errno: EPERM },
  { name: 'open_tree_attr', errno: EPERM },
  { name: 'move_mount', errno: EPERM },
  { name: 'fsopen', errno: EPERM },
  { name: 'fsconfig', errno: EPERM },
  { name: 'fsmount', errno: EPERM },
  { name: 'fspick', errno: EPERM },
  { name: 'mount_setattr', errno: EPERM },
  // The kernel keyring: shared by every process of a user, sandboxed or not.
  { name: 'keyctl', errno: EPERM },
  { name: 'add_key', errno: EPERM },
  { name: 'request_key', errno: EPERM },
  // Large kernel attack surfaces a command does not need.
  { name: 'bpf', errno: EPERM },
  { name: 'perf_event_open', errno: EPERM },
  { name: 'userfaultfd', errno: EPERM },
  { name: 'io_uring_setup', errno: EPERM },
  { name: 'io_uring_enter', errno: EPERM },
  { name: 'io_uring_register', errno: EPERM },
  // Replacing the kernel or loading code into it.
  { name: 'kexec_load', errno: EPERM },
  { name: 'kexec_file_load', errno: EPERM },
  { name: 'init_module', errno: EPERM },
  { name: 'finit_module', errno: EPERM },
  { name: 'delete_module', errno: EPERM },
  // Namespaces: joining another, or making a user namespace (where capabilities come back).
  { name: 'setns', errno: EPERM },
  { name: 'unshare', errno: EPERM, flags: CLONE_NEWUSER },
  { name: 'clone', errno: EPERM, flags: CLONE_NEWUSER },
  // clone3 passes its flags in memory, which a filter cannot read: ENOSYS makes glibc (2.34+)
  // fall back to clone, whose flags it can. Refusing it with EPERM would break every thread.
  { name: 'clone3', errno: ENOSYS },
];

/** What the filter refuses, as recorded in `sandbox.provisioned` (`unshare`/`clone` only with CLONE_NEWUSER). */
export const SECCOMP_DENIED: readonly string[] = DENIALS.map((denial) =>
  denial.flags ? `${denial.name}(CLONE_NEWUSER)` : denial.name,
);

/** Calls added since Linux 5.1 have one number on every architecture. */
const COMMON: Record<string, number> = {
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  mount_setattr: 442,
  open_tree_attr: 467,
};

/** System call numbers, from the kernel's syscall tables (`unistd_64.h`, `unistd_32.h`, asm-generic). */
const X86_64: Record<string, number> = {
  ptrace: 101,
  process_vm_readv: 310,
  process_vm_writev: 311,
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  keyctl: 250,
  add_key: 248,
  request_key: 249,
  bpf: 321,
  perf_event_open: 298,
  userfaultfd: 323,
  kexec_load: 246,
  kexec_file_load: 320,
  init_module: 175,
  finit_module: 313,
  delete_module: 176,
  setns: 308,
  unshare: 272,
  clone: 56,
  ...COMMON,
};

/** 32-bit x86 (`int 0x80`), which any x86_64 process can still call into. */
const I386: Record<string, number> = {
  ptrace: 26,
  process_vm_readv: 347,
  process_vm_writev: 348,
  mount: 21,
  umount: 22,
  umount2: 52,
  pivot_root: 217,
  keyctl: 288,
  add_key: 286,
  request_key: 287,
  bpf: 357,
  perf_event_open: 336,
  userfaultfd: 374,
  kexec_load: 283,
  init_module: 128,
  finit_module: 350,
  delete_module: 129,
  setns: 346,
  unshare: 310,
  clone: 120,
  ...COMMON,
};

/** arm64 uses the generic table (`asm-generic/unistd.h`). */
const AARCH64: Record<string, number> = {
  ptrace: 117,
  process_vm_readv: 270,
  process_vm_writev: 271,
  mount: 40,
  umount2: 39,
  pivot_root: 41,
  keyctl: 219,
  add_key: 217,
  request_key: 218,
  bpf: 280,
  perf_event_open: 241,
  userfaultfd: 282,
  kexec_load: 104,
  kexec_file_load: 294,
  init_module: 105,
  finit_module: 273,
  delete_module: 106,
  setns: 268,
  unshare: 97,
  clone: 220,
  ...COMMON,
};

/** `AUDIT_ARCH_*` of `linux/audit.h`: what `seccomp_data.arch` says a call was made as. */
export const AUDIT_ARCH = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7 } as const;

/** x32 calls arrive as x86_64 with this bit set in the number. */
const X32_SYSCALL_BIT = 0x40000000;

/** What the filter answers (`linux/seccomp.h`). */
export const SECCOMP_RET = {
  killProcess: 0x80000000,
  errno: 0x00050000,
  allow: 0x7fff0000,
} as const;

/** Offsets in `struct seccomp_data` (little-endian: the low half of a 64-bit argument comes first). */
const DATA_NR = 0;
const DATA_ARCH = 4;
const DATA_ARG0_LOW = 16;

// Classic BPF opcodes (linux/bpf_common.h).
const LD_W_ABS = 0x20;
const JMP_JEQ_K = 0x15;
const JMP_JGE_K = 0x35;
const JMP_JSET_K = 0x45;
const RET_K = 0x06;

type Target = string | undefined;

interface Instruction {
  code: number;
  k: number;
  /** Label to jump to when the test holds / fails; undefined: the next instruction. */
  jt?: Target;
  jf?: Target;
}

/** A tiny assembler: forward jumps to labels, resolved to the 8-bit offsets classic BPF has. */
class Assembler {
  private readonly instructions: Instruction[] = [];
  private readonly labels = new Map<string, number>();

  label(name: string): void {
    this.labels.set(name, this.instructions.length);
  }

  load(offset: number): void {
    this.instructions.push({ code: LD_W_ABS, k: offset });
  }

  jump(code: number, k: number, jt: Target, jf?: Target): void {
    this.instructions.push({ code, k, jt, jf });
  }

  ret(value: number): void {
    this.instructions.push({ code: RET_K, k: value });
  }

  /** `struct sock_filter[]` in this machine's byte order (both supported machines are little-endian). */
  assemble(): Uint8Array {
    const bytes = Buffer.alloc(this.instructions.length * 8);
    this.instructions.forEach((instruction, index) => {
      bytes.writeUInt16LE(instruction.code, index * 8);
      bytes.writeUInt8(this.offset(index, instruction.jt), index * 8 + 2);
      bytes.writeUInt8(this.offset(index, instruction.jf), index * 8 + 3);
      bytes.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
    });
    return new Uint8Array(bytes);
  }

  private offset(index: number, target: Target): number {
    if (target === undefined) return 0;
    const at = this.labels.get(target);
    if (at === undefined) throw new Error(`seccomp filter: no label ${target}`);
    const offset = at - index - 1;
    if (offset < 0 || offset > 255) throw new Error(`seccomp filter: jump to ${target} out of range`);
    return offset;
  }
}

/** The denials of one architecture's table, in a block that ends by allowing the call. */
function emitArch(asm: Assembler, numbers: Record<string, number>, options: { x32Check: boolean }): void {
  asm.load(DATA_NR);
  if (options.x32Check) asm.jump(JMP_JGE_K, X32_SYSCALL_BIT, 'kill');
  for (const denial of DENIALS) {
    const number = numbers[denial.name];
    if (number === undefined) continue; // Not a call on this architecture.
    const target = denial.flags ? 'newuser' : denial.errno === ENOSYS ? 'enosys' : 'eperm';
    asm.jump(JMP_JEQ_K, number, target);
  }
  asm.ret(SECCOMP_RET.allow);
}

/**
 * The compiled filter for `arch`. Calls made as another architecture than the filter knows
 * (x32, 32-bit ARM on arm64) kill the process: their numbers mean other calls.
 */
export function seccompFilter(arch: SeccompArch): Uint8Array {
  const asm = new Assembler();
  asm.load(DATA_ARCH);
  if (arch === 'x86_64') {
    asm.jump(JMP_JEQ_K, AUDIT_ARCH.x86_64, 'x86_64');
    asm.jump(JMP_JEQ_K, AUDIT_ARCH.i386, 'i386');
  } else {
    asm.jump(JMP_JEQ_K, AUDIT_ARCH.aarch64, 'aarch64');
  }
  // A call made as an architecture the filter does not know.
  asm.ret(SECCOMP_RET.killProcess);
  if (arch === 'x86_64') {
    asm.label('x86_64');
    emitArch(asm, X86_64, { x32Check: true });
    asm.label('i386');
    emitArch(asm, I386, { x32Check: false });
  } else {
    asm.label('aarch64');
    emitArch(asm, AARCH64, { x32Check: false });
  }
  // clone and unshare: refused only when asked for a new user namespace.
  asm.label('newuser');
  asm.load(DATA_ARG0_LOW);
  asm.jump(JMP_JSET_K, CLONE_NEWUSER, 'eperm');
  asm.ret(SECCOMP_RET.allow);
  asm.label('eperm');
  asm.ret(SECCOMP_RET.errno | EPERM);
  asm.label('enosys');
  asm.ret(SECCOMP_RET.errno | ENOSYS);
  asm.label('kill');
  asm.ret(SECCOMP_RET.killProcess);
  return asm.assemble();
}

/** The architecture of this machine's kernel, when the filter knows its system call numbers. */
export function seccompArch(kernelMachine: string = machine()): SeccompArch | undefined {
  if (endianness() !== 'LE') return undefined;
  return kernelMachine === 'x86_64' || kernelMachine === 'aarch64' ? kernelMachine : undefined;
}

let cached: Uint8Array | null | undefined;

/** The filter for this machine, or undefined on one it does not know (commands then run unfiltered). */
export function hostSeccompFilter(): Uint8Array | undefined {
  if (cached === undefined) {
    const arch = seccompArch();
    cached = arch ? seccompFilter(arch) : null;
  }
  return cached ?? undefined;
}
