/**
 * ReplicaSet / ReplicationController status from the pods they own (upstream calculateStatus and
 * updateReplicaSetStatus): counts, observedGeneration, and the ReplicaFailure condition set when
 * creating or deleting pods failed and removed once a sync succeeds.
 */
import type { Pod } from '../../client/index.js';
import { errorMessage } from '../util/errors.js';
import { isPodAvailable, isPodReady } from '../util/pod-state.js';

export interface ReplicaCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaCondition[];
}

/** metav1.Time as the API serialises it: RFC 3339 in UTC with second precision. */
export function nowTime(now: number = Date.now()): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function hasAllLabels(pod: Pod, wanted: Record<string, string>): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

export interface ManageOutcome {
  /** len(active pods) - desired: negative when the sync had to create, positive when it had to delete. */
  diff: number;
  error?: unknown;
}


export function calculateStatus(
  current: ReplicaStatus | undefined,
  templateLabels: Record<string, string>,
  pods: Pod[],
  minReadySeconds: number,
  outcome: ManageOutcome,
  now: number = Date.now(),
): ReplicaStatus {
  const status: ReplicaStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) => hasAllLabels(p, templateLabels)).length,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((p) => isPodAvailable(p, minReadySeconds, now)).length,
    observedGeneration: current?.observedGeneration,
  };
  let conditions = (current?.conditions ?? []).map((c) => ({ ...c }));
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (outcome.error !== undefined && !failure) {
    const reason = outcome.diff < 0 ? 'FailedCreate' : outcome.diff > 0 ? 'FailedDelete' : '';
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: nowTime(now), reason, message: errorMessage(outcome.error) });
  } else if (outcome.error === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/** Whether writing `next` (with observedGeneration = generation) would change anything. */
export function statusNeedsUpdate(current: ReplicaStatus | undefined, next: ReplicaStatus, generation: number): boolean {
  const c = current ?? { replicas: 0 };
  return (
    (c.replicas ?? 0) !== next.replicas ||
    (c.fullyLabeledReplicas ?? 0) !== (next.fullyLabeledReplicas ?? 0) ||
    (c.readyReplicas ?? 0) !== (next.readyReplicas ?? 0) ||
    (c.availableReplicas ?? 0) !== (next.availableReplicas ?? 0) ||
    (c.observedGeneration ?? 0) !== generation ||
    JSON.stringify(c.conditions ?? []) !== JSON.stringify(next.conditions ?? [])
  );
}
