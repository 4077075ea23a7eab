/**
 * The replica controller shared by ReplicaSets and ReplicationControllers (upstream
 * pkg/controller/replicaset): keeps spec.replicas active pods matching the selector, adopting orphans
 * and releasing pods that stopped matching, and reports status. Informer handlers only enqueue keys;
 * `sync` reconciles one key.
 */
import { isDeletedFinalStateUnknown, isNotFound, NAMESPACE_INDEX, objectKey, resources, runWorkers, splitKey, WorkQueue } from '../../client/index.js';
import type { DeletedFinalStateUnknown, EventRecorder, Pod, SharedInformer } from '../../client/index.js';
import { matchesLabels } from '../../machinery/labels.js';
import type { LabelSelector } from '../../machinery/labels.js';
import type { ControllerContext } from '../context.js';
import { assertSameLiveOwner, claimObjects, controllerOf, newControllerRef, referenceFor } from '../util/controller-ref.js';
import { errorMessage, isNamespaceTerminating } from '../util/errors.js';
import { Expectations } from '../util/expectations.js';
import { isPodActive, isPodReady, podKey } from '../util/pod-state.js';
import { slowStartBatch } from '../util/slow-start.js';
import { podsToDelete } from './pod-ranking.js';
import { podFromTemplate } from './pod-template.js';
import type { ReplicaKind, ReplicatedObject } from './replica-kind.js';
import { calculateStatus, statusNeedsUpdate } from './status.js';
import type { ManageOutcome, ReplicaStatus } from './status.js';

/** Upstream's burstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500;
/** Upstream's SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;
/** Upstream retries a failed status write once, after a fresh GET. */
const STATUS_UPDATE_RETRIES = 1;

export interface ReplicaControllerOptions {
  workers?: number;
}

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return isDeletedFinalStateUnknown(obj) ? obj.obj : obj;
}


export class ReplicaController<T extends ReplicatedObject> {
  readonly queue: WorkQueue<string>;
  readonly expectations = new Expectations();
  private readonly owners: SharedInformer<T>;
  private readonly pods: SharedInformer<Pod>;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly kind: ReplicaKind<T>,
    private readonly opts: ReplicaControllerOptions = {},
  ) {
    this.queue = new WorkQueue<string>({ name: kind.name });
    this.owners = ctx.informers.informerFor(kind.ref);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.recorder = ctx.recorder(kind.component);
    this.owners.addEventHandler({
      onAdd: (o) => this.enqueue(o),
      onUpdate: (_old, cur) => this.enqueue(cur),
      onDelete: (o) => {
        const owner = unwrap(o);
        this.expectations.delete(objectKey(owner));
        this.enqueue(owner);
      },
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podAdded(p),
      onUpdate: (old, cur) => this.podUpdated(old, cur),
      onDelete: (p) => this.podDeleted(unwrap(p)),
    });
  }

  async run(): Promise<void> {
    const { signal } = this.ctx;
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (!(await this.ctx.informers.waitForCacheSync(signal))) return;
    await runWorkers(this.queue, this.opts.workers ?? 5, (key) => this.syncLogged(key), signal);
  }

  /** A failed sync is logged (as upstream's HandleError) and requeued with backoff by runWorkers. */
  private async syncLogged(key: string): Promise<void> {
    try {
      await this.sync(key);
    } catch (e) {
      this.ctx.log.warn(`%s: error syncing %s: %s`, this.kind.name, key, errorMessage(e));
      throw e;
    }
  }

  private enqueue(owner: T): void {
    this.queue.add(objectKey(owner));
  }

  // ---- pod event handlers: find the owner(s) concerned and enqueue them -------------------------

  /** The live owner a controller reference points to, if it is of our kind and the same uid. */
  private resolveRef(namespace: string | undefined, pod: Pod): T | undefined {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== this.kind.ownerKind.kind) return undefined;
    const owner = this.owners.store.get(`${namespace}/${ref.name}`);
    return owner && owner.metadata.uid === ref.uid ? owner : undefined;
  }

  /** Owners whose (non-empty) selector matches an orphan pod's labels. */
  private ownersSelecting(pod: Pod): T[] {
    const found: T[] = [];
    for (const owner of this.owners.store.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')) {
      const sel = this.selectorOrNothing(owner);
      if (sel === 'nothing' || sel.length === 0) continue;
      if (matchesLabels(sel, pod.metadata.labels)) found.push(owner);
    }
    return found;
  }

  private selectorOrNothing(owner: T): LabelSelector | 'nothing' {
    try {
      return this.kind.selector(owner);
    } catch {
      return 'nothing';
    }
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      // A restarted controller may see a pod already being deleted: count it as deleted.
      this.podDeleted(pod);
      return;
    }
    if (controllerOf(pod)) {
      const owner = this.resolveRef(pod.metadata.namespace, pod);
      if (!owner) return;
      this.expectations.creationObserved(objectKey(owner));
      this.enqueue(owner);
      return;
    }
    for (const owner of this.ownersSelecting(pod)) this.enqueue(owner);
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return; // a resync
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      // Graceful deletion started: the pod stops counting now, and expectations see it as deleted.
      this.podDeleted(cur);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const oldRef = controllerOf(old);
    const curRef = controllerOf(cur);
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(curRef);
    if (refChanged && oldRef) {
      const oldOwner = this.resolveRef(old.metadata.namespace, old);
      if (oldOwner) this.enqueue(oldOwner);
    }
    if (curRef) {
      const owner = this.resolveRef(cur.metadata.namespace, cur);
      if (!owner) return;
      this.enqueue(owner);
      // Becoming available takes minReadySeconds after becoming ready: look again then.
      const minReady = owner.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.queue.addAfter(objectKey(owner), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const owner of this.ownersSelecting(cur)) this.enqueue(owner);
  }

  private podDeleted(pod: Pod): void {
    const owner = this.resolveRef(pod.metadata.namespace, pod);
    if (!owner) return;
    const key = objectKey(owner);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }

  // ---- reconcile -----------------------------------------------------------------------------

  async sync(key: string): Promise<void> {
    const owner = this.owners.store.get(key);
    if (!owner) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    let selector: LabelSelector | 'nothing';
    try {
      selector = this.kind.selector(owner);
    } catch (e) {
      this.ctx.log.warn(`${this.kind.name}: ${key}: invalid selector: ${errorMessage(e)}`);
      return;
    }
    const namespace = splitKey(key).namespace ?? '';
    const active = this.pods.store.byIndex(NAMESPACE_INDEX, namespace).filter(isPodActive);
    const pods = await this.claimPods(owner, selector, active);

    let outcome: ManageOutcome = { diff: 0 };
    if (needsSync && !owner.metadata.deletionTimestamp) outcome = await this.manageReplicas(key, owner, pods);

    const minReady = owner.spec?.minReadySeconds ?? 0;
    const status = calculateStatus(owner.status, owner.spec?.template?.metadata?.labels ?? {}, pods, minReady, outcome);
    const updated = await this.updateStatus(owner, status);
    const replicas = updated.spec?.replicas ?? 1;
    if (
      outcome.error === undefined &&
      minReady > 0 &&
      (updated.status?.readyReplicas ?? 0) === replicas &&
      (updated.status?.availableReplicas ?? 0) !== replicas
    ) {
      this.queue.addAfter(key, minReady * 1000);
    }
    if (outcome.error !== undefined) throw outcome.error;
  }

  private claimPods(owner: T, selector: LabelSelector | 'nothing', pods: Pod[]): Promise<Pod[]> {
    const namespace = owner.metadata.namespace ?? '';
    const podClient = this.ctx.client.resource(resources.pods, namespace);
    const ownerClient = this.ctx.client.resource(this.kind.ref, namespace);
    return claimObjects(pods, {
      owner,
      kind: this.kind.ownerKind,
      matches: (p) => selector !== 'nothing' && matchesLabels(selector, p.metadata.labels),
      recheckOwner: async () => assertSameLiveOwner(await ownerClient.get(owner.metadata.name ?? ''), owner),
      patch: async (p, patch) => {
        await podClient.patch(p.metadata.name ?? '', patch, 'strategic');
      },
    });
  }

  private async manageReplicas(key: string, owner: T, pods: Pod[]): Promise<ManageOutcome> {
    const diff = pods.length - (owner.spec?.replicas ?? 1);
    if (diff < 0) return { diff, error: await this.createPods(key, owner, Math.min(-diff, BURST_REPLICAS)) };
    if (diff > 0) return { diff, error: await this.deletePods(key, owner, pods, Math.min(diff, BURST_REPLICAS)) };
    return { diff };
  }

  private async createPods(key: string, owner: T, count: number): Promise<unknown> {
    const namespace = owner.metadata.namespace ?? '';
    const podClient = this.ctx.client.resource(resources.pods, namespace);
    // Expect them before asking: the informer may see a creation before create() returns.
    this.expectations.expectCreations(key, count);
    const ref = newControllerRef(owner, this.kind.ownerKind);
    const result = await slowStartBatch(count, SLOW_START_INITIAL_BATCH, async () => {
      try {
        const pod = podFromTemplate(owner.spec?.template ?? {}, namespace, owner.metadata.name ?? '', ref);
        const created = await podClient.create(pod);
        this.recorder.event(referenceFor(owner, this.kind.ownerKind), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (e) {
        // Every creation fails in a terminating namespace; that is nothing to report.
        if (isNamespaceTerminating(e)) return;
        this.recorder.event(referenceFor(owner, this.kind.ownerKind), 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
        throw e;
      }
    });
    // Creations not made will never be observed.
    const skipped = count - result.successes;
    if (skipped > 0) this.expectations.lower(key, skipped, 0);
    return result.error;
  }

  /** Pods of every ReplicaSet under the same controlling owner (one Deployment's RSes), for ranking. */
  private relatedPods(owner: T): Pod[] {
    const ref = controllerOf(owner);
    const family = new Set<string>([owner.metadata.uid ?? '']);
    if (ref) {
      for (const o of this.owners.store.byIndex(NAMESPACE_INDEX, owner.metadata.namespace ?? '')) {
        if (controllerOf(o)?.uid === ref.uid) family.add(o.metadata.uid ?? '');
      }
    }
    return this.pods.store.byIndex(NAMESPACE_INDEX, owner.metadata.namespace ?? '').filter((p) => family.has(controllerOf(p)?.uid ?? '\0'));
  }

  private async deletePods(key: string, owner: T, pods: Pod[], count: number): Promise<unknown> {
    const victims = podsToDelete(pods, this.relatedPods(owner), count);
    this.expectations.expectDeletions(key, victims.map(podKey));
    const podClient = this.ctx.client.resource(resources.pods, owner.metadata.namespace ?? '');
    const errors: unknown[] = [];
    await Promise.all(
      victims.map(async (pod) => {
        try {
          await podClient.delete(pod.metadata.name ?? '');
          this.recorder.event(referenceFor(owner, this.kind.ownerKind), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (e) {
          // The deletion will not be observed as ours: stop expecting it.
          this.expectations.deletionObserved(key, podKey(pod));
          if (isNotFound(e)) return;
          this.recorder.event(referenceFor(owner, this.kind.ownerKind), 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
          errors.push(new Error(`unable to delete pods: ${errorMessage(e)}`));
        }
      }),
    );
    return errors[0];
  }

  private async updateStatus(owner: T, status: ReplicaStatus): Promise<T> {
    const generation = owner.metadata.generation ?? 0;
    if (!statusNeedsUpdate(owner.status, status, generation)) return owner;
    const client = this.ctx.client.resource(this.kind.ref, owner.metadata.namespace ?? '');
    let current = owner;
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.updateStatus({ ...current, status: { ...status, observedGeneration: generation } });
      } catch (e) {
        if (attempt >= STATUS_UPDATE_RETRIES) throw e;
        current = await client.get(owner.metadata.name ?? '');
      }
    }
  }
}
