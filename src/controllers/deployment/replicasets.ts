/**
 * A Deployment's ReplicaSets as upstream's deployment/util sees them: which one is new (its template
 * equals the Deployment's, ignoring the pod-template-hash label), which are old, their orderings, counts,
 * and the replica arithmetic of a rollout (new ReplicaSet size, proportional scaling).
 */
import type { Deployment, PodTemplateSpec, ReplicaSet } from '../../client/index.js';
import { jsonEqual } from '../../machinery/json-equal.js';
import { maxReplicasAnnotation, revisionOf, desiredReplicasAnnotation } from './annotations.js';
import { desiredReplicas, isRollingUpdate, maxSurge, scaledValue } from './intstr.js';

export const POD_TEMPLATE_HASH = 'pod-template-hash';

export function specReplicas(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 1;
}

function created(rs: ReplicaSet): number {
  return rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : 0;
}

function byName(a: ReplicaSet, b: ReplicaSet): number {
  const x = a.metadata.name ?? '';
  const y = b.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Oldest first, name as the tie breaker. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || byName(a, b);
}

/** Largest first; among equals the older first. */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}

/** Largest first; among equals the newer first. */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** Lowest revision first, creation order among equals. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra === rb || (Number.isNaN(ra) && Number.isNaN(rb))) return byCreation(a, b);
  return (Number.isNaN(ra) ? 0 : ra) - (Number.isNaN(rb) ? 0 : rb);
}

/**
 * Drops nulls and empty maps and arrays, so that templates compare as Go structs do (kubectl's undo
 * sends the template as Go prints it, with `creationTimestamp: null`).
 */
function normalise(v: unknown): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(normalise);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const n = normalise(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  const copy = structuredClone(t ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return normalise(copy);
}

/** Whether two templates are the same apart from the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return jsonEqual(withoutHash(a), withoutHash(b));
}

/** The oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(d: Deployment, rss: ReplicaSet[], newRS?: ReplicaSet): ReplicaSet[] {
  const current = newRS ?? findNewReplicaSet(d, rss);
  return rss.filter((rs) => !current || rs.metadata.uid !== current.metadata.uid);
}

export function filterActive(rss: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

function sum(rss: (ReplicaSet | undefined)[], f: (rs: ReplicaSet) => number): number {
  let n = 0;
  for (const rs of rss) if (rs) n += f(rs);
  return n;
}

/** Sum of spec.replicas. */
export const replicaCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, specReplicas);
/** Sum of status.replicas. */
export const actualReplicaCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const readyReplicaCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicaCount = (rss: (ReplicaSet | undefined)[]): number => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

/** The size a new ReplicaSet should have now (upstream NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return desiredReplicas(d);
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', desiredReplicas(d), true);
  const current = replicaCount(allRSs);
  const maxTotal = desiredReplicas(d) + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, desiredReplicas(d) - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** The ReplicaSet holding every replica when at most one is active, else undefined (upstream FindActiveOrLatest). */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The new ReplicaSet has every replica, and all are available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  const n = desiredReplicas(d);
  return desired === n && specReplicas(rs) === n && (rs.status?.availableReplicas ?? 0) === n;
}

/** How many replicas `rs` gains or loses when the Deployment is resized by `toAdd` (upstream getReplicaSetFraction). */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (desiredReplicas(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = desiredReplicas(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  // Go's math.Round rounds halves away from zero; the operand is never negative here.
  return Math.round((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

export function proportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Proportional scaling of a resized Deployment mid-rollout (upstream DeploymentController.scale):
 * spread the difference over the active ReplicaSets in proportion to their size, the leftover going to
 * the largest. Returns the target size of every active ReplicaSet, in the order they are to be written.
 */
export function proportionalSizes(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Map<ReplicaSet, number> {
  const all = filterActive([...oldRSs, newRS]);
  const total = replicaCount(all);
  const allowed = desiredReplicas(d) > 0 ? desiredReplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - total;
  // Growing favours the newer of equal ReplicaSets, shrinking the older.
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs, specReplicas(rs) + p);
      added += p;
    } else {
      sizes.set(rs, specReplicas(rs));
    }
  }
  if (all.length > 0 && toAdd !== 0) {
    const first = all[0];
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  }
  return sizes;
}
