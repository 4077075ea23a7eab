/**
 * The Deployment controller (kube-controller-manager's "deployment"). Informer handlers only enqueue
 * Deployment keys; DeploymentSync reconciles one.
 */
import { isDeletedFinalStateUnknown, NAMESPACE_INDEX, objectKey, resources, runWorkers, splitKey, WorkQueue } from '../../client/index.js';
import type { DeletedFinalStateUnknown, Deployment, EventRecorder, Pod, ReplicaSet, SharedInformer } from '../../client/index.js';
import { labelSelectorFromObject, matchesLabels } from '../../machinery/labels.js';
import type { ControllerContext } from '../context.js';
import { controllerOf } from '../util/controller-ref.js';
import { errorMessage } from '../util/errors.js';
import { DeploymentSync } from './syncer.js';

export const name = 'deployment';

export interface DeploymentControllerOptions {
  /** --concurrent-deployment-syncs: 5 upstream. */
  workers?: number;
}

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return isDeletedFinalStateUnknown(obj) ? obj.obj : obj;
}

export class DeploymentController {
  readonly queue = new WorkQueue<string>({ name });
  private readonly deployments: SharedInformer<Deployment>;
  private readonly replicaSets: SharedInformer<ReplicaSet>;
  private readonly pods: SharedInformer<Pod>;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: DeploymentControllerOptions = {},
  ) {
    this.deployments = ctx.informers.informerFor(resources.deployments);
    this.replicaSets = ctx.informers.informerFor(resources.replicasets);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.recorder = ctx.recorder('deployment-controller');
    this.deployments.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, cur) => this.enqueue(cur),
      onDelete: (d) => this.queue.add(objectKey(d)),
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.replicaSetChanged(undefined, rs),
      onUpdate: (old, cur) => this.replicaSetChanged(old, cur),
      onDelete: (rs) => {
        const d = this.resolveRef(unwrap(rs));
        if (d) this.enqueue(d);
      },
    });
    this.pods.addEventHandler({
      // Recreate waits for every old pod to be gone before it scales the new ReplicaSet up.
      onDelete: (p) => {
        const pod = unwrap(p);
        const ref = controllerOf(pod);
        if (!ref || ref.kind !== 'ReplicaSet') return;
        const rs = this.replicaSets.store.get(`${pod.metadata.namespace}/${ref.name}`);
        const d = rs && rs.metadata.uid === ref.uid ? this.resolveRef(rs) : undefined;
        if (d?.spec?.strategy?.type === 'Recreate') this.enqueue(d);
      },
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
      this.ctx.log.warn(`%s: error syncing %s: %s`, name, key, errorMessage(e));
      throw e;
    }
  }

  private enqueue(d: Deployment): void {
    this.queue.add(objectKey(d));
  }

  private resolveRef(rs: ReplicaSet): Deployment | undefined {
    const ref = controllerOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.store.get(`${rs.metadata.namespace}/${ref.name}`);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  /** Deployments whose selector matches an orphan ReplicaSet. */
  private deploymentsSelecting(rs: ReplicaSet): Deployment[] {
    return this.deployments.store.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '').filter((d) => {
      try {
        const sel = labelSelectorFromObject(d.spec?.selector);
        return sel !== 'nothing' && sel.length > 0 && matchesLabels(sel, rs.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  private replicaSetChanged(old: ReplicaSet | undefined, cur: ReplicaSet): void {
    if (old && old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const oldRef = old ? controllerOf(old) : undefined;
    const curRef = controllerOf(cur);
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(curRef);
    if (old && refChanged && oldRef) {
      const d = this.resolveRef(old);
      if (d) this.enqueue(d);
    }
    if (curRef) {
      const d = this.resolveRef(cur);
      if (d) this.enqueue(d);
      return;
    }
    const labelsChanged = !old || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (labelsChanged || refChanged) for (const d of this.deploymentsSelecting(cur)) this.enqueue(d);
  }

  async sync(key: string): Promise<void> {
    const d = this.deployments.store.get(key);
    if (!d) return;
    const namespace = splitKey(key).namespace ?? '';
    await new DeploymentSync(
      {
        client: this.ctx.client,
        recorder: this.recorder,
        log: this.ctx.log,
        replicaSetsIn: () => this.replicaSets.store.byIndex(NAMESPACE_INDEX, namespace),
        podsIn: () => this.pods.store.byIndex(NAMESPACE_INDEX, namespace),
        requeue: (ms) => (ms === undefined ? this.queue.addRateLimited(key) : this.queue.addAfter(key, ms)),
      },
      d,
    ).run();
  }
}

/** Runs until ctx.signal aborts. */
export function start(ctx: ControllerContext, opts: DeploymentControllerOptions = {}): Promise<void> {
  return new DeploymentController(ctx, opts).run();
}
