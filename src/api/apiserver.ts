import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { StatusError } from '../machinery/status.js';
import { Catalog } from '../registry/catalog.js';
import { GenericStore } from '../registry/generic-store.js';
import { startCompactor } from '../storage/compactor.js';
import { openDatabase } from '../storage/database.js';
import type { Database } from '../storage/database.js';
import { migrate, pendingMigrations } from '../storage/migrate.js';
import { ObjectStore } from '../storage/object-store.js';
import { WriteBatcher } from '../storage/write-batcher.js';
import { ChangeFeed } from '../watch/change-feed.js';
import { WatchHub } from '../watch/watch-hub.js';
import type { HealthCheck } from './non-resource.js';
import { buildHttpApp, INSECURE_ADMIN } from './http-app.js';
import type { Authenticator } from './http-app.js';

export interface ApiServerOptions {
  databaseUrl: string;
  port: number;
  bindAddress: string;
  /** History older than this is compacted away (kube-apiserver keeps about 5 minutes). */
  compactionWindowSeconds?: number;
  compactionIntervalSeconds?: number;
  /** Events kept in memory per resource for watches (older ones are read from the history table). */
  watchCacheSize?: number;
  /** Who requests act as; by default every request is an administrator (`--insecure`). */
  authenticate?: Authenticator;
  logger: Logger;
}

export interface RunningApiServer {
  url: string;
  port: number;
  database: Database;
  hub: WatchHub;
  feed: ChangeFeed;
  batcher: WriteBatcher;
  stop(): Promise<void>;
}

/** The namespaces kube-apiserver creates at start-up. */
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Waits for PostgreSQL to accept connections (it may start after us, e.g. under compose). */
async function waitForDatabase(database: Database, logger: Logger, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await database.pool.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      logger.warn({ err: (err as Error).message }, 'waiting for PostgreSQL');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const { logger } = opts;
  const database = openDatabase({ url: opts.databaseUrl });
  await waitForDatabase(database, logger);
  const applied = await migrate(database.pool);
  if (applied.length > 0) logger.info({ applied }, 'applied migrations');

  const batcher = new WriteBatcher(database.pool);
  const store = new ObjectStore(database.db, batcher);
  const hub = new WatchHub(database.db, { ringCapacity: opts.watchCacheSize });
  const feed = new ChangeFeed({
    db: database.db,
    url: opts.databaseUrl,
    onEvents: (events) => hub.append(events),
    onGap: (_from, to) => hub.gap(to),
    onError: (err) => logger.warn({ err: (err as Error).message }, 'change feed'),
  });
  const startRv = await store.currentRevision();
  hub.reset(startRv);
  await feed.start(startRv);
  // Our own commits need no NOTIFY round trip to reach our watchers.
  batcher.onCommit = () => void feed.poll();

  const catalog = new Catalog();
  const stores = new Map<string, GenericStore>();
  for (const def of catalog.resources) stores.set(`${def.group}/${def.version}/${def.plural}`, new GenericStore(def, { store, hub, feed }));
  const namespaces = stores.get('/v1/namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch((err: unknown) => {
      if (!(err instanceof StatusError && err.status.reason === 'AlreadyExists')) throw err;
    });
  }
  const stopCompactor = startCompactor(database.pool, {
    windowSeconds: opts.compactionWindowSeconds ?? 300,
    intervalSeconds: opts.compactionIntervalSeconds ?? 60,
    onError: (err) => logger.warn({ err: (err as Error).message }, 'compaction'),
  });

  let shuttingDown = false;
  const checks: HealthCheck[] = [
    { name: 'ping', check: () => {} },
    { name: 'postgres', check: async () => void (await database.pool.query('SELECT 1')) },
    { name: 'migrations', check: async () => { if ((await pendingMigrations(database.pool)).length > 0) throw new Error('pending'); } },
    { name: 'change-feed', check: () => { if (Date.now() - feed.lastPollAt > 10_000) throw new Error('stale'); } },
  ];
  const readiness: HealthCheck[] = [...checks, { name: 'shutdown', check: () => { if (shuttingDown) throw new Error('shutting down'); } }];

  const app = buildHttpApp({
    catalog,
    stores,
    liveness: checks,
    readiness,
    authenticate: opts.authenticate ?? INSECURE_ADMIN,
    observers: [
      (req, res, ctx) =>
        res.on('finish', () => {
          logger.debug({ verb: req.method, uri: req.url, code: res.statusCode, ms: Math.round(performance.now() - ctx.started) }, 'request');
        }),
    ],
  });

  const server = http.createServer({ keepAliveTimeout: 65_000 }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, revision: startRv.toString() }, 'apiserver serving');

  return {
    url,
    port: address.port,
    database,
    hub,
    feed,
    batcher,
    async stop() {
      shuttingDown = true;
      stopCompactor();
      server.close();
      hub.closeAll();
      server.closeAllConnections();
      await feed.stop();
      await database.close();
    },
  };
}
