/**
 * The node lifecycle controller (upstream: pkg/controller/nodelifecycle, kube-controller-manager's
 * "node-lifecycle-controller"). Every --node-monitor-period it looks at every node: one whose Lease and
 * status heartbeat have been silent for --node-monitor-grace-period gets its kubelet conditions set to
 * Unknown and its pods marked not ready; NoExecute taints (unreachable, not-ready) follow the Ready condition,
 * added per zone at the zone's eviction rate and removed at once when the node is back; NoSchedule taints
 * follow the node's conditions and spec.unschedulable. The taint eviction controller then evicts the pods.
 */
import { isConflict, isNotFound, objectKey, resources, runWorkers, WorkQueue } from '../../client/index.js';
import type { Client, EventRecorder, Lease, Logger, Node, NodeCondition, Pod, SharedInformer } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import { addPodNodeNameIndexer, podsOnNode } from '../util/pod-node-index.js';
import { changeTaints, hasTaint } from '../util/taints.js';
import { gracePeriodFor, isSilent, observeNode, readyCondition, unknownConditions } from './health.js';
import type { NodeHealth } from './health.js';
import { NOT_READY_NO_EXECUTE, noExecuteTaintFor, noScheduleTaintChanges, UNREACHABLE_NO_EXECUTE } from './node-taints.js';
import { markPodNotReady } from './pods.js';
import { RateLimitedTimedQueue } from './timed-queue.js';
import { computeZoneState, excludedFromDisruption, zoneEvictionRate, zoneKey } from './zones.js';
import type { EvictionRates, ZoneState } from './zones.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** How often the NoExecute tainting queues are drained (upstream: scheduler.NodeEvictionPeriod). */
const NODE_EVICTION_PERIOD_MS = 100;
/** Workers applying NoSchedule taints (upstream: scheduler.UpdateWorkerSize). */
const NO_SCHEDULE_WORKERS = 8;
const STATUS_UPDATE_RETRIES = 5;

export interface NodeLifecycleOptions {
  /** --node-monitor-period (5 s). */
  nodeMonitorPeriodMs?: number;
  /** --node-monitor-grace-period (50 s in 1.33). */
  nodeMonitorGracePeriodMs?: number;
  /** --node-startup-grace-period (60 s). */
  nodeStartupGracePeriodMs?: number;
  /** --node-eviction-rate (0.1 nodes/s). */
  nodeEvictionRate?: number;
  /** --secondary-node-eviction-rate (0.01 nodes/s). */
  secondaryNodeEvictionRate?: number;
  /** --large-cluster-size-threshold (50). */
  largeClusterSizeThreshold?: number;
  /** --unhealthy-zone-threshold (0.55). */
  unhealthyZoneThreshold?: number;
}

export const NODE_LIFECYCLE_DEFAULTS: Required<NodeLifecycleOptions> = {
  nodeMonitorPeriodMs: 5_000,
  nodeMonitorGracePeriodMs: 50_000,
  nodeStartupGracePeriodMs: 60_000,
  nodeEvictionRate: 0.1,
  secondaryNodeEvictionRate: 0.01,
  largeClusterSizeThreshold: 50,
  unhealthyZoneThreshold: 0.55,
};

function metaNow(now = Date.now()): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}


export class NodeLifecycleController {
  private readonly opts: Required<NodeLifecycleOptions>;
  private readonly client: Client;
  private readonly log: Logger;
  private readonly recorder: EventRecorder;
  private readonly nodes: SharedInformer<Node>;
  private readonly pods: SharedInformer<Pod>;
  private readonly leases: SharedInformer<Lease>;
  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Map<string, Node>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, RateLimitedTimedQueue>();
  /** Nodes whose pods could not all be marked not ready: tried again on the next pass. */
  private readonly retryPods = new Set<string>();
  private readonly noScheduleQueue = new WorkQueue<string>({ name: 'node_lifecycle_controller' });
  private readonly rates: EvictionRates;

  constructor(private readonly ctx: ControllerContext, opts: NodeLifecycleOptions = {}) {
    this.opts = { ...NODE_LIFECYCLE_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
    this.client = ctx.client;
    this.log = ctx.log;
    this.recorder = ctx.recorder('node-controller');
    this.rates = this.opts;
    this.nodes = ctx.informers.informerFor(resources.nodes);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.leases = ctx.informers.informerFor(resources.leases);
    addPodNodeNameIndexer(this.pods);
    this.nodes.addEventHandler({
      onAdd: (n) => this.noScheduleQueue.add(n.metadata.name!),
      onUpdate: (_o, n) => this.noScheduleQueue.add(n.metadata.name!),
    });
    this.pods.addEventHandler({
      onAdd: (p) => void this.podChanged(p),
      onUpdate: (_o, p) => void this.podChanged(p),
    });
  }

  async run(): Promise<void> {
    const signal = this.ctx.signal;
    if (!(await this.ctx.informers.waitForCacheSync(signal))) return;
    this.log.info({ gracePeriodMs: this.opts.nodeMonitorGracePeriodMs, periodMs: this.opts.nodeMonitorPeriodMs }, 'Starting node controller');
    signal.addEventListener('abort', () => this.noScheduleQueue.shutDown(), { once: true });
    const workers = runWorkers(this.noScheduleQueue, NO_SCHEDULE_WORKERS, (name) => this.doNoScheduleTainting(name), signal, this.log);
    const tainting = this.loop(NODE_EVICTION_PERIOD_MS, () => this.doNoExecuteTaintingPass());
    const monitoring = this.loop(this.opts.nodeMonitorPeriodMs, () => this.monitorNodeHealth());
    await Promise.all([workers, tainting, monitoring]);
  }

  private async loop(periodMs: number, pass: () => Promise<void>): Promise<void> {
    const signal = this.ctx.signal;
    while (!signal.aborted) {
      try {
        await pass();
      } catch (err) {
        if (!signal.aborted) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'node lifecycle pass failed');
      }
      await sleep(periodMs, signal);
    }
  }

  private lease(name: string): Lease | undefined {
    return this.leases.store.get(`${NODE_LEASE_NAMESPACE}/${name}`);
  }

  private podsOn(node: string): Pod[] {
    return podsOnNode(this.pods, node);
  }

  private tainter(zone: string): RateLimitedTimedQueue {
    let q = this.tainters.get(zone);
    if (!q) {
      q = new RateLimitedTimedQueue(this.rates.nodeEvictionRate);
      this.tainters.set(zone, q);
      this.zoneStates.set(zone, 'Initial');
    }
    return q;
  }

  /**
   * An event about a node. Status changes name the node in the uid field too, as upstream's
   * RecordNodeStatusChange (and kubelet) do, which is what `kubectl describe node` looks for; the others
   * carry the node's uid (RecordNodeEvent).
   */
  private nodeEvent(node: Node, type: 'Normal' | 'Warning', reason: string, message: string, uidIsName = false): void {
    const uid = uidIsName ? node.metadata.name : node.metadata.uid;
    this.recorder.event({ apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid }, type, reason, message);
  }

  /** One pass over every node (upstream: monitorNodeHealth). */
  async monitorNodeHealth(now = Date.now()): Promise<void> {
    const nodes = this.nodes.store.list();
    const names = new Set(nodes.map((n) => n.metadata.name!));
    for (const n of nodes) {
      if (this.known.has(n.metadata.name!)) continue;
      this.known.set(n.metadata.name!, n);
      this.tainter(zoneKey(n));
      this.nodeEvent(n, 'Normal', 'RegisteredNode', `Node ${n.metadata.name} event: Registered Node ${n.metadata.name} in Controller`);
    }
    for (const [name, n] of this.known) {
      if (names.has(name)) continue;
      this.nodeEvent(n, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      this.known.delete(name);
      this.health.delete(name);
      this.retryPods.delete(name);
      this.tainters.get(zoneKey(n))?.remove(name);
    }

    const zoneReady = new Map<string, (NodeCondition | undefined)[]>();
    for (const node of nodes) {
      const name = node.metadata.name!;
      let result: { observed?: NodeCondition; current?: NodeCondition };
      try {
        result = await this.tryUpdateNodeHealth(node, now);
      } catch (err) {
        this.log.warn({ node: name, err: err instanceof Error ? err.message : String(err) }, 'Failed to update node health');
        continue;
      }
      const { observed, current } = result;
      const zone = zoneKey(node);
      this.tainter(zone);
      if (!excludedFromDisruption(node)) zoneReady.set(zone, [...(zoneReady.get(zone) ?? []), current]);
      if (!current) continue;
      // As upstream, the taints follow the Ready condition as it was before this pass: a node found silent
      // now is queued on the next pass, after this pass has set its zone's rate (none when all zones are down).
      if (observed) await this.processTaintBaseEviction(this.nodes.store.get(name) ?? node, observed);
      const becameNotReady = current.status !== 'True' && observed?.status === 'True';
      if (becameNotReady) this.nodeEvent(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, true);
      if (becameNotReady || (this.retryPods.has(name) && current.status !== 'True')) {
        const ok = await this.markPodsNotReady(name);
        if (ok) this.retryPods.delete(name);
        else this.retryPods.add(name);
      } else if (current.status === 'True') this.retryPods.delete(name);
    }
    this.handleDisruption(zoneReady);
  }

  /**
   * Records what the node shows now and, when it has been silent past its grace period, writes its
   * conditions as Unknown. Returns the Ready condition as it was (observed) and as it is now (current).
   */
  async tryUpdateNodeHealth(node: Node, now: number): Promise<{ observed?: NodeCondition; current?: NodeCondition }> {
    const name = node.metadata.name!;
    const health = observeNode(this.health.get(name), node, this.lease(name), now);
    this.health.set(name, health);
    const observedReady = readyCondition(node);
    // A node that never posted a Ready condition counts as Unknown since its creation.
    const observed: NodeCondition = observedReady ?? {
      type: 'Ready',
      status: 'Unknown',
      lastHeartbeatTime: node.metadata.creationTimestamp,
      lastTransitionTime: node.metadata.creationTimestamp,
    };
    if (!isSilent(health, gracePeriodFor(node, this.opts), now)) return { observed, current: observedReady };

    let target = node;
    for (let attempt = 0; ; attempt++) {
      const conditions = unknownConditions(target, metaNow(now));
      if (!conditions) return { observed, current: readyCondition(target) };
      const updated: Node = { ...target, status: { ...target.status, conditions } };
      try {
        const written = await this.client.resource(resources.nodes).updateStatus(updated);
        const current = readyCondition(written);
        this.health.set(name, { ...health, ready: current, readyTransitionTimestamp: now });
        this.log.info({ node: name }, 'Node is unresponsive: its conditions are now Unknown');
        return { observed, current };
      } catch (err) {
        if (!isConflict(err) || attempt + 1 >= STATUS_UPDATE_RETRIES) throw err;
        target = await this.client.resource(resources.nodes).get(name);
        // The kubelet may have just posted: look again on the next pass.
        const fresh = observeNode(this.health.get(name), target, this.lease(name), now);
        this.health.set(name, fresh);
        if (!isSilent(fresh, gracePeriodFor(target, this.opts), now)) return { observed, current: readyCondition(target) };
      }
    }
  }

  /** NoExecute taints follow the Ready condition: queued per zone to add, removed at once (upstream: processTaintBaseEviction). */
  private async processTaintBaseEviction(node: Node, ready: NodeCondition): Promise<void> {
    const name = node.metadata.name!;
    const zone = zoneKey(node);
    const taints = node.spec?.taints;
    if (ready.status === 'False' && hasTaint(taints, UNREACHABLE_NO_EXECUTE)) {
      // Already tainted: the kind of trouble changed, which needs no new turn in the queue.
      await this.swapNoExecuteTaint(name, NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE);
    } else if (ready.status === 'Unknown' && hasTaint(taints, NOT_READY_NO_EXECUTE)) {
      await this.swapNoExecuteTaint(name, UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE);
    } else if (ready.status === 'False' || ready.status === 'Unknown') {
      if (!hasTaint(taints, noExecuteTaintFor(ready.status)!) && this.tainter(zone).add(name)) {
        this.log.info({ node: name, zone }, 'Node is unhealthy: queued for its NoExecute taint');
      }
    } else if (ready.status === 'True') {
      await this.markNodeAsReachable(node);
    }
  }

  /** Removes both NoExecute taints and drops the node from its zone's queue (upstream: markNodeAsReachable). */
  private async markNodeAsReachable(node: Node): Promise<void> {
    this.tainters.get(zoneKey(node))?.remove(node.metadata.name!);
    if (hasTaint(node.spec?.taints, UNREACHABLE_NO_EXECUTE) || hasTaint(node.spec?.taints, NOT_READY_NO_EXECUTE)) {
      await this.updateTaints(node.metadata.name!, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE]);
      this.log.info({ node: node.metadata.name }, 'Node is healthy again: removed its NoExecute taints');
    }
  }

  private swapNoExecuteTaint(name: string, add: { key: string; effect: string }, remove: { key: string; effect: string }): Promise<boolean> {
    return this.updateTaints(name, [{ ...add, timeAdded: metaNow() }], [remove]);
  }

  /**
   * Changes the node's taints from its latest version, retrying on conflicts (upstream: PatchNodeTaints with
   * the resourceVersion as precondition). False when the node is gone.
   */
  private async updateTaints(name: string, add: { key: string; effect: string; timeAdded?: string }[], remove: { key: string; effect: string }[]): Promise<boolean> {
    const api = this.client.resource(resources.nodes);
    for (let attempt = 0; ; attempt++) {
      let node: Node;
      try {
        node = attempt === 0 ? (this.nodes.store.get(name) ?? (await api.get(name))) : await api.get(name);
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
      const taints = changeTaints(node.spec?.taints, add, remove);
      if (!taints) return true;
      try {
        await api.update({ ...node, spec: { ...node.spec, taints: taints.length > 0 ? taints : undefined } });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        if (!isConflict(err) || attempt + 1 >= STATUS_UPDATE_RETRIES) throw err;
      }
    }
  }

  /** Drains each zone's queue at its rate: the NoExecute taint the node's Ready condition calls for. */
  async doNoExecuteTaintingPass(): Promise<void> {
    for (const [zone, queue] of this.tainters) {
      await queue.try(async (name) => {
        const node = this.nodes.store.get(name);
        if (!node) return { done: true };
        const ready = readyCondition(node);
        if (!ready) return { done: true };
        const add = noExecuteTaintFor(ready.status);
        if (!add) return { done: true };
        const remove = add === UNREACHABLE_NO_EXECUTE ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
        try {
          const ok = await this.swapNoExecuteTaint(name, add, remove);
          if (ok) this.log.info({ node: name, zone, taint: add.key }, 'Added NoExecute taint');
          return { done: true };
        } catch (err) {
          this.log.warn({ node: name, err: err instanceof Error ? err.message : String(err) }, 'Failed to taint node');
          return { done: false, retryAfterMs: 0 };
        }
      });
    }
  }

  /** One node's NoSchedule taints, from its conditions (upstream: doNoScheduleTaintingPass). */
  private async doNoScheduleTainting(name: string): Promise<void> {
    const node = this.nodes.store.get(name);
    if (!node) return;
    const change = noScheduleTaintChanges(node);
    if (!change) return;
    await this.updateTaints(name, change.add, change.remove);
  }

  /** Marks the pods on a node not ready; false when some update failed (upstream: MarkPodsNotReady). */
  private async markPodsNotReady(nodeName: string): Promise<boolean> {
    this.log.info({ node: nodeName }, 'Update ready status of pods on node');
    let ok = true;
    for (const pod of this.podsOn(nodeName)) {
      try {
        await markPodNotReady(this.client, this.recorder, pod);
      } catch (err) {
        ok = false;
        this.log.warn({ pod: objectKey(pod), err: err instanceof Error ? err.message : String(err) }, 'Failed to update status of pod');
      }
    }
    return ok;
  }

  /** A pod that appears on a node known not to be ready is marked not ready too (upstream: processPod). */
  private async podChanged(pod: Pod): Promise<void> {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || !this.known.has(nodeName)) return;
    const node = this.nodes.store.get(nodeName);
    const ready = node && readyCondition(node);
    if (!ready || ready.status === 'True') return;
    try {
      await markPodNotReady(this.client, this.recorder, pod);
    } catch (err) {
      this.log.warn({ pod: objectKey(pod), err: err instanceof Error ? err.message : String(err) }, 'Failed to update status of pod');
    }
  }

  /**
   * Sets each zone's tainting rate from its state; when every zone is fully disrupted, stops all tainting and
   * takes the NoExecute taints off (upstream: handleDisruption).
   */
  private handleDisruption(zoneReady: Map<string, (NodeCondition | undefined)[]>): void {
    // Zones left without nodes are forgotten, so they count neither way.
    const zonesWithNodes = new Set(this.nodes.store.list().map(zoneKey));
    for (const zone of [...this.zoneStates.keys()]) {
      if (zoneReady.has(zone) || zonesWithNodes.has(zone)) continue;
      this.zoneStates.delete(zone);
      this.tainters.delete(zone);
    }
    const newStates = new Map<string, ZoneState>();
    let allFullyDisrupted = true;
    for (const [zone, conds] of zoneReady) {
      const { state } = computeZoneState(conds, this.rates.unhealthyZoneThreshold);
      newStates.set(zone, state);
      if (state !== 'FullDisruption') allFullyDisrupted = false;
    }
    if (zoneReady.size === 0) allFullyDisrupted = false;
    const wasAllFullyDisrupted = this.zoneStates.size > 0 && [...this.zoneStates.values()].every((s) => s === 'FullDisruption');

    if (allFullyDisrupted) {
      if (!wasAllFullyDisrupted) {
        this.log.info('Controller detected that all Nodes are not-Ready. Entering master disruption mode');
        for (const node of this.nodes.store.list()) void this.markNodeAsReachable(node).catch(() => undefined);
        for (const q of this.tainters.values()) q.swapLimiter(0);
      }
      for (const [zone, s] of newStates) this.zoneStates.set(zone, s);
      return;
    }
    if (wasAllFullyDisrupted) {
      this.log.info('Controller detected that some Nodes are Ready. Exiting master disruption mode');
      // Health records restart, so nodes get a whole grace period before being judged again.
      const now = Date.now();
      for (const [name, h] of this.health) this.health.set(name, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
      for (const [zone, s] of newStates) this.setLimiterInZone(zone, zoneReady.get(zone)!.length, s);
      for (const [zone, s] of newStates) this.zoneStates.set(zone, s);
      return;
    }
    for (const [zone, s] of newStates) {
      if (this.zoneStates.get(zone) !== s) {
        this.setLimiterInZone(zone, zoneReady.get(zone)!.length, s);
        if (this.zoneStates.get(zone) !== 'Initial' || s !== 'Normal') this.log.info({ zone: zone || '<none>', state: s }, 'Zone state changed');
      }
      this.zoneStates.set(zone, s);
    }
  }

  private setLimiterInZone(zone: string, zoneSize: number, state: ZoneState): void {
    this.tainter(zone).swapLimiter(zoneEvictionRate(state, zoneSize, this.rates));
  }

  /** For tests: the rate a zone's queue drains at now. */
  zoneRate(zone: string): number {
    return this.tainters.get(zone)?.qps ?? 0;
  }
}
