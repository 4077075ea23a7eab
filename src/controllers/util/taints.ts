/**
 * Taints and tolerations as the controllers need them (upstream: k8s.io/api/core/v1 toleration.go and
 * pkg/util/taints): matching, finding, adding and removing.
 */
import type { Taint, Toleration } from '../../client/index.js';
import { toleratesTaint } from '../../machinery/tolerations.js';

export { toleratesTaint };

/** The taints the node lifecycle controller manages (upstream: k8s.io/api/core/v1 well_known_taints.go). */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';

/**
 * For every taint, the first toleration that tolerates it (upstream: GetMatchingTolerations). `allTolerated`
 * is false as soon as one taint has none.
 */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = (tolerations ?? []).find((tol) => toleratesTaint(tol, taint));
    if (!t) return { allTolerated: false, used: [] };
    used.push(t);
  }
  return { allTolerated: true, used };
}

/** Same key and effect: the identity of a taint on a node (upstream: Taint.MatchTaint). */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function hasTaint(taints: readonly Taint[] | undefined, taint: Taint): boolean {
  return (taints ?? []).some((t) => sameTaint(t, taint));
}

/**
 * `taints` with `add` put in (replacing a taint of the same key and effect) and `remove` taken out; null when
 * nothing changes, so callers write only real changes.
 */
export function changeTaints(taints: readonly Taint[] | undefined, add: readonly Taint[], remove: readonly Taint[]): Taint[] | null {
  const current = [...(taints ?? [])];
  let next = current.filter((t) => !remove.some((r) => sameTaint(r, t)));
  let changed = next.length !== current.length;
  for (const a of add) {
    const i = next.findIndex((t) => sameTaint(t, a));
    if (i >= 0 && (next[i].value ?? '') === (a.value ?? '')) continue;
    next = i >= 0 ? [...next.slice(0, i), a, ...next.slice(i + 1)] : [...next, a];
    changed = true;
  }
  return changed ? next : null;
}
