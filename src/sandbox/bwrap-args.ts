import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import type { SandboxNetwork } from './driver.js';
import { findProgram } from './overlay.js';

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
  /** The workspace's `.git` directory: a mount point inside, so a command cannot swap it. */
  gitDir?: string;
  /** The project's object store, read-only, for the run's git to borrow from. */
  objectsDir?: string;
  /** Host paths a command may read (a Python virtualenv, a dbt install). */
  readOnlyPaths: readonly string[];
  network: SandboxNetwork;
  /** Working directory inside. */
  cwd: string;
  env: Record<string, string>;
  /** Whether this bwrap understands `--disable-userns` (0.8+). */
  disableUserns: boolean;
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
  ];
  for (const [name, value] of Object.entries(options.env)) args.push('--setenv', name, value);
  args.push(...systemMounts());
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', SANDBOX_TMP, '--dir', SANDBOX_HOME);
  if (options.objectsDir) args.push('--ro-bind', options.objectsDir, options.objectsDir);
  for (const path of options.readOnlyPaths) args.push('--ro-bind-try', path, path);
  args.push('--bind', options.workspace, options.workspace);
  if (options.gitDir) {
    const inside = `${options.workspace}/.git`;
    args.push('--bind', options.gitDir, inside, '--ro-bind', `${options.gitDir}/config`, `${inside}/config`);
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
  | { ok: true; program: string; disableUserns: boolean }
  | { ok: false; reason: string };

let probeCache: BwrapProbe | undefined;

/**
 * Start a real sandbox (`true` in the same namespaces and mounts a command gets). Fails where
 * bwrap is missing, or user namespaces are off (some containers, hardened kernels).
 */
export function probeBwrap(): BwrapProbe {
  if (probeCache) return probeCache;
  const program = findProgram('bwrap');
  if (!program) {
    probeCache = { ok: false, reason: 'bwrap is not installed' };
    return probeCache;
  }
  const truePath = existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true';
  let lastError = '';
  for (const disableUserns of [true, false]) {
    const args = bwrapArgs({
      workspace: '/tmp',
      readOnlyPaths: [],
      network: 'none',
      cwd: '/',
      env: {},
      disableUserns,
    });
    const result = spawnSync(program, [...args, '--', truePath], { encoding: 'utf8', timeout: 10_000 });
    if (result.status === 0) {
      probeCache = { ok: true, program, disableUserns };
      return probeCache;
    }
    lastError =
      (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n')[0] ?? '';
  }
  probeCache = { ok: false, reason: lastError };
  return probeCache;
}
