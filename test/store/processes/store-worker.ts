// A separate process working on a shared SQLite file. Usage:
//   node --import ./ts-hooks.mjs store-worker.ts DB_PATH migrate
//   node --import ./ts-hooks.mjs store-worker.ts DB_PATH append RUN_ID COUNT WRITER
// It prints `ready`, waits for a line on stdin so that all workers start together, does its work
// and exits 0, or prints the error and exits 1.
import { createInterface } from 'node:readline';
import { SqliteRunStore } from '../../../src/store/sqlite.js';

const [path, action, runId, count, writer] = process.argv.slice(2);

async function main(): Promise<void> {
  const store = new SqliteRunStore(path!);
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  process.stdout.write('ready\n');
  await go;
  lines.close();
  try {
    if (action === 'migrate') {
      await store.migrate();
    } else {
      for (let index = 0; index < Number(count); index++) {
        await store.appendEvent(runId!, 'tool-call.started', { writer, index });
      }
    }
  } finally {
    await store.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
