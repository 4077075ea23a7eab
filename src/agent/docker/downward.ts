/**
 * The downward API: pod fields and container resources as strings, for env vars (fieldRef,
 * resourceFieldRef) and downwardAPI volume files, formatted as kubelet formats them.
 */
import { parseQuantity } from '../../machinery/quantity.js';
import type { Container, Pod } from '../../client/index.js';
import { ContainerConfigError } from './api-objects.js';

export interface PodPlacementInfo {
  podIP?: string;
  hostIP: string;
  /** Node allocatable: what a container without a limit reports as its limit. */
  allocatable: Record<string, string>;
}

/** `key="value"` lines sorted by key, values quoted as Go's %q. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

function subscript(path: string, field: string): string | undefined {
  const m = new RegExp(`^${field.replace('.', '\\.')}\\['(.*)'\\]$`).exec(path);
  return m?.[1];
}

export function podFieldValue(pod: Pod, path: string, where: PodPlacementInfo, forVolume: boolean): string {
  const meta = pod.metadata;
  const label = subscript(path, 'metadata.labels');
  if (label !== undefined) return meta.labels?.[label] ?? '';
  const annotation = subscript(path, 'metadata.annotations');
  if (annotation !== undefined) return meta.annotations?.[annotation] ?? '';
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      if (forVolume) return formatMap(meta.labels);
      break;
    case 'metadata.annotations':
      if (forVolume) return formatMap(meta.annotations);
      break;
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return where.podIP ?? '';
    case 'status.podIPs':
      return where.podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return where.hostIP;
  }
  throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
}

/** resourceFieldRef: the value divided by the divisor, rounded up (kubelet's ExtractContainerResourceValue). */
export function resourceFieldValue(container: Container | undefined, resource: string, divisor: string | undefined, where: PodPlacementInfo): string {
  if (!container) throw new ContainerConfigError(`resourceFieldRef: container not found`);
  const [kind, name] = resource.split('.', 2) as [string, string];
  const set = kind === 'limits' ? container.resources?.limits : kind === 'requests' ? container.resources?.requests : undefined;
  if (!name || (kind !== 'limits' && kind !== 'requests')) throw new ContainerConfigError(`unsupported container resource : ${resource}`);
  // A missing limit is the node's allocatable; a missing request is 0 (or the limit, which defaulting sets).
  const raw = set?.[name] ?? (kind === 'limits' ? where.allocatable[name] : undefined) ?? '0';
  const q = parseQuantity(String(raw));
  const d = parseQuantity(divisor && divisor !== '0' ? divisor : '1');
  if (name === 'cpu') return String(Math.ceil(q.milliValue() / d.milliValue()));
  return String(Math.ceil(q.value() / d.value()));
}
