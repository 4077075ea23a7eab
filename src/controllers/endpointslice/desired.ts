/**
 * The endpoints a service should have in its EndpointSlices (upstream: pkg/controller/endpointslice
 * reconciler's desired state and utils.podToEndpoint), grouped by the set of ports they serve.
 */
import type { discoveryV1, Endpoint, Pod, Service } from '../../client/index.js';
import { endpointHostname, findPort, isPodReady, podIPs, shouldPodBeInEndpoints } from '../util/service-pods.js';

export type SlicePort = discoveryV1.EndpointPort;

export type AddressType = 'IPv4' | 'IPv6';

export interface PortGroup {
  /** Stable key of the port set. */
  key: string;
  ports: SlicePort[];
  /** pod uid -> its endpoint */
  endpoints: Map<string, Endpoint>;
}

/** The address types the service's slices carry: its IP families, IPv4 when unset. */
export function addressTypes(svc: Service): AddressType[] {
  const fams = svc.spec?.ipFamilies ?? [];
  const types = fams.map((f) => (f === 'IPv6' ? 'IPv6' : 'IPv4') as AddressType);
  return types.length ? [...new Set(types)] : ['IPv4'];
}

export function portsKey(ports: SlicePort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());
}

/** The key an endpoint is known by across syncs: its pod, else its first address. */
export function endpointKey(ep: Endpoint): string {
  return ep.targetRef?.uid ?? ep.addresses[0] ?? '';
}

function podEndpoint(pod: Pod, svc: Service, addresses: string[]): Endpoint {
  // Serving: the pod would take traffic (ready, or published regardless). Ready: serving and not being
  // deleted, unless not-ready addresses are published, when everything is ready.
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const serving = publish || isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  const ready = publish || (serving && !terminating);
  const ep: Endpoint = {
    addresses,
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const hostname = endpointHostname(pod, svc);
  if (hostname) ep.hostname = hostname;
  return ep;
}

/** The desired endpoints of one address type, by port set. Terminating pods stay, marked so. */
export function desiredGroups(svc: Service, pods: Pod[], addressType: AddressType): Map<string, PortGroup> {
  const groups = new Map<string, PortGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ips = podIPs(pod, addressType === 'IPv6' ? 6 : 4);
    if (ips.length === 0) continue;
    const ports: SlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const p: SlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) p.appProtocol = sp.appProtocol;
      ports.push(p);
    }
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, ports, endpoints: new Map() }));
    g.endpoints.set(pod.metadata.uid ?? ips[0], podEndpoint(pod, svc, [ips[0]]));
  }
  return groups;
}
