/**
 * A pod's status as the kubelet writes it (generateAPIPodStatus), from what the runtime says about its
 * containers: phase, the five pod conditions in kubelet's order, container statuses, IPs and start time.
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from '../client/index.js';
import type { RuntimeContainerStatus, RuntimePodStatus } from './runtime.js';

export interface PodPlacement {
  hostIP: string;
  podIP?: string;
}

/** kubelet's getPhase, for a runtime that does not restart containers. */
export function podPhase(pod: Pod, rt: RuntimePodStatus): string {
  if (!rt.initialized) return 'Pending';
  let waiting = 0;
  let running = 0;
  let failed = 0;
  for (const c of rt.containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      if (c.state.terminated.exitCode !== 0) failed++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  // Every container has stopped: the pod is done (a deleted pod is terminal whatever its restart policy).
  if (rt.containers.length === 0) return 'Pending';
  return failed > 0 ? 'Failed' : 'Succeeded';
}

function names(cs: RuntimeContainerStatus[]): string {
  return `[${cs.map((c) => c.name).join(' ')}]`;
}

/** Keeps a condition's lastTransitionTime when its status did not change. */
function condition(old: PodCondition[] | undefined, c: PodCondition, now: string): PodCondition {
  const prev = old?.find((o) => o.type === c.type);
  return { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
}

function apiContainerStatus(c: RuntimeContainerStatus): ContainerStatus {
  const s: ContainerStatus = { name: c.name, image: c.image, imageID: c.imageID, ready: c.ready, restartCount: c.restartCount, started: c.started, state: c.state };
  if (c.lastState) s.lastState = c.lastState;
  if (c.containerID) s.containerID = c.containerID;
  return s;
}

export function buildPodStatus(pod: Pod, rt: RuntimePodStatus, placement: PodPlacement, now: string): PodStatus {
  const old = pod.status?.conditions;
  const phase = rt.phase ?? podPhase(pod, rt);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const unready = [...rt.initContainers.filter((c) => c.sidecar), ...rt.containers].filter((c) => !c.ready);
  const uninitialized = rt.initContainers.filter((c) => (c.sidecar ? !c.started : !c.state.terminated || c.state.terminated.exitCode !== 0));
  const readiness: Omit<PodCondition, 'type'> = done
    ? { status: 'False', reason: 'PodCompleted' }
    : unready.length > 0
      ? { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: ${names(unready)}` }
      : { status: 'True' };
  const conditions: PodCondition[] = [
    condition(old, { type: 'PodReadyToStartContainers', status: rt.sandboxReady && !done ? 'True' : 'False' }, now),
    condition(
      old,
      rt.initialized
        ? { type: 'Initialized', status: 'True', ...(done && rt.initContainers.length > 0 ? { reason: 'PodCompleted' } : {}) }
        : { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${names(uninitialized)}` },
      now,
    ),
    condition(old, { type: 'Ready', ...readiness }, now),
    condition(old, { type: 'ContainersReady', ...readiness }, now),
  ];
  const scheduled = old?.find((c) => c.type === 'PodScheduled');
  conditions.push(scheduled ?? { type: 'PodScheduled', status: 'True', lastTransitionTime: now });
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: placement.hostIP,
    hostIPs: [{ ip: placement.hostIP }],
    startTime: rt.startTime,
    containerStatuses: rt.containers.map(apiContainerStatus),
  };
  const podIP = rt.podIP ?? placement.podIP;
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  if (rt.initContainers.length > 0) status.initContainerStatuses = rt.initContainers.map(apiContainerStatus);
  if (pod.status?.qosClass) status.qosClass = pod.status.qosClass;
  return status;
}
