import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How many connections `agentry serve` holds and for how long: what keeps a flood of idle or
 * slow clients (no key needed to open a socket) from using up the process's file descriptors.
 */
export interface ConnectionLimits {
  /**
   * Sockets open at once. A new connection past it closes the longest-idle one — a socket with no
   * request in flight: one that never finished its headers, or a keep-alive between requests — or,
   * when every socket is busy, is itself closed. Keep it well under the process's file-descriptor
   * limit (`ulimit -n`). Default 1024.
   */
  maxConnections: number;
  /** A client has this long from connecting to finish its request headers (else 408). Default 10 s. */
  headersTimeoutMs: number;
  /** …and this long to finish the whole request, body included (else 408). Default 30 s. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. Default 5 s. */
  keepAliveTimeoutMs: number;
  /** Event streams (SSE) open at once per API key (one bucket for all with `--no-auth`). Default 16. */
  maxStreamsPerKey: number;
  /** Event streams open at once over all keys; keeps room for other calls. Default 256. */
  maxStreams: number;
}

/** The limits `agentry serve` uses unless told otherwise. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxStreamsPerKey: 16,
  maxStreams: 256,
};

/** Resolve partial limits against the defaults; throws `RangeError` for one that makes no sense. */
export function resolveConnectionLimits(limits: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const resolved = { ...DEFAULT_CONNECTION_LIMITS, ...dropUndefined(limits) };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a whole number of at least 1, got ${value}`);
    }
  }
  if (resolved.requestTimeoutMs < resolved.headersTimeoutMs) {
    throw new RangeError(
      `requestTimeoutMs (${resolved.requestTimeoutMs}) must be at least headersTimeoutMs (${resolved.headersTimeoutMs})`,
    );
  }
  return resolved;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** The options `http.createServer` takes from the limits. */
export function httpServerOptions(limits: ConnectionLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts on this interval (30 s by default): that alone would let a
    // flood hold its sockets three times longer than headersTimeout says.
    connectionsCheckingInterval: Math.max(250, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** What the connection guard has seen, for `/metrics`-style checks and the flood bench. */
export interface ConnectionStats {
  /** Sockets open now. */
  open: number;
  /** …of which have a request in flight (an SSE stream is one for its whole life). */
  busy: number;
  /** Idle sockets closed to make room for a new one. */
  evicted: number;
  /** New sockets closed at once because every open one was busy. */
  refused: number;
}

/**
 * Holds the server to `maxConnections` sockets. Node's own `server.maxConnections` refuses the
 * newest connection, which under a flood of idle sockets is the legitimate caller; this closes
 * the longest-idle socket instead, so a client that sends its request promptly always gets in,
 * and the flood only churns its own sockets.
 */
export class ConnectionGuard {
  readonly #max: number;
  /** Sockets with no request in flight, longest idle first (a Set keeps insertion order). */
  readonly #idle = new Set<Socket>();
  /** Sockets with requests in flight, and how many. */
  readonly #busy = new Map<Socket, number>();
  #evicted = 0;
  #refused = 0;

  constructor(server: Server, maxConnections: number) {
    this.#max = maxConnections;
    server.on('connection', (socket: Socket) => this.#admit(socket));
  }

  /** Wrap the app's request listener so the guard knows which sockets are busy. */
  listener(
    handle: (request: IncomingMessage, response: ServerResponse) => unknown,
  ): (request: IncomingMessage, response: ServerResponse) => void {
    return (request, response) => {
      const socket = request.socket;
      this.#idle.delete(socket);
      this.#busy.set(socket, (this.#busy.get(socket) ?? 0) + 1);
      let done = false;
      response.once('close', () => {
        if (done) return;
        done = true;
        const left = (this.#busy.get(socket) ?? 1) - 1;
        if (left > 0) {
          this.#busy.set(socket, left);
          return;
        }
        this.#busy.delete(socket);
        if (!socket.destroyed) this.#idle.add(socket);
      });
      void handle(request, response);
    };
  }

  stats(): ConnectionStats {
    return {
      open: this.#idle.size + this.#busy.size,
      busy: this.#busy.size,
      evicted: this.#evicted,
      refused: this.#refused,
    };
  }

  #admit(socket: Socket): void {
    if (this.#idle.size + this.#busy.size >= this.#max) {
      const oldest = this.#idle.values().next();
      if (oldest.done) {
        this.#refused++;
        socket.destroy();
        return;
      }
      this.#idle.delete(oldest.value);
      this.#evicted++;
      oldest.value.destroy();
    }
    this.#idle.add(socket);
    socket.once('close', () => {
      this.#idle.delete(socket);
      this.#busy.delete(socket);
    });
  }
}
