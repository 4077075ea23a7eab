import { isConflict, isDeletedFinalStateUnknown, isNotFound, runWorkers, WorkQueue } from '../../client/index.js';
import type { KubeObject, OwnerReference, ResourceRef } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import { discoverResources, discoveryFailureMessage, ResourceMapper, supportsAll } from '../discovery.js';
import type { DiscoveredResource } from '../discovery.js';
import { decideAttemptToDelete } from './classify.js';
import type { OwnerState } from './classify.js';
import { DependencyGraph, FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from './graph.js';
import { NamespacedOwnerOfClusterScopedObject, OwnerResolver } from './owners.js';
import type { Identity, ObservedObject, OwnerRef } from './graph.js';

export interface GarbageCollectorOptions {
  /** Workers per queue (kube-controller-manager's --concurrent-gc-syncs, default 20). */
  workers?: number;
  /** "resource.group" entries the collector neither watches nor deletes (upstream: events). */
  ignoredResources?: string[];
  /** How often discovery is read again for new resources (upstream: 30 s). */
  discoveryPeriodMs?: number;
}

/** Upstream's default GCIgnoredResources (controller-manager configuration): both kinds of events. */
const DEFAULT_IGNORED = ['events', 'events.events.k8s.io'];

function identityOf(obj: KubeObject, ref: ResourceRef): Identity {
  return {
    apiVersion: ref.group ? `${ref.group}/${ref.version}` : ref.version,
    kind: ref.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
  };
}

function observed(obj: KubeObject, ref: ResourceRef): ObservedObject {
  return {
    identity: identityOf(obj, ref),
    ownerReferences: (obj.metadata.ownerReferences ?? []) as OwnerRef[],
    beingDeleted: !!obj.metadata.deletionTimestamp,
    finalizers: obj.metadata.finalizers ?? [],
  };
}

/** A merge patch removes a field set to null: an emptied list is dropped, as upstream stores it. */
function nullIfEmpty<T>(list: T[]): T[] | null {
  return list.length > 0 ? list : null;
}

function resourceKey(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

/**
 * kube-controller-manager's garbage collector: a dependency graph over every resource that can be listed,
 * watched and deleted, fed by informers; workers that delete objects whose owners are all gone (after
 * asking the server about each owner), carry out foreground deletion (dependents first, then the
 * foregroundDeletion finalizer goes) and orphaning (references removed, then the orphan finalizer goes).
 */
export class GarbageCollector {
  private readonly graph = new DependencyGraph();
  private readonly mapper = new ResourceMapper();
  private readonly watched = new Set<string>();
  private readonly attemptToDelete = new WorkQueue<string>({ name: 'garbage_collector_attempt_to_delete' });
  private readonly attemptToOrphan = new WorkQueue<string>({ name: 'garbage_collector_attempt_to_orphan' });
  private readonly owners: OwnerResolver;
  private readonly ignored: Set<string>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: GarbageCollectorOptions = {},
  ) {
    this.ignored = new Set(opts.ignoredResources ?? DEFAULT_IGNORED);
    this.owners = new OwnerResolver(ctx, this.graph, this.mapper);
  }

  async run(): Promise<void> {
    const { signal, log } = this.ctx;
    // The first discovery is retried until it works: the collector cannot start without knowing the resources.
    for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await this.syncMonitors();
        break;
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ err: String(err), retryInMs: delay }, 'garbage collector: discovery failed');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
        });
        if (signal.aborted) return;
      }
    }
    if (!(await this.ctx.informers.waitForCacheSync(signal))) return;
    log.info({ resources: this.watched.size, objects: this.graph.size }, 'garbage collector: all resource monitors have synced');
    const timer = setInterval(() => {
      this.syncMonitors().catch((err: unknown) => log.warn({ err: String(err) }, 'garbage collector: discovery failed'));
    }, this.opts.discoveryPeriodMs ?? 30_000);
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    const workers = this.opts.workers ?? 20;
    await Promise.all([
      runWorkers(this.attemptToDelete, workers, (uid) => this.attemptToDeleteItem(uid), signal, log),
      runWorkers(this.attemptToOrphan, workers, (uid) => this.attemptToOrphanItem(uid), signal, log),
    ]);
    clearInterval(timer);
  }

  /** Watches every deletable resource discovery lists that is not watched yet (upstream's resyncMonitors). */
  private async syncMonitors(): Promise<void> {
    const discovered = await discoverResources(this.ctx.client, this.ctx.signal);
    // As upstream, what could be discovered is collected; the failing group-versions are retried next time.
    if (discovered.failed.size > 0) this.ctx.log.warn({ err: discoveryFailureMessage(discovered.failed) }, 'garbage collector: partial discovery');
    this.mapper.add(discovered.resources);
    const deletable = discovered.resources.filter((r: DiscoveredResource) => supportsAll(r, ['list', 'watch', 'delete']) && !this.ignored.has(resourceKey(r.ref)));
    for (const { ref } of deletable) {
      const key = `${ref.group}/${ref.version}/${ref.resource}`;
      if (this.watched.has(key)) continue;
      this.watched.add(key);
      this.monitor(ref);
    }
  }

  private monitor(ref: ResourceRef): void {
    this.ctx.informers.informerFor(ref).addEventHandler({
      onAdd: (obj) => this.apply(this.graph.observe(observed(obj, ref), this.isNamespaced)),
      onUpdate: (_old, obj) => this.apply(this.graph.observe(observed(obj, ref), this.isNamespaced)),
      onDelete: (obj) => {
        const o = isDeletedFinalStateUnknown(obj) ? obj.obj : obj;
        const uid = o.metadata.uid;
        if (!uid) return;
        const node = this.graph.get(uid);
        // Siblings that still name the deleted owner need not ask the server about it.
        if (node && this.graph.dependents(uid).length > 0) this.owners.rememberAbsent(node.identity, node.identity.namespace);
        this.apply(this.graph.remove(uid));
      },
    });
  }

  private readonly isNamespaced = (apiVersion: string, kind: string): boolean | undefined => this.mapper.find(apiVersion, kind)?.namespaced;

  private apply(actions: { attemptToDelete: string[]; attemptToOrphan: string[] }): void {
    for (const uid of actions.attemptToDelete) this.attemptToDelete.add(uid);
    for (const uid of actions.attemptToOrphan) this.attemptToOrphan.add(uid);
  }

  private refFor(apiVersion: string, kind: string): ResourceRef {
    const ref = this.mapper.find(apiVersion, kind);
    if (!ref) throw new Error(`unable to get REST mapping for ${apiVersion}/${kind}`);
    return ref;
  }

  /** The object as the server has it now, or undefined when it is gone or is another incarnation. */
  private async getLive(id: Identity): Promise<KubeObject | undefined> {
    const ref = this.refFor(id.apiVersion, id.kind);
    try {
      const obj = await this.ctx.client.resource(ref, ref.namespaced ? id.namespace : undefined).get(id.name, { signal: this.ctx.signal });
      return obj.metadata.uid === id.uid ? obj : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** upstream's attemptToDeleteItem. */
  private async attemptToDeleteItem(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (node.beingDeleted && !node.deletingDependents) return;
    const latest = await this.getLive(node.identity);
    if (!latest) return; // the informer will report the deletion
    const meta = latest.metadata;
    if (meta.deletionTimestamp && (meta.finalizers ?? []).includes(FINALIZER_FOREGROUND)) {
      return this.processDeletingDependents(node.identity, latest);
    }
    if (meta.deletionTimestamp) return; // being deleted by someone else: not ours to decide
    const owners = (meta.ownerReferences ?? []) as OwnerRef[];
    if (owners.length === 0) return;
    const states = new Map<string, OwnerState>();
    try {
      for (const o of owners) {
        const state = await this.owners.state(o, meta.namespace ?? '');
        if (state === 'absent') this.owners.reportInvalidNamespace(node.identity, o);
        states.set(o.uid, state);
      }
    } catch (err) {
      if (err instanceof NamespacedOwnerOfClusterScopedObject) {
        this.ctx.log.warn({ object: node.identity, err: err.message }, 'garbage collector: ignoring an invalid owner reference');
        return;
      }
      throw err;
    }
    const dependents = this.graph.dependents(uid);
    const decision = decideAttemptToDelete({
      owners,
      states,
      finalizers: meta.finalizers ?? [],
      hasDependents: dependents.length > 0,
      aDependentIsDeletingDependents: dependents.some((d) => d.deletingDependents),
    });
    const ref = this.refFor(node.identity.apiVersion, node.identity.kind);
    const api = this.ctx.client.resource(ref, ref.namespaced ? node.identity.namespace : undefined);
    switch (decision.action) {
      case 'none':
        return;
      case 'removeOwnerReferences': {
        const remaining = owners.filter((o) => !decision.uids.includes(o.uid));
        this.ctx.log.info({ kind: node.identity.kind, namespace: node.identity.namespace, name: node.identity.name, removed: decision.uids }, 'garbage collector: removing references to owners that are gone or waiting');
        await api.patch(node.identity.name, { metadata: { resourceVersion: meta.resourceVersion, ownerReferences: nullIfEmpty(remaining) } }, 'merge', { signal: this.ctx.signal });
        return;
      }
      case 'deleteForeground': {
        if (decision.unblockOwners) {
          const unblocked = owners.map((o) => (o.blockOwnerDeletion ? { ...o, blockOwnerDeletion: false } : o));
          await api.patch(node.identity.name, { metadata: { resourceVersion: meta.resourceVersion, ownerReferences: unblocked } }, 'merge', { signal: this.ctx.signal });
        }
        return this.deleteObject(node.identity, latest, 'Foreground', !decision.unblockOwners);
      }
      case 'delete':
        return this.deleteObject(node.identity, latest, decision.policy, true);
    }
  }

  private async deleteObject(id: Identity, latest: KubeObject, policy: 'Orphan' | 'Foreground' | 'Background', withVersion: boolean): Promise<void> {
    const ref = this.refFor(id.apiVersion, id.kind);
    this.ctx.log.info({ kind: id.kind, namespace: id.namespace, name: id.name, uid: id.uid, propagationPolicy: policy }, 'garbage collector: deleting object');
    try {
      // The uid (and the version read) as preconditions: a newer incarnation, or a change to its owners since
      // it was read, makes the delete fail with a conflict and the object is looked at again.
      const preconditions = withVersion ? { uid: id.uid, resourceVersion: latest.metadata.resourceVersion } : { uid: id.uid };
      await this.ctx.client.resource(ref, ref.namespaced ? id.namespace : undefined).delete(id.name, { propagationPolicy: policy, preconditions, signal: this.ctx.signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  /** A foreground deletion: the finalizer goes once no dependent blocks the owner (processDeletingDependentsItem). */
  private async processDeletingDependents(id: Identity, latest: KubeObject): Promise<void> {
    const blocking = this.graph.blockingDependents(id.uid);
    if (blocking.length > 0) {
      for (const d of blocking) if (!d.beingDeleted) this.attemptToDelete.add(d.identity.uid);
      return;
    }
    await this.removeFinalizer(id, latest, FINALIZER_FOREGROUND);
  }

  private async removeFinalizer(id: Identity, latest: KubeObject, finalizer: string): Promise<void> {
    const ref = this.refFor(id.apiVersion, id.kind);
    const finalizers = (latest.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    this.ctx.log.info({ kind: id.kind, namespace: id.namespace, name: id.name, finalizer }, 'garbage collector: removing finalizer');
    try {
      await this.ctx.client
        .resource(ref, ref.namespaced ? id.namespace : undefined)
        .patch(id.name, { metadata: { resourceVersion: latest.metadata.resourceVersion, finalizers: nullIfEmpty(finalizers) } }, 'merge', { signal: this.ctx.signal });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  /** upstream's attemptToOrphanWorker: every dependent loses its reference to the owner, then the orphan finalizer goes. */
  private async attemptToOrphanItem(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    const owner = await this.getLive(node.identity);
    if (!owner || !owner.metadata.deletionTimestamp || !(owner.metadata.finalizers ?? []).includes(FINALIZER_ORPHAN)) return;
    for (const dep of this.graph.dependents(uid)) await this.orphanDependent(dep.identity, uid);
    await this.removeFinalizer(node.identity, owner, FINALIZER_ORPHAN);
  }

  private async orphanDependent(id: Identity, ownerUid: string): Promise<void> {
    const ref = this.refFor(id.apiVersion, id.kind);
    const api = this.ctx.client.resource(ref, ref.namespaced ? id.namespace : undefined);
    for (;;) {
      const latest = await this.getLive(id);
      if (!latest) return;
      const refs = (latest.metadata.ownerReferences ?? []) as OwnerReference[];
      if (!refs.some((r) => r.uid === ownerUid)) return;
      try {
        await api.patch(
          id.name,
          { metadata: { resourceVersion: latest.metadata.resourceVersion, ownerReferences: nullIfEmpty(refs.filter((r) => r.uid !== ownerUid)) } },
          'merge',
          { signal: this.ctx.signal },
        );
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
  }
}
