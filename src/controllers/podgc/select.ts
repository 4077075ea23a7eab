import type { Node, Pod } from '../../client/index.js';

/**
 * Which pods the pod garbage collector removes, as pure functions over the cached pods and nodes
 * (upstream: pkg/controller/podgc/gc_controller.go).
 */

/** A pod that will not run again (upstream's isPodTerminated: not Pending, Running or Unknown). */
export function isTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== undefined && phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

function isEvicted(pod: Pod): boolean {
  return pod.status?.reason === 'Evicted';
}

/**
 * The terminated pods beyond the threshold, oldest first and evicted pods before the others
 * (byEvictionAndCreationTimestamp), or none when the threshold is 0 (off) or not exceeded.
 */
export function terminatedOverThreshold(pods: Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter(isTerminated);
  const excess = terminated.length - threshold;
  if (excess <= 0) return [];
  const created = (p: Pod) => p.metadata.creationTimestamp ?? '';
  terminated.sort((a, b) => {
    if (isEvicted(a) !== isEvicted(b)) return isEvicted(a) ? -1 : 1;
    const ca = created(a);
    const cb = created(b);
    if (ca !== cb) return ca < cb ? -1 : 1;
    const ka = `${a.metadata.namespace}/${a.metadata.name}`;
    const kb = `${b.metadata.namespace}/${b.metadata.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return terminated.slice(0, excess);
}

/** Node names that pods are bound to but that the node cache does not have. */
export function missingNodes(pods: Pod[], existing: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (node && !existing.has(node)) out.add(node);
  }
  return out;
}

/** Pods bound to one of the nodes known to be gone. */
export function podsOnDeletedNodes(pods: Pod[], deleted: Set<string>): Pod[] {
  return pods.filter((p) => p.spec?.nodeName && deleted.has(p.spec.nodeName));
}

/** Pods being deleted that were never scheduled: nothing will ever finish their deletion. */
export function unscheduledTerminating(pods: Pod[]): Pod[] {
  return pods.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName);
}


const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

function isReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Pods being deleted on nodes an operator has declared out of service (the out-of-service taint on a node
 * that is not Ready): their kubelet will never confirm the deletion (upstream's gcTerminating).
 */
export function terminatingOnOutOfServiceNodes(pods: Pod[], nodes: Node[]): Pod[] {
  const out = new Set(
    nodes.filter((n) => !isReady(n) && (n.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE_TAINT)).map((n) => n.metadata.name!),
  );
  if (out.size === 0) return [];
  return pods.filter((p) => p.metadata.deletionTimestamp && p.spec?.nodeName && out.has(p.spec.nodeName));
}
