/**
 * Which pods a scale-down deletes first (upstream controller.ActivePodsWithRanks and getPodsToDelete):
 * unassigned before assigned, Pending < Unknown < Running, not ready before ready, lower
 * pod-deletion-cost first, pods doubled up on a node first, then the most recently ready, the most
 * restarted and the newest, with times compared in log2 buckets of their age so that scale-down is
 * spread over pods of similar age (LogarithmicScaleDown, on since 1.22).
 */
import type { Pod } from '../../client/index.js';
import { isPodActive, isPodReady, maxContainerRestarts, podReadyTime } from '../util/pod-state.js';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

export interface RankedPod {
  pod: Pod;
  /** How many related active pods share its node (0 when unassigned). */
  rank: number;
}

/** The annotation's int32 value; 0 when absent or invalid ("+1" and "007" are invalid, as upstream). */
export function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^(-?[1-9][0-9]*|0|-0)$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function phaseOrdinal(pod: Pod): number {
  return PHASE_ORDINAL[pod.status?.phase ?? ''] ?? 0;
}

function creationTime(pod: Pod): number {
  return pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : 0;
}

/** t1 after t2, where a zero time counts as after any other. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/** Difference of the log2 buckets of two ages (in nanoseconds, as upstream's time.Duration). */
export function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const d1 = (now - t1) * 1e6;
  const d2 = (now - t2) * 1e6;
  const r1 = d1 > 0 ? Math.floor(Math.log2(d1)) : -1;
  const r2 = d2 > 0 ? Math.floor(Math.log2(d2)) : -1;
  return r1 - r2;
}

function uid(p: Pod): string {
  return p.metadata.uid ?? '';
}

function compareTimes(a: Pod, b: Pod, ta: number, tb: number, now: number): number {
  if (now === 0 || ta === 0 || tb === 0) return afterOrZero(ta, tb) ? -1 : 1;
  const diff = logarithmicRankDiff(ta, tb, now);
  if (diff === 0) return uid(a) < uid(b) ? -1 : uid(a) > uid(b) ? 1 : 0;
  return diff < 0 ? -1 : 1;
}

/** Negative when `a` should be deleted before `b`. */
export function comparePodsForDeletion(a: RankedPod, b: RankedPod, now: number): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  if (phaseOrdinal(pa) !== phaseOrdinal(pb)) return phaseOrdinal(pa) - phaseOrdinal(pb);
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (ra && rb) {
    const ta = podReadyTime(pa);
    const tb = podReadyTime(pb);
    if (ta !== tb) return compareTimes(pa, pb, ta, tb, now);
  }
  const ka = maxContainerRestarts(pa);
  const kb = maxContainerRestarts(pb);
  if (ka !== kb) return kb - ka;
  const ta = creationTime(pa);
  const tb = creationTime(pb);
  if (ta !== tb) return compareTimes(pa, pb, ta, tb, now);
  return 0;
}

/** Ranks each pod by the active related pods (of this controller's owner family) on its node. */
export function rankPodsByRelatedOnSameNode(pods: Pod[], related: Pod[]): RankedPod[] {
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  return pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
}

/** The `count` pods to delete out of `pods` (all of them when count covers them). */
export function podsToDelete(pods: Pod[], related: Pod[], count: number, now: number = Date.now()): Pod[] {
  if (count >= pods.length) return pods.slice(0, count);
  const ranked = rankPodsByRelatedOnSameNode(pods, related);
  ranked.sort((a, b) => comparePodsForDeletion(a, b, now));
  return ranked.slice(0, count).map((r) => r.pod);
}
