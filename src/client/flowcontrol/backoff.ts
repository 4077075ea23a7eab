/**
 * Exponential backoff with jitter and a reset after a quiet spell, as client-go's reflector backoff manager
 * (800 ms initial, doubling, 30 s cap, reset after 2 minutes without failures, jitter 1.0).
 */
export class Backoff {
  private current: number;
  private lastFailure = 0;

  constructor(
    readonly initialMs = 800,
    readonly maxMs = 30_000,
    readonly resetAfterMs = 120_000,
    readonly jitter = 1.0,
  ) {
    this.current = initialMs;
  }

  /** The delay before the next attempt after a failure. */
  next(): number {
    const now = performance.now();
    if (now - this.lastFailure > this.resetAfterMs) this.current = this.initialMs;
    this.lastFailure = now;
    const base = this.current;
    this.current = Math.min(this.maxMs, this.current * 2);
    return base + Math.random() * this.jitter * base;
  }

  reset(): void {
    this.current = this.initialMs;
  }
}
