import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assertReachable, EmbeddedPostgres, loadBinaries, stopLeftoverPostmaster } from '../embedded-postgres/server.js';

export { isRoot } from '../embedded-postgres/server.js';

export interface RunningPostgres {
  url: string;
  /** Whether this start made the database cluster (first start on this data directory). */
  created: boolean;
  /** Fast shutdown (SIGINT): clients disconnected, a clean checkpoint; resolves when it has exited. */
  stop(): Promise<void>;
}

const USER = 'pgkube';

/**
 * The PostgreSQL that `pgkube up` brings along (src/embedded-postgres/server.ts runs it). Its cluster
 * lives in `<dataDir>/postgres` and survives restarts; its log is `<dataDir>/postgres.log`; it listens
 * on 127.0.0.1 only (a new free port each start, no Unix socket), with a password made at first start
 * and kept in `<dataDir>/postgres.password` (0600). As root, a copy of the binaries the postgres user
 * can run goes to `<dataDir>/bin`. It runs in its own process group, so a Ctrl-C reaches only us and we
 * stop it after the API server; if we die, it gets SIGQUIT (setpriv --pdeathsig), and an orphan (left by
 * a killed `pgkube up`: the caller holds the data directory's lock) is stopped on the next start.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<RunningPostgres> {
  const pgdata = path.join(dataDir, 'postgres');
  const passwordFile = path.join(dataDir, 'postgres.password');
  const hint = 'or choose another --data-dir, or use --database-url';
  const binaries = await loadBinaries({ copyDir: path.join(dataDir, 'bin'), hint });
  assertReachable(binaries, dataDir, hint);
  await stopLeftoverPostmaster(pgdata);

  // A data directory made by the first `pgkube up` (through the embedded-postgres package) has no
  // password file: that one used the fixed password "pgkube".
  const existing = fs.existsSync(path.join(pgdata, 'PG_VERSION'));
  const password = !existing
    ? randomBytes(18).toString('base64url')
    : fs.existsSync(passwordFile)
      ? fs.readFileSync(passwordFile, 'utf8').trim()
      : 'pgkube';
  const server = new EmbeddedPostgres({ binaries, dataDir: pgdata, logFile: path.join(dataDir, 'postgres.log'), user: USER, password, detached: true });
  if (!existing) {
    // Nothing usable there (or an initdb that died half-way): make the cluster.
    await server.initdb();
    fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  await server.start();
  return { url: server.url(), created: !existing, stop: () => server.stop('fast') };
}
