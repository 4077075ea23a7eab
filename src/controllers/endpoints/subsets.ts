/**
 * The Endpoints a service should have (upstream: pkg/controller/endpoint syncService and
 * pkg/api/v1/endpoints RepackSubsets), as pure functions over the cached service and pods.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from '../../client/index.js';
import { endpointHostname, findPort, isHeadless, isPodReady, podIPs, shouldPodBeInEndpoints } from '../util/service-pods.js';

/** Endpoints with more addresses than this are truncated and annotated (maxCapacity). */
export const MAX_CAPACITY = 1000;
export const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

interface Entry {
  address: EndpointAddress;
  ready: boolean;
  port?: EndpointPort;
}

function addressOf(pod: Pod, svc: Service, ip: string): EndpointAddress {
  const a: EndpointAddress = {
    ip,
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  const hostname = endpointHostname(pod, svc);
  if (hostname) a.hostname = hostname;
  return a;
}

/** The service's primary family: the first of spec.ipFamilies, else IPv4. */
function primaryFamily(svc: Service): 4 | 6 {
  return svc.spec?.ipFamilies?.[0] === 'IPv6' ? 6 : 4;
}

export function desiredSubsets(svc: Service, pods: Pod[]): { subsets: EndpointSubset[]; ready: number; notReady: number } {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPs(pod, primaryFamily(svc))[0];
    if (!ip) continue;
    const address = addressOf(pod, svc, ip);
    const ready = tolerateUnready || isPodReady(pod);
    const ports = svc.spec?.ports ?? [];
    // A headless service without ports still lists its pods' addresses (for DNS).
    if (ports.length === 0) {
      if (isHeadless(svc)) entries.push({ address, ready });
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      entries.push({ address, ready, port: ep });
    }
  }
  return repack(entries);
}

function portKey(p: EndpointPort): string {
  return JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
}

function compareIP(a: string, b: string): number {
  const n = (ip: string) => (ip.includes(':') ? ip : ip.split('.').map((x) => x.padStart(3, '0')).join('.'));
  return n(a) < n(b) ? -1 : n(a) > n(b) ? 1 : 0;
}

function sortAddresses(list: EndpointAddress[]): EndpointAddress[] {
  return list.sort((a, b) => compareIP(a.ip, b.ip) || String(a.targetRef?.uid ?? '').localeCompare(String(b.targetRef?.uid ?? '')));
}

/**
 * RepackSubsets: one subset per distinct set of ports, its addresses those that serve exactly that set;
 * an address both ready and not ready (it cannot be) counts as ready. Sorted, so equal inputs give equal
 * objects and an unchanged service is not written again.
 */
function repack(entries: Entry[]): { subsets: EndpointSubset[]; ready: number; notReady: number } {
  // address (ip + pod) -> its ports and readiness
  const byAddress = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const e of entries) {
    const k = `${e.address.ip}/${e.address.targetRef?.uid ?? ''}`;
    let a = byAddress.get(k);
    if (!a) byAddress.set(k, (a = { address: e.address, ready: e.ready, ports: new Map() }));
    a.ready ||= e.ready;
    if (e.port) a.ports.set(portKey(e.port), e.port);
  }
  const subsets = new Map<string, EndpointSubset>();
  let ready = 0;
  let notReady = 0;
  for (const a of byAddress.values()) {
    const ports = [...a.ports.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([, p]) => p);
    const key = JSON.stringify(ports.map(portKey));
    let s = subsets.get(key);
    if (!s) subsets.set(key, (s = { ports: ports.length ? ports : undefined }));
    if (a.ready) (s.addresses ??= []).push(a.address);
    else (s.notReadyAddresses ??= []).push(a.address);
    if (a.ready) ready++;
    else notReady++;
  }
  const out = [...subsets.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([, s]) => {
    const sub: EndpointSubset = {};
    if (s.addresses) sub.addresses = sortAddresses(s.addresses);
    if (s.notReadyAddresses) sub.notReadyAddresses = sortAddresses(s.notReadyAddresses);
    if (s.ports) sub.ports = s.ports;
    return sub;
  });
  return { subsets: out, ready, notReady };
}

/**
 * Endpoints hold at most MAX_CAPACITY addresses (truncateEndpoints): not-ready addresses are cut first,
 * each subset keeping its share (rounded up) of what room is left; when the ready ones alone are too
 * many, they are cut the same way and every not-ready one goes. The object then carries the
 * over-capacity annotation.
 */
export function truncate(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= MAX_CAPACITY) return { subsets, truncated: false };
  const cutReady = totalReady > MAX_CAPACITY;
  const max = cutReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
  const total = cutReady ? totalReady : totalNotReady;
  let room = max;
  const out = subsets.map((s) => {
    const list = (cutReady ? s.addresses : s.notReadyAddresses) ?? [];
    const share = Math.min(Math.ceil((list.length / total) * max), room);
    const kept = list.slice(0, share);
    room -= kept.length;
    const next: EndpointSubset = { ...s };
    if (cutReady) {
      next.addresses = kept;
      delete next.notReadyAddresses;
    } else {
      next.notReadyAddresses = kept;
    }
    return next;
  });
  return { subsets: out, truncated: true };
}
