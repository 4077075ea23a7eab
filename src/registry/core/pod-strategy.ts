import type { Strategy } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';
import { child, defaultPodSpec, obj, qosClass, validatePodSpec } from './pod-spec.js';
import { defaultRequestsFromLimits } from './resource-requirements.js';
import { validatePodSpecUpdate } from './pod-update.js';
import { addDefaultTolerations } from './default-toleration-seconds.js';

function defaultPod(pod: KubeObject): void {
  const spec = child(pod, 'spec');
  defaultPodSpec(spec);
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
  // Pods only, not templates: a limit without a request requests the limit.
  for (const list of [spec.containers, spec.initContainers]) {
    if (Array.isArray(list)) for (const c of list) if (obj(c)) defaultRequestsFromLimits(c as Record<string, unknown>);
  }
}

/** Pods: upstream's defaults, phase Pending and the QoS class on create, and the common spec checks. */
export const podStrategy: Strategy = {
  // DefaultTolerationSeconds admission, on create and update as upstream's plugin.
  admit: addDefaultTolerations,
  prepareForCreate(pod) {
    defaultPod(pod);
    pod.status = { phase: 'Pending', qosClass: qosClass(obj(pod.spec) ?? {}) };
  },
  prepareForUpdate(pod) {
    defaultPod(pod);
  },
  // Upstream's pod status strategy keeps the owner references.
  prepareForStatusUpdate(pod, old) {
    if (old.metadata.ownerReferences) pod.metadata.ownerReferences = structuredClone(old.metadata.ownerReferences);
    else delete pod.metadata.ownerReferences;
  },
  // Upstream's CheckGracefulDelete: the requested period, else spec.terminationGracePeriodSeconds; pods not
  // yet on a node and pods that have finished go at once.
  gracePeriod(pod, requested) {
    const spec = obj(pod.spec) ?? {};
    const status = obj(pod.status) ?? {};
    if (typeof spec.nodeName !== 'string' || spec.nodeName === '') return 0;
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
    if (requested !== undefined) return requested;
    return typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 0;
  },
  validate: (pod) => validatePodSpec(pod.spec, 'spec'),
  validateUpdate: (pod, old) => [...validatePodSpec(pod.spec, 'spec'), ...validatePodSpecUpdate(pod.spec, old.spec)],
};
