import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Generated } from 'kysely';

/** Table shapes as kysely sees them (migrations/*.sql is the source of truth). */
export interface Tables {
  revision: { singleton: Generated<boolean>; rv: string };
  compaction: { singleton: Generated<boolean>; compacted_rv: string };
  objects: { resource: string; namespace: string; name: string; rv: string; labels: unknown; fields: unknown; value: string };
  history: {
    rv: string;
    resource: string;
    namespace: string;
    name: string;
    type: 'ADDED' | 'MODIFIED' | 'DELETED';
    value: string;
    prev_value: string | null;
    prev_labels: unknown;
    prev_fields: unknown;
    created_at: Generated<Date>;
  };
  schema_migrations: { version: string; applied_at: Generated<Date> };
}

export type Db = Kysely<Tables>;

export interface Database {
  db: Db;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

// bigint columns come back as strings (node-postgres default); we keep them as strings at the SQL edge
// and convert with BigInt() where revisions are compared.

export interface DatabaseOptions {
  url: string;
  maxConnections?: number;
  /** Bound how long a write may wait for the revision lock: a stuck writer must not stall the cluster. */
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
}

export function openDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 16,
    application_name: 'pgkube',
    options: [
      `-c lock_timeout=${options.lockTimeoutMs ?? 10_000}`,
      `-c statement_timeout=${options.statementTimeoutMs ?? 60_000}`,
      `-c idle_in_transaction_session_timeout=30000`,
    ].join(' '),
  });
  // A pool client that errors while idle (for example the server restarted) must not crash the process.
  pool.on('error', () => {});
  // Nor one that is checked out but between queries (pg-pool removes its listener then): the error is
  // otherwise unhandled and kills the process. The next query on it fails and the pool discards it.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    url: options.url,
    async close() {
      await db.destroy();
    },
  };
}
