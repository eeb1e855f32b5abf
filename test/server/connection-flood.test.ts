import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from './fixture.js';

let fixture: Fixture | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await fixture?.close();
  fixture = undefined;
});

/** What a flood of idle sockets looks like from the attacker's side. */
interface Flood {
  /** Sockets still open (the server has not closed them). */
  open(): number;
  /** Sockets the server answered 408 Request Timeout before closing them. */
  timedOut(): number;
}

/**
 * Open `count` connections to the server on loopback that never finish their headers
 * (`partial`: they send half a request line first, as slowloris does), in batches small enough
 * for the listen backlog, so each one is really accepted. Bounded: they are destroyed in
 * afterEach if the server has not closed them.
 */
async function flood(port: number, count: number, partial: boolean): Promise<Flood> {
  let open = 0;
  let timedOut = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        open++;
        if (partial) socket.write('GET /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        resolve();
      });
      socket.on('error', () => undefined);
      // Read what the server says (a 408), so its closing of the socket is seen.
      socket.on('data', (chunk: Buffer) => {
        if (chunk.toString('latin1').startsWith('HTTP/1.1 408')) timedOut++;
      });
      socket.once('close', () => {
        if (connected) open--;
        resolve();
      });
    });
  for (let started = 0; started < count; started += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - started) }, one));
  }
  return { open: () => open, timedOut: () => timedOut };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('a flood of idle connections', () => {
  it('holds the server to its connection cap, and /healthz and authenticated calls still get through', async () => {
    fixture = await startFixture({
      server: { limits: { maxConnections: 200, headersTimeoutMs: 20_000, requestTimeoutMs: 20_000 } },
    });
    const attack = await flood(fixture.server.port, 2000, false);
    // Let the server's evictions reach the attacker's side.
    await until(() => attack.open() <= 200, 5000).catch((error) => {
      throw new Error(
        `${error.message}: client open ${attack.open()}, server ${JSON.stringify(fixture!.server.connections())}`,
      );
    });
    const stats = fixture.server.connections();
    expect(stats.open).toBeLessThanOrEqual(200);
    expect(stats.evicted).toBeGreaterThanOrEqual(1800);

    // The cap is full of idle sockets right now: a well-behaved caller still gets in.
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await fetch(`${fixture.url}/healthz`)).status).toBe(200);
      expect((await fixture.call('GET', '/api/v1/runs')).status).toBe(200);
    }
    const created = await fixture.call('POST', '/api/v1/runs', { body: { agent: 'echo', message: 'hi' } });
    expect(created.status).toBe(201);
    await fixture.waitForStatus((created.body as { id: string }).id, ['COMPLETED']);
    expect(fixture.server.connections().open).toBeLessThanOrEqual(200);
  });

  it('closes sockets that never finish their headers after headersTimeoutMs, with 408', async () => {
    fixture = await startFixture({ server: { limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } } });
    const silent = await flood(fixture.server.port, 100, false);
    const slow = await flood(fixture.server.port, 100, true);
    expect(silent.open() + slow.open()).toBeGreaterThan(150);
    // Node's defaults (60 s, checked every 30 s) would keep them all this long and more.
    await until(() => silent.open() + slow.open() === 0, 4000);
    expect(fixture.server.connections().open).toBe(0);
    expect(silent.timedOut() + slow.timedOut()).toBe(200);
    expect((await fetch(`${fixture.url}/healthz`)).status).toBe(200);
  });
});
