import { MAX_NODE_SCORE } from '../framework.js';
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { CPU, MEMORY, PODS } from '../resources.js';
import type { Amounts } from '../resources.js';

export interface InsufficientResource {
  resource: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The pod asks for more than the node has at all: evicting pods would not help. */
  unresolvable: boolean;
}

/**
 * upstream's fitsRequest: the pod count, then each requested resource against allocatable minus what the
 * node's pods already request. Reasons are "Too many pods" and "Insufficient <resource>".
 */
export function insufficientResources(podRequest: Amounts, node: NodeInfo): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const allowedPods = node.allocatable.get(PODS) ?? 0;
  if (node.pods.size + 1 > allowedPods) {
    out.push({ resource: PODS, reason: 'Too many pods', requested: 1, used: node.pods.size, capacity: allowedPods, unresolvable: false });
  }
  // cpu and memory first, then the rest in name order, so reasons come out in a stable order.
  const names = [...podRequest.keys()].filter((n) => n !== PODS).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const want = podRequest.get(name) ?? 0;
    if (want <= 0) continue;
    const capacity = node.allocatable.get(name) ?? 0;
    const used = node.requestedOf(name);
    if (want > capacity - used) {
      out.push({ resource: name, reason: `Insufficient ${name}`, requested: want, used, capacity, unresolvable: want > capacity });
    }
  }
  return out;
}

function rank(name: string): number {
  return name === CPU ? 0 : name === MEMORY ? 1 : 2;
}

/** NodeResourcesFit (filter). */
export const nodeResourcesFitFilter: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(state, node) {
    const missing = insufficientResources(state.requests, node);
    if (missing.length === 0) return undefined;
    return {
      code: missing.some((m) => m.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable',
      reasons: missing.map((m) => m.reason),
    };
  },
};

/** The resources the default scoring strategy weighs, each with weight 1 (upstream's defaults). */
const SCORED = [CPU, MEMORY];

/** upstream's leastRequestedScore: the share of the resource left free, 0..100. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** NodeResourcesFit score with the LeastAllocated strategy: emptier nodes score higher. */
export const nodeResourcesLeastAllocated: ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  score(state, node) {
    let sum = 0;
    let weights = 0;
    for (const r of SCORED) {
      const capacity = node.allocatable.get(r) ?? 0;
      if (capacity === 0) continue;
      const requested = (node.nonZeroRequested.get(r) ?? 0) + (state.nonZeroRequests.get(r) ?? 0);
      sum += leastRequestedScore(requested, capacity);
      weights++;
    }
    return weights === 0 ? 0 : Math.trunc(sum / weights);
  },
};

/**
 * NodeResourcesBalancedAllocation: nodes whose CPU and memory would be used in similar proportions score
 * higher: (1 - standard deviation of the fractions) * 100. Best-effort pods are not scored by it.
 */
export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  skip(state) {
    return SCORED.every((r) => (state.requests.get(r) ?? 0) === 0);
  },
  score(state, node) {
    const fractions: number[] = [];
    for (const r of SCORED) {
      const capacity = node.allocatable.get(r) ?? 0;
      if (capacity === 0) continue;
      const requested = node.requestedOf(r) + (state.requests.get(r) ?? 0);
      fractions.push(Math.min(requested / capacity, 1));
    }
    let std = 0;
    if (fractions.length === 2) std = Math.abs((fractions[0] - fractions[1]) / 2);
    else if (fractions.length > 2) {
      const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
      std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
    }
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  },
};
