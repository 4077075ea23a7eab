import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** migrations/ at the package root, found from both src/ (tests) and dist/src/ (built). */
export async function migrationsDir(): Promise<string> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'migrations');
    try {
      await readdir(candidate);
      return candidate;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error('migrations folder not found');
}

// Any constant works; it only has to be the same in every apiserver so that they queue on it.
const MIGRATION_LOCK_KEY = 0x70676b75; // "pgku"

/**
 * Applies the pending migrations in file-name order, each in its own transaction, while holding a
 * session advisory lock, so apiservers starting at the same time apply each migration exactly once.
 * Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const dir = await migrationsDir();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) continue;
      const text = await readFile(path.join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(text);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(version);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
  return applied;
}

/** The versions a database has applied, and whether any known migration is missing (for /readyz). */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const dir = await migrationsDir();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, ''));
  const rows = await pool.query<{ version: string }>('SELECT version FROM schema_migrations').catch(() => ({ rows: [] }));
  const done = new Set(rows.rows.map((r) => r.version));
  return files.filter((f) => !done.has(f));
}
