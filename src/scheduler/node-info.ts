/**
 * What the scheduler knows about one node: the Node itself and the pods on it (bound, or assumed while
 * their binding is in flight), with the sums the filters and scores read (upstream's NodeInfo).
 */
import { objectKey } from '../client/index.js';
import { CPU, MEMORY, nodeAllocatable, podRequests } from './resources.js';
import type { Amounts } from './resources.js';
import type { Node, Pod } from './types.js';

/** One host port in use: protocol, host IP ("0.0.0.0" for every address) and port. */
export interface HostPort {
  protocol: string;
  ip: string;
  port: number;
}

export interface PodEntry {
  pod: Pod;
  requested: Amounts;
  nonZero: Amounts;
  ports: HostPort[];
}

export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ protocol: p.protocol || 'TCP', ip: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}

export class NodeInfo {
  readonly pods = new Map<string, PodEntry>();
  /** Sum of the requests of the pods here (cpu in millicores, memory in bytes, other resources). */
  readonly requested: Amounts = new Map();
  /** The same with upstream's defaults for containers without requests (for the scores). */
  readonly nonZeroRequested: Amounts = new Map();
  allocatable: Amounts;
  /** Pods here with required pod anti-affinity terms (inter-pod affinity looks at only those nodes). */
  podsWithRequiredAntiAffinity = 0;

  constructor(public node: Node) {
    this.allocatable = nodeAllocatable(node);
  }

  get name(): string {
    return this.node.metadata.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
  }

  addPod(pod: Pod): void {
    const key = objectKey(pod);
    if (this.pods.has(key)) this.removePod(key);
    const entry: PodEntry = { pod, requested: podRequests(pod), nonZero: podRequests(pod, true), ports: hostPortsOf(pod) };
    this.pods.set(key, entry);
    if (hasRequiredAntiAffinity(pod)) this.podsWithRequiredAntiAffinity++;
    add(this.requested, entry.requested, 1);
    add(this.nonZeroRequested, entry.nonZero, 1);
  }

  removePod(key: string): void {
    const entry = this.pods.get(key);
    if (!entry) return;
    this.pods.delete(key);
    if (hasRequiredAntiAffinity(entry.pod)) this.podsWithRequiredAntiAffinity--;
    add(this.requested, entry.requested, -1);
    add(this.nonZeroRequested, entry.nonZero, -1);
  }

  *usedPorts(): Iterable<HostPort> {
    for (const e of this.pods.values()) yield* e.ports;
  }

  podList(): Pod[] {
    return [...this.pods.values()].map((e) => e.pod);
  }

  requestedOf(resource: string): number {
    return this.requested.get(resource) ?? 0;
  }
}

function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).length > 0;
}

function add(into: Amounts, other: Amounts, sign: 1 | -1): void {
  for (const [name, v] of other) into.set(name, (into.get(name) ?? 0) + sign * v);
}

export { CPU, MEMORY };
