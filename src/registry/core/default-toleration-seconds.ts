/**
 * The DefaultTolerationSeconds admission plugin (upstream: plugin/pkg/admission/defaulttolerationseconds):
 * a pod that does not already tolerate the node.kubernetes.io/not-ready and node.kubernetes.io/unreachable
 * NoExecute taints gets a toleration of each, for --default-not-ready-toleration-seconds and
 * --default-unreachable-toleration-seconds (300 s). So pods on a node that stops reporting are evicted
 * after five minutes rather than at once.
 */
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import type { AdmissionSettings } from '../admission.js';

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

/** Whether a toleration covers the NoExecute taint `key` (an empty key or effect matches any). */
function covers(t: Record<string, unknown>, key: string): boolean {
  const k = t.key ?? '';
  const effect = t.effect ?? '';
  return (k === key || k === '') && (effect === 'NoExecute' || effect === '');
}

export function addDefaultTolerations(pod: KubeObject, settings: AdmissionSettings): void {
  if (!isPlainObject(pod.spec)) return;
  const spec = pod.spec;
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as unknown[]).filter(isPlainObject) : [];
  const added: Record<string, unknown>[] = [];
  if (!tolerations.some((t) => covers(t, NOT_READY))) {
    added.push({ key: NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: settings.defaultNotReadyTolerationSeconds });
  }
  if (!tolerations.some((t) => covers(t, UNREACHABLE))) {
    added.push({ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: settings.defaultUnreachableTolerationSeconds });
  }
  if (added.length > 0) spec.tolerations = [...(Array.isArray(spec.tolerations) ? spec.tolerations : []), ...added];
}
