import { readFileSync } from 'node:fs';
import { startApiServer } from '../api/apiserver.js';
import type { KubeletClientConfig } from '../api/kubelet-proxy.js';
import { createLogger } from './logger.js';
import type { LogFormat } from './logger.js';
import { servingFromFlags } from './serving.js';
import type { ServingFlags } from './serving.js';
import { announceServing, isPrimaryOf, runPrimary, stopOnSignals, workerId, workerServerOptions } from './workers.js';

export interface ApiServerFlags extends ServingFlags {
  databaseUrl: string;
  port: number;
  compactionWindow: number;
  compactionInterval: number;
  watchCacheSize: number;
  logLevel: string;
  /** text or json; undefined: text on a terminal, json otherwise. */
  logFormat?: LogFormat;
  /** Processes serving the port (node:cluster); 1 serves from this process. */
  workers: number;
  shutdownDelayDuration: number;
  serviceNodePortRange: string;
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  kubeletClientCertificate?: string;
  kubeletClientKey?: string;
  kubeletClientTokenFile?: string;
  advertiseAddress?: string;
}

/** --kubelet-client-certificate/-key (kube-apiserver's) and --kubelet-client-token-file: how we authenticate to node agents. */
function kubeletClientFromFlags(flags: ApiServerFlags): KubeletClientConfig {
  if ((flags.kubeletClientCertificate === undefined) !== (flags.kubeletClientKey === undefined)) {
    throw new Error('--kubelet-client-certificate and --kubelet-client-key go together');
  }
  return {
    cert: flags.kubeletClientCertificate !== undefined ? readFileSync(flags.kubeletClientCertificate, 'utf8') : undefined,
    key: flags.kubeletClientKey !== undefined ? readFileSync(flags.kubeletClientKey, 'utf8') : undefined,
    token: flags.kubeletClientTokenFile !== undefined ? readFileSync(flags.kubeletClientTokenFile, 'utf8').trim() : undefined,
  };
}

/** `pgkube apiserver`: serves until SIGTERM or SIGINT, then shuts down cleanly. */
export async function runApiServer(flags: ApiServerFlags): Promise<void> {
  const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, worker: workerId() });
  const { tls, authentication, serviceAccounts } = servingFromFlags(flags, logger);
  const kubeletClient = kubeletClientFromFlags(flags);
  if (isPrimaryOf(flags.workers)) return runPrimary(flags.workers, logger);
  const server = await startApiServer({
    databaseUrl: flags.databaseUrl,
    port: flags.port,
    bindAddress: flags.bindAddress,
    compactionWindowSeconds: flags.compactionWindow,
    compactionIntervalSeconds: flags.compactionInterval,
    watchCacheSize: flags.watchCacheSize,
    tls,
    authentication,
    serviceAccounts,
    serviceClusterIPRange: flags.serviceClusterIpRange,
    advertiseAddress: flags.advertiseAddress,
    serviceNodePortRange: flags.serviceNodePortRange,
    defaultNotReadyTolerationSeconds: flags.defaultNotReadyTolerationSeconds,
    defaultUnreachableTolerationSeconds: flags.defaultUnreachableTolerationSeconds,
    shutdownDelaySeconds: flags.shutdownDelayDuration,
    worker: workerServerOptions(),
    kubeletClient,
    logger,
  });
  // Tests and scripts read the serving address from the line this prints on stdout.
  announceServing(server.url, server.metrics.registries);
  stopOnSignals(() => server.stop(), logger);
}
