import type { DatabaseSync } from 'node:sqlite';
import { StoreSchemaTooNewError } from './errors.js';
import { type Migration, SQLITE_MIGRATIONS } from './migrations/sqlite.js';

/**
 * Bring the database at `location` up to the newest of `migrations`. Each missing migration runs
 * in its own `BEGIN IMMEDIATE` transaction that re-checks whether it is still missing, so two
 * processes starting at once apply each one exactly once. Throws `StoreSchemaTooNewError` when
 * the database was migrated by a newer Agentry.
 */
export function applySqliteMigrations(
  db: DatabaseSync,
  location: string,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const known = migrations.at(-1)?.version ?? 0;
  const applied = appliedVersions(db);
  const newest = Math.max(0, ...applied);
  if (newest > known) throw new StoreSchemaTooNewError(location, newest, known);
  for (const migration of migrations) {
    if (!applied.has(migration.version)) applyMigration(db, migration);
  }
}

function appliedVersions(db: DatabaseSync): Set<number> {
  const rows = db.prepare('SELECT version FROM schema_migrations').all();
  return new Set(rows.map((row) => Number(row['version'])));
}

/**
 * Apply one migration unless it is already recorded, deciding under the write lock: another
 * process may have applied it since the caller looked. Returns whether it ran here.
 */
export function applyMigration(db: DatabaseSync, migration: Migration): boolean {
  db.exec('BEGIN IMMEDIATE');
  try {
    const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
    if (done === undefined) {
      db.exec(migration.sql);
      migration.run?.(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    }
    db.exec('COMMIT');
    return done === undefined;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
