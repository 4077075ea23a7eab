import type { Db } from '../storage/database.js';
import type { ChangeEvent } from './change-event.js';
import { EventRing } from './event-ring.js';
import type { Watcher } from './watcher.js';

export interface WatchHubOptions {
  /** Events kept in memory per resource; older ones are read from the history table on demand. */
  ringCapacity?: number;
}

/**
 * The process's fan-out point: keeps recent events per resource in memory and wakes the watchers of a
 * resource when its events arrive. Watchers pull from the ring at their own pace (see Watcher), so one
 * slow watcher never holds up another.
 */
export class WatchHub {
  /** Highest revision delivered by the change feed; every event up to it is in a ring or below coveredFrom. */
  head = 0n;
  private base = 0n;
  private readonly rings = new Map<string, EventRing>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly capacity: number;

  constructor(
    readonly db: Db,
    opts: WatchHubOptions = {},
  ) {
    this.capacity = opts.ringCapacity ?? 10_000;
  }

  /** The feed starts at `rv`: rings cover only what comes after it. */
  reset(rv: bigint): void {
    this.head = rv;
    this.base = rv;
    this.rings.clear();
  }

  append(events: ChangeEvent[]): void {
    const touched = new Set<string>();
    for (const ev of events) {
      this.ring(ev.resource).push(ev);
      touched.add(ev.resource);
    }
    this.head = events[events.length - 1].rv;
    for (const resource of touched) {
      for (const w of this.watchers.get(resource) ?? []) w.wake();
    }
  }

  /** Events in (from, to] are lost to compaction: no ring may claim to cover them. */
  gap(to: bigint): void {
    for (const [resource, ring] of this.rings) {
      if (ring.coveredFrom < to) this.rings.set(resource, new EventRing(to, this.capacity));
    }
    if (this.base < to) this.base = to;
  }

  ring(resource: string): EventRing {
    let r = this.rings.get(resource);
    if (!r) {
      r = new EventRing(this.base, this.capacity);
      this.rings.set(resource, r);
    }
    return r;
  }

  add(w: Watcher): void {
    let set = this.watchers.get(w.resource);
    if (!set) this.watchers.set(w.resource, (set = new Set()));
    set.add(w);
  }

  remove(w: Watcher): void {
    this.watchers.get(w.resource)?.delete(w);
  }

  /** Wakes every watcher (used after head moves without events for them, e.g. to flush bookmarks). */
  wakeAll(): void {
    for (const set of this.watchers.values()) for (const w of set) w.wake();
  }

  /** Ends every watch stream (shutdown): clients re-watch elsewhere from their last revision. */
  closeAll(): void {
    for (const set of this.watchers.values()) for (const w of [...set]) w.close();
  }

  get watcherCount(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }
}
