/**
 * The agent's cluster DNS: serves on the pod network's gateway (or --dns-bind-address), publishes that
 * address as kube-dns's endpoints and makes sure the kube-dns Service exists. Several agents on one
 * machine share the address: the first takes the port (53) and publishes it; the others serve on a port
 * of their own, unpublished, which their proxy sends their own pods' DNS traffic to (NodeLocal DNS's
 * way), so pods always ask the DNS of their own agent and so of their own cluster.
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
  /** Called once the server listens, with its port. */
  onServing?(port: number): void;
}

export async function runClusterDns(opts: ClusterDnsOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log ?? silentLogger;
  let dns = new ClusterDns({ client: opts.client, address: opts.bindAddress, port: opts.port, clusterDomain: opts.clusterDomain, log });
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
        try {
          await dns.listen();
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
          // Another agent has the port: serve on one of our own, for this node's pods only.
          dns = new ClusterDns({ client: opts.client, address: opts.bindAddress, port: 0, clusterDomain: opts.clusterDomain, log, informersFrom: dns });
          await dns.listen();
        }
        serving = true;
        log.info({ address: opts.bindAddress, port: dns.port() }, 'cluster DNS serving');
        opts.onServing?.(dns.port());
      }
      await ensureKubeDnsService(opts.client, opts.serviceIP);
      if (dns.port() === opts.port) await publishDnsEndpoints(opts.client, opts.bindAddress, dns.port());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!serving && code === 'EADDRNOTAVAIL') {
        if (!warned) log.info({ address: opts.bindAddress, code }, 'cluster DNS address not on this host yet, retrying');
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
