// agentry serve under a flood of idle connections (sockets that never send their headers), on
// 127.0.0.1 only, bounded in count and time. The server runs in its own process with a lowered
// file-descriptor limit (FD_LIMIT, like a container's), once with no connection cap and Node's
// default timeouts (what serve did before), once with serve's defaults. While the flood holds,
// /healthz and an authenticated GET /api/v1/runs are called every 100 ms. A last round reopens
// every socket the server closes (a churning flood), at most MAX_RECONNECTS times.
// Run after a build: node bench/server-flood.ts (FLOODS=2000,6000,12000 HOLD_MS=8000 FD_LIMIT=4096).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const FLOODS = (process.env.FLOODS ?? '2000,6000,12000').split(',').map(Number);
const MAX_RECONNECTS = 100_000;
const HOLD_MS = Number(process.env.HOLD_MS ?? 8000);
const FD_LIMIT = Number(process.env.FD_LIMIT ?? 4096);
// Hard bounds, whatever the environment says: this must never turn into a real attack tool.
if (FLOODS.some((count) => !(count > 0 && count <= 15_000)) || !(HOLD_MS > 0 && HOLD_MS <= 60_000)) {
  throw new Error('FLOODS must be 1..15000 sockets each, HOLD_MS at most 60000');
}

if (process.argv[2] === 'child') await child(JSON.parse(process.argv[3]!));
else if (process.argv[2] === 'flood')
  await floodProcess(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] === 'churn');
else await parent();

/**
 * The attacker, in its own process so the measuring one is not starved: opens `count` idle
 * sockets to 127.0.0.1:`port` in batches the listen backlog takes, says `OPEN`, holds them (with
 * `churn`, reopening each one the server closes) until stdin closes, then says how many it reopened.
 */
async function floodProcess(port: number, count: number, churn: boolean): Promise<void> {
  const sockets = new Set<Socket>();
  let holding = true;
  let reopened = 0;
  const open = (onSettled: () => void) => {
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    socket.on('error', () => onSettled());
    socket.on('close', () => {
      sockets.delete(socket);
      onSettled();
      if (churn && holding && reopened < MAX_RECONNECTS) {
        reopened++;
        open(() => undefined);
      }
    });
    socket.once('connect', () => onSettled());
    socket.resume();
  };
  for (let opened = 0; opened < count; opened += 250) {
    await Promise.all(
      Array.from(
        { length: Math.min(250, count - opened) },
        () =>
          new Promise<void>((resolve) => {
            open(resolve);
            setTimeout(resolve, 2000).unref();
          }),
      ),
    );
  }
  console.log('OPEN');
  for await (const _line of createInterface({ input: process.stdin })) {
    // Held until the parent closes stdin.
  }
  holding = false;
  for (const socket of sockets) socket.destroy();
  console.log(`DONE ${reopened}`);
}

/** The server: a throw-away project, a key, `startServer` with the given limits. */
async function child(limits: Record<string, number>): Promise<void> {
  const { loadProject, openStore } = await import('../dist/index.js');
  const { createSandboxDriver } = await import('../dist/sandbox/index.js');
  const { createApiKey, startServer } = await import('../dist/server/index.js');
  const base = mkdtempSync(join(tmpdir(), 'agentry-bench-flood-'));
  const root = join(base, 'repo');
  mkdirSync(join(root, '.agentry/agents'), { recursive: true });
  writeFileSync(join(root, '.agentry/agents/echo.yml'), 'name: echo\nrole: bench\ngoal: answer\n');
  writeFileSync(
    join(root, '.agentry/config.yml'),
    `models:\n  default: { provider: openai-compatible, model: m, base_url: http://127.0.0.1:9 }\n` +
      `store: sqlite:.agentry/agentry.db\nsandbox:\n  driver: local\n  workspace_root: ${join(base, 'ws')}\n`,
  );
  writeFileSync(join(root, '.gitignore'), '.agentry/agentry.db*\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' });
  git('init', '-q');
  git('-c', 'user.name=b', '-c', 'user.email=b@b.invalid', 'add', '-A');
  git('-c', 'user.name=b', '-c', 'user.email=b@b.invalid', 'commit', '-qm', 'bench');
  const { project } = await loadProject(root);
  const store = await openStore(project.config.store, root);
  const { key } = await createApiKey(store, { name: 'bench', scopes: ['admin'] });
  const server = await startServer({
    project,
    store,
    sandbox: createSandboxDriver(project.config.sandbox).driver,
    port: 0,
    limits,
  });
  console.log(`READY ${server.url} ${key}`);
  // Stats on request, one line each; stdin closing ends the child.
  for await (const _line of createInterface({ input: process.stdin })) {
    console.log(`STATS ${JSON.stringify(server.connections())}`);
  }
  await server.close();
  await store.close();
  rmSync(base, { recursive: true, force: true });
}

interface Row {
  config: string;
  reopened: number;
  flood: number;
  heldMax: number;
  evicted: number | string;
  healthOk: number;
  healthTotal: number;
  p50: number;
  p95: number;
  max: number;
  authOk: number;
  authTotal: number;
}

async function parent(): Promise<void> {
  const configs: Array<{ name: string; limits: Record<string, number> }> = [
    {
      name: 'before: no cap, Node default timeouts',
      limits: { maxConnections: 1_000_000, headersTimeoutMs: 60_000, requestTimeoutMs: 300_000 },
    },
    { name: 'after: serve defaults (cap 1024, headers 10 s)', limits: {} },
  ];
  const rows: Row[] = [];
  for (const config of configs) {
    for (const flood of FLOODS) rows.push(await round(config.name, config.limits, flood, false));
  }
  rows.push(await round(`${configs[1]!.name}, churn`, configs[1]!.limits, FLOODS[0]!, true));
  console.log(
    `agentry serve under an idle-connection flood on 127.0.0.1 · node ${process.version} · ${cpus().length} CPUs · server fd limit ${FD_LIMIT} · held ${HOLD_MS / 1000} s`,
  );
  console.log('');
  console.log(
    `${'server'.padEnd(53)} ${'flood'.padStart(6)} ${'reopened'.padStart(8)} ${'held'.padStart(6)} ${'evicted'.padStart(8)}  ${'/healthz ok'.padStart(11)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'max ms'.padStart(7)}  ${'GET /runs ok'.padStart(12)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.config.padEnd(53)} ${String(row.flood).padStart(6)} ${String(row.reopened).padStart(8)} ${String(row.heldMax).padStart(6)} ${String(row.evicted).padStart(8)}  ${`${row.healthOk}/${row.healthTotal}`.padStart(11)} ${row.p50.toFixed(1).padStart(7)} ${row.p95.toFixed(1).padStart(7)} ${row.max.toFixed(1).padStart(7)}  ${`${row.authOk}/${row.authTotal}`.padStart(12)}`,
    );
  }
  console.log('');
  console.log('held: most sockets the server process had open at once (from /proc/PID/fd).');
}

async function round(
  config: string,
  limits: Record<string, number>,
  flood: number,
  churn: boolean,
): Promise<Row> {
  const server = spawn(
    'sh',
    [
      '-c',
      `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`,
      process.execPath,
      import.meta.filename,
      'child',
      JSON.stringify(limits),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout! })[Symbol.asyncIterator]();
  const ready = (await lines.next()).value as string;
  const [, url, key] = ready.split(' ');
  const port = Number(new URL(url!).port);
  const attacker = spawn(
    process.execPath,
    [import.meta.filename, 'flood', String(port), String(flood), churn ? 'churn' : 'hold'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const floodLines = createInterface({ input: attacker.stdout! })[Symbol.asyncIterator]();
  let reopened = 0;
  let heldMax = 0;
  const latencies: number[] = [];
  let healthTotal = 0;
  let authOk = 0;
  let authTotal = 0;
  try {
    await floodLines.next();
    const until = Date.now() + HOLD_MS;
    while (Date.now() < until) {
      heldMax = Math.max(heldMax, socketsOf(server.pid!));
      healthTotal++;
      const started = performance.now();
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await response.text();
        if (response.ok) latencies.push(performance.now() - started);
      } catch {
        // Refused or reset: counted as not ok.
      }
      authTotal++;
      try {
        const response = await fetch(`${url}/api/v1/runs?limit=1`, {
          headers: { Authorization: `Bearer ${key}` },
          signal: AbortSignal.timeout(2000),
        });
        await response.text();
        if (response.ok) authOk++;
      } catch {
        // As above.
      }
      await sleep(100);
    }
    attacker.stdin!.end();
    reopened = Number(((await floodLines.next()).value as string).split(' ')[1]);
    server.stdin!.write('stats\n');
    const stats = JSON.parse(((await lines.next()).value as string).slice('STATS '.length)) as {
      evicted: number;
    };
    latencies.sort((left, right) => left - right);
    const at = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
    return {
      config,
      reopened,
      flood,
      heldMax,
      evicted: stats.evicted,
      healthOk: latencies.length,
      healthTotal,
      p50: at(0.5),
      p95: at(0.95),
      max: latencies.at(-1) ?? NaN,
      authOk,
      authTotal,
    };
  } finally {
    if (attacker.exitCode === null) attacker.kill();
    server.stdin!.end();
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

/** Sockets the process holds now. */
function socketsOf(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count++;
    } catch {
      // Closed while we looked.
    }
  }
  return count;
}
