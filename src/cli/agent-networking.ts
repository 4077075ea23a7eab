/**
 * The networking roles `pgkube agent` runs beside its nodes: the service proxy (kube-proxy,
 * --proxy-mode iptables) and the cluster DNS. Both run with the docker runtime by default; the simulated
 * runtime's pods have no packets to route (and their made-up IPs may be real containers' on this
 * machine), so there the proxy is off unless asked for.
 */
import type { Client, Logger } from '../client/index.js';
import { DEFAULT_DNS_SERVICE_IP, runClusterDns } from '../agent/dns/index.js';
import { KUBE_DNS, KUBE_DNS_TCP_PORT, KUBE_DNS_UDP_PORT, NAMESPACE as KUBE_DNS_NAMESPACE } from '../agent/dns/kube-dns.js';
import { ServiceProxy } from '../agent/proxy/index.js';
import type { ProxyMode } from '../agent/proxy/index.js';

export interface NetworkingFlags {
  runtime: string;
  proxyMode?: string;
  proxyLocalhostNodeports?: boolean;
  clusterDns?: string[];
  clusterDomain: string;
  dnsBindAddress: string;
  dnsPort: number;
}

export function proxyMode(flags: NetworkingFlags): ProxyMode {
  const mode = flags.proxyMode ?? (flags.runtime === 'docker' ? 'iptables' : 'none');
  if (mode !== 'iptables' && mode !== 'none') throw new Error(`--proxy-mode ${mode}: only "iptables" and "none" are supported`);
  return mode;
}

/** The DNS server IPs pods get: the flag, else the kube-dns Service's address when this agent proxies. */
export function clusterDnsIPs(flags: NetworkingFlags): string[] {
  if (flags.clusterDns) return flags.clusterDns;
  return proxyMode(flags) === 'iptables' ? [DEFAULT_DNS_SERVICE_IP] : [];
}

/** Starts the proxy and DNS; the promise settles once both have stopped (and removed their rules) after `signal`. */
export function startNetworking(flags: NetworkingFlags, client: Client, owner: string, podCIDR: string | undefined, log: Logger, signal: AbortSignal): Promise<void> {
  if (proxyMode(flags) === 'none') return Promise.resolve();
  // kube-dns's ports lead to this agent's own DNS server once it listens.
  const local = new Map<string, string[]>();
  const proxy = new ServiceProxy({ client, owner, podCIDR, localhostNodePorts: flags.proxyLocalhostNodeports, localEndpoints: () => local, log });
  const dns = runClusterDns(
    {
      client,
      bindAddress: flags.dnsBindAddress,
      port: flags.dnsPort,
      clusterDomain: flags.clusterDomain,
      serviceIP: clusterDnsIPs(flags)[0] ?? DEFAULT_DNS_SERVICE_IP,
      log,
      onServing: (port) => {
        for (const name of [KUBE_DNS_UDP_PORT, KUBE_DNS_TCP_PORT]) local.set(`${KUBE_DNS_NAMESPACE}/${KUBE_DNS}:${name}`, [`${flags.dnsBindAddress}:${port}`]);
        proxy.resync();
      },
    },
    signal,
  );
  const report = (what: string) => (e: unknown) => log.error({ err: e instanceof Error ? e.message : String(e) }, `${what} stopped with an error`);
  return Promise.all([proxy.run(signal).catch(report('service proxy')), dns.catch(report('cluster DNS'))]).then(() => undefined);
}
