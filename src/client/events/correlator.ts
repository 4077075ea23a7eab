import { TokenBucket } from '../flowcontrol/token-bucket.js';
import type { Event } from '../types/core-v1.js';

/** client-go's EventCorrelator defaults. */
export const MAX_LRU_CACHE_ENTRIES = 4096;
/** Similar events (same source, object, type and reason; different message) before they are combined. */
export const DEFAULT_AGGREGATE_MAX_EVENTS = 10;
export const DEFAULT_AGGREGATE_INTERVAL_SECONDS = 600;
/** Spam filter: per source+object, a bucket of 25 refilled once every 5 minutes. */
export const DEFAULT_SPAM_BURST = 25;
export const DEFAULT_SPAM_QPS = 1 / 300;
export const COMBINED_PREFIX = '(combined from similar events): ';

/** A small LRU map (insertion order of a Map, refreshed on read). */
class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value as K);
  }
}

const join = (parts: (string | number | undefined)[]) => parts.map((p) => p ?? '').join('');

/** Everything but the message: events equal here are "similar" (client-go's EventAggregatorByReasonFunc). */
function aggregateKey(e: Event): string {
  const o = e.involvedObject;
  return join([e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion, e.type, e.reason, e.reportingComponent, e.reportingInstance]);
}

/** Everything that makes an event the same event again (client-go's getEventKey). */
function eventKey(e: Event): string {
  const o = e.involvedObject;
  return join([e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion, e.type, e.reason, e.message]);
}

function spamKey(e: Event): string {
  const o = e.involvedObject;
  return join([e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion]);
}

export interface CorrelationResult {
  /** The event to write (possibly the combined one, with count and name of the one already stored). */
  event: Event;
  /** Set when the event was seen before: patch the stored one (count, lastTimestamp, message) instead of creating. */
  patch?: { count: number; lastTimestamp: string; message: string };
  /** Dropped by the spam filter. */
  skip: boolean;
  /** The key the write's outcome is remembered under (pass to written()). */
  key: string;
}

interface Observed {
  count: number;
  firstTimestamp: string;
  name: string;
  resourceVersion: string;
}

/**
 * client-go's EventCorrelator: aggregate similar events (more than 10 differing only in message within
 * 10 minutes become one "(combined from similar events)" event), count repeats of the same event (the stored
 * event is patched with count+1 and the new lastTimestamp), and drop spam (token bucket per object).
 */
export class EventCorrelator {
  private readonly aggregates = new Lru<string, { messages: Set<string>; last: number }>(MAX_LRU_CACHE_ENTRIES);
  private readonly observed = new Lru<string, Observed>(MAX_LRU_CACHE_ENTRIES);
  private readonly spam = new Lru<string, TokenBucket>(MAX_LRU_CACHE_ENTRIES);

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly opts: { maxEvents?: number; intervalSeconds?: number; spamQps?: number; spamBurst?: number } = {},
  ) {}

  correlate(input: Event, makeName: (e: Event, atMs: number) => string): CorrelationResult {
    const nowMs = this.now();
    const { event, key } = this.aggregate(input, nowMs, makeName);
    const result = this.observe(event, key);
    result.skip = !this.allow(result.event);
    return result;
  }

  private aggregate(e: Event, nowMs: number, makeName: (e: Event, atMs: number) => string): { event: Event; key: string } {
    const aKey = aggregateKey(e);
    const interval = (this.opts.intervalSeconds ?? DEFAULT_AGGREGATE_INTERVAL_SECONDS) * 1000;
    let rec = this.aggregates.get(aKey);
    if (!rec || nowMs - rec.last > interval) rec = { messages: new Set(), last: nowMs };
    rec.messages.add(e.message ?? '');
    rec.last = nowMs;
    this.aggregates.set(aKey, rec);
    if (rec.messages.size < (this.opts.maxEvents ?? DEFAULT_AGGREGATE_MAX_EVENTS)) return { event: e, key: eventKey(e) };
    // keep the set from growing: one message out, as upstream's PopAny
    const first = rec.messages.values().next().value as string;
    rec.messages.delete(first);
    const ts = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const combined: Event = {
      metadata: { name: makeName(e, nowMs), namespace: e.metadata.namespace },
      involvedObject: e.involvedObject,
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      message: COMBINED_PREFIX + (e.message ?? ''),
      type: e.type,
      reason: e.reason,
      source: e.source,
      reportingComponent: e.reportingComponent,
      reportingInstance: e.reportingInstance,
      eventTime: e.eventTime,
    };
    return { event: combined, key: aKey };
  }

  private observe(e: Event, key: string): CorrelationResult {
    const last = this.observed.get(key);
    if (!last) {
      this.observed.set(key, { count: e.count ?? 1, firstTimestamp: e.firstTimestamp ?? '', name: e.metadata.name ?? '', resourceVersion: '' });
      return { event: e, skip: false, key };
    }
    const count = last.count + 1;
    const event: Event = { ...e, count, firstTimestamp: last.firstTimestamp, metadata: { ...e.metadata, name: last.name, resourceVersion: last.resourceVersion } };
    this.observed.set(key, { ...last, count });
    return { event, patch: { count, lastTimestamp: e.lastTimestamp ?? '', message: e.message ?? '' }, skip: false, key };
  }

  /** After a successful write: remember the stored event's name, count and resourceVersion under its key. */
  written(stored: Event, key: string): void {
    this.observed.set(key, {
      count: stored.count ?? 1,
      firstTimestamp: stored.firstTimestamp ?? '',
      name: stored.metadata.name ?? '',
      resourceVersion: stored.metadata.resourceVersion ?? '',
    });
  }

  private allow(e: Event): boolean {
    const k = spamKey(e);
    let bucket = this.spam.get(k);
    if (!bucket) {
      bucket = new TokenBucket(this.opts.spamQps ?? DEFAULT_SPAM_QPS, this.opts.spamBurst ?? DEFAULT_SPAM_BURST, this.now);
      this.spam.set(k, bucket);
    }
    return bucket.tryAccept();
  }
}
