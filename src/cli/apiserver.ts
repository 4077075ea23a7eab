import { isIP } from 'node:net';
import { pino } from 'pino';
import { startApiServer } from '../api/apiserver.js';

export interface ApiServerFlags {
  databaseUrl: string;
  port: number;
  bindAddress: string;
  insecure?: boolean;
  compactionWindow: number;
  compactionInterval: number;
  watchCacheSize: number;
  logLevel: string;
}

function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

/** `pgkube apiserver`: serves until SIGTERM or SIGINT, then shuts down cleanly. */
export async function runApiServer(flags: ApiServerFlags): Promise<void> {
  const logger = pino({ level: flags.logLevel, base: undefined }, pino.destination(2));
  if (!flags.insecure) {
    throw new Error('TLS serving is not available yet; run with --insecure (plain HTTP on loopback) for now');
  }
  if (!isLoopback(flags.bindAddress)) {
    throw new Error(`--insecure serves only on a loopback address, not ${flags.bindAddress}`);
  }
  const server = await startApiServer({
    databaseUrl: flags.databaseUrl,
    port: flags.port,
    bindAddress: flags.bindAddress,
    compactionWindowSeconds: flags.compactionWindow,
    compactionIntervalSeconds: flags.compactionInterval,
    watchCacheSize: flags.watchCacheSize,
    logger,
  });
  // Tests and scripts read the serving address from this line on stdout.
  process.stdout.write(`pgkube apiserver listening on ${server.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
