/**
 * The default/kubernetes Service and its Endpoints and EndpointSlice, kept by the apiserver as
 * kube-apiserver's kubernetesservice controller and endpoint reconciler do: in-cluster clients reach the
 * API at the first address of the service range, port 443, which the service proxy sends to this
 * apiserver's advertised address and port. Re-checked every 10 s, so a deleted or edited object returns.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import { StatusError } from '../machinery/status.js';
import type { KubeObject } from '../machinery/object.js';
import type { GenericStore } from '../registry/generic-store.js';

const MANAGER = 'kube-apiserver';
const INTERVAL_MS = 10_000;

export interface KubernetesServiceOptions {
  /** --service-cluster-ip-range (the first CIDR's first address is the service's). */
  serviceClusterIPRange: string;
  /** The address other hosts and pods reach this apiserver at (--advertise-address). */
  advertiseAddress?: string;
  /** The port this apiserver serves on (--secure-port). */
  port: number;
}

/** The first usable address of an IPv4 CIDR: network + 1 (upstream GetIndexedIP(cidr, 1)). */
export function firstServiceIP(range: string): string | undefined {
  const cidr = range.split(',')[0].trim();
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const bits = Number(m[5]);
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const net = bits === 0 ? 0 : (base & (~0 << (32 - bits))) >>> 0;
  const ip = net + 1;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/**
 * kube-apiserver's default advertise address: the bind address when it is a specific non-loopback one,
 * else the host's first non-loopback IPv4 address outside container bridges.
 */
export function defaultAdvertiseAddress(bindAddress: string): string | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bindAddress) && bindAddress !== '0.0.0.0' && !bindAddress.startsWith('127.')) return bindAddress;
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (/^(docker|br-|veth|cni|flannel|virbr)/.test(name)) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

function isStatus(err: unknown, reason: string): boolean {
  return err instanceof StatusError && err.status.reason === reason;
}

async function ensure(store: GenericStore, name: string, desired: KubeObject, differs: (current: KubeObject) => boolean, merge: (current: KubeObject) => KubeObject): Promise<void> {
  let current: KubeObject | undefined;
  try {
    current = (await store.get('default', name)).object;
  } catch (err) {
    if (!isStatus(err, 'NotFound')) throw err;
  }
  if (!current) {
    await store.create('default', desired, { fieldManager: MANAGER }).catch((err: unknown) => {
      if (!isStatus(err, 'AlreadyExists')) throw err;
    });
    return;
  }
  if (differs(current)) await store.patch('default', name, merge, { fieldManager: MANAGER });
}

/** One pass: the Service if missing (an existing one is left as it is, as upstream), then its endpoints. */
export async function reconcileKubernetesService(stores: Map<string, GenericStore>, opts: KubernetesServiceOptions): Promise<void> {
  const clusterIP = firstServiceIP(opts.serviceClusterIPRange);
  const services = stores.get('/v1/services')!;
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      ...(clusterIP ? { clusterIP } : {}),
      sessionAffinity: 'None',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }],
    },
  } as KubeObject;
  await ensure(services, 'kubernetes', service, () => false, (c) => c);
  if (!opts.advertiseAddress) return;
  const ip = opts.advertiseAddress;
  const subsets = [{ addresses: [{ ip }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }];
  const endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets } as KubeObject;
  await ensure(
    stores.get('/v1/endpoints')!,
    'kubernetes',
    endpoints,
    (c) => JSON.stringify((c as { subsets?: unknown }).subsets) !== JSON.stringify(subsets),
    (c) => ({ ...c, subsets }) as KubeObject,
  );
  const sliceBody = {
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }],
  };
  const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } }, ...sliceBody } as KubeObject;
  const view = (c: KubeObject) => {
    const s = c as unknown as typeof sliceBody;
    return JSON.stringify([s.endpoints?.map((e) => [e.addresses, e.conditions?.ready]), s.ports?.map((p) => [p.name, p.port, p.protocol])]);
  };
  await ensure(stores.get('discovery.k8s.io/v1/endpointslices')!, 'kubernetes', slice, (c) => view(c) !== view(slice), (c) => ({ ...c, ...sliceBody }) as KubeObject);
}

/**
 * Runs the reconciliation now (resolving once that first pass is done, so the API server starts with
 * default/kubernetes in place and no writes of its own trail after start-up) and then every 10 s; the
 * returned function stops it.
 */
export async function startKubernetesService(stores: Map<string, GenericStore>, opts: KubernetesServiceOptions, logger: Logger): Promise<() => void> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const pass = () =>
    reconcileKubernetesService(stores, opts).catch((err: unknown) =>
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'unable to sync the kubernetes service'),
    );
  const tick = () => {
    void pass().finally(() => {
      if (!stopped) timer = setTimeout(tick, INTERVAL_MS);
    });
  };
  await pass();
  timer = setTimeout(tick, INTERVAL_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
