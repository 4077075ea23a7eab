import { TokenBucket } from '../flowcontrol/token-bucket.js';

/** client-go's workqueue.TypedRateLimiter: how long an item waits before it is requeued. */
export interface RateLimiter<K> {
  /** The delay for this retry of `item` (and counts the retry). */
  when(item: K): number;
  /** The item succeeded: stop tracking it. */
  forget(item: K): void;
  numRequeues(item: K): number;
}

/** base * 2^failures per item, capped at max (client-go's ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    readonly baseDelayMs: number,
    readonly maxDelayMs: number,
  ) {}

  when(item: K): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    // 2^exp overflows to Infinity long before it matters; the cap handles it
    const backoff = this.baseDelayMs * Math.pow(2, exp);
    return Math.min(backoff, this.maxDelayMs);
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/** fastDelay for the first maxFastAttempts retries, then slowDelay (client-go's ItemFastSlowRateLimiter). */
export class ItemFastSlowRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(
    readonly fastDelayMs: number,
    readonly slowDelayMs: number,
    readonly maxFastAttempts: number,
  ) {}

  when(item: K): number {
    const n = (this.failures.get(item) ?? 0) + 1;
    this.failures.set(item, n);
    return n <= this.maxFastAttempts ? this.fastDelayMs : this.slowDelayMs;
  }

  forget(item: K): void {
    this.failures.delete(item);
  }

  numRequeues(item: K): number {
    return this.failures.get(item) ?? 0;
  }
}

/** One token bucket over all items (client-go's BucketRateLimiter): overall retries per second. */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  readonly bucket: TokenBucket;

  constructor(qps: number, burst: number, now?: () => number) {
    this.bucket = new TokenBucket(qps, burst, now);
  }

  when(_item: K): number {
    return this.bucket.reserve();
  }

  forget(_item: K): void {}

  numRequeues(_item: K): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go's MaxOfRateLimiter); every limiter counts each retry. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: K): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: K): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/**
 * client-go's DefaultControllerRateLimiter: per-item exponential backoff 5 ms .. 1000 s, and an overall
 * 10 qps / 100 burst bucket, the larger delay winning.
 */
export function defaultControllerRateLimiter<K>(): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialFailureRateLimiter<K>(5, 1000_000), new BucketRateLimiter<K>(10, 100));
}
