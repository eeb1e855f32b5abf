import { isAbsolute, resolve } from 'node:path';
import { GitHubError } from './errors.js';
import { gitEnvironment, runGit } from './git-command.js';

/** How git reaches a remote. */
export type RemoteTransport = 'https' | 'http' | 'ssh' | 'file';

/** The git remote pull-request branches are pushed to, read from the project (never the workspace). */
export interface PushRemote {
  /** What git is given. */
  url: string;
  /** The URL without credentials: fit for messages and the audit trail. */
  shown: string;
  transport: RemoteTransport;
  /** The remote's name in the project's git config, when `remote` was a name. */
  name?: string;
  /** `scheme://host[:port]/` of an http(s) remote: the token's header is scoped to it. */
  origin?: string;
}

const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The push remote `remote` names: a remote of the project's repository (its `pushurl`, else its
 * `url`) or a URL. Read from the project's git config: the workspace's is the agent's to write.
 */
export async function resolvePushRemote(
  projectRoot: string,
  remote: string,
  options: { signal?: AbortSignal } = {},
): Promise<PushRemote> {
  if (remote.startsWith('-')) {
    throw new GitHubError(
      'github.bad-remote',
      `integrations.github.remote '${remote}' may not start with "-"`,
    );
  }
  if (!REMOTE_NAME.test(remote)) return describeRemote(remote, projectRoot);
  const read = async (key: string) => {
    const output = await runGit(['config', '--get', key], {
      cwd: projectRoot,
      env: gitEnvironment(),
      signal: options.signal,
      timeoutMs: 10_000,
    });
    return output.exitCode === 0 ? output.stdout.trim() : '';
  };
  const url = (await read(`remote.${remote}.pushurl`)) || (await read(`remote.${remote}.url`));
  if (url === '') {
    throw new GitHubError(
      'github.bad-remote',
      `the project's repository has no git remote named '${remote}': add it ('git remote add ${remote} URL') or set integrations.github.remote to the URL to push to`,
    );
  }
  return { ...describeRemote(url, projectRoot), name: remote };
}

/** Classifies a remote URL; a relative path is taken from the project's root. */
export function describeRemote(url: string, projectRoot: string): PushRemote {
  const refuse = (why: string) =>
    new GitHubError('github.bad-remote', `cannot push to ${hideCredentials(url)}: ${why}`);
  if (url.startsWith('-') || /[\0\n\r]/.test(url)) throw refuse('it is not a git URL');
  // `transport::address` runs a remote helper program named by the URL.
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url))
    throw refuse('remote-helper URLs (transport::address) are not used');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'https' || scheme === 'http') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw refuse('it is not a valid URL');
    }
    return {
      url,
      shown: hideCredentials(url),
      transport: scheme,
      origin: `${parsed.protocol}//${parsed.host}/`,
    };
  }
  if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git')
    return { url, shown: hideCredentials(url), transport: 'ssh' };
  if (scheme === 'file') return { url, shown: url, transport: 'file' };
  if (scheme !== undefined)
    throw refuse(`${scheme}:// is not a transport pushes use: give an https or ssh URL`);
  if (/^(?:[^@/\s]+@)?[^:/\s]{2,}:/.test(url) && !isAbsolute(url))
    return { url, shown: url, transport: 'ssh' };
  const path = isAbsolute(url) ? url : resolve(projectRoot, url);
  return { url: path, shown: path, transport: 'file' };
}

/**
 * The environment that gives git the token for an http(s) remote: an `Authorization` header
 * scoped to the remote's host, passed as `GIT_CONFIG_*` variables so it never appears on a
 * command line or in any git config file. Credential helpers are switched off for the call.
 * Empty for ssh and file remotes (the worker's own keys) and when there is no token.
 */
export function gitAuthEnvironment(remote: PushRemote, token: string | undefined): Record<string, string> {
  if (!token || !remote.origin) return {};
  if (remote.transport === 'http' && !isLoopback(remote.origin)) {
    throw new GitHubError(
      'github.bad-remote',
      `refusing to send the GitHub token over plain http to ${remote.shown}: use an https remote`,
    );
  }
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: `http.${remote.origin}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1: '',
  };
}

/** `https://user:secret@host/x` → `https://host/x`. */
export function hideCredentials(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^@/]*@/, '$1');
}

function isLoopback(origin: string): boolean {
  const host = new URL(origin).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}
