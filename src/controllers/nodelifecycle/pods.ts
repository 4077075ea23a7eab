/** Pods on a node that stopped reporting (upstream: MarkPodsNotReady of pkg/controller/util/node). */
import { isConflict, isNotFound, resources } from '../../client/index.js';
import type { Client, EventRecorder, Pod, PodCondition } from '../../client/index.js';

function metaNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The pod's conditions with Ready set to False (its transition time now), or null when it has no Ready
 * condition or it is False already (upstream: UpdatePodCondition changes only what differs).
 */
export function notReadyConditions(pod: Pod, now: string): PodCondition[] | null {
  const conditions = pod.status?.conditions ?? [];
  const i = conditions.findIndex((c) => c.type === 'Ready');
  if (i < 0 || conditions[i].status === 'False') return null;
  const next = conditions.map((c) => ({ ...c }));
  next[i] = { ...next[i], status: 'False', lastTransitionTime: now };
  return next;
}

/** Writes the pod's Ready condition as False and records NodeNotReady on it; a gone pod is no error. */
export async function markPodNotReady(client: Client, recorder: EventRecorder, pod: Pod): Promise<void> {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
  const conditions = notReadyConditions(pod, metaNow());
  if (!conditions) return;
  try {
    await client.resource(resources.pods, pod.metadata.namespace).updateStatus({ ...pod, status: { ...pod.status, conditions } });
  } catch (err) {
    if (isNotFound(err)) return;
    if (isConflict(err)) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} changed meanwhile`);
    throw err;
  }
  recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'NodeNotReady', 'Node is not ready');
}
