import type { FilterFailure } from './framework.js';

/** Upstream's message when the cluster has no nodes at all. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** "<count> <reason>" entries, sorted as strings (upstream's sortReasonsHistogram). */
function histogram(reasons: Iterable<string>): string[] {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort();
}

/**
 * The message of a pod that fits no node, as kube-scheduler 1.33 writes it into the PodScheduled condition
 * and the FailedScheduling event: the filter reasons counted over the nodes, then the preemption verdict.
 * Nodes rejected for a reason preemption cannot remove are "not helpful"; for the others there are no
 * victims, since this scheduler does not preempt (it places pods of equal priority, where upstream finds
 * no victims either).
 */
export function fitErrorMessage(numNodes: number, failures: readonly FilterFailure[]): string {
  if (numNodes === 0) return NO_NODES_AVAILABLE;
  const reasons = histogram(failures.flatMap((f) => f.reasons)).join(', ');
  const preemption = histogram(
    failures.map((f) => (f.code === 'UnschedulableAndUnresolvable' ? 'Preemption is not helpful for scheduling' : 'No preemption victims found for incoming pod')),
  ).join(', ');
  return `0/${numNodes} nodes are available: ${reasons}. preemption: 0/${numNodes} nodes are available: ${preemption}.`;
}
