import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { StatusError } from '../machinery/status.js';
import { DEFAULT_ADMISSION } from '../registry/admission.js';
import { Catalog } from '../registry/catalog.js';
import { GenericStore } from '../registry/generic-store.js';
import { ConvertedStore } from '../registry/converted-store.js';
import { CONVERSIONS } from '../registry/conversion.js';
import { parsePortRange } from '../registry/allocation.js';
import { startCompactor } from '../storage/compactor.js';
import { openDatabase } from '../storage/database.js';
import type { Database } from '../storage/database.js';
import { migrate, pendingMigrations } from '../storage/migrate.js';
import { ObjectStore } from '../storage/object-store.js';
import { WriteBatcher } from '../storage/write-batcher.js';
import { ChangeFeed } from '../watch/change-feed.js';
import { WatchHub } from '../watch/watch-hub.js';
import type { HealthCheck } from './non-resource.js';
import { InFlightRequests, shutdownGracefully } from './graceful-shutdown.js';
import { ApiServerMetrics } from './metrics.js';
import { requestClassifier } from './request-labels.js';
import { requestLogObserver } from './request-log.js';
import { bearerToken, createAuthenticator, withAuthenticatedGroup } from './authn/authenticator.js';
import type { AuthenticatorOptions } from './authn/authenticator.js';
import { serviceAccountAuthenticator } from './authn/service-account.js';
import type { TokenAuthenticator } from './authn/service-account.js';
import { serviceAccountTokens } from './authn/service-account-config.js';
import type { ServiceAccountOptions } from './authn/service-account-config.js';
import { buildHttpApp, INSECURE_ADMIN } from './http-app.js';
import { markUpgrade } from './kubelet-proxy.js';
import type { KubeletClientConfig } from './kubelet-proxy.js';
import { defaultAdvertiseAddress, startKubernetesService } from './kubernetes-service.js';
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
  /**
   * Serve HTTPS with this certificate and key (PEM). With `clientCA`, client certificates it signed
   * authenticate their requests (requested, not required, so that a request without one still gets
   * a proper 401 Status).
   */
  tls?: { cert: string; key: string; clientCA?: string };
  /**
   * Who requests act as. By default, with `tls`: client certificates (when `clientCA` is set), else
   * anonymous (src/api/authn); without `tls`: every request is an administrator (`--insecure`).
   */
  authenticate?: Authenticator;
  /**
   * How requests authenticate with `tls` (client certificates, token file), when `authenticate` is not
   * given; service account tokens are always accepted in addition.
   */
  authentication?: Omit<AuthenticatorOptions, 'serviceAccounts'>;
  /** Service account token keys and issuers (kube-apiserver's --service-account-* flags). */
  serviceAccounts?: ServiceAccountOptions;
  /** --service-cluster-ip-range, validated by the command line: where Services get their cluster IPs (default 10.96.0.0/12). */
  serviceClusterIPRange?: string;
  /**
   * --advertise-address: where pods and other hosts reach this apiserver, written into the
   * default/kubernetes Endpoints (default: the bind address if specific, else the host's first address).
   */
  advertiseAddress?: string;
  /** --service-node-port-range ("30000-32767", "30000+2767"): where Services get their node ports. */
  serviceNodePortRange?: string;
  /** --default-not-ready-toleration-seconds (300). */
  defaultNotReadyTolerationSeconds?: number;
  /** --default-unreachable-toleration-seconds (300). */
  defaultUnreachableTolerationSeconds?: number;
  /**
   * `--shutdown-delay-duration`: on stop(), /readyz fails this long before the listener closes, so load
   * balancers stop sending new requests first. 0 by default (the command line's default is 3 s).
   */
  shutdownDelaySeconds?: number;
  /** How long stop() lets requests in flight (watches aside) finish before cutting them; 60 s by default. */
  shutdownDrainTimeoutSeconds?: number;
  /**
   * Under `--workers`: this process's worker number (responses carry it in `X-Pgkube-Worker`) and the
   * text of /metrics for the whole port, aggregated by the primary.
   */
  worker?: { id: number; aggregateMetrics?: () => Promise<string> };
  /** How the server authenticates to node agents' kubelet API (--kubelet-client-certificate/-key, a token). */
  kubeletClient?: KubeletClientConfig;
  logger: Logger;
}

export interface RunningApiServer {
  url: string;
  port: number;
  database: Database;
  hub: WatchHub;
  feed: ChangeFeed;
  batcher: WriteBatcher;
  metrics: ApiServerMetrics;
  /**
   * Graceful shutdown: /readyz fails, then after the shutdown delay the listener closes, requests in
   * flight finish, watch streams end cleanly, and PostgreSQL connections close. Safe to call twice.
   */
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

/**
 * --insecure: every request is an administrator, except one carrying a valid service account token, which
 * acts as that service account (so in-cluster clients see who they are in tests too).
 */
function insecure(serviceAccounts: TokenAuthenticator): Authenticator {
  return async (req) => {
    const token = bearerToken(req);
    const result = token === undefined ? undefined : await serviceAccounts(token);
    if (result && 'user' in result) return withAuthenticatedGroup(result.user);
    return INSECURE_ADMIN(req);
  };
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
  const classify = requestClassifier(catalog);
  const metrics = new ApiServerMetrics(classify, { pool: database.pool, feed, hub }, { worker: opts.worker?.id, aggregate: opts.worker?.aggregateMetrics });
  batcher.onBatch = (requests, changes, seconds) => metrics.observeCommit(requests, changes, seconds);
  batcher.onBatchError = () => metrics.observeCommitError();
  const inFlight = new InFlightRequests(classify);
  const stores = new Map<string, GenericStore>();
  const deps = {
    store,
    hub,
    feed,
    serviceClusterIPRange: opts.serviceClusterIPRange,
    serviceNodePortRange: opts.serviceNodePortRange === undefined ? undefined : parsePortRange(opts.serviceNodePortRange),
    admission: {
      defaultNotReadyTolerationSeconds: opts.defaultNotReadyTolerationSeconds ?? DEFAULT_ADMISSION.defaultNotReadyTolerationSeconds,
      defaultUnreachableTolerationSeconds: opts.defaultUnreachableTolerationSeconds ?? DEFAULT_ADMISSION.defaultUnreachableTolerationSeconds,
    },
  };
  const key = (def: { group: string; version: string; plural: string }) => `${def.group}/${def.version}/${def.plural}`;
  for (const def of catalog.resources) if (!CONVERSIONS[key(def)]) stores.set(key(def), new GenericStore(def, deps));
  // Versions stored as another: served through the storage version's store with conversion.
  for (const def of catalog.resources) {
    const conversion = CONVERSIONS[key(def)];
    if (conversion) stores.set(key(def), new ConvertedStore(def, deps, stores.get(conversion.storage)!, conversion));
  }
  const saTokens = serviceAccountTokens(opts.serviceAccounts);
  if (saTokens.ephemeral) logger.warn('no --service-account-signing-key-file: service account tokens are signed with a key made for this process only');
  const saAuthenticator = serviceAccountAuthenticator(saTokens.tokens, stores);
  const namespaces = stores.get('/v1/namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    // Recorded as kube-apiserver's own loopback client records them.
    await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { fieldManager: 'kube-apiserver' }).catch((err: unknown) => {
      if (!(err instanceof StatusError && err.status.reason === 'AlreadyExists')) throw err;
    });
  }
  const stopCompactor = startCompactor(database.pool, {
    windowSeconds: opts.compactionWindowSeconds ?? 300,
    intervalSeconds: opts.compactionIntervalSeconds ?? 60,
    onError: (err) => logger.warn({ err: (err as Error).message }, 'compaction'),
  });

  let shuttingDown = false;
  let stopping: Promise<void> | undefined;
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
    authenticate:
      opts.authenticate ??
      (opts.tls
        ? createAuthenticator({ ...(opts.authentication ?? { clientCertificates: opts.tls.clientCA !== undefined }), serviceAccounts: saAuthenticator })
        : insecure(saAuthenticator)),
    serviceAccountTokens: saTokens.tokens,
    kubeletClient: opts.kubeletClient,
    observers: [
      inFlight.observer,
      metrics.observer,
      requestLogObserver(logger, classify),
      ...(opts.worker ? [(_req: unknown, res: http.ServerResponse) => res.setHeader('X-Pgkube-Worker', String(opts.worker!.id))] : []),
    ],
    metrics: (res) => metrics.serve(res),
  });

  const server = opts.tls
    ? https.createServer(
        {
          cert: opts.tls.cert,
          key: opts.tls.key,
          ...(opts.tls.clientCA !== undefined ? { ca: opts.tls.clientCA, requestCert: true, rejectUnauthorized: false } : {}),
          keepAliveTimeout: 65_000,
        },
        app,
      )
    : http.createServer({ keepAliveTimeout: 65_000 }, app);
  // exec, attach and port-forward arrive as upgrades (WebSocket or SPDY): they go through the same
  // pipeline with a response bound to the raw socket, which the kubelet proxy takes over.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    markUpgrade(req, head);
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    res.on('finish', () => socket.end());
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => resolve());
  }).catch(async (err: unknown) => {
    // Nothing serves (e.g. the port is taken): release what start-up took before failing.
    stopCompactor();
    await feed.stop().catch(() => {});
    await database.close().catch(() => {});
    throw err;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${opts.tls ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info({ url, revision: startRv.toString() }, 'apiserver serving');
  const stopKubernetesService = await startKubernetesService(
    stores,
    {
      serviceClusterIPRange: opts.serviceClusterIPRange ?? '10.96.0.0/12',
      advertiseAddress: opts.advertiseAddress ?? defaultAdvertiseAddress(opts.bindAddress),
      port: address.port,
    },
    logger,
  );

  return {
    url,
    port: address.port,
    database,
    hub,
    feed,
    batcher,
    metrics,
    stop() {
      stopping ??= (async () => {
        stopCompactor();
        stopKubernetesService();
        await shutdownGracefully({
          server,
          inFlight,
          notReady: () => (shuttingDown = true),
          delayMs: (opts.shutdownDelaySeconds ?? 0) * 1000,
          drainTimeoutMs: (opts.shutdownDrainTimeoutSeconds ?? 60) * 1000,
          // Everything committed so far reaches the watchers before their streams end.
          beforeClosingWatches: async () => void (await feed.waitFor(await store.currentRevision(), 2000)),
          // Streams passed through to node agents (exec, attach, port-forward) end with the watches.
          closeWatches: () => {
            hub.closeAll();
            for (const s of upgraded) s.destroy();
          },
          log: (msg, fields) => logger.info(fields ?? {}, msg),
        });
        await feed.stop();
        await database.close();
      })();
      return stopping;
    },
  };
}
