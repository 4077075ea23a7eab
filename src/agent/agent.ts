/**
 * The node agent (a kubelet) for one or many nodes in one process: registers each Node, keeps its Lease
 * and status fresh, and runs the pods bound to its nodes through a runtime, writing their status back.
 * One watch of all bound pods serves every node (a kubelet watches spec.nodeName=<itself>; with many
 * simulated nodes in one process, one watch filtered here costs the apiserver far less).
 */
import { randomUUID } from 'node:crypto';
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  objectKey,
  resources,
  SharedInformerFactory,
  silentLogger,
  WorkQueue,
  runWorkers,
} from '../client/index.js';
import type { Client, DeletedFinalStateUnknown, Logger, Node, NodeCondition, Pod, SharedInformer } from '../client/index.js';
import { PodIPPool } from './ip-pool.js';
import { NodeLease, RENEW_INTERVAL_MS } from './node-lease.js';
import { buildNode, healthyConditions, nodeAddress, podCIDR } from './node-object.js';
import type { NodeShape } from './node-object.js';
import { buildPodStatus } from './pod-status.js';
import type { PodRuntime } from './runtime.js';
import { metaTime } from './runtime/simulated.js';

/** How often a node posts its status when nothing changed (kubelet's nodeStatusReportFrequency). */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;

export interface AgentOptions {
  client: Client;
  runtime: PodRuntime;
  nodes: Omit<NodeShape, 'index'>[];
  log?: Logger;
  /** Pods whose status is being written at once. */
  statusWorkers?: number;
  leaseRenewMs?: number;
  statusReportMs?: number;
}

interface AgentNode {
  shape: NodeShape;
  bootID: string;
  uid?: string;
  conditions?: NodeCondition[];
  hostIP: string;
  ips: PodIPPool;
  lease: NodeLease;
}

function unwrap<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  const d = obj as DeletedFinalStateUnknown<T>;
  return typeof d.key === 'string' && d.obj !== undefined ? d.obj : (obj as T);
}

/** The parts of a status this agent writes, for comparing what it would write with what is stored. */
function statusFingerprint(s: Pod['status']): string {
  const conds = (s?.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']);
  return JSON.stringify([s?.phase, s?.podIP, s?.hostIP, s?.startTime, conds, s?.containerStatuses, s?.initContainerStatuses]);
}

export class Agent {
  readonly nodes = new Map<string, AgentNode>();
  private readonly log: Logger;
  private readonly queue = new WorkQueue<string>({ name: 'pods' });
  /** pod uid -> key, to route runtime changes. */
  private readonly uids = new Map<string, string>();
  /**
   * pod uid -> what was last written for it: the informer's copy may lag our own write, and comparing
   * with it alone would write the same status again (kubelet's status manager keeps the same cache).
   */
  private readonly written = new Map<string, string>();
  private pods!: SharedInformer<Pod>;
  private readonly timers: NodeJS.Timeout[] = [];
  readonly stats = { statusWrites: 0, deletes: 0, leaseRenewals: 0, errors: 0 };

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.log ?? silentLogger;
    opts.nodes.forEach((n, index) => {
      const shape = { ...n, index };
      const cidr = n.podCIDR ?? podCIDR(index);
      const node: AgentNode = {
        shape,
        bootID: randomUUID(),
        hostIP: n.address ?? nodeAddress(index),
        ips: new PodIPPool(cidr),
        lease: new NodeLease(opts.client, n.name, () => this.nodes.get(n.name)?.uid),
      };
      this.nodes.set(n.name, node);
    });
    opts.runtime.onChange((uid) => {
      const key = this.uids.get(uid);
      if (key) this.queue.add(key);
    });
  }

  /** Registers the nodes, then runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.registerAll(signal);
    const informers = new SharedInformerFactory(this.opts.client, { log: this.log });
    this.pods = informers.informerFor(resources.pods, { fieldSelector: 'spec.nodeName!=' });
    const enqueue = (pod: Pod) => {
      if (this.nodes.has(pod.spec?.nodeName ?? '')) this.queue.add(objectKey(pod));
    };
    this.pods.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, pod) => enqueue(pod),
      onDelete: (obj) => {
        const pod = unwrap(obj);
        if (this.nodes.has(pod.spec?.nodeName ?? '')) this.queue.add(objectKey(pod));
      },
    });
    informers.start(signal);
    this.startHeartbeats(signal);
    const workers = runWorkers(this.queue, this.opts.statusWorkers ?? 32, (key) => this.syncPod(key), signal, this.log);
    await informers.waitForCacheSync(signal);
    this.log.info({ nodes: this.nodes.size, pods: this.pods.store.list().length }, 'agent pod cache synced');
    this.opts.runtime.removeOrphans?.(new Set(this.pods.store.list().map((p) => p.metadata.uid!)));
    await workers;
    for (const t of this.timers) clearTimeout(t);
    this.opts.runtime.close();
    await informers.shutdown();
  }

  private async registerAll(signal: AbortSignal): Promise<void> {
    const pending = [...this.nodes.values()];
    const worker = async () => {
      for (let n = pending.shift(); n && !signal.aborted; n = pending.shift()) {
        for (let attempt = 0; ; attempt++) {
          try {
            await this.register(n);
            break;
          } catch (e) {
            if (signal.aborted || attempt >= 10) throw e;
            this.log.warn({ node: n.shape.name, err: e instanceof Error ? e.message : String(e) }, 'unable to register node, retrying');
            await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, this.nodes.size) }, worker));
    this.log.info({ nodes: this.nodes.size }, 'nodes registered');
  }

  /** kubelet's registerWithAPIServer: create the Node, or adopt an existing one; then post its status. */
  private async register(n: AgentNode): Promise<void> {
    const api = this.opts.client.resource(resources.nodes);
    const now = metaTime();
    const desired = buildNode(n.shape, now, n.bootID);
    let node: Node;
    try {
      node = await api.create(desired);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      node = await api.get(n.shape.name);
    }
    n.uid = node.metadata.uid;
    const status = { ...desired.status, conditions: healthyConditions(now, node.status?.conditions) };
    const updated = await api.patch(n.shape.name, { status }, 'strategic', { subresource: 'status' });
    n.conditions = updated.status?.conditions;
    await n.lease.renew();
  }

  /** Lease renewals every 10 s and status reports every 5 min, spread evenly over the nodes. */
  private startHeartbeats(signal: AbortSignal): void {
    const leaseMs = this.opts.leaseRenewMs ?? RENEW_INTERVAL_MS;
    const reportMs = this.opts.statusReportMs ?? NODE_STATUS_REPORT_MS;
    const count = this.nodes.size;
    [...this.nodes.values()].forEach((n, i) => {
      const every = (period: number, fn: () => Promise<void>) => {
        const tick = () => {
          if (signal.aborted) return;
          fn()
            .catch((e: unknown) => {
              this.stats.errors++;
              this.log.warn({ node: n.shape.name, err: e instanceof Error ? e.message : String(e) }, 'node heartbeat failed');
            })
            .finally(() => {
              if (!signal.aborted) this.timers.push(setTimeout(tick, period));
            });
        };
        this.timers.push(setTimeout(tick, Math.floor((period * i) / count)));
      };
      every(leaseMs, async () => {
        await n.lease.renew();
        this.stats.leaseRenewals++;
      });
      every(reportMs, () => this.reportNodeStatus(n));
    });
  }

  private async reportNodeStatus(n: AgentNode): Promise<void> {
    const conditions = healthyConditions(metaTime(), n.conditions);
    const node = await this.opts.client.resource(resources.nodes).patch(n.shape.name, { status: { conditions } }, 'strategic', { subresource: 'status' });
    n.conditions = node.status?.conditions;
  }

  /** Brings one pod's runtime state and API status together (kubelet's syncPod / syncTerminatingPod). */
  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    const runtime = this.opts.runtime;
    if (!pod) {
      // Gone from the API: drop what we keep for it.
      for (const [uid, k] of this.uids) {
        if (k !== key) continue;
        this.forgetPod(uid);
      }
      return;
    }
    const node = this.nodes.get(pod.spec?.nodeName ?? '');
    const uid = pod.metadata.uid!;
    if (!node) return;
    const phase = pod.status?.phase;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    if (!runtime.status(uid)) {
      if (terminal) return; // finished before this agent started: nothing to run
      if (pod.metadata.deletionTimestamp) return this.deletePod(pod, uid);
      this.uids.set(uid, key);
      runtime.runPod(pod);
    } else if (!terminal) runtime.runPod(pod); // the latest object (a runtime that reads labels or annotations takes it)
    if (pod.metadata.deletionTimestamp) {
      const rt = runtime.status(uid)!;
      const allStopped = [...rt.initContainers, ...rt.containers].every((c) => !c.state.running);
      if (!allStopped) {
        // Stop the containers by the deletion deadline (a later, shorter delete moves it closer), then finish.
        const remaining = Math.max(0, (Date.parse(pod.metadata.deletionTimestamp) - Date.now()) / 1000);
        const grace = Math.min(pod.metadata.deletionGracePeriodSeconds ?? 0, Number.isFinite(remaining) ? Math.ceil(remaining) : 0);
        void runtime.killPod(uid, grace).then(() => this.queue.add(key));
        return;
      }
      await this.writeStatus(pod, node, uid);
      return this.deletePod(pod, uid);
    }
    await this.writeStatus(pod, node, uid);
  }

  private async writeStatus(pod: Pod, node: AgentNode, uid: string): Promise<void> {
    const rt = this.opts.runtime.status(uid);
    if (!rt) return;
    const podIP = rt.sandboxReady ? node.ips.ipFor(uid) : undefined;
    const status = buildPodStatus(pod, rt, { hostIP: node.hostIP, podIP }, metaTime());
    const fingerprint = statusFingerprint(status);
    if (fingerprint === statusFingerprint(pod.status) || fingerprint === this.written.get(uid)) return;
    try {
      await this.opts.client
        .resource(resources.pods, pod.metadata.namespace)
        .patch(pod.metadata.name!, { metadata: { uid }, status }, 'strategic', { subresource: 'status' });
      this.written.set(uid, fingerprint);
      this.stats.statusWrites++;
    } catch (e) {
      if (isNotFound(e) || isConflict(e)) return; // gone or replaced: the informer brings the rest
      throw e;
    }
  }

  /** The containers have stopped: remove the pod for good (grace 0, only this incarnation), as kubelet does. */
  private async deletePod(pod: Pod, uid: string): Promise<void> {
    try {
      await this.opts.client
        .resource(resources.pods, pod.metadata.namespace)
        .delete(pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
      this.stats.deletes++;
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    this.forgetPod(uid);
  }

  private forgetPod(uid: string): void {
    this.uids.delete(uid);
    this.written.delete(uid);
    this.opts.runtime.forgetPod(uid);
    for (const n of this.nodes.values()) n.ips.release(uid);
  }
}
