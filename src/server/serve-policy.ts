import { isIP } from 'node:net';
import { AgentryError } from '../errors.js';

/** `agentry serve` was asked to start in a way that would expose runs without authentication. */
export class ServeAuthError extends AgentryError {
  readonly code = 'serve.auth';
  readonly kind = 'user' as const;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

/**
 * Decide whether the server checks API keys. Keys are required unless `--no-auth` is given, and
 * `--no-auth` is refused on any host but loopback. Without any active key and without
 * `--no-auth`, nobody could call the server: refuse to start, saying how to make a key.
 */
export function resolveAuth(options: { host: string; noAuth: boolean; activeKeys: number }): 'keys' | 'none' {
  if (options.noAuth) {
    if (!isLoopbackHost(options.host)) {
      throw new ServeAuthError(
        `--no-auth is only allowed on a loopback host (127.0.0.1, ::1, localhost), not ${options.host}: create a key with 'agentry keys create --scope admin' and drop --no-auth`,
      );
    }
    return 'none';
  }
  if (options.activeKeys === 0) {
    throw new ServeAuthError(
      isLoopbackHost(options.host)
        ? "no API key exists: create one with 'agentry keys create --scope admin', or pass --no-auth for local development"
        : `no API key exists, and ${options.host} is reachable from other machines: create one with 'agentry keys create --scope admin'`,
    );
  }
  return 'keys';
}

/** The server cannot listen where it was asked to. */
export class ServeListenError extends AgentryError {
  readonly code = 'serve.listen';
  readonly kind = 'user' as const;

  static from(error: NodeJS.ErrnoException, host: string, port: number): ServeListenError {
    if (error.code === 'EADDRINUSE') {
      return new ServeListenError(
        `port ${port} on ${host} is in use: pass another --port, or stop the other server`,
        {
          cause: error,
        },
      );
    }
    if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
      return new ServeListenError(
        `${host} is not an address of this machine: pass --host 127.0.0.1 or 0.0.0.0`,
        {
          cause: error,
        },
      );
    }
    return new ServeListenError(`cannot listen on ${host}:${port} (${error.message})`, { cause: error });
  }
}
