import { isNotFound, resources } from '../../client/index.js';
import type { Client, Logger, Node, Pod, PodCondition } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import { isTerminated, missingNodes, podsOnDeletedNodes, terminatedOverThreshold, terminatingOnOutOfServiceNodes, unscheduledTerminating } from './select.js';

export const name = 'podgc';

export interface PodGCOptions {
  /** --terminated-pod-gc-threshold (default 12500; 0 turns that part off). */
  terminatedPodThreshold?: number;
  /** How often the collector looks (upstream: 20 s). */
  checkPeriodMs?: number;
  /** How long a node must stay missing before its pods go (upstream: 40 s). */
  quarantineMs?: number;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function podKey(p: Pod): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}

/**
 * The pod garbage collector (upstream: pkg/controller/podgc): every period it deletes pods bound to nodes
 * that have stayed missing through the quarantine (after marking them Failed with a DisruptionTarget
 * condition), terminating pods that were never scheduled or whose node is out of service, and the oldest
 * terminated pods beyond the threshold. Deletions are forced (grace period 0), as nothing will ever run those pods again.
 */
export async function start(ctx: ControllerContext, opts: PodGCOptions = {}): Promise<void> {
  const pods = ctx.informers.informerFor(resources.pods);
  const nodes = ctx.informers.informerFor(resources.nodes);
  if (!(await ctx.informers.waitForCacheSync(ctx.signal))) return;
  const gc = new PodGC(ctx.client, ctx.log, ctx.signal, opts, () => pods.store.list(), () => nodes.store.list());
  const period = opts.checkPeriodMs ?? 20_000;
  while (!ctx.signal.aborted) {
    try {
      await gc.pass();
    } catch (err) {
      ctx.log.warn({ err: String(err) }, 'pod GC: pass failed');
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, period);
      ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  }
}

export class PodGC {
  /** Node name -> when it was first seen missing. */
  private readonly quarantine = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly opts: PodGCOptions,
    private readonly listPods: () => Pod[],
    private readonly listNodes: () => Node[],
  ) {}

  async pass(): Promise<void> {
    const pods = this.listPods();
    await this.gcTerminated(pods);
    await this.gcTerminating(pods);
    await this.gcOrphaned(pods);
    await this.gcUnscheduledTerminating(pods);
  }

  private async gcTerminated(pods: Pod[]): Promise<void> {
    const victims = terminatedOverThreshold(pods, this.opts.terminatedPodThreshold ?? 12_500);
    if (victims.length > 0) this.log.info({ count: victims.length }, 'pod GC: garbage collecting terminated pods over the threshold');
    for (const p of victims) await this.markFailedAndDelete(p);
  }

  private async gcTerminating(pods: Pod[]): Promise<void> {
    for (const p of terminatingOnOutOfServiceNodes(pods, this.listNodes())) {
      this.log.info({ pod: podKey(p), node: p.spec?.nodeName }, 'pod GC: deleting terminating pod on an out-of-service node');
      await this.markFailedAndDelete(p);
    }
  }

  private async gcOrphaned(pods: Pod[]): Promise<void> {
    const existing = new Set(this.listNodes().map((n) => n.metadata.name!));
    const missing = missingNodes(pods, existing);
    const t = Date.now();
    for (const n of missing) if (!this.quarantine.has(n)) this.quarantine.set(n, t);
    const deleted = new Set<string>();
    for (const [n, since] of this.quarantine) {
      if (existing.has(n)) {
        this.quarantine.delete(n);
        continue;
      }
      if (t - since < (this.opts.quarantineMs ?? 40_000)) continue;
      // The cache may lag: ask the server before declaring the node gone.
      if (await this.nodeExists(n)) {
        this.quarantine.delete(n);
        continue;
      }
      deleted.add(n);
    }
    for (const p of podsOnDeletedNodes(pods, deleted)) {
      this.log.info({ pod: podKey(p), node: p.spec?.nodeName }, 'pod GC: deleting pod bound to a node that no longer exists');
      await this.markFailedAndDelete(p, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
    }
    for (const n of deleted) if (!missing.has(n)) this.quarantine.delete(n);
  }

  private async gcUnscheduledTerminating(pods: Pod[]): Promise<void> {
    for (const p of unscheduledTerminating(pods)) {
      this.log.info({ pod: podKey(p) }, 'pod GC: deleting unscheduled terminating pod');
      await this.markFailedAndDelete(p);
    }
  }

  private async nodeExists(name: string): Promise<boolean> {
    try {
      await this.client.resource(resources.nodes).get(name, { signal: this.signal });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Marks a running pod Failed (with the condition, when given) through its status, then force-deletes it. */
  private async markFailedAndDelete(pod: Pod, condition?: Omit<PodCondition, 'lastTransitionTime'>): Promise<void> {
    const api = this.client.resource(resources.pods, pod.metadata.namespace);
    try {
      if (!isTerminated(pod)) {
        const conditions = (pod.status?.conditions ?? []).filter((c) => !condition || c.type !== condition.type);
        if (condition) conditions.push({ ...condition, lastTransitionTime: now() });
        await api.patch(pod.metadata.name!, { metadata: { uid: pod.metadata.uid }, status: { phase: 'Failed', conditions } }, 'merge', {
          subresource: 'status',
          signal: this.signal,
        });
      }
      await api.delete(pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid }, signal: this.signal });
    } catch (err) {
      if (isNotFound(err)) return;
      this.log.warn({ pod: podKey(pod), err: String(err) }, 'pod GC: could not delete pod');
    }
  }
}
