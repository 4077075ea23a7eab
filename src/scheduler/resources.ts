/**
 * Resource arithmetic of the scheduler: what a pod requests and what a node offers, in integer units
 * (CPU in millicores, memory and other resources in their base unit), as upstream's resource helpers.
 */
import { parseQuantity } from '../machinery/quantity.js';
import type { Container, Node, Pod, ResourceList } from './types.js';

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const PODS = 'pods';

/** What upstream assumes a container without requests uses, for scoring only (100m CPU, 200 MiB). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** A resource amount map: cpu in millicores, everything else in base units. */
export type Amounts = Map<string, number>;

/** One quantity in the scheduler's unit for that resource; an unparsable quantity counts as 0. */
export function amountOf(resource: string, quantity: string | number | undefined): number {
  if (quantity === undefined || quantity === null) return 0;
  try {
    const q = parseQuantity(String(quantity));
    return Number(resource === CPU ? q.milliValue() : q.value());
  } catch {
    return 0;
  }
}

function addList(into: Amounts, list: ResourceList | undefined): void {
  if (!list) return;
  for (const [name, q] of Object.entries(list)) into.set(name, (into.get(name) ?? 0) + amountOf(name, q));
}

function maxInto(into: Amounts, other: Amounts): void {
  for (const [name, v] of other) if (v > (into.get(name) ?? 0)) into.set(name, v);
}

function containerRequests(c: Container, nonZero: boolean): Amounts {
  const out: Amounts = new Map();
  addList(out, c.resources?.requests);
  if (nonZero) {
    if (!c.resources?.requests?.[CPU]) out.set(CPU, DEFAULT_MILLI_CPU_REQUEST);
    if (!c.resources?.requests?.[MEMORY]) out.set(MEMORY, DEFAULT_MEMORY_REQUEST);
  }
  return out;
}

function addAmounts(into: Amounts, other: Amounts): void {
  for (const [name, v] of other) into.set(name, (into.get(name) ?? 0) + v);
}

/**
 * A pod's effective requests (upstream's PodRequests): the sum of its containers and restartable init
 * containers (sidecars), or, if larger, what any ordinary init container needs beside the sidecars started
 * before it; plus the pod overhead. `nonZero` gives containers without a CPU or memory request upstream's
 * defaults, as the scoring plugins see them.
 */
export function podRequests(pod: Pod, nonZero = false): Amounts {
  const spec = pod.spec;
  const total: Amounts = new Map();
  for (const c of spec?.containers ?? []) addAmounts(total, containerRequests(c, nonZero));
  const sidecars: Amounts = new Map();
  const initMax: Amounts = new Map();
  for (const c of spec?.initContainers ?? []) {
    const req = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addAmounts(sidecars, req);
      addAmounts(total, req);
      continue;
    }
    const withSidecars: Amounts = new Map(sidecars);
    addAmounts(withSidecars, req);
    maxInto(initMax, withSidecars);
  }
  maxInto(total, initMax);
  addList(total, spec?.overhead);
  return total;
}

/** The node's allocatable resources (capacity when allocatable is missing, as the kubelet reports both). */
export function nodeAllocatable(node: Node): Amounts {
  const out: Amounts = new Map();
  addList(out, node.status?.allocatable ?? node.status?.capacity);
  return out;
}
