/**
 * The files kubelet writes for a pod's name resolution: its /etc/hosts (localhost entries, the pod's own
 * IP with hostname and, under a subdomain, the full service name, then hostAliases), and resolv.conf by
 * dnsPolicy (ClusterFirst: the cluster DNS with the namespace's search path and ndots:5; Default: the
 * node's; None: dnsConfig only), with dnsConfig merged in.
 */
import { readFileSync } from 'node:fs';
import type { Pod } from '../../client/index.js';

export interface DnsSettings {
  clusterDNS: string[];
  clusterDomain: string;
  /** The node's resolv.conf (what dnsPolicy Default gives). */
  hostResolvConf?: string;
}

export function podHostname(pod: Pod): string {
  return (pod.spec?.hostname || pod.metadata.name || '').slice(0, 63);
}

export function hostsFile(pod: Pod, podIP: string | undefined, clusterDomain: string): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const hostname = podHostname(pod);
  if (podIP) {
    const sub = pod.spec?.subdomain;
    lines.push(sub ? `${podIP}\t${hostname}.${sub}.${pod.metadata.namespace}.svc.${clusterDomain}\t${hostname}` : `${podIP}\t${hostname}`);
  }
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length > 0) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return lines.join('\n') + '\n';
}

interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search') r.searches = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

export function readHostResolvConf(file = '/etc/resolv.conf'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** resolv.conf for the pod; `missingClusterDNS` when ClusterFirst had to fall back to Default. */
export function resolvConf(pod: Pod, dns: DnsSettings): { text: string; missingClusterDNS: boolean } {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const host = parseResolvConf(dns.hostResolvConf ?? '');
  let conf: ResolvConf;
  let missingClusterDNS = false;
  const clusterFirst = policy === 'ClusterFirst' || (policy === 'ClusterFirstWithHostNet' && pod.spec?.hostNetwork);
  const ns = pod.metadata.namespace ?? 'default';
  if (policy === 'None') conf = { nameservers: [], searches: [], options: [] };
  else if (clusterFirst && dns.clusterDNS.length > 0) {
    const d = dns.clusterDomain;
    conf = { nameservers: [...dns.clusterDNS], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches], options: ['ndots:5'] };
  } else {
    missingClusterDNS = !!clusterFirst;
    conf = { ...host };
  }
  const cfg = pod.spec?.dnsConfig;
  if (cfg) {
    for (const n of cfg.nameservers ?? []) if (!conf.nameservers.includes(n)) conf.nameservers.push(n);
    for (const s of cfg.searches ?? []) if (!conf.searches.includes(s)) conf.searches.push(s);
    for (const o of cfg.options ?? []) {
      const key = o.name ?? '';
      conf.options = conf.options.filter((x) => x.split(':')[0] !== key);
      conf.options.push(o.value !== undefined ? `${key}:${o.value}` : key);
    }
  }
  // glibc reads at most 3 nameservers and 32 search domains.
  const lines = [
    ...(conf.searches.length ? [`search ${conf.searches.slice(0, 32).join(' ')}`] : []),
    ...conf.nameservers.slice(0, 3).map((n) => `nameserver ${n}`),
    ...(conf.options.length ? [`options ${conf.options.join(' ')}`] : []),
  ];
  return { text: lines.join('\n') + '\n', missingClusterDNS };
}
