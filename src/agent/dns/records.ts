/**
 * Answers of the cluster DNS, as CoreDNS's kubernetes plugin gives them (the Kubernetes DNS
 * specification): services by name, headless services by their ready endpoints, SRV records of named
 * ports, pod names made of their IP, and NXDOMAIN for everything else in the zone. Pure functions over
 * the cached Services and EndpointSlices.
 */
import type { Answer } from 'dns-packet';
import type { EndpointSlice, Service } from '../../client/index.js';

export const TTL = 5;

export interface ClusterView {
  service(namespace: string, name: string): Service | undefined;
  slices(namespace: string, name: string): EndpointSlice[];
}

export interface Lookup {
  /** NXDOMAIN when false: the name does not exist at all. */
  exists: boolean;
  answers: Answer[];
  additionals: Answer[];
}

const NONE: Lookup = { exists: false, answers: [], additionals: [] };

interface ReadyEndpoint {
  ip: string;
  /** The endpoint's DNS label: its hostname, else its IP with dashes. */
  label: string;
  ports: { name: string; protocol: string; port: number }[];
}

function readyEndpoints(slices: EndpointSlice[]): ReadyEndpoint[] {
  const out = new Map<string, ReadyEndpoint>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4') continue;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      const ip = e.addresses?.[0];
      if (!ip) continue;
      const ep = out.get(ip) ?? { ip, label: e.hostname ?? ip.replace(/\./g, '-'), ports: [] };
      for (const p of s.ports ?? []) if (p.port) ep.ports.push({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port });
      out.set(ip, ep);
    }
  }
  return [...out.values()].sort((a, b) => a.ip.localeCompare(b.ip));
}

const a = (name: string, ip: string): Answer => ({ type: 'A', name, ttl: TTL, class: 'IN', data: ip });

function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** `labels` are the query name's labels before ".<domain>", lowercased. */
export function lookup(view: ClusterView, domain: string, qname: string, qtype: string): Lookup {
  const name = qname.toLowerCase().replace(/\.$/, '');
  if (!name.endsWith(`.${domain}`)) return NONE;
  const labels = name.slice(0, -domain.length - 1).split('.');
  const fqdn = (...parts: string[]) => [...parts, domain].join('.');

  // <a-b-c-d>.<ns>.pod.<domain>: the IP written in the name (CoreDNS "pods insecure", as kubeadm configures it).
  if (labels.length === 3 && labels[2] === 'pod') {
    const m = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(labels[0]);
    if (!m || m.slice(1).some((x) => Number(x) > 255)) return NONE;
    return { exists: true, answers: qtype === 'A' ? [a(name, m.slice(1).join('.'))] : [], additionals: [] };
  }
  if (labels.at(-1) !== 'svc') return NONE;
  const [ns, svcName] = [labels.at(-2)!, labels.at(-3)!];
  // _<port>._<proto>.<svc>.<ns>.svc.<domain>
  if (labels.length === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) {
    const svc = view.service(ns, svcName);
    if (!svc) return NONE;
    return srv(view, svc, labels[0].slice(1), labels[1].slice(1), name, fqdn(svcName, ns, 'svc'), qtype);
  }
  // <endpoint>.<svc>.<ns>.svc.<domain>: one endpoint of a headless service.
  if (labels.length === 4) {
    const svc = view.service(ns, svcName);
    if (!svc || !isHeadless(svc)) return NONE;
    const ep = readyEndpoints(view.slices(ns, svcName)).find((e) => e.label === labels[0]);
    if (!ep) return NONE;
    return { exists: true, answers: qtype === 'A' ? [a(name, ep.ip)] : [], additionals: [] };
  }
  if (labels.length !== 3) return NONE;
  const svc = view.service(ns, svcName);
  if (!svc) return NONE;
  if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
    return { exists: true, answers: [{ type: 'CNAME', name, ttl: TTL, class: 'IN', data: svc.spec.externalName }], additionals: [] };
  }
  if (qtype !== 'A') return { exists: true, answers: [], additionals: [] };
  if (!isHeadless(svc)) {
    const ip = svc.spec?.clusterIP;
    return { exists: true, answers: ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? [a(name, ip)] : [], additionals: [] };
  }
  return { exists: true, answers: readyEndpoints(view.slices(ns, svcName)).map((e) => a(name, e.ip)), additionals: [] };
}

function srv(view: ClusterView, svc: Service, port: string, proto: string, name: string, svcFqdn: string, qtype: string): Lookup {
  const sp = (svc.spec?.ports ?? []).find((p) => p.name && p.name.toLowerCase() === port && (p.protocol ?? 'TCP').toLowerCase() === proto);
  if (!sp) return NONE;
  if (qtype !== 'SRV') return { exists: true, answers: [], additionals: [] };
  if (!isHeadless(svc)) {
    const ip = svc.spec?.clusterIP;
    return {
      exists: true,
      answers: [{ type: 'SRV', name, ttl: TTL, class: 'IN', data: { priority: 0, weight: 100, port: sp.port, target: svcFqdn } }],
      additionals: ip ? [a(svcFqdn, ip)] : [],
    };
  }
  const eps = readyEndpoints(view.slices(svc.metadata.namespace!, svc.metadata.name!));
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  for (const e of eps) {
    const p = e.ports.find((x) => x.name === sp.name && x.protocol === (sp.protocol ?? 'TCP'));
    if (!p) continue;
    const target = `${e.label}.${svcFqdn}`;
    answers.push({ type: 'SRV', name, ttl: TTL, class: 'IN', data: { priority: 0, weight: Math.floor(100 / eps.length), port: p.port, target } });
    additionals.push(a(target, e.ip));
  }
  return { exists: true, answers, additionals };
}
