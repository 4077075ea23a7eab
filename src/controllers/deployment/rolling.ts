/**
 * The step arithmetic of a RollingUpdate (upstream deployment/rolling.go), as plans over plain
 * ReplicaSets: how far the old ReplicaSets may be scaled down without going below
 * replicas - maxUnavailable available pods, unhealthy old replicas first.
 */
import type { Deployment, ReplicaSet } from '../../client/index.js';
import { desiredReplicas, maxUnavailable } from './intstr.js';
import { availableReplicaCount, byCreation, replicaCount, specReplicas } from './replicasets.js';

export interface ScaleStep {
  rs: ReplicaSet;
  to: number;
}

/** How many old replicas may go now: every pod beyond minAvailable, minus those the new RS still owes. */
export function maxScaledDown(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newRSUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  return replicaCount(allRSs) - minAvailable - newRSUnavailable;
}

/** Scale old ReplicaSets down by their unavailable replicas first, oldest first, at most `limit` in all. */
export function planUnhealthyCleanup(oldRSs: ReplicaSet[], limit: number): ScaleStep[] {
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= limit) break;
    const replicas = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const down = Math.min(limit - total, replicas - available);
    // The ReplicaSet's status still counts pods of a size it has just been scaled down from: more
    // available than wanted is no unhealthy replica, and "cleaning up" would scale it back up. Upstream
    // refuses the same step with this error (the sync is retried once the status has caught up).
    if (down < 0) {
      throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${replicas} -> ${replicas - down}`);
    }
    steps.push({ rs, to: replicas - down });
    total += down;
  }
  return steps;
}

/** Then scale old ReplicaSets down, oldest first, while more than minAvailable pods are available. */
export function planOldScaleDown(d: Deployment, allRSs: (ReplicaSet | undefined)[], oldRSs: ReplicaSet[]): ScaleStep[] {
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return [];
  const target = available - minAvailable;
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= target) break;
    const replicas = specReplicas(rs);
    if (replicas === 0) continue;
    const down = Math.min(replicas, target - total);
    steps.push({ rs, to: replicas - down });
    total += down;
  }
  return steps;
}
