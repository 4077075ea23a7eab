import type { Client } from '../client.js';
import { ApiError, isNotFound } from '../errors.js';
import { sleep } from '../flowcontrol/token-bucket.js';
import { resources } from '../generated/resources.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { KubeObject } from '../object.js';
import type { Event, ObjectReference } from '../types/core-v1.js';
import { EventCorrelator } from './correlator.js';

/** client-go's broadcaster queue length: events beyond it are dropped rather than blocking the caller. */
const MAX_QUEUED = 1000;
/** recordToSink: network failures are retried this often, this far apart; the server's refusals are not. */
const MAX_TRIES = 12;
const RETRY_SLEEP_MS = 10_000;

let lastNanos = 0n;
/** Unix time in ns, strictly increasing within the process, so two events in one millisecond get two names. */
function uniqueNanos(atMs: number): bigint {
  let ns = BigInt(Math.floor(atMs)) * 1_000_000n;
  if (ns <= lastNanos) ns = lastNanos + 1n;
  lastNanos = ns;
  return ns;
}

/** metav1.Time on the wire: RFC 3339 in whole seconds. */
function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function referenceTo(o: KubeObject | ObjectReference): ObjectReference {
  if ('metadata' in o && o.metadata) {
    const m = o.metadata;
    return { kind: o.kind, apiVersion: o.apiVersion, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
  }
  return o as ObjectReference;
}

/**
 * client-go's event recorder writing core/v1 Events: `event()` returns at once; events are written in order in
 * the background, correlated first (repeats counted and patched, similar ones combined, spam dropped).
 */
export class EventRecorder {
  private readonly correlator: EventCorrelator;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly source: { component: string; host?: string },
    opts: { log?: Logger; correlator?: EventCorrelator } = {},
  ) {
    this.correlator = opts.correlator ?? new EventCorrelator();
    this.log = opts.log ?? silentLogger;
  }

  /** Records an event about `regarding` (an object with kind and apiVersion set, or a reference). Fire and forget. */
  event(regarding: KubeObject | ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (type !== 'Normal' && type !== 'Warning') {
      this.log.error({ type }, 'unsupported event type');
      return;
    }
    if (this.closed) return;
    if (this.queued >= MAX_QUEUED) {
      this.log.warn({ reason }, 'event queue full: dropping event');
      return;
    }
    const ref = referenceTo(regarding);
    const now = Date.now();
    const ev: Event = {
      metadata: { name: this.makeName(ref, now), namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      firstTimestamp: metaTime(now),
      lastTimestamp: metaTime(now),
      count: 1,
      type,
      source: this.source.host ? { component: this.source.component, host: this.source.host } : { component: this.source.component },
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
    this.queued++;
    this.chain = this.chain.then(() => this.record(ev)).finally(() => void this.queued--);
  }

  /** Resolves once every event recorded so far has been written (or given up). */
  flush(): Promise<void> {
    return this.chain;
  }

  /** Drops events recorded from now on; resolves when the ones queued are written. */
  shutdown(): Promise<void> {
    this.closed = true;
    return this.chain;
  }

  private makeName(ref: ObjectReference, atMs: number): string {
    return `${ref.name}.${uniqueNanos(atMs).toString(16)}`;
  }

  private async record(input: Event): Promise<void> {
    const result = this.correlator.correlate(input, (e, at) => this.makeName(e.involvedObject, at));
    if (result.skip) return;
    const ev = result.event;
    const api = this.client.resource(resources.events, ev.metadata.namespace);
    for (let tries = 1; ; tries++) {
      try {
        let stored: Event | undefined;
        if (result.patch) {
          try {
            stored = await api.patch(ev.metadata.name!, result.patch, 'strategic');
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }
        if (!stored) {
          const { resourceVersion: _rv, ...metadata } = ev.metadata;
          stored = await api.create({ ...ev, metadata });
        }
        this.correlator.written(stored, result.key);
        return;
      } catch (e) {
        if (e instanceof ApiError || tries >= MAX_TRIES) {
          this.log.warn({ reason: ev.reason, name: ev.metadata.name, err: e instanceof Error ? e.message : String(e) }, 'could not write event (will not retry)');
          return;
        }
        // the first retry is randomised so that many recorders do not retry in step, as upstream
        await sleep(tries === 1 ? Math.random() * RETRY_SLEEP_MS : RETRY_SLEEP_MS);
      }
    }
  }
}
