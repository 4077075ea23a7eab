/**
 * The taint eviction controller (upstream: pkg/controller/tainteviction, kube-controller-manager's
 * "taint-eviction-controller"): pods on a node with a NoExecute taint they do not tolerate are deleted; pods
 * tolerating every such taint for a limited time are deleted once the shortest tolerationSeconds has passed,
 * counted from when the controller first saw them tainted. Before deleting, the pod gets the condition
 * DisruptionTarget (reason DeletionByTaintManager), so its owner and its users know why it went.
 */
import { isNotFound, objectKey, resources, splitKey } from '../../client/index.js';
import type { Client, DeletedFinalStateUnknown, EventRecorder, Logger, Node, Pod, PodCondition, SharedInformer, Taint } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import { addPodNodeNameIndexer, podsOnNode } from '../util/pod-node-index.js';
import { decideEviction, noExecuteTaints } from './decide.js';

const DELETE_RETRIES = 5;
export const DISRUPTION_REASON = 'DeletionByTaintManager';
export const DISRUPTION_MESSAGE = 'Taint manager: deleting due to NoExecute taint';

interface ScheduledEviction {
  createdAt: number;
  fireAt: number;
  timer: NodeJS.Timeout;
}

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  const d = obj as DeletedFinalStateUnknown<T>;
  return typeof d.key === 'string' && d.obj !== undefined ? d.obj : (obj as T);
}

function sameTaints(a: Taint[], b: Taint[]): boolean {
  const key = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  return JSON.stringify(a.map(key).sort()) === JSON.stringify(b.map(key).sort());
}

export class TaintEvictionController {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly recorder: EventRecorder;
  private readonly nodes: SharedInformer<Node>;
  private readonly pods: SharedInformer<Pod>;
  /** Node name -> its NoExecute taints, for nodes that have some. */
  private readonly tainted = new Map<string, Taint[]>();
  /** Pod key -> its scheduled deletion. */
  private readonly scheduled = new Map<string, ScheduledEviction>();

  constructor(private readonly ctx: ControllerContext) {
    this.client = ctx.client;
    this.log = ctx.log;
    this.recorder = ctx.recorder('taint-eviction-controller');
    this.nodes = ctx.informers.informerFor(resources.nodes);
    this.pods = ctx.informers.informerFor(resources.pods);
    addPodNodeNameIndexer(this.pods);
  }

  async run(): Promise<void> {
    const signal = this.ctx.signal;
    this.nodes.addEventHandler({
      onAdd: (n) => this.handleNode(n),
      onUpdate: (_o, n) => this.handleNode(n),
      onDelete: (obj) => this.tainted.delete(unwrap(obj).metadata.name!),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.handlePod(p),
      onUpdate: (o, p) => {
        // Only a new node or new tolerations change the answer for a pod.
        if (o.spec?.nodeName === p.spec?.nodeName && JSON.stringify(o.spec?.tolerations) === JSON.stringify(p.spec?.tolerations)) return;
        this.handlePod(p);
      },
      onDelete: (obj) => this.cancel(objectKey(unwrap(obj)), false),
    });
    if (!(await this.ctx.informers.waitForCacheSync(signal))) return;
    this.log.info('Starting taint eviction controller');
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    for (const s of this.scheduled.values()) clearTimeout(s.timer);
    this.scheduled.clear();
  }

  /** A node's NoExecute taints changed: look at every pod on it again (upstream: handleNodeUpdate). */
  handleNode(node: Node, now = Date.now()): void {
    const name = node.metadata.name!;
    const taints = noExecuteTaints(node.spec?.taints);
    const before = this.tainted.get(name) ?? [];
    if (sameTaints(before, taints)) return;
    if (taints.length === 0) this.tainted.delete(name);
    else this.tainted.set(name, taints);
    for (const pod of podsOnNode(this.pods, name)) this.processPod(pod, taints, now);
  }

  /** A pod arrived on a node or changed its tolerations (upstream: handlePodUpdate). */
  handlePod(pod: Pod, now = Date.now()): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const taints = this.tainted.get(nodeName);
    if (!taints || taints.length === 0) return;
    this.processPod(pod, taints, now);
  }

  private processPod(pod: Pod, taints: Taint[], now: number): void {
    const key = objectKey(pod);
    const decision = decideEviction(taints, pod.spec?.tolerations);
    if (decision.action === 'cancel') {
      this.cancel(key, true);
      return;
    }
    if (decision.action === 'now') {
      this.log.info({ pod: key, node: pod.spec?.nodeName }, 'Not all taints are tolerated after update for pod on node');
      this.cancel(key, false);
      this.schedule(key, pod.metadata.uid, now, now);
      return;
    }
    let createdAt = now;
    const existing = this.scheduled.get(key);
    if (existing) {
      // A deletion already scheduled keeps its start: only a sooner deadline replaces it.
      createdAt = existing.createdAt;
      if (createdAt + decision.ms >= existing.fireAt) return;
      this.cancel(key, true);
    }
    this.schedule(key, pod.metadata.uid, createdAt, createdAt + decision.ms);
  }

  private schedule(key: string, uid: string | undefined, createdAt: number, fireAt: number): void {
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      void this.evict(key, uid);
    }, Math.max(0, fireAt - Date.now()));
    this.scheduled.set(key, { createdAt, fireAt, timer });
  }

  private cancel(key: string, withEvent: boolean): void {
    const s = this.scheduled.get(key);
    if (!s) return;
    clearTimeout(s.timer);
    this.scheduled.delete(key);
    if (withEvent) {
      const { namespace, name } = splitKey(key);
      this.recorder.event({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
    }
  }

  /** Marks the pod DisruptionTarget and deletes it, a few times over on errors (upstream: deletePodHandler). */
  private async evict(key: string, uid: string | undefined): Promise<void> {
    const { namespace, name } = splitKey(key);
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    for (let attempt = 1; attempt <= DELETE_RETRIES && !this.ctx.signal.aborted; attempt++) {
      try {
        await this.addConditionAndDelete(namespace!, name, uid);
        this.log.info({ pod: key }, 'Deleted pod for its NoExecute taint');
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        this.log.warn({ pod: key, attempt, err: err instanceof Error ? err.message : String(err) }, 'Failed to delete pod');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  private async addConditionAndDelete(namespace: string, name: string, uid: string | undefined): Promise<void> {
    const api = this.client.resource(resources.pods, namespace);
    const pod = await api.get(name);
    // The pod was replaced by another of the same name: that one is not ours to evict.
    if (uid && pod.metadata.uid !== uid) return;
    if (pod.metadata.deletionTimestamp) return;
    const existing = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    if (!existing || existing.status !== 'True' || existing.reason !== DISRUPTION_REASON || existing.message !== DISRUPTION_MESSAGE) {
      const condition: PodCondition = {
        type: 'DisruptionTarget',
        status: 'True',
        reason: DISRUPTION_REASON,
        message: DISRUPTION_MESSAGE,
        lastTransitionTime: existing?.status === 'True' ? existing.lastTransitionTime : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
      await api.patch(name, { metadata: { uid: pod.metadata.uid }, status: { conditions: [condition] } }, 'strategic', { subresource: 'status' });
    }
    await api.delete(name, { preconditions: { uid: pod.metadata.uid } });
  }

  /** For tests: when the pod's deletion is due (ms since the epoch), if one is scheduled. */
  scheduledAt(key: string): number | undefined {
    return this.scheduled.get(key)?.fireAt;
  }
}
