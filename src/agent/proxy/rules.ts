/**
 * The iptables rules of the service proxy, as kube-proxy's iptables mode writes them (pkg/proxy/iptables
 * syncProxyRules), as one iptables-restore input. Every chain carries this proxy's tag, so several agents
 * on one machine each own their own set: their rules are the same (all read the same API), each hooks its
 * set into nat PREROUTING/OUTPUT/POSTROUTING, and one agent stopping removes only its own.
 */
import { createHash } from 'node:crypto';
import type { ServicePortEntry } from './service-map.js';

/** The mark that asks POSTROUTING to masquerade (kube-proxy's 0x4000). */
export const MASQ_MARK = '0x4000';

export interface ChainNames {
  tag: string;
  services: string;
  nodePorts: string;
  postrouting: string;
  markMasq: string;
  /** Prefixes of the per-service and per-endpoint chains of this tag. */
  svcPrefix: string;
  sepPrefix: string;
}

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function hash(text: string, length: number): string {
  return base32(createHash('sha256').update(text).digest()).slice(0, length);
}

/** Chain names for one agent: the tag is 6 characters of the hash of its node name (chain names stop at 28). */
export function chainNames(owner: string): ChainNames {
  const tag = hash(owner, 6);
  return {
    tag,
    services: `PGKUBE-SERVICES-${tag}`,
    nodePorts: `PGKUBE-NODEPORTS-${tag}`,
    postrouting: `PGKUBE-POSTROUTING-${tag}`,
    markMasq: `PGKUBE-MARK-MASQ-${tag}`,
    svcPrefix: `PGKUBE-SVC-${tag}`,
    sepPrefix: `PGKUBE-SEP-${tag}`,
  };
}

export function svcChain(names: ChainNames, e: ServicePortEntry): string {
  return names.svcPrefix + hash(`${e.id}/${e.protocol}`, 11);
}

export function sepChain(names: ChainNames, e: ServicePortEntry, endpoint: string): string {
  return names.sepPrefix + hash(`${e.id}/${e.protocol}/${endpoint}`, 11);
}

export interface RuleOptions {
  /** The pod network (10.244.0.0/16): traffic to a cluster IP from outside it is masqueraded. */
  clusterCIDR: string;
  /**
   * The service range (10.96.0.0/12): what is still addressed to it after the nat rules (no such service,
   * or rules not written yet) is refused here instead of following the default route off the machine.
   */
  serviceCIDR?: string;
  /** Answer node ports on 127.0.0.1 too (needs route_localnet; off unless asked). */
  localhostNodePorts?: boolean;
}

export interface RuleSet {
  /** iptables-restore --noflush input for the nat and filter tables. */
  text: string;
  /** Every chain the text declares, per table. */
  chains: { nat: string[]; filter: string[] };
}

const comment = (text: string) => `-m comment --comment "${text.replace(/"/g, '')}"`;
const proto = (e: ServicePortEntry) => e.protocol.toLowerCase();

/** kube-proxy's probability for the i-th of n endpoints: 1/(n-i), printed with 10 decimals. */
export function probability(i: number, n: number): string {
  return (1 / (n - i)).toFixed(10);
}

export function buildRules(entries: ServicePortEntry[], names: ChainNames, opts: RuleOptions): RuleSet {
  const nat: string[] = [];
  const natChains = [names.services, names.nodePorts, names.postrouting, names.markMasq];
  const filter: string[] = [];
  const filterChains = [names.services];

  nat.push(`-A ${names.postrouting} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  // The mark would otherwise follow the packet into a second agent's chain (and be masqueraded twice).
  nat.push(`-A ${names.postrouting} -j MARK --xor-mark ${MASQ_MARK}`);
  nat.push(`-A ${names.postrouting} ${comment('pgkube service traffic requiring SNAT')} -j MASQUERADE --random-fully`);
  nat.push(`-A ${names.markMasq} -j MARK --or-mark ${MASQ_MARK}`);

  const sorted = [...entries].sort((a, b) => a.id.localeCompare(b.id) || a.protocol.localeCompare(b.protocol));
  for (const e of sorted) {
    const svc = svcChain(names, e);
    const p = proto(e);
    if (e.endpoints.length === 0) {
      // No endpoints: refuse at once rather than let connections hang (kube-proxy's filter rules).
      if (e.clusterIP) filter.push(`-A ${names.services} ${comment(`${e.id} has no endpoints`)} -d ${e.clusterIP}/32 -p ${p} -m ${p} --dport ${e.port} -j REJECT`);
      if (e.nodePort) filter.push(`-A ${names.services} ${comment(`${e.id} has no endpoints`)} -m addrtype --dst-type LOCAL -p ${p} -m ${p} --dport ${e.nodePort} -j REJECT`);
      continue;
    }
    natChains.push(svc);
    if (e.clusterIP) {
      nat.push(`-A ${names.services} ${comment(`${e.id} cluster IP`)} -d ${e.clusterIP}/32 -p ${p} -m ${p} --dport ${e.port} -j ${svc}`);
      // From outside the pod network (the host, another node): SNAT, so replies come back through us.
      nat.push(`-A ${svc} ${comment(`${e.id} cluster IP`)} ! -s ${opts.clusterCIDR} -d ${e.clusterIP}/32 -p ${p} -m ${p} --dport ${e.port} -j ${names.markMasq}`);
    }
    if (e.nodePort) {
      nat.push(`-A ${names.nodePorts} ${comment(e.id)} -p ${p} -m ${p} --dport ${e.nodePort} -j ${names.markMasq}`);
      nat.push(`-A ${names.nodePorts} ${comment(e.id)} -p ${p} -m ${p} --dport ${e.nodePort} -j ${svc}`);
    }
    const seps = e.endpoints.map((ep) => ({ ep, chain: sepChain(names, e, ep) }));
    if (e.affinitySeconds !== undefined) {
      // A client seen recently goes back to the endpoint it used (the recent module's list per endpoint).
      for (const s of seps) nat.push(`-A ${svc} ${comment(`${e.id} -> ${s.ep}`)} -m recent --name ${s.chain} --rcheck --seconds ${e.affinitySeconds} --reap -j ${s.chain}`);
    }
    seps.forEach((s, i) => {
      const stat = i < seps.length - 1 ? ` -m statistic --mode random --probability ${probability(i, seps.length)}` : '';
      nat.push(`-A ${svc} ${comment(`${e.id} -> ${s.ep}`)}${stat} -j ${s.chain}`);
    });
    for (const s of seps) {
      natChains.push(s.chain);
      const ip = s.ep.slice(0, s.ep.lastIndexOf(':'));
      // Hairpin: a pod reaching itself through the service must see the reply come from elsewhere.
      nat.push(`-A ${s.chain} ${comment(e.id)} -s ${ip}/32 -j ${names.markMasq}`);
      const recent = e.affinitySeconds !== undefined ? ` -m recent --name ${s.chain} --set` : '';
      nat.push(`-A ${s.chain} ${comment(e.id)} -p ${p}${recent} -m ${p} -j DNAT --to-destination ${s.ep}`);
    }
  }
  // Node ports: on every local address (kube-proxy's default nodePortAddresses), loopback only when asked.
  if (opts.serviceCIDR) filter.push(`-A ${names.services} ${comment('pgkube no service at this address')} -d ${opts.serviceCIDR} -j REJECT`);
  const loopback = opts.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8';
  nat.push(`-A ${names.services} ${comment('pgkube service nodeports')} -m addrtype --dst-type LOCAL${loopback} -j ${names.nodePorts}`);

  const declare = (chains: string[]) => chains.map((c) => `:${c} - [0:0]`);
  const text = [
    '*nat',
    ...declare(natChains),
    ...nat,
    'COMMIT',
    '*filter',
    ...declare(filterChains),
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
  return { text, chains: { nat: natChains, filter: filterChains } };
}
