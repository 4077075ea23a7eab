/**
 * The kube-system/kube-dns Service that pods' resolv.conf points at (10.96.0.10 by default), and its
 * endpoints: the address this agent's DNS server listens on. kubeadm's kube-dns Service selects CoreDNS
 * pods; here the DNS runs inside the agent, so the Service has no selector and the agent that serves
 * writes its Endpoints and an EndpointSlice managed by itself (the endpoint controllers leave
 * selector-less services alone, and the proxy reads the slice like any other).
 */
import { isAlreadyExists, isConflict, isNotFound, resources } from '../../client/index.js';
import type { Client, EndpointSlice, Endpoints, Service } from '../../client/index.js';

export const KUBE_DNS = 'kube-dns';
export const NAMESPACE = 'kube-system';
export const DEFAULT_DNS_SERVICE_IP = '10.96.0.10';
const MANAGER = 'pgkube-agent';
const SLICE_NAME = 'kube-dns-pgkube-agent';

export const KUBE_DNS_UDP_PORT = 'dns';
export const KUBE_DNS_TCP_PORT = 'dns-tcp';
const PORTS = [
  { name: KUBE_DNS_UDP_PORT, port: 53, protocol: 'UDP' },
  { name: KUBE_DNS_TCP_PORT, port: 53, protocol: 'TCP' },
];

/** Creates the Service when missing; an existing one (another agent's, or the admin's) is left alone. */
export async function ensureKubeDnsService(client: Client, clusterIP: string): Promise<Service> {
  const api = client.resource(resources.services, NAMESPACE);
  try {
    return await api.get(KUBE_DNS);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KUBE_DNS, namespace: NAMESPACE, labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
    spec: { clusterIP, ports: PORTS.map((p) => ({ ...p, targetPort: p.port })) },
  };
  try {
    return await api.create(svc, { fieldManager: MANAGER });
  } catch (e) {
    if (isAlreadyExists(e)) return api.get(KUBE_DNS);
    throw e;
  }
}

/** Points kube-dns's Endpoints and the agent's EndpointSlice at the DNS server's address and port. */
export async function publishDnsEndpoints(client: Client, ip: string, port: number): Promise<void> {
  const ports = PORTS.map((p) => ({ ...p, port }));
  const eps = client.resource(resources.endpoints, NAMESPACE);
  const subsets = [{ addresses: [{ ip }], ports }];
  const desiredEndpoints: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: KUBE_DNS, namespace: NAMESPACE, labels: { 'k8s-app': 'kube-dns' } }, subsets };
  await upsert(
    () => eps.get(KUBE_DNS),
    (cur) => JSON.stringify(cur.subsets) === JSON.stringify(subsets),
    (cur) => eps.update({ ...cur, subsets }, { fieldManager: MANAGER }),
    () => eps.create(desiredEndpoints, { fieldManager: MANAGER }),
  );
  const slices = client.resource(resources.endpointslices, NAMESPACE);
  const body = { addressType: 'IPv4', endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } }], ports };
  const desiredSlice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: SLICE_NAME, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': KUBE_DNS, 'endpointslice.kubernetes.io/managed-by': MANAGER } },
    ...body,
  };
  await upsert(
    () => slices.get(SLICE_NAME),
    (cur) => JSON.stringify([cur.endpoints?.map((e) => e.addresses), cur.ports?.map((p) => [p.name, p.port, p.protocol])]) === JSON.stringify([[[ip]], ports.map((p) => [p.name, p.port, p.protocol])]),
    (cur) => slices.update({ ...cur, ...body }, { fieldManager: MANAGER }),
    () => slices.create(desiredSlice, { fieldManager: MANAGER }),
  );
}

async function upsert<T>(get: () => Promise<T>, same: (cur: T) => boolean, update: (cur: T) => Promise<T>, create: () => Promise<T>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let cur: T | undefined;
    try {
      cur = await get();
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      if (!cur) await create();
      else if (!same(cur)) await update(cur);
      return;
    } catch (e) {
      if (!isConflict(e) && !isAlreadyExists(e)) throw e;
    }
  }
}
