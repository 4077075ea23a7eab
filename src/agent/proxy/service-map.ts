/**
 * What the proxy makes of Services and EndpointSlices (kube-proxy's ServicePortMap and EndpointsMap):
 * one entry per service port with its cluster IP, node port, session affinity and the endpoints traffic
 * may go to.
 */
import type { EndpointSlice, Service } from '../../client/index.js';

export interface ServicePortEntry {
  /** "ns/name:port" (kube-proxy's ServicePortName), the port's name or its number when unnamed. */
  id: string;
  clusterIP?: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  nodePort?: number;
  /** ClientIP affinity's timeout in seconds, when the service has it. */
  affinitySeconds?: number;
  /** "ip:port" of the endpoints that take traffic. */
  endpoints: string[];
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * The endpoints of one service port: ready ones; when none is ready, those still serving while they
 * terminate (kube-proxy's fallback, so connections drain during a rollout's last moments).
 */
function endpointsFor(slices: EndpointSlice[], portName: string, protocol: string): string[] {
  const ready: string[] = [];
  const serving: string[] = [];
  for (const s of slices) {
    if (s.addressType !== 'IPv4') continue;
    const p = (s.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === protocol);
    if (!p?.port) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip || !IPV4.test(ip)) continue;
      const c = e.conditions ?? {};
      // An unset condition means ready (the API's documented default).
      if (c.ready !== false) ready.push(`${ip}:${p.port}`);
      else if (c.serving === true && c.terminating === true) serving.push(`${ip}:${p.port}`);
    }
  }
  const list = ready.length > 0 ? ready : serving;
  return [...new Set(list)].sort();
}

export function servicePorts(svc: Service, slices: EndpointSlice[]): ServicePortEntry[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const clusterIP = spec.clusterIP && spec.clusterIP !== 'None' && IPV4.test(spec.clusterIP) ? spec.clusterIP : undefined;
  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
  const out: ServicePortEntry[] = [];
  for (const p of spec.ports ?? []) {
    const protocol = (p.protocol ?? 'TCP') as ServicePortEntry['protocol'];
    const entry: ServicePortEntry = {
      id: `${svc.metadata.namespace}/${svc.metadata.name}:${p.name || p.port}`,
      protocol,
      port: p.port,
      endpoints: endpointsFor(slices, p.name ?? '', protocol),
    };
    if (clusterIP) entry.clusterIP = clusterIP;
    if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort) entry.nodePort = p.nodePort;
    if (affinity !== undefined) entry.affinitySeconds = affinity;
    if (entry.clusterIP || entry.nodePort) out.push(entry);
  }
  return out;
}
