import { ApiError, isConflict, isNotFound, resources } from '../../client/index.js';
import type { Client, KubeObject, Logger, Namespace, Pod, ResourceRef } from '../../client/index.js';
import { discoverResources, discoveryFailureMessage, supportsAll } from '../discovery.js';
import type { DiscoveredResource } from '../discovery.js';
import { ConditionUpdater } from './conditions.js';

/** The token this controller owns in spec.finalizers. */
export const FINALIZER_KUBERNETES = 'kubernetes';
/** How long to wait for objects that still have finalizers (upstream's finalizerEstimateSeconds). */
const FINALIZER_ESTIMATE_SECONDS = 15;

/** Content remains that will go by itself: look again after `estimateSeconds`. */
export class ResourcesRemainingError extends Error {
  constructor(readonly estimateSeconds: number) {
    super(`some content remains in the namespace, estimate ${estimateSeconds} seconds before it is removed`);
  }
}

function isMethodNotSupported(err: unknown): boolean {
  return err instanceof ApiError && err.code === 405;
}

function gvrString(ref: ResourceRef): string {
  // Go's GroupVersionResource %v: "apps/v1, Resource=deployments", "/v1, Resource=pods".
  return `${ref.group}/${ref.version}, Resource=${ref.resource}`;
}

interface GVRResult {
  estimate: number;
  remaining: number;
  finalizers: Map<string, number>;
}

/**
 * Empties a Terminating namespace and then releases it (upstream: pkg/controller/namespace/deletion,
 * namespacedResourcesDeleter): every namespaced resource that can be deleted is deleted (deleteCollection
 * where the resource has it, else one by one), pods first, the status conditions say what remains, and
 * when nothing does the `kubernetes` finalizer is removed through namespaces/{name}/finalize.
 */
export class NamespacedResourcesDeleter {
  constructor(
    private readonly client: Client,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  private get namespaces() {
    return this.client.resource(resources.namespaces);
  }

  /** Throws ResourcesRemainingError when content remains that needs time, other errors to retry. */
  async delete(name: string): Promise<void> {
    let ns: Namespace;
    try {
      ns = await this.namespaces.get(name, { signal: this.signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp) return;
    ns = await this.retryOnConflict(ns, (n) => this.markTerminating(n));
    if ((ns.spec?.finalizers ?? []).length === 0 || !(ns.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES)) return;

    const estimate = await this.deleteAllContent(ns);
    if (estimate > 0) throw new ResourcesRemainingError(estimate);
    await this.retryOnConflict(ns, (n) => this.finalize(n));
    this.log.info({ namespace: name }, 'namespace controller: namespace emptied and finalized');
  }

  private async retryOnConflict(ns: Namespace, fn: (ns: Namespace) => Promise<Namespace>): Promise<Namespace> {
    let latest = ns;
    for (;;) {
      try {
        return await fn(latest);
      } catch (err) {
        if (!isConflict(err)) throw err;
        const fresh = await this.namespaces.get(ns.metadata.name!, { signal: this.signal });
        if (fresh.metadata.uid !== ns.metadata.uid) throw new Error('namespace uid has changed across retries');
        latest = fresh;
      }
    }
  }

  private async markTerminating(ns: Namespace): Promise<Namespace> {
    if (ns.status?.phase === 'Terminating') return ns;
    return this.namespaces.updateStatus({ ...ns, status: { ...ns.status, phase: 'Terminating' } }, { signal: this.signal });
  }

  /** Removes our token from spec.finalizers through the finalize subresource; gone already is fine. */
  private async finalize(ns: Namespace): Promise<Namespace> {
    const finalizers = [...new Set((ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER_KUBERNETES))].sort();
    const body: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: ns.metadata, spec: { ...ns.spec, finalizers } };
    try {
      return (await this.namespaces.subresource(ns.metadata.name!, 'finalize').update(body)) as Namespace;
    } catch (err) {
      if (isNotFound(err)) return ns;
      throw err;
    }
  }

  /** Deletes everything in the namespace; returns an estimate in seconds of how long what remains will take. */
  private async deleteAllContent(ns: Namespace): Promise<number> {
    const namespace = ns.metadata.name!;
    const conditions = new ConditionUpdater();
    const errors: string[] = [];
    let discovered: DiscoveredResource[] = [];
    try {
      const d = await discoverResources(this.client, this.signal);
      discovered = d.resources;
      if (d.failed.size > 0) {
        const msg = discoveryFailureMessage(d.failed);
        conditions.discoveryFailed(msg, d.failed.size);
        errors.push(msg);
      }
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      conditions.discoveryFailed(msg, 1);
      errors.push(msg);
    }
    const deletable = discovered.filter((r) => r.ref.namespaced && supportsAll(r, ['delete']));
    // Pods go first (upstream's OrderedNamespaceDeletion, on in 1.33), so workloads cannot outlive their pods' policies.
    const pods = deletable.filter((r) => r.ref.group === '' && r.ref.resource === 'pods');
    const rest = deletable.filter((r) => !(r.ref.group === '' && r.ref.resource === 'pods'));

    let estimate = 0;
    const byResource = new Map<string, number>();
    const byFinalizer = new Map<string, number>();
    const process = async (list: DiscoveredResource[]) => {
      for (const r of list) {
        try {
          const result = await this.deleteAllOf(r, namespace);
          estimate = Math.max(estimate, result.estimate);
          if (result.remaining > 0) byResource.set(`${r.ref.resource}.${r.ref.group}`, result.remaining);
          for (const [f, n] of result.finalizers) byFinalizer.set(f, (byFinalizer.get(f) ?? 0) + n);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          conditions.deleteContentFailed(msg);
          errors.push(msg);
        }
      }
    };
    await process(pods);
    if (byResource.size === 0) await process(rest);
    conditions.contentTotals(byResource, byFinalizer);
    await this.writeConditions(ns, conditions);
    if (errors.length > 0) throw new Error(errors.join('; '));
    if (byResource.size > 0 && estimate === 0) estimate = FINALIZER_ESTIMATE_SECONDS;
    return estimate;
  }

  private async writeConditions(ns: Namespace, conditions: ConditionUpdater): Promise<void> {
    try {
      await this.retryOnConflict(ns, async (n) => {
        const copy: Namespace = structuredClone(n);
        copy.status ??= {};
        if (!conditions.update(copy.status)) return n;
        return this.namespaces.updateStatus(copy, { signal: this.signal });
      });
    } catch (err) {
      // As upstream, a failed condition write is logged, not a reason to stop deleting.
      this.log.warn({ namespace: ns.metadata.name, err: String(err) }, 'namespace controller: could not update status conditions');
    }
  }

  /** upstream's deleteAllContentForGroupVersionResource. */
  private async deleteAllOf(r: DiscoveredResource, namespace: string): Promise<GVRResult> {
    const api = this.client.resource(r.ref, namespace);
    const estimate = r.ref.group === '' && r.ref.resource === 'pods' ? await this.estimatePodTermination(namespace) : 0;
    let collectionDone = false;
    if (supportsAll(r, ['deletecollection'])) {
      try {
        await api.deleteCollection({ propagationPolicy: 'Background', signal: this.signal });
        collectionDone = true;
      } catch (err) {
        if (!isMethodNotSupported(err) && !isNotFound(err)) throw err;
      }
    }
    if (!collectionDone && supportsAll(r, ['list'])) {
      const list = await api.list({ signal: this.signal });
      for (const item of list.items) {
        try {
          await api.delete(item.metadata.name!, { propagationPolicy: 'Background', signal: this.signal });
        } catch (err) {
          if (!isNotFound(err) && !isMethodNotSupported(err)) throw err;
        }
      }
    }
    if (!supportsAll(r, ['list'])) return { estimate, remaining: 0, finalizers: new Map() };
    const left = (await api.list({ signal: this.signal })).items as KubeObject[];
    if (left.length === 0) return { estimate: 0, remaining: 0, finalizers: new Map() };
    const finalizers = new Map<string, number>();
    for (const item of left) for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    if (estimate > 0) return { estimate, remaining: left.length, finalizers };
    if (finalizers.size > 0) return { estimate: FINALIZER_ESTIMATE_SECONDS, remaining: left.length, finalizers };
    throw new Error(`unexpected items still remain in namespace: ${namespace} for gvr: ${gvrString(r.ref)}`);
  }

  /** The longest grace period of the pods that have not finished (upstream's estimateGracefulTerminationForPods). */
  private async estimatePodTermination(namespace: string): Promise<number> {
    const pods = await this.client.resource(resources.pods, namespace).list({ signal: this.signal });
    let estimate = 0;
    for (const p of pods.items as Pod[]) {
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const grace = p.spec?.terminationGracePeriodSeconds;
      if (grace !== undefined && grace > estimate) estimate = grace;
    }
    return estimate;
  }
}
