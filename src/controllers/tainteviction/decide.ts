/**
 * What the taint eviction controller does with one pod on a node with NoExecute taints (upstream:
 * processPodOnNode and getMinTolerationTime of pkg/controller/tainteviction).
 */
import type { Taint, Toleration } from '../../client/index.js';
import { matchingTolerations } from '../util/taints.js';

export type EvictionDecision =
  /** No NoExecute taint, or every one tolerated forever: any scheduled deletion is cancelled. */
  | { action: 'cancel' }
  /** A taint the pod does not tolerate: delete now. */
  | { action: 'now' }
  /** Every taint tolerated, the shortest for this long: delete after it. */
  | { action: 'after'; ms: number };

export function noExecuteTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

/**
 * The shortest tolerationSeconds among the tolerations (negative ones count as 0), in ms; -1 when none sets
 * it, meaning forever. No tolerations at all: 0.
 */
export function minTolerationMs(tolerations: readonly Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = -1;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    const ms = Math.max(0, t.tolerationSeconds) * 1000;
    if (min < 0 || ms < min) min = ms;
  }
  return min;
}

export function decideEviction(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): EvictionDecision {
  if (taints.length === 0) return { action: 'cancel' };
  const { allTolerated, used } = matchingTolerations(taints, tolerations);
  if (!allTolerated) return { action: 'now' };
  const ms = minTolerationMs(used);
  if (ms < 0) return { action: 'cancel' };
  return { action: 'after', ms };
}
