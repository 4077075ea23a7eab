/**
 * The agent's cluster DNS: serves on the pod network's gateway (or --dns-bind-address), publishes that
 * address as kube-dns's endpoints and makes sure the kube-dns Service exists. Several agents on one
 * machine share the address: the first to bind serves, the others try again every few seconds, so one
 * takes over when it stops.
 */
import { silentLogger } from '../../client/index.js';
import type { Client, Logger } from '../../client/index.js';
import { ensureKubeDnsService, publishDnsEndpoints } from './kube-dns.js';
import { ClusterDns } from './server.js';

export { ClusterDns } from './server.js';
export { DEFAULT_DNS_SERVICE_IP } from './kube-dns.js';

export interface ClusterDnsOptions {
  client: Client;
  /** Where the server listens (default 10.244.0.1, the pgkube bridge's gateway on this host). */
  bindAddress: string;
  port: number;
  clusterDomain: string;
  /** The kube-dns Service's cluster IP (the first --cluster-dns). */
  serviceIP: string;
  log?: Logger;
  retryMs?: number;
}

export async function runClusterDns(opts: ClusterDnsOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log ?? silentLogger;
  const dns = new ClusterDns({ client: opts.client, address: opts.bindAddress, port: opts.port, clusterDomain: opts.clusterDomain, log });
  const informers = await dns.startInformers(signal);
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  let serving = false;
  let warned = false;
  while (!signal.aborted) {
    try {
      if (!serving) {
        await dns.listen();
        serving = true;
        log.info({ address: opts.bindAddress, port: dns.port() }, 'cluster DNS serving');
      }
      await ensureKubeDnsService(opts.client, opts.serviceIP);
      await publishDnsEndpoints(opts.client, opts.bindAddress, dns.port());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!serving && (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL')) {
        if (!warned) log.info({ address: opts.bindAddress, port: opts.port, code }, 'cluster DNS address taken or missing; another agent serves it, retrying');
        warned = true;
      } else {
        log.warn({ err: e instanceof Error ? e.message : String(e) }, 'cluster DNS');
      }
    }
    await sleep(opts.retryMs ?? 5000);
  }
  dns.close();
  await informers.shutdown();
}
