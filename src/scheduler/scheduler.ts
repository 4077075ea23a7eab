/**
 * The scheduler process's work (upstream's Scheduler.Run): pods without a node that name this scheduler are
 * queued, placed one at a time by the profile over the cache, assumed onto their node and bound through
 * pods/binding with a bounded number of bindings in flight. Pods that fit nowhere get PodScheduled=False
 * and a FailedScheduling event and wait for a change in the cluster.
 */
import { EventRecorder, isConflict, isDeletedFinalStateUnknown, isNotFound, objectKey, resources, SharedInformerFactory, silentLogger } from '../client/index.js';
import type { Client, DeletedFinalStateUnknown, Logger, SharedInformer } from '../client/index.js';
import { schedulePod } from './algorithm.js';
import { SchedulerCache } from './cache.js';
import type { Profile } from './framework.js';
import { defaultProfile } from './profile.js';
import { SchedulingQueue } from './queue.js';
import type { QueuedPod } from './queue.js';
import type { Node, Pod, PodCondition } from './types.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
const EVENT_WRITERS = 8;

export interface SchedulerOptions {
  client: Client;
  log?: Logger;
  /** The spec.schedulerName this scheduler serves (default-scheduler). */
  schedulerName?: string;
  /** Bindings in flight at once. */
  parallelBindings?: number;
  profile?: Profile;
  /** How often backoff and unschedulable pods are checked (upstream: 1 s and 30 s). */
  backoffFlushMs?: number;
  unschedulableFlushMs?: number;
}

export interface SchedulerStats {
  scheduled: number;
  unschedulable: number;
  bindErrors: number;
}

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return isDeletedFinalStateUnknown(obj) ? obj.obj : obj;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** RFC 3339 in whole seconds, as metav1.Time. */
function metaNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether a node change can make a waiting pod fit (upstream's node update events that move pods). */
function nodeChangeMatters(oldNode: Node, newNode: Node): boolean {
  const j = (v: unknown) => JSON.stringify(v ?? null);
  return (
    j(oldNode.status?.allocatable) !== j(newNode.status?.allocatable) ||
    j(oldNode.metadata.labels) !== j(newNode.metadata.labels) ||
    j(oldNode.spec?.taints) !== j(newNode.spec?.taints) ||
    Boolean(oldNode.spec?.unschedulable) !== Boolean(newNode.spec?.unschedulable)
  );
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue = new SchedulingQueue();
  readonly stats: SchedulerStats = { scheduled: 0, unschedulable: 0, bindErrors: 0 };
  private readonly log: Logger;
  private readonly name: string;
  private readonly profile: Profile;
  private readonly maxBindings: number;
  /**
   * Event writers: the client's recorder writes one event at a time, so events of different pods are
   * spread over several (each pod always to the same one, so its repeats are still counted together).
   */
  private readonly recorders: EventRecorder[];
  private bindingsInFlight = 0;
  private bindingSlot: (() => void)[] = [];
  private pods!: SharedInformer<Pod>;

  constructor(private readonly opts: SchedulerOptions) {
    this.log = opts.log ?? silentLogger;
    this.name = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.profile = opts.profile ?? defaultProfile;
    this.maxBindings = opts.parallelBindings ?? 64;
    this.recorders = Array.from({ length: EVENT_WRITERS }, () => new EventRecorder(opts.client, { component: this.name }, { log: this.log }));
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = objectKey(pod);
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
    this.recorders[Math.abs(h) % this.recorders.length].event(podRef(pod), type, reason, message);
  }

  private responsibleFor(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.name;
  }

  /**
   * `retry`: whether a pod waiting as unschedulable should be tried again; not for changes of its status
   * or resourceVersion only (upstream's isPodUpdated), such as the condition this scheduler writes.
   */
  private onPod(pod: Pod, retry = true): void {
    const key = objectKey(pod);
    if (pod.spec?.nodeName) {
      this.queue.delete(key);
      if (isTerminal(pod)) this.removeAssigned(key);
      else this.cache.addOrUpdatePod(pod);
      return;
    }
    if (pod.metadata.deletionTimestamp || isTerminal(pod) || !this.responsibleFor(pod)) {
      this.queue.delete(key);
      return;
    }
    this.queue.add(key, pod, retry);
  }

  /** A pod leaving a node frees room: waiting pods get another try. */
  private removeAssigned(key: string): void {
    this.cache.removePod(key);
    this.queue.moveAllToActiveOrBackoff();
  }

  private watch(informers: SharedInformerFactory): SharedInformer<Pod> {
    // Finished pods hold no resources: the scheduler does not watch them, as upstream.
    const pods = informers.informerFor(resources.pods, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' });
    pods.addEventHandler({
      onAdd: (pod) => this.onPod(pod),
      onUpdate: (oldPod, pod) => {
        // A pod that became terminating on its node still holds its resources until it is gone.
        if (oldPod.spec?.nodeName && !pod.spec?.nodeName) this.removeAssigned(objectKey(oldPod));
        this.onPod(pod, specChanged(oldPod, pod));
      },
      onDelete: (obj) => {
        const pod = unwrap(obj);
        const key = objectKey(pod);
        this.queue.delete(key);
        if (pod.spec?.nodeName || this.cache.isAssumed(key)) this.removeAssigned(key);
      },
    });
    const nodes = informers.informerFor(resources.nodes);
    nodes.addEventHandler({
      onAdd: (node) => {
        this.cache.addOrUpdateNode(node);
        this.queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (oldNode, node) => {
        this.cache.addOrUpdateNode(node);
        if (nodeChangeMatters(oldNode, node)) this.queue.moveAllToActiveOrBackoff();
      },
      onDelete: (obj) => this.cache.removeNode(unwrap(obj).metadata.name ?? ''),
    });
    return pods;
  }

  /** Runs until `signal` aborts (leadership lost or the process stopping). */
  async run(signal: AbortSignal): Promise<void> {
    const informers = new SharedInformerFactory(this.opts.client, { log: this.log });
    this.pods = this.watch(informers);
    informers.start(signal);
    if (!(await informers.waitForCacheSync(signal))) return;
    this.log.info({ nodes: this.cache.nodeCount(), pending: this.queue.counts().active }, 'scheduler caches synced');
    const timers = [
      setInterval(() => this.queue.flushBackoffCompleted(), this.opts.backoffFlushMs ?? 1000),
      setInterval(() => this.queue.flushUnschedulableLeftover(), this.opts.unschedulableFlushMs ?? 30_000),
    ];
    const stop = () => this.queue.close();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const item = await this.queue.pop();
        if (!item || signal.aborted) break;
        await this.scheduleOne(item, signal);
      }
    } finally {
      for (const t of timers) clearInterval(t);
      signal.removeEventListener('abort', stop);
      await this.waitForBindings();
      await Promise.all(this.recorders.map((r) => r.flush()));
      await informers.shutdown();
    }
  }

  private async scheduleOne(item: QueuedPod, signal: AbortSignal): Promise<void> {
    // The cache may have moved on since the pod was queued: schedule the latest version, if still pending.
    const pod = this.pods.store.get(item.key);
    if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp || this.cache.isAssumed(item.key)) {
      this.queue.done(item.key);
      return;
    }
    const result = schedulePod(this.profile, pod, this.cache.nodeInfos());
    if (result.node === undefined) {
      this.stats.unschedulable++;
      this.queue.requeueFailed(item, true);
      this.log.info({ pod: item.key, reason: result.message }, 'unable to schedule pod; waiting');
      void this.recordFailure(pod, result.message);
      return;
    }
    this.cache.assume(pod, result.node);
    await this.acquireBindingSlot();
    if (signal.aborted) {
      this.cache.forget(pod);
      this.releaseBindingSlot();
      return;
    }
    void this.bind(item, pod, result.node).finally(() => this.releaseBindingSlot());
  }

  private acquireBindingSlot(): Promise<void> {
    if (this.bindingsInFlight < this.maxBindings) {
      this.bindingsInFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.bindingSlot.push(() => {
      this.bindingsInFlight++;
      resolve();
    }));
  }

  private releaseBindingSlot(): void {
    this.bindingsInFlight--;
    this.bindingSlot.shift()?.();
  }

  private async waitForBindings(): Promise<void> {
    while (this.bindingsInFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private async bind(item: QueuedPod, pod: Pod, node: string): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name!;
    try {
      await this.opts.client.resource(resources.pods, ns).subresource(name, 'binding').create({
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace: ns, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      this.stats.scheduled++;
      this.queue.done(item.key);
      this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`);
    } catch (e) {
      this.cache.forget(pod);
      this.stats.bindErrors++;
      const message = e instanceof Error ? e.message : String(e);
      if (isNotFound(e) || isConflict(e)) {
        // Gone, being deleted or bound by someone else: the informer will tell the rest.
        this.queue.done(item.key);
        this.log.info({ pod: item.key, node, err: message }, 'binding not needed any more');
        return;
      }
      this.log.warn({ pod: item.key, node, err: message }, 'binding failed; will retry');
      this.queue.requeueFailed(item, false);
      this.event(pod, 'Warning', 'FailedScheduling', `Binding rejected: ${message}`);
    }
  }

  /** PodScheduled=False with reason Unschedulable (written only when it changes), and a FailedScheduling event. */
  private async recordFailure(pod: Pod, message: string): Promise<void> {
    this.event(pod, 'Warning', 'FailedScheduling', message);
    const old = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (old && old.status === 'False' && old.reason === 'Unschedulable' && old.message === message) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastTransitionTime: old && old.status === 'False' ? old.lastTransitionTime : metaNow(),
    };
    try {
      await this.opts.client
        .resource(resources.pods, pod.metadata.namespace)
        .patch(pod.metadata.name!, { status: { conditions: [condition] } }, 'strategic', { subresource: 'status' });
    } catch (e) {
      if (!isNotFound(e)) this.log.warn({ pod: objectKey(pod), err: e instanceof Error ? e.message : String(e) }, 'could not update pod condition');
    }
  }
}

/** Whether anything but status, resourceVersion and managedFields differs. */
function specChanged(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = p.metadata;
    return JSON.stringify({ meta, spec: p.spec });
  };
  return strip(a) !== strip(b);
}

function podRef(pod: Pod): Pod {
  return { ...pod, apiVersion: 'v1', kind: 'Pod' };
}
