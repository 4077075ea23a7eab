import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
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
import { serveHealth, sendVersion } from './non-resource.js';
import type { HealthCheck } from './non-resource.js';
import { Discovery } from './discovery.js';
import { ResourceHandler } from './resource-handler.js';
import { sendError } from './respond.js';

export interface ApiServerOptions {
  databaseUrl: string;
  port: number;
  bindAddress: string;
  /** History older than this is compacted away (kube-apiserver keeps about 5 minutes). */
  compactionWindowSeconds?: number;
  compactionIntervalSeconds?: number;
  /** Events kept in memory per resource for watches (older ones are read from the history table). */
  watchCacheSize?: number;
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

  const resources = new ResourceHandler(catalog, stores);
  const discovery = new Discovery(catalog);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res, next) => {
    const url = new URL(req.originalUrl, 'http://localhost');
    const started = performance.now();
    res.on('finish', () => {
      logger.debug({ verb: req.method, uri: req.originalUrl, code: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
    });
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const health = /^\/(livez|readyz|healthz)(?:\/(.+))?$/.exec(path);
    if (health) {
      const list = health[1] === 'readyz' ? readiness : checks;
      void serveHealth(res, health[1], list, health[2], url.searchParams.has('verbose'));
      return;
    }
    if (path === '/version') return sendVersion(res);
    if (discovery.serve(path, res)) return;
    resources
      .handle(req, res, url)
      .then((handled) => {
        if (!handled) next();
      })
      .catch((err: unknown) => sendError(res, err));
  });
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found\n');
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
