/**
 * A token bucket as golang.org/x/time/rate.Limiter (what client-go's flowcontrol and workqueue use): `qps`
 * tokens per second refill a bucket of `burst`; a reservation takes a token now or at the time one will exist.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`token bucket needs qps > 0 and burst >= 1 (got ${qps}, ${burst})`);
    this.tokens = burst;
    this.last = this.now();
  }

  private advance(at: number): void {
    if (at > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((at - this.last) / 1000) * this.qps);
      this.last = at;
    }
  }

  /** Takes a token if one is there now (flowcontrol's TryAccept). */
  tryAccept(): boolean {
    this.advance(this.now());
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Takes a token, possibly one not yet refilled (the bucket goes negative); returns the ms to wait for it. */
  reserve(): number {
    this.advance(this.now());
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Waits for a token (flowcontrol's Wait). Rejects with the signal's reason if it aborts first. */
  async wait(signal?: AbortSignal): Promise<void> {
    const ms = this.reserve();
    if (ms > 0) await sleep(ms, signal);
  }
}

/** setTimeout as a promise that an AbortSignal cuts short (rejecting with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
