import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import type { SandboxNetwork } from './driver.js';
import { findProgram } from './overlay.js';
import { hostSeccompFilter } from './seccomp.js';

/** Top-level system directories, bound read-only (or re-created as the symlinks they are). */
const SYSTEM_DIRECTORIES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * What of /etc a command sees: what programs need to run (the dynamic loader's cache, users and
 * groups, TLS roots, name resolution, locale and time zone), not the host's keys, shadow files
 * or service configs.
 */
const ETC_PATHS = [
  'alternatives',
  'ssl/certs',
  'ssl/openssl.cnf',
  'pki/tls/certs',
  'pki/ca-trust/extracted',
  'ca-certificates',
  'ca-certificates.conf',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'passwd',
  'group',
  'nsswitch.conf',
  'hosts',
  'host.conf',
  'resolv.conf',
  'gai.conf',
  'protocols',
  'services',
  'localtime',
  'timezone',
  'locale.alias',
  'locale.conf',
  'os-release',
  'debian_version',
  'lsb-release',
  'mime.types',
  'magic',
  'magic.mime',
  'terminfo',
  'bash.bashrc',
  'profile',
  'inputrc',
];

/** Interpreters' own configuration directories under /etc (perl, python3, python3.11, …). */
const ETC_INTERPRETERS = /^(perl|python\d[\d.]*)$/;

/** Inside the sandbox: HOME and TMPDIR, on a private tmpfs. */
export const SANDBOX_TMP = '/tmp';
export const SANDBOX_HOME = '/tmp/home';

export interface BwrapOptions {
  /** The workspace, bound read-write at the same path, so paths agree inside and out. */
  workspace: string;
  /**
   * The workspace's `.git` directory, bound read-only: a command can read git (status, log, diff)
   * but not plant a hook, repoint HEAD or add attributes; commits go through the `git_commit` tool.
   */
  gitDir?: string;
  /** The run's object store (never the project's), read-only, for the run's git to borrow from. */
  objectsDir?: string;
  /** Host paths a command may read (a Python virtualenv, a dbt install). */
  readOnlyPaths: readonly string[];
  network: SandboxNetwork;
  /** Working directory inside. */
  cwd: string;
  env: Record<string, string>;
  /** Whether this bwrap understands `--disable-userns` (0.8+). */
  disableUserns: boolean;
  /** The fd bwrap reads a compiled seccomp filter from (`--seccomp`); no filter when absent. */
  seccompFd?: number;
  /** Size of the private /tmp (`--size`, bwrap 0.7+); as large as the kernel allows when absent. */
  tmpSizeBytes?: number;
}

/**
 * bwrap's arguments for one command: new user, PID, IPC, UTS, cgroup and (unless `host`) network
 * namespaces; a read-only system; the workspace the only writable place besides a private /tmp;
 * no environment but `env`; the command dies with the worker.
 */
export function bwrapArgs(options: BwrapOptions): string[] {
  const args = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(options.network === 'none' ? ['--unshare-net'] : []),
    ...(options.disableUserns ? ['--disable-userns'] : []),
    // bwrap keeps root's capabilities (in the sandbox's user namespace) unless told otherwise.
    '--cap-drop',
    'ALL',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'agentry',
    '--clearenv',
    ...(options.seccompFd === undefined ? [] : ['--seccomp', String(options.seccompFd)]),
  ];
  for (const [name, value] of Object.entries(options.env)) args.push('--setenv', name, value);
  args.push(...systemMounts());
  args.push('--proc', '/proc', '--dev', '/dev');
  // A /tmp left unsized could fill the host's memory (tmpfs is RAM) where no cgroup bounds it.
  if (options.tmpSizeBytes !== undefined) args.push('--size', String(options.tmpSizeBytes));
  args.push('--tmpfs', SANDBOX_TMP, '--dir', SANDBOX_HOME);
  if (options.objectsDir) args.push('--ro-bind', options.objectsDir, options.objectsDir);
  for (const path of options.readOnlyPaths) args.push('--ro-bind-try', path, path);
  args.push('--bind', options.workspace, options.workspace);
  if (options.gitDir) {
    const inside = `${options.workspace}/.git`;
    args.push('--ro-bind', options.gitDir, inside);
  }
  // The root tmpfs bwrap builds everything on: nothing may be written there.
  args.push('--remount-ro', '/', '--chdir', options.cwd);
  return args;
}

let systemMountsCache: string[] | undefined;

function systemMounts(): string[] {
  if (systemMountsCache) return systemMountsCache;
  const args: string[] = [];
  for (const path of SYSTEM_DIRECTORIES) {
    const info = lstatOrUndefined(path);
    if (info?.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else if (info?.isDirectory()) args.push('--ro-bind', path, path);
  }
  let interpreters: string[] = [];
  try {
    interpreters = readdirSync('/etc').filter((name) => ETC_INTERPRETERS.test(name));
  } catch {
    // No /etc: programs will do without.
  }
  for (const path of [...ETC_PATHS, ...interpreters.sort()])
    args.push('--ro-bind-try', `/etc/${path}`, `/etc/${path}`);
  systemMountsCache = args;
  return args;
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Whether bwrap can make a sandbox here, and with which options. */
export type BwrapProbe =
  | {
      ok: true;
      program: string;
      disableUserns: boolean;
      /** Whether the seccomp filter loads here (the kernel has seccomp, the machine is known). */
      seccomp: boolean;
      /** Whether this bwrap can size a tmpfs (`--size`, 0.7+). */
      sizedTmp: boolean;
    }
  | { ok: false; reason: string };

let probeCache: BwrapProbe | undefined;

/**
 * Start a real sandbox (`true` in the same namespaces and mounts a command gets). Fails where
 * bwrap is missing, or user namespaces are off (some containers, hardened kernels). Then the
 * same with the seccomp filter, which a kernel without seccomp would refuse.
 */
export function probeBwrap(): BwrapProbe {
  if (probeCache) return probeCache;
  const program = findProgram('bwrap');
  if (!program) {
    probeCache = { ok: false, reason: 'bwrap is not installed' };
    return probeCache;
  }
  const truePath = existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true';
  const attempt = (features: { disableUserns: boolean; sizedTmp: boolean }, seccomp?: Uint8Array) => {
    const args = bwrapArgs({
      workspace: '/tmp',
      readOnlyPaths: [],
      network: 'none',
      cwd: '/',
      env: {},
      disableUserns: features.disableUserns,
      tmpSizeBytes: features.sizedTmp ? 1024 * 1024 : undefined,
      // On stdin here: `true` does not mind bwrap closing it.
      seccompFd: seccomp ? 0 : undefined,
    });
    return spawnSync(program, [...args, '--', truePath], {
      encoding: 'utf8',
      timeout: 10_000,
      input: seccomp ?? '',
    });
  };
  let lastError = '';
  for (const features of [
    { disableUserns: true, sizedTmp: true },
    { disableUserns: false, sizedTmp: true },
    { disableUserns: false, sizedTmp: false },
  ]) {
    const result = attempt(features);
    if (result.status === 0) {
      const filter = hostSeccompFilter();
      const seccomp = filter !== undefined && attempt(features, filter).status === 0;
      probeCache = { ok: true, program, ...features, seccomp };
      return probeCache;
    }
    lastError =
      (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n')[0] ?? '';
  }
  probeCache = { ok: false, reason: lastError };
  return probeCache;
}
