import { isAlreadyExists, isConflict, isDeletedFinalStateUnknown, isNotFound, NAMESPACE_INDEX, objectKey, resources, runWorkers, splitKey, WorkQueue } from '../../client/index.js';
import type { DeletedFinalStateUnknown, EndpointSlice, Pod } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import { LAST_CHANGE_TRIGGER_TIME, selects, serviceSelector, TriggerTimeTracker, triggerTimeValue } from '../util/service-pods.js';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from './plan.js';

export const name = 'endpointslice';

export interface EndpointSliceOptions {
  /** --concurrent-service-endpoint-syncs (default 5). */
  workers?: number;
  /** --max-endpoints-per-slice (default 100). */
  maxEndpointsPerSlice?: number;
}

const SERVICE_INDEX = 'service';

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return isDeletedFinalStateUnknown(obj) ? obj.obj : obj;
}

function serviceKeyOf(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${slice.metadata.namespace}/${svc}` : undefined;
}

/**
 * What this controller wrote and the cache has not shown yet (upstream: endpointSliceTracker). Acting on
 * a cache older than our own writes would create slices twice; such a sync waits and retries instead.
 */
class WrittenSlices {
  /** service key -> slice name -> resourceVersion written, or null once deleted */
  private readonly written = new Map<string, Map<string, string | null>>();

  record(svcKey: string, slice: string, rv: string | null): void {
    let m = this.written.get(svcKey);
    if (!m) this.written.set(svcKey, (m = new Map()));
    m.set(slice, rv);
  }

  /** True while the cache lags a write of ours; entries the cache has caught up with are dropped. */
  stale(svcKey: string, cached: (name: string) => EndpointSlice | undefined): boolean {
    const m = this.written.get(svcKey);
    if (!m) return false;
    for (const [slice, rv] of m) {
      const c = cached(slice);
      const behind = rv === null ? c !== undefined : !c || BigInt(c.metadata.resourceVersion ?? '0') < BigInt(rv);
      if (!behind) m.delete(slice);
    }
    if (m.size === 0) this.written.delete(svcKey);
    return m.size > 0;
  }

  forget(svcKey: string): void {
    this.written.delete(svcKey);
  }
}

/**
 * The EndpointSlice controller (upstream: pkg/controller/endpointslice): for every service with a
 * selector, EndpointSlices labelled kubernetes.io/service-name and managed-by this controller, owned by
 * the service, holding the selected pods as endpoints with ready/serving/terminating conditions, at most
 * --max-endpoints-per-slice each.
 */
export async function start(ctx: ControllerContext, opts: EndpointSliceOptions = {}): Promise<void> {
  const services = ctx.informers.informerFor(resources.services);
  const pods = ctx.informers.informerFor(resources.pods);
  const slices = ctx.informers.informerFor(resources.endpointslices, { labelSelector: `${MANAGED_BY_LABEL}=${CONTROLLER_NAME}` });
  slices.store.addIndexers({ [SERVICE_INDEX]: (s) => { const k = serviceKeyOf(s); return k ? [k] : []; } });
  const queue = new WorkQueue<string>({ name: 'endpoint_slice' });
  const tracker = new TriggerTimeTracker();
  const written = new WrittenSlices();
  const max = opts.maxEndpointsPerSlice ?? 100;

  services.addEventHandler({
    onAdd: (s) => queue.add(objectKey(s)),
    onUpdate: (_o, s) => queue.add(objectKey(s)),
    onDelete: (s) => queue.add(objectKey(unwrap(s))),
  });
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
  const sliceChanged = (s: EndpointSlice) => {
    const k = serviceKeyOf(s);
    if (k) queue.add(k);
  };
  slices.addEventHandler({ onAdd: sliceChanged, onUpdate: (_o, s) => sliceChanged(s), onDelete: (s) => sliceChanged(unwrap(s)) });

  if (!(await ctx.informers.waitForCacheSync(ctx.signal))) return;

  const sync = async (key: string): Promise<void> => {
    const { namespace } = splitKey(key);
    const api = ctx.client.resource(resources.endpointslices, namespace);
    const svc = services.store.get(key);
    // A deleted service's slices go with it through the garbage collector (they are owned by it).
    if (!svc) {
      tracker.forget(key);
      written.forget(key);
      return;
    }
    const selector = serviceSelector(svc);
    if (!selector || svc.spec?.type === 'ExternalName') return;
    if (written.stale(key, (n) => slices.store.get(`${namespace}/${n}`))) {
      throw new Error(`EndpointSlice informer cache is out of date for service ${key}`);
    }
    const selected = pods.store.byIndex(NAMESPACE_INDEX, namespace ?? '').filter((p) => selects(selector, p.metadata.labels));
    const plan = planSlices(svc, selected, slices.store.byIndex(SERVICE_INDEX, key), max);
    if (plan.create.length + plan.update.length + plan.delete.length === 0) return;
    const trigger = tracker.compute(key, svc, selected);
    const stamp = (s: EndpointSlice): EndpointSlice => {
      const annotations = { ...(s.metadata.annotations ?? {}) };
      if (trigger) annotations[LAST_CHANGE_TRIGGER_TIME] = triggerTimeValue(trigger);
      else delete annotations[LAST_CHANGE_TRIGGER_TIME];
      return { ...s, metadata: { ...s.metadata, annotations } };
    };
    try {
      // Creates and updates first, deletes last, so the service never lacks endpoints in between.
      for (const s of plan.create) {
        const made = await api.create(stamp(s));
        written.record(key, made.metadata.name!, made.metadata.resourceVersion!);
      }
      for (const s of plan.update) {
        const made = await api.update(stamp(s));
        written.record(key, made.metadata.name!, made.metadata.resourceVersion!);
      }
      for (const s of plan.delete) {
        try {
          await api.delete(s.metadata.name!, { preconditions: { uid: s.metadata.uid } });
        } catch (e) {
          if (!isNotFound(e) && !isConflict(e)) throw e;
        }
        written.record(key, s.metadata.name!, null);
      }
    } catch (e) {
      if (isConflict(e) || isAlreadyExists(e)) throw e;
      if ((e as { status?: { details?: { causes?: { reason?: string }[] } } }).status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
      throw e;
    }
  };
  await runWorkers(queue, opts.workers ?? 5, sync, ctx.signal, ctx.log);
}
