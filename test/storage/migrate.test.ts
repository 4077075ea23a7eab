import pg from 'pg';
import { migrate, pendingMigrations } from '../../src/storage/migrate.js';
import { createTestDatabase } from '../support/postgres.js';

test('apiservers starting at once apply each migration exactly once', async () => {
  const db = await createTestDatabase();
  const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: db.url, max: 2 }));
  // An idle client dropped by the server must fail the assertions below, not crash the worker.
  for (const p of pools) p.on('error', () => {});
  const applied = await Promise.all(pools.map((p) => migrate(p)));
  expect(applied.flat().filter((v) => v === '0001_init')).toHaveLength(1);
  expect(applied.flat().filter((v) => v === '0002_lock_and_read_custom_plan')).toHaveLength(1);
  const rows = await pools[0].query('SELECT version FROM schema_migrations');
  expect(rows.rows.map((r) => r.version)).toContain('0001_init');
  expect(await pendingMigrations(pools[0])).toEqual([]);
  expect((await pools[0].query('SELECT rv FROM revision')).rows).toEqual([{ rv: '1' }]);
  await Promise.all(pools.map((p) => p.end()));
  await db.drop();
});
