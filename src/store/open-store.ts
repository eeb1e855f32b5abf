import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeError } from '../errors.js';
import type { DeliveryStore } from './delivery-store.js';
import { StoreError, StoreUnsupportedError } from './errors.js';
import type { KeyStore } from './key-store.js';
import type { RunStore } from './run-store.js';
import { SqliteRunStore } from './sqlite.js';

const SQLITE_PREFIX = 'sqlite:';

/**
 * Open and migrate the store named by the `store` key of `.agentry/config.yml`:
 * `sqlite:PATH` (relative to `projectRoot`; its directory is created) or `sqlite::memory:`.
 * Postgres URLs throw `StoreUnsupportedError` until the scale-out adapter lands.
 */
export async function openStore(
  url: string,
  projectRoot: string,
): Promise<RunStore & KeyStore & DeliveryStore> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new StoreUnsupportedError(
      `store ${redactUrl(url)} is Postgres, which arrives with the scale-out work: use sqlite:.agentry/agentry.db for now`,
    );
  }
  if (!url.startsWith(SQLITE_PREFIX) || url.length === SQLITE_PREFIX.length) {
    throw new StoreUnsupportedError(
      `store ${redactUrl(url)} is not a store URL this agentry knows: set store: sqlite:.agentry/agentry.db in .agentry/config.yml`,
    );
  }
  const store = new SqliteRunStore(sqlitePath(url.slice(SQLITE_PREFIX.length), projectRoot));
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function sqlitePath(path: string, projectRoot: string): string {
  if (path === ':memory:') return path;
  const absolute = resolve(projectRoot, path);
  try {
    mkdirSync(dirname(absolute), { recursive: true });
  } catch (error) {
    throw new StoreError(
      `cannot create the directory of store ${absolute} (${describeError(error)}): point store in .agentry/config.yml at a writable path`,
      { cause: error },
    );
  }
  return absolute;
}

/** Store URLs may carry a password (`postgres://user:secret@host`): never echo it. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}
