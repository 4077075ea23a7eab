/**
 * Turns a service's current EndpointSlices into its desired ones with few writes (upstream:
 * pkg/controller/endpointslice reconciler.reconcileByAddressType): slices keep the endpoints they already
 * hold, refreshed; gone endpoints leave; new ones go first into slices being rewritten anyway, then into
 * one slice with room, then into new slices of at most `maxEndpointsPerSlice`. A service with no
 * endpoints keeps one empty placeholder slice, as upstream.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Endpoint, EndpointSlice, Pod, Service } from '../../client/index.js';
import { HEADLESS_LABEL, isHeadless } from '../util/service-pods.js';
import { addressTypes, desiredGroups, endpointKey, portsKey } from './desired.js';
import type { AddressType, PortGroup, SlicePort } from './desired.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** The slice labels: the service's own, then the ones this controller owns (setEndpointSliceLabels). */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k === SERVICE_NAME_LABEL || k === MANAGED_BY_LABEL || k === HEADLESS_LABEL) continue;
    labels[k] = v;
  }
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata.name!;
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

function newSlice(svc: Service, addressType: AddressType, ports: SlicePort[] | undefined, endpoints: Endpoint[]): EndpointSlice {
  const s: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints,
  };
  if (ports) s.ports = ports;
  return s;
}

function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.controller && o.uid === svc.metadata.uid);
}

export function planSlices(svc: Service, pods: Pod[], existing: EndpointSlice[], maxEndpointsPerSlice: number): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const types = addressTypes(svc);
  const labels = sliceLabels(svc);
  let total = 0;
  const kept: EndpointSlice[] = [];
  for (const slice of existing) {
    // Slices of an address type the service no longer has, or of an earlier service of that name, go.
    if (!types.includes(slice.addressType as AddressType) || !ownedBy(slice, svc)) plan.delete.push(slice);
  }
  for (const type of types) {
    const groups = desiredGroups(svc, pods, type);
    const mine = existing.filter((s) => s.addressType === type && ownedBy(s, svc));
    for (const g of groups.values()) total += g.endpoints.size;
    reconcileType(svc, type, groups, mine, labels, maxEndpointsPerSlice, plan, kept);
  }
  if (total === 0) placeholder(svc, types[0], existing, plan, kept);
  return plan;
}

function reconcileType(
  svc: Service,
  type: AddressType,
  groups: Map<string, PortGroup>,
  slices: EndpointSlice[],
  labels: Record<string, string>,
  max: number,
  plan: SlicePlan,
  kept: EndpointSlice[],
): void {
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const k = portsKey(s.ports);
    if (!groups.has(k)) {
      plan.delete.push(s);
      continue;
    }
    byPorts.set(k, [...(byPorts.get(k) ?? []), s]);
  }
  for (const g of groups.values()) {
    const remaining = new Map(g.endpoints);
    const updating: EndpointSlice[] = [];
    const unchanged: EndpointSlice[] = [];
    for (const s of byPorts.get(g.key) ?? []) {
      const next: Endpoint[] = [];
      for (const ep of s.endpoints ?? []) {
        const want = remaining.get(endpointKey(ep));
        if (!want) continue;
        remaining.delete(endpointKey(ep));
        next.push(want);
      }
      if (next.length === 0) {
        plan.delete.push(s);
        continue;
      }
      const copy: EndpointSlice = { ...s, endpoints: next, metadata: { ...s.metadata, labels } };
      if (isDeepStrictEqual(next, s.endpoints) && isDeepStrictEqual(s.metadata.labels ?? {}, labels)) unchanged.push(copy);
      else updating.push(copy);
    }
    const left = [...remaining.values()];
    // New endpoints: into slices already being written, then into one unchanged slice with room.
    for (const s of updating) while (left.length && s.endpoints.length < max) s.endpoints.push(left.shift()!);
    if (left.length) {
      const roomy = unchanged.filter((s) => s.endpoints.length + left.length <= max).sort((a, b) => b.endpoints.length - a.endpoints.length)[0];
      if (roomy) {
        roomy.endpoints.push(...left.splice(0));
        unchanged.splice(unchanged.indexOf(roomy), 1);
        updating.push(roomy);
      }
    }
    while (left.length) plan.create.push(newSlice(svc, type, g.ports, left.splice(0, max)));
    plan.update.push(...updating);
    kept.push(...updating, ...unchanged);
  }
}

/** No endpoints at all: one empty slice without ports stands for the service (upstream's placeholder). */
function placeholder(svc: Service, type: AddressType, existing: EndpointSlice[], plan: SlicePlan, kept: EndpointSlice[]): void {
  const isPlaceholder = (s: EndpointSlice) => (s.endpoints ?? []).length === 0 && !s.ports?.length && s.addressType === type && ownedBy(s, svc);
  const present = existing.find((s) => isPlaceholder(s) && !kept.includes(s));
  if (present) {
    const i = plan.delete.indexOf(present);
    if (i >= 0) plan.delete.splice(i, 1);
    if (!isDeepStrictEqual(present.metadata.labels ?? {}, sliceLabels(svc))) plan.update.push({ ...present, metadata: { ...present.metadata, labels: sliceLabels(svc) } });
    return;
  }
  // Reuse a slice on its way out rather than deleting one and creating another.
  const reuse = plan.delete.find((s) => s.addressType === type && ownedBy(s, svc));
  if (reuse) {
    plan.delete.splice(plan.delete.indexOf(reuse), 1);
    plan.update.push({ ...reuse, metadata: { ...reuse.metadata, labels: sliceLabels(svc) }, endpoints: [], ports: undefined });
    return;
  }
  plan.create.push(newSlice(svc, type, undefined, []));
}
