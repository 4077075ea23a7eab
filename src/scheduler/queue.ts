/**
 * The scheduling queue (upstream's PriorityQueue): an active queue ordered by priority then arrival, a
 * backoff queue for pods that failed recently (1 s doubling to 10 s), and the unschedulable pods, which
 * move back when the cluster changes in a way that may let them fit, or after 5 minutes at most.
 */
import type { Pod } from './types.js';

export const INITIAL_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 10_000;
/** Upstream's podMaxInUnschedulablePodsDuration. */
export const MAX_UNSCHEDULABLE_MS = 5 * 60_000;

export interface QueuedPod {
  key: string;
  pod: Pod;
  attempts: number;
  /** When the pod first entered the queue (ordering among equal priorities). */
  added: number;
  /** When it last failed, for backoff and the unschedulable timeout. */
  failedAt: number;
  /** The move-request cycle when it was popped: a cluster change after that sends it to backoff, not to the unschedulable pods. */
  cycle: number;
}

function priorityOf(p: QueuedPod): number {
  return p.pod.spec?.priority ?? 0;
}

/** Higher priority first, then earlier arrival. */
function before(a: QueuedPod, b: QueuedPod): boolean {
  const pa = priorityOf(a);
  const pb = priorityOf(b);
  return pa !== pb ? pa > pb : a.added < b.added;
}

/** A binary heap of queued pods with removal by key. */
class Heap {
  private items: QueuedPod[] = [];
  private index = new Map<string, number>();

  constructor(private readonly less: (a: QueuedPod, b: QueuedPod) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): QueuedPod | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i];
  }

  peek(): QueuedPod | undefined {
    return this.items[0];
  }

  push(p: QueuedPod): void {
    if (this.index.has(p.key)) this.remove(p.key);
    this.items.push(p);
    this.index.set(p.key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): QueuedPod | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.items[0];
    this.remove(top.key);
    return top;
  }

  remove(key: string): QueuedPod | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    const item = this.items[i];
    const last = this.items.pop()!;
    this.index.delete(key);
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last.key, i);
      this.down(i);
      this.up(i);
    }
    return item;
  }

  private swap(i: number, j: number): void {
    [this.items[i], this.items[j]] = [this.items[j], this.items[i]];
    this.index.set(this.items[i].key, i);
    this.index.set(this.items[j].key, j);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.items[i], this.items[parent])) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.items.length && this.less(this.items[l], this.items[m])) m = l;
      if (r < this.items.length && this.less(this.items[r], this.items[m])) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

export function backoffMs(attempts: number): number {
  return Math.min(INITIAL_BACKOFF_MS * 2 ** Math.max(attempts - 1, 0), MAX_BACKOFF_MS);
}

export class SchedulingQueue {
  private readonly active = new Heap(before);
  private readonly backoff = new Heap((a, b) => a.failedAt + backoffMs(a.attempts) < b.failedAt + backoffMs(b.attempts));
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Pods popped and not yet done (being scheduled or bound). */
  private readonly inFlight = new Map<string, QueuedPod>();
  private moveRequestCycle = 0;
  private schedulingCycle = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * A new or changed pending pod. A pod already waiting keeps its place; an unschedulable one is retried
   * when `retry` (its spec or metadata changed), else only its stored copy is replaced.
   */
  add(key: string, pod: Pod, retry = true): void {
    if (this.inFlight.has(key)) {
      this.inFlight.get(key)!.pod = pod;
      return;
    }
    const queued = this.active.get(key) ?? this.backoff.get(key);
    if (queued) {
      queued.pod = pod;
      return;
    }
    const old = this.unschedulable.get(key);
    if (old) {
      old.pod = pod;
      if (!retry) return;
      this.unschedulable.delete(key);
      this.requeue(old);
      return;
    }
    const t = this.now();
    this.active.push({ key, pod, attempts: 0, added: t, failedAt: 0, cycle: 0 });
    this.wake();
  }

  /** The pod is gone, bound or no longer ours. */
  delete(key: string): void {
    this.active.remove(key);
    this.backoff.remove(key);
    this.unschedulable.delete(key);
  }

  /** Waits for the next pod to schedule; undefined once closed. */
  async pop(): Promise<QueuedPod | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const p = this.active.pop();
      if (p) {
        p.attempts++;
        p.cycle = ++this.schedulingCycle;
        this.inFlight.set(p.key, p);
        return p;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Scheduling (and binding) of a popped pod ended, successfully or not. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * A popped pod failed: it waits among the unschedulable pods, or in backoff when the cluster changed
   * while it was being scheduled (its failure may already be stale) or the failure was an error.
   */
  requeueFailed(p: QueuedPod, unschedulable: boolean): void {
    this.inFlight.delete(p.key);
    p.failedAt = this.now();
    if (unschedulable && this.moveRequestCycle < p.cycle) this.unschedulable.set(p.key, p);
    else this.backoff.push(p);
  }

  /** A cluster change that may make unschedulable pods fit (a node added or changed, a pod removed). */
  moveAllToActiveOrBackoff(): void {
    const pods = [...this.unschedulable.values()];
    this.unschedulable.clear();
    for (const p of pods) this.requeue(p);
    this.moveRequestCycle = this.schedulingCycle;
  }

  private requeue(p: QueuedPod): void {
    if (this.now() < p.failedAt + backoffMs(p.attempts)) this.backoff.push(p);
    else {
      this.active.push(p);
      this.wake();
    }
  }

  /** Moves pods whose backoff has ended to the active queue (upstream: every second). */
  flushBackoffCompleted(): void {
    const t = this.now();
    for (;;) {
      const p = this.backoff.peek();
      if (!p || p.failedAt + backoffMs(p.attempts) > t) break;
      this.backoff.pop();
      this.active.push(p);
      this.wake();
    }
  }

  /** Retries pods unschedulable for longer than the limit (upstream: checked every 30 s, 5 minutes). */
  flushUnschedulableLeftover(maxMs = MAX_UNSCHEDULABLE_MS): void {
    const t = this.now();
    for (const [key, p] of this.unschedulable) {
      if (t - p.failedAt >= maxMs) {
        this.unschedulable.delete(key);
        this.requeue(p);
      }
    }
  }

  counts(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
