import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startApiServer } from '../api/apiserver.js';
import { isRoot, startEmbeddedPostgres } from './embedded-postgres.js';
import type { RunningPostgres } from './embedded-postgres.js';

export interface UpFlags {
  dataDir?: string;
  port: number;
  databaseUrl?: string;
  logLevel: string;
}

const step = (text: string) => process.stdout.write(` ✓ ${text}\n`);

/**
 * `pgkube up`: a cluster on this machine. Today that is PostgreSQL (embedded unless --database-url) and
 * the apiserver on plain HTTP at 127.0.0.1; TLS, credentials and the other components come with their
 * issues.
 */
export async function runUp(flags: UpFlags): Promise<void> {
  // As k3s does: system-wide data for root, the home directory for everyone else.
  const dataDir = flags.dataDir ?? (isRoot() ? '/var/lib/pgkube' : path.join(os.homedir(), '.pgkube'));
  const logger = pino({ level: flags.logLevel, base: undefined }, pino.destination(2));
  process.stdout.write(`Starting pgkube (data in ${dataDir})\n`);
  let postgres: RunningPostgres | undefined;
  let databaseUrl = flags.databaseUrl;
  if (!databaseUrl) {
    postgres = await startEmbeddedPostgres(dataDir);
    databaseUrl = postgres.url;
    step('PostgreSQL started (embedded)');
  }
  const server = await startApiServer({ databaseUrl, port: flags.port, bindAddress: '127.0.0.1', logger }).catch(async (err: unknown) => {
    await postgres?.stop();
    throw err;
  });
  step(`API server serving on ${server.url}`);
  process.stdout.write(`\nYou can now use your cluster with:\n\n    kubectl --server ${server.url} get namespaces\n\nPress Ctrl-C to stop; the data stays for the next "pgkube up".\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('Stopping pgkube\n');
    void (async () => {
      await server.stop().catch(() => {});
      await postgres?.stop().catch(() => {});
      process.exit(0);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
