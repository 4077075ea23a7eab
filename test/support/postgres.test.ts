/** Self-test of the PostgreSQL test helper, on whichever backend the environment selects. */
import pg from 'pg';
import {
  backendName,
  createTestDatabase,
  dedicatedServerSupported,
  startDedicatedServer,
  type DedicatedServer,
  type TestDatabase,
} from './postgres.js';

async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe(`test databases (backend ${backendName()})`, () => {
  let a: TestDatabase;
  let b: TestDatabase;

  beforeAll(async () => {
    [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });

  afterAll(async () => {
    await Promise.all([a?.drop(), b?.drop()]);
  });

  test('each is a different, empty, UTF8 database with byte-order collation', async () => {
    expect(a.url).not.toEqual(b.url);
    expect(a.name).not.toEqual(b.name);
    const [ia] = await query<{ db: string; enc: string; coll: string; tables: string; version: string }>(
      a.url,
      `SELECT current_database() AS db, pg_encoding_to_char(encoding) AS enc, datcollate AS coll,
              (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables,
              current_setting('server_version_num') AS version
         FROM pg_database WHERE datname = current_database()`,
    );
    expect(ia).toMatchObject({ db: a.name, enc: 'UTF8', coll: 'C', tables: '0' });
    expect(Number(ia?.version)).toBeGreaterThanOrEqual(150000);
    const [ib] = await query<{ db: string }>(b.url, 'SELECT current_database() AS db');
    expect(ib?.db).toBe(b.name);
  });

  test('they are isolated: a table in one is not in the other', async () => {
    await query(a.url, 'CREATE TABLE objects (key text PRIMARY KEY, value jsonb NOT NULL)');
    await query(a.url, `INSERT INTO objects VALUES ($1, $2)`, ['/pods/default/a', { name: 'ä' }]);
    const rows = await query<{ key: string; value: { name: string } }>(a.url, 'SELECT key, value FROM objects');
    expect(rows).toEqual([{ key: '/pods/default/a', value: { name: 'ä' } }]);
    await expect(query(b.url, 'SELECT * FROM objects')).rejects.toThrow(/relation "objects" does not exist/);
    await query(b.url, 'CREATE TABLE objects (key text PRIMARY KEY)'); // same name, no conflict
  });

  test('drop() removes the database, even with a client still connected, and is idempotent', async () => {
    const c = await createTestDatabase();
    const client = new pg.Client({ connectionString: c.url });
    client.on('error', () => undefined); // the drop terminates this session
    await client.connect();
    await c.drop();
    await c.drop();
    await client.end().catch(() => undefined);
    await expect(query(c.url, 'SELECT 1')).rejects.toThrow(/does not exist/);
  });
});

const dedicated = dedicatedServerSupported() ? describe : describe.skip;

dedicated(`dedicated server (backend ${backendName()})`, () => {
  let server: DedicatedServer;

  beforeAll(async () => {
    server = await startDedicatedServer();
  }, 180_000);

  afterAll(async () => {
    await server?.destroy();
  });

  test('data survives stop/start and restart on the same url, fast and immediate', async () => {
    await query(server.url, 'CREATE TABLE t (n int)');
    await query(server.url, 'INSERT INTO t VALUES (1)');

    await server.stop();
    await expect(query(server.url, 'SELECT 1')).rejects.toThrow();
    await server.start();
    expect(await query(server.url, 'SELECT n FROM t')).toEqual([{ n: 1 }]);

    await query(server.url, 'INSERT INTO t VALUES (2)'); // committed, then the server "crashes"
    await server.restart({ mode: 'immediate' });
    expect(await query(server.url, 'SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
  }, 180_000);

  test('a pool sees the restart as errors and then recovers', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    pool.on('error', () => undefined); // idle clients are terminated by the restart
    try {
      expect((await pool.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 2 }]);
      await server.restart();
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        ok = await pool.query('SELECT 1').then(
          () => true,
          () => false,
        );
      }
      expect(ok).toBe(true);
    } finally {
      await pool.end();
    }
  }, 180_000);
});
