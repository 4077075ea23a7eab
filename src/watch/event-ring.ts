import type { ChangeEvent } from './change-event.js';

/**
 * The recent events of one resource, oldest first. Invariant: every event of this resource with
 * rv > coveredFrom (up to the feed's head) is in the ring; older ones must be read from the database.
 */
export class EventRing {
  private events: ChangeEvent[] = [];
  private start = 0;

  constructor(
    public coveredFrom: bigint,
    private readonly capacity: number,
  ) {}

  push(ev: ChangeEvent): void {
    this.events.push(ev);
    if (this.events.length - this.start > this.capacity) {
      // Drop the oldest half in one step so trimming stays amortised O(1).
      const drop = Math.floor(this.capacity / 2);
      this.coveredFrom = this.events[this.start + drop - 1].rv;
      this.start += drop;
      if (this.start > 4096 && this.start > this.events.length / 2) {
        this.events = this.events.slice(this.start);
        this.start = 0;
      }
    }
  }

  /** Events with rv > after, oldest first. Requires after >= coveredFrom. */
  after(after: bigint): ChangeEvent[] {
    let lo = this.start;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].rv <= after) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo);
  }

  get size(): number {
    return this.events.length - this.start;
  }
}
