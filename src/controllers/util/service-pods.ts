/**
 * What the Endpoints and EndpointSlice controllers share about services and their pods (upstream:
 * pkg/controller/util/endpoint and pkg/api/v1/pod): which pods a service selects, which of them belong
 * in its endpoints, the container port a service port targets, and when a change that moved the
 * endpoints happened.
 */
import type { Pod, Service, ServicePort } from '../../client/index.js';
import { isPodReady } from './pod-state.js';

export { isPodReady };

/** The annotation both controllers set to the time of the change that led to this write. */
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** The label of headless services' Endpoints and EndpointSlices (v1.IsHeadlessService). */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/**
 * The service's selector, or undefined when it has none: such a service's endpoints are kept by hand
 * (or, for default/kubernetes, by the apiserver), and the controllers leave them alone.
 */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/**
 * Whether the pod is an endpoint at all (ShouldPodBeInEndpoints): it has an IP, has not finished, and is
 * not being deleted unless terminating pods are wanted (EndpointSlices always want them; Endpoints only
 * with publishNotReadyAddresses).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs?.length)) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/**
 * The port number a service port reaches on this pod (podutil.FindPort): a number as it is, a name looked
 * up among the pod's container ports (app containers and restartable init containers) of the same
 * protocol. Undefined when the pod has no such named port: the pod is then no endpoint for that port.
 */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** A pod's hostname goes into the endpoint when its subdomain is this service (ShouldSetHostname). */
export function endpointHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  if (h && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace) return h;
  return undefined;
}

/** The pod's IPs of one family (4 or 6), primary first. */
export function podIPs(pod: Pod, family: 4 | 6): string[] {
  const all = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return all.filter((ip) => (family === 6) === ip.includes(':'));
}

/** When a pod last changed in a way endpoints care about: its Ready transition, else its creation (getPodTriggerTime). */
function podTriggerTime(pod: Pod): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? pod.metadata.creationTimestamp;
}

/**
 * The last-change-trigger-time of each service (upstream TriggerTimeTracker): the earliest trigger time
 * among the service and pods that changed since the last sync of that service, so the annotation tells
 * when the oldest change that this write carries happened. Undefined when nothing the tracker sees changed.
 */
export class TriggerTimeTracker {
  private readonly state = new Map<string, { service?: string; pods: Map<string, string | undefined> }>();

  compute(key: string, svc: Service, pods: Pod[]): string | undefined {
    const prev = this.state.get(key);
    const next = { service: svc.metadata.creationTimestamp, pods: new Map<string, string | undefined>() };
    let min: string | undefined;
    const consider = (t: string | undefined) => {
      if (t && (!min || Date.parse(t) < Date.parse(min))) min = t;
    };
    if (!prev || prev.service !== next.service) consider(next.service);
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      next.pods.set(pod.metadata.name!, t);
      if (!prev || prev.pods.get(pod.metadata.name!) !== t) consider(t);
    }
    this.state.set(key, next);
    return min;
  }

  forget(key: string): void {
    this.state.delete(key);
  }
}

/** Go's RFC3339Nano of a metav1 time (seconds precision in the API): what the annotation holds. */
export function triggerTimeValue(t: string): string {
  return new Date(Date.parse(t)).toISOString().replace(/\.000Z$/, 'Z');
}
