/**
 * kubelet's container restart back-off (flowcontrol.Backoff keyed per container): the first restart is
 * immediate; after that each crash waits base, 2*base, ... up to max, measured from when the container
 * finished. An entry untouched for 2*max (10 minutes with the defaults) is forgotten: the next crash
 * starts again from nothing.
 */
export interface BackoffEntry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, BackoffEntry>();

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private expired(e: BackoffEntry, at: number): boolean {
    return at - e.lastUpdate > 2 * this.maxMs;
  }

  /** Whether a restart of `key` must still wait, given that the container finished at `since`. */
  inBackoffSince(key: string, since: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(e, since)) return false;
    return this.now() - since < e.delayMs;
  }

  /** When the wait that `inBackoffSince` reports ends. */
  until(key: string, since: number): number {
    return since + (this.entries.get(key)?.delayMs ?? 0);
  }

  /** Records a restart: the next crash waits twice as long. */
  next(key: string): void {
    const now = this.now();
    const e = this.entries.get(key);
    if (!e || this.expired(e, now)) this.entries.set(key, { delayMs: this.baseMs, lastUpdate: now });
    else this.entries.set(key, { delayMs: Math.min(e.delayMs * 2, this.maxMs), lastUpdate: now });
  }

  delayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  forget(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}

/** A duration as Go's time.Duration.String() prints it (10s, 1m20s, 5m0s, 500ms). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const totalSec = ms / 1000;
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec - h * 3600 - m * 60;
  const sec = `${Number.isInteger(s) ? s : Number(s.toFixed(9))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}
