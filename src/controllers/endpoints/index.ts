import { isDeepStrictEqual } from 'node:util';
import { isDeletedFinalStateUnknown, isNotFound, NAMESPACE_INDEX, objectKey, resources, runWorkers, splitKey, WorkQueue } from '../../client/index.js';
import type { DeletedFinalStateUnknown, Endpoints, Pod, Service } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import { HEADLESS_LABEL, isHeadless, LAST_CHANGE_TRIGGER_TIME, selects, serviceSelector, TriggerTimeTracker, triggerTimeValue } from '../util/service-pods.js';
import { desiredSubsets, OVER_CAPACITY, truncate } from './subsets.js';

export const name = 'endpoint';

/** client-go's leader election record annotation (resourcelock.LeaderElectionRecordAnnotationKey). */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export interface EndpointsOptions {
  /** --concurrent-endpoint-syncs (default 5). */
  workers?: number;
}

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return isDeletedFinalStateUnknown(obj) ? obj.obj : obj;
}

/** The Endpoints' labels: the service's, with the headless label exactly when the service is headless. */
function endpointsLabels(svc: Service): Record<string, string> {
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

/**
 * The Endpoints controller (upstream: pkg/controller/endpoint): for every service with a selector, an
 * Endpoints object of the same name listing the selected pods' IPs per set of ports, ready pods under
 * addresses and the others under notReadyAddresses (all under addresses with publishNotReadyAddresses).
 * Services without a selector keep Endpoints written by someone else (default/kubernetes: the apiserver).
 */
export async function start(ctx: ControllerContext, opts: EndpointsOptions = {}): Promise<void> {
  const services = ctx.informers.informerFor(resources.services);
  const pods = ctx.informers.informerFor(resources.pods);
  const endpoints = ctx.informers.informerFor(resources.endpoints);
  const queue = new WorkQueue<string>({ name: 'endpoint' });
  const tracker = new TriggerTimeTracker();

  services.addEventHandler({
    onAdd: (s) => queue.add(objectKey(s)),
    onUpdate: (_o, s) => queue.add(objectKey(s)),
    onDelete: (s) => queue.add(objectKey(unwrap(s))),
  });
  // A pod change matters to every service of its namespace that selects it, before or after.
  const podChanged = (...versions: Pod[]) => {
    const ns = versions[0].metadata.namespace ?? '';
    for (const svc of services.store.byIndex(NAMESPACE_INDEX, ns)) {
      const sel = serviceSelector(svc);
      if (sel && versions.some((p) => selects(sel, p.metadata.labels))) queue.add(objectKey(svc));
    }
  };
  pods.addEventHandler({
    onAdd: (p) => podChanged(p),
    onUpdate: (o, p) => {
      if (o.metadata.resourceVersion !== p.metadata.resourceVersion) podChanged(o, p);
    },
    onDelete: (p) => podChanged(unwrap(p)),
  });
  // Someone deleted or changed our Endpoints: put them back.
  endpoints.addEventHandler({
    onDelete: (e) => {
      const key = objectKey(unwrap(e));
      if (services.store.get(key)) queue.add(key);
    },
  });

  if (!(await ctx.informers.waitForCacheSync(ctx.signal))) return;
  // Endpoints whose service is gone (deleted while no controller ran) go on the first pass
  // (checkLeftoverEndpoints); leader-election records kept in Endpoints are not services' and stay.
  for (const e of endpoints.store.list()) {
    if (!e.metadata.annotations?.[LEADER_ANNOTATION]) queue.add(objectKey(e));
  }
  const recorder = ctx.recorder('endpoint-controller');
  /** key -> the resourceVersion our last update replaced: seeing it again in the cache means the cache lags. */
  const replaced = new Map<string, string>();

  const sync = async (key: string): Promise<void> => {
    const { namespace, name: svcName } = splitKey(key);
    const api = ctx.client.resource(resources.endpoints, namespace);
    const svc = services.store.get(key);
    if (!svc) {
      tracker.forget(key);
      replaced.delete(key);
      try {
        await api.delete(svcName);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    // ExternalName services have no endpoints of their own; services without a selector get theirs by hand.
    if (svc.spec?.type === 'ExternalName') return;
    const selector = serviceSelector(svc);
    if (!selector) return;
    const selected = pods.store.byIndex(NAMESPACE_INDEX, namespace ?? '').filter((p) => selects(selector, p.metadata.labels));
    const triggerTime = tracker.compute(key, svc, selected);
    const { subsets: all } = desiredSubsets(svc, selected);
    const { subsets, truncated } = truncate(all);
    const labels = endpointsLabels(svc);
    const current = endpoints.store.get(key);
    if (current && replaced.get(key) === current.metadata.resourceVersion) {
      throw new Error(`endpoints informer cache is out of date, resource version ${current.metadata.resourceVersion} already processed for endpoints ${key}`);
    }
    if (
      current &&
      isDeepStrictEqual(current.subsets ?? [], subsets) &&
      isDeepStrictEqual(current.metadata.labels ?? {}, labels) &&
      (current.metadata.annotations?.[OVER_CAPACITY] === 'truncated') === truncated
    ) {
      return;
    }
    const annotations = { ...(current?.metadata.annotations ?? {}) };
    if (triggerTime) annotations[LAST_CHANGE_TRIGGER_TIME] = triggerTimeValue(triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    if (truncated) annotations[OVER_CAPACITY] = 'truncated';
    else delete annotations[OVER_CAPACITY];
    const next: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? { name: svcName, namespace }), labels, annotations },
      subsets,
    };
    try {
      if (current) {
        const updated = await api.update(next);
        if (updated.metadata.resourceVersion !== current.metadata.resourceVersion) replaced.set(key, current.metadata.resourceVersion!);
      } else {
        await api.create(next);
      }
    } catch (e) {
      // The namespace is going away: nothing to keep up to date there.
      if (!current && (e as { status?: { details?: { causes?: { reason?: string }[] } } }).status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
      const message = e instanceof Error ? e.message : String(e);
      if (current) recorder.event(next, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${message}`);
      else recorder.event(next, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${key}: ${message}`);
      throw e;
    }
  };
  await runWorkers(queue, opts.workers ?? 5, sync, ctx.signal, ctx.log);
}
