/**
 * The load of the watch property and fault tests: writers doing optimistic-concurrency creates, updates
 * and deletes over a shared key space, and watchers that drop and resume from their last seen
 * resourceVersion. Both record what the apiserver acknowledged and delivered, for history-check.ts.
 */
import { request, watch } from '../support/http.js';
import type { WatchEvent, WatchStream } from '../support/http.js';
import { eventId } from './history-check.js';
import type { AckedWrite, EventId } from './history-check.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with PGKUBE_TEST_SEED. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

export function seedFromEnv(): number {
  const s = process.env.PGKUBE_TEST_SEED;
  return s ? Number(s) : (Date.now() ^ (process.pid << 8)) >>> 0;
}

/** Resource versions seen by writers and lists: where watchers start. */
export class RvPool {
  readonly rvs: bigint[] = [];
  add(rv: bigint): void {
    this.rvs.push(rv);
  }
  /** A random one of those seen so far (old ones force catch-up from the history table). */
  pick(rng: Rng): bigint | undefined {
    return this.rvs.length === 0 ? undefined : this.rvs[rng.int(this.rvs.length)];
  }
}

export const cmPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/configmaps${name ? `/${encodeURIComponent(name)}` : ''}`;

export interface WriterOptions {
  id: string;
  /** The apiserver this writer talks to (a function: it may be replaced by a restarted process). */
  server: () => string;
  namespaces: string[];
  names: string[];
  rng: Rng;
  pool: RvPool;
  /** Probability that an existing object is deleted rather than updated. */
  deleteRatio?: number;
  /** Pause between operations (ms), to bound the load on a 2-core machine. */
  pauseMs?: [number, number];
}

export interface WriterStats {
  ops: number;
  conflicts: number;
  /** Requests without a 2xx or a definite 4xx answer (network errors, 5xx): outcome unknown. */
  unknown: number;
  lastError?: string;
}

/**
 * One writer: picks a key, reads it, and creates, updates (PUT naming the resourceVersion it read) or
 * deletes it (with a resourceVersion precondition). On 409 it re-reads and retries. Every 2xx is kept in
 * `acked` with the rv it named.
 */
export class Writer {
  readonly acked: AckedWrite[] = [];
  readonly stats: WriterStats = { ops: 0, conflicts: 0, unknown: 0 };
  private seq = 0;
  private stopped = false;

  constructor(private readonly o: WriterOptions) {}

  stop(): void {
    this.stopped = true;
  }

  /** Writes until `deadline` (Date.now() ms) or stop(). */
  async run(deadline: number): Promise<void> {
    const pause = this.o.pauseMs ?? [0, 3];
    while (!this.stopped && Date.now() < deadline) {
      try {
        await this.once();
      } catch (err) {
        this.stats.unknown++;
        this.stats.lastError = (err as Error).message;
        await sleep(100);
      }
      this.stats.ops++;
      const p = this.o.rng.between(pause[0], pause[1]);
      if (p >= 1) await sleep(p);
    }
  }

  private data(): Record<string, string> {
    return { writer: this.o.id, seq: String(++this.seq) };
  }

  private labels(): Record<string, string> {
    return { color: this.o.rng.next() < 0.5 ? 'red' : 'blue' };
  }

  private note(status: number, text: string): boolean {
    if (status >= 500 || status === 0) {
      this.stats.unknown++;
      this.stats.lastError = `${status} ${text.slice(0, 200)}`;
      return false;
    }
    return true;
  }

  private async once(): Promise<void> {
    const { rng } = this.o;
    const ns = rng.pick(this.o.namespaces);
    const name = rng.pick(this.o.names);
    const base = this.o.server();
    let cur = await request(base, 'GET', cmPath(ns, name));
    if (cur.status === 404) {
      const data = this.data();
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: this.labels() }, data };
      const r = await request(base, 'POST', cmPath(ns), body);
      if (r.status === 201) this.ack('create', ns, name, r.json, undefined, data, base);
      else if (r.status === 409) this.stats.conflicts++;
      else if (this.note(r.status, r.text)) throw new Error(`create ${ns}/${name}: ${r.status} ${r.text}`);
      return;
    }
    if (cur.status !== 200) {
      if (this.note(cur.status, cur.text)) throw new Error(`get ${ns}/${name}: ${cur.status} ${cur.text}`);
      return;
    }
    const del = rng.next() < (this.o.deleteRatio ?? 0.2);
    for (let attempt = 0; attempt < 5 && !this.stopped; attempt++) {
      const named = cur.json.metadata.resourceVersion as string;
      this.o.pool.add(BigInt(named));
      let r;
      let data: Record<string, string> | undefined;
      if (del) {
        r = await request(base, 'DELETE', cmPath(ns, name), { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: named } });
      } else {
        data = this.data();
        const body = { ...cur.json, metadata: { ...cur.json.metadata, labels: this.labels() }, data };
        r = await request(base, 'PUT', cmPath(ns, name), body);
      }
      if (r.status === 200) {
        this.ack(del ? 'delete' : 'update', ns, name, r.json, BigInt(named), data, base);
        return;
      }
      if (r.status === 404) return;
      if (r.status !== 409) {
        if (this.note(r.status, r.text)) throw new Error(`${del ? 'delete' : 'update'} ${ns}/${name}: ${r.status} ${r.text}`);
        return;
      }
      this.stats.conflicts++;
      cur = await request(base, 'GET', cmPath(ns, name));
      if (cur.status !== 200) return;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response objects
  private ack(op: AckedWrite['op'], namespace: string, name: string, obj: any, namedRv: bigint | undefined, data: Record<string, string> | undefined, base: string): void {
    const rv = BigInt(obj.metadata.resourceVersion);
    this.o.pool.add(rv);
    this.acked.push({ op, namespace, name, rv, namedRv, data, by: `${this.o.id}@${base}`, at: Date.now() });
  }
}

export interface WatcherOptions {
  id: string;
  /** Where to (re)connect: called before every connection (the list may change, e.g. after a restart). */
  server: () => string;
  /** Collection path, e.g. /api/v1/configmaps or /api/v1/namespaces/p1/configmaps. */
  path: string;
  namespace?: string;
  labels?: Record<string, string>;
  startRv: bigint;
  /** Drop the connection after a random time in this range (ms) and resume; undefined: never. */
  dropAfterMs?: [number, number];
  /** timeoutSeconds for each watch request (the server ends the stream), with bookmarks. */
  timeoutSeconds?: number;
  allowBookmarks?: boolean;
  rng: Rng;
}

/**
 * A watch that resumes: whenever its stream ends (dropped by us, ended by the server, or the server is
 * gone) it opens a new one from the last resourceVersion it saw (event or bookmark), until stop().
 * `events` joins every stream's events in arrival order (BOOKMARK and ERROR left out).
 */
export class ResumingWatcher {
  readonly events: EventId[] = [];
  /** ERROR events and non-200 answers, in order. */
  readonly errors: { code: number; reason: string; message: string }[] = [];
  /** Things that break the watch contract on their own (e.g. a bookmark going backwards). */
  readonly problems: string[] = [];
  lastRv: bigint;
  streams = 0;
  connectFailures = 0;
  private current?: WatchStream;
  private stopped = false;
  private wakeStop?: () => void;
  private done?: Promise<void>;

  constructor(readonly o: WatcherOptions) {
    this.lastRv = o.startRv;
  }

  start(): void {
    this.done = this.run();
  }

  /** The newest rv delivered so far, including the stream still open. */
  seenRv(): bigint {
    const evs = this.current?.events ?? [];
    for (let i = evs.length - 1; i >= 0; i--) {
      if (evs[i].type !== 'ERROR') {
        const rv = BigInt(evs[i].object?.metadata?.resourceVersion ?? -1);
        return rv > this.lastRv ? rv : this.lastRv;
      }
    }
    return this.lastRv;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeStop?.();
    await this.done;
  }

  private query(): string {
    const q = new URLSearchParams({ watch: '1', resourceVersion: this.lastRv.toString() });
    if (this.o.allowBookmarks) q.set('allowWatchBookmarks', 'true');
    if (this.o.timeoutSeconds) q.set('timeoutSeconds', String(this.o.timeoutSeconds));
    if (this.o.labels) q.set('labelSelector', Object.entries(this.o.labels).map(([k, v]) => `${k}=${v}`).join(','));
    return `${this.o.path}?${q}`;
  }

  private async run(): Promise<void> {
    const stopSignal = new Promise<void>((r) => (this.wakeStop = r));
    while (!this.stopped) {
      let w: WatchStream;
      try {
        w = await watch(this.o.server(), this.query());
      } catch {
        this.connectFailures++;
        await Promise.race([sleep(this.o.rng.between(100, 300)), stopSignal]);
        continue;
      }
      this.streams++;
      this.current = w;
      if (w.status !== 200) {
        w.close();
        this.current = undefined;
        this.errors.push({ code: w.status, reason: 'HTTP', message: `watch answered ${w.status}` });
        await Promise.race([sleep(200), stopSignal]);
        continue;
      }
      const waits: Promise<unknown>[] = [w.ended, stopSignal];
      let dropTimer: NodeJS.Timeout | undefined;
      if (this.o.dropAfterMs) {
        const [lo, hi] = this.o.dropAfterMs;
        waits.push(new Promise<void>((r) => (dropTimer = setTimeout(r, this.o.rng.between(lo, hi)))));
      }
      await Promise.race(waits);
      clearTimeout(dropTimer);
      w.close();
      // A snapshot: anything parsed after close is not used, and is delivered again on resume.
      this.absorb(w.events.slice());
      this.current = undefined;
      if (this.errors.length > 0 && this.errors[this.errors.length - 1].code >= 500) await Promise.race([sleep(200), stopSignal]);
    }
  }

  private absorb(events: WatchEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'ERROR') {
        const s = ev.object ?? {};
        this.errors.push({ code: s.code ?? 0, reason: s.reason ?? '', message: s.message ?? '' });
        return; // the stream ends after an ERROR
      }
      const rv = BigInt(ev.object?.metadata?.resourceVersion ?? -1);
      if (ev.type === 'BOOKMARK') {
        if (rv < this.lastRv) this.problems.push(`${this.o.id}: bookmark at rv ${rv} after rv ${this.lastRv}`);
        else this.lastRv = rv;
        continue;
      }
      this.events.push(eventId(ev));
      this.lastRv = rv;
    }
  }
}

/** Polls until `cond` holds or `timeoutMs` passes; returns whether it holds. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
