#!/usr/bin/env node
// Agentry needs Node.js >= 22.12 (node:sqlite, fetch, AbortSignal.any). When the `node` on PATH
// is older, run the CLI on the Node.js 24 this package pins as a dependency of its development
// install, so `npm link` and plain shells work on a machine whose system Node is older.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
const modern = major > 22 || (major === 22 && minor >= 12);
const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

if (modern) {
  await import(main);
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(`agentry: needs Node.js >= 22.12, this is ${process.version}: install Node.js 24\n`);
    process.exit(1);
  }
  const child = spawn(pinned, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  // The terminal sends Ctrl-C to both processes; the child decides what it means.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
}
