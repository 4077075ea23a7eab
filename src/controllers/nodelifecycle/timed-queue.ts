/**
 * A zone's queue of nodes waiting for their NoExecute taint, drained no faster than the zone's eviction rate
 * (upstream: RateLimitedTimedQueue of pkg/controller/nodelifecycle/scheduler). Each node is in it at most
 * once; an action that fails is tried again later.
 */
import { TokenBucket } from '../../client/index.js';

/** Upstream's EvictionRateLimiterBurst: one node at once, then one per 1/rate seconds. */
export const EVICTION_RATE_LIMITER_BURST = 1;

interface Entry {
  value: string;
  processAt: number;
}

export class RateLimitedTimedQueue {
  private entries: Entry[] = [];
  private limiter: TokenBucket | null;

  constructor(
    qps: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.limiter = this.bucket(qps);
  }

  /** A rate of 0 or less stops the queue (upstream: the never-accepting limiter). */
  private bucket(qps: number): TokenBucket | null {
    return qps > 0 ? new TokenBucket(qps, EVICTION_RATE_LIMITER_BURST, this.now) : null;
  }

  /** Changes the rate, as a zone's state changes (upstream: SwapLimiter). */
  swapLimiter(qps: number): void {
    if (this.limiter?.qps === qps || (this.limiter === null && qps <= 0)) return;
    this.limiter = this.bucket(qps);
  }

  get qps(): number {
    return this.limiter?.qps ?? 0;
  }

  /** Adds the node unless it is queued already; true when added. */
  add(value: string): boolean {
    if (this.entries.some((e) => e.value === value)) return false;
    this.entries.push({ value, processAt: this.now() });
    return true;
  }

  remove(value: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.value !== value);
    return this.entries.length !== before;
  }

  has(value: string): boolean {
    return this.entries.some((e) => e.value === value);
  }

  clear(): void {
    this.entries = [];
  }

  get length(): number {
    return this.entries.length;
  }

  /**
   * Runs `fn` on the due entries in order, as long as the limiter gives tokens. `fn` returns true when done
   * (the entry leaves), or false with a delay after which the entry is due again.
   */
  async try(fn: (value: string) => Promise<{ done: boolean; retryAfterMs?: number }>): Promise<void> {
    this.entries.sort((a, b) => a.processAt - b.processAt);
    while (this.entries.length > 0) {
      if (!this.limiter || !this.limiter.tryAccept()) return;
      const head = this.entries[0];
      const now = this.now();
      if (now < head.processAt) return;
      const { done, retryAfterMs = 0 } = await fn(head.value);
      if (done) this.remove(head.value);
      else {
        head.processAt = now + retryAfterMs + 1;
        this.entries.sort((a, b) => a.processAt - b.processAt);
      }
    }
  }
}
