import type { Client, ResourceClient } from '../client.js';
import { isGone, isResourceExpired } from '../errors.js';
import { Backoff } from '../flowcontrol/backoff.js';
import { sleep } from '../flowcontrol/token-bucket.js';
import type { DeletedFinalStateUnknown } from '../cache/keys.js';
import { objectKey } from '../cache/keys.js';
import { IndexedStore, NAMESPACE_INDEX, namespaceIndexFunc } from '../cache/store.js';
import type { Store } from '../cache/store.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { KubeObject } from '../object.js';
import type { ResourceRef } from '../resource-ref.js';
import { apiVersionOf } from '../resource-ref.js';

export interface EventHandler<T> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface SharedInformer<T> {
  addEventHandler(h: EventHandler<T>): void;
  readonly store: Store<T>;
  hasSynced(): boolean;
  lastSyncResourceVersion(): string;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** 0: no resync. Every period each cached object is delivered again as onUpdate(obj, obj). */
  resyncPeriodMs?: number;
  /** Page size of lists (client-go's pager default: 500). */
  pageSize?: number;
  log?: Logger;
}

/** An error thrown to leave the watch loop and list again (410 Expired / Gone). */
class RelistNeeded extends Error {}

/**
 * client-go's sharedIndexInformer with its reflector: lists (paged) into the store, then watches from the
 * list's resourceVersion with bookmarks; a watch that ends is resumed from the last resourceVersion seen; a
 * 410 (Expired/Gone) lists again, and objects missing from the new list are delivered as deleted
 * (DeletedFinalStateUnknown). Store changes and handler calls happen in one sequence, handlers in the order
 * they were added, so no two calls ever overlap, for one object or any.
 */
export class SharedIndexInformer<T extends KubeObject> implements SharedInformer<T> {
  readonly store: IndexedStore<T>;
  private readonly handlers: EventHandler<T>[] = [];
  private readonly api: ResourceClient<T>;
  private readonly log: Logger;
  private synced = false;
  private lastRV = '';
  private started = false;
  private syncWaiters: (() => void)[] = [];

  constructor(
    client: Client,
    readonly ref: ResourceRef<T>,
    readonly opts: InformerOptions = {},
  ) {
    this.api = client.resource(ref, ref.namespaced ? opts.namespace || undefined : undefined);
    this.store = new IndexedStore<T>({ [NAMESPACE_INDEX]: namespaceIndexFunc });
    this.log = opts.log ?? silentLogger;
  }

  addEventHandler(h: EventHandler<T>): void {
    this.handlers.push(h);
    // a late handler first hears of every object already cached, as client-go's AddEventHandler does
    for (const obj of this.store.list()) this.call('onAdd', () => h.onAdd?.(obj, true));
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Resolves once the first list is in the store and delivered, or when `signal` aborts (then false). */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** Runs until `signal` aborts. */
  run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`informer for ${this.ref.resource} already started`);
    this.started = true;
    const loops = [this.listAndWatchLoop(signal)];
    if (this.opts.resyncPeriodMs && this.opts.resyncPeriodMs > 0) loops.push(this.resyncLoop(signal, this.opts.resyncPeriodMs));
    return Promise.all(loops).then(() => undefined);
  }

  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // client-go would crash the process on a handler panic; a handler error must not stop the informer
      this.log.error({ resource: this.ref.resource, handler: what, err: e instanceof Error ? e.message : String(e) }, 'informer event handler failed');
    }
  }

  private dispatchAdd(obj: T, initial: boolean): void {
    for (const h of this.handlers) if (h.onAdd) this.call('onAdd', () => h.onAdd!(obj, initial));
  }

  private dispatchUpdate(old: T, obj: T): void {
    for (const h of this.handlers) if (h.onUpdate) this.call('onUpdate', () => h.onUpdate!(old, obj));
  }

  private dispatchDelete(obj: T | DeletedFinalStateUnknown<T>): void {
    for (const h of this.handlers) if (h.onDelete) this.call('onDelete', () => h.onDelete!(obj));
  }

  /**
   * kube-apiserver sends list items without kind and apiVersion; cached objects get them from the resource,
   * so handlers can make references and events from them as client-go does through its scheme.
   */
  private withTypeMeta(obj: T): T {
    if (obj && !obj.kind) {
      obj.kind = this.ref.kind;
      obj.apiVersion = apiVersionOf(this.ref);
    }
    return obj;
  }

  private listOpts() {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  private async listAndWatchLoop(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff();
    while (!signal.aborted) {
      try {
        await this.list(signal);
        backoff.reset();
        await this.watchLoop(signal, backoff);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof RelistNeeded) {
          this.log.info({ resource: this.ref.resource, rv: this.lastRV }, 'watch expired, listing again');
          continue;
        }
        const delay = backoff.next();
        this.log.warn({ resource: this.ref.resource, err: e instanceof Error ? e.message : String(e), retryInMs: Math.round(delay) }, 'list failed');
        await sleep(delay, signal).catch(() => {});
      }
    }
  }

  /** A consistent paged list; the store is replaced with it and differences delivered (Replace in client-go). */
  private async list(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.api.list({ ...this.listOpts(), limit: this.opts.pageSize ?? 500, continue: cont, signal });
      if (!rv) rv = page.metadata?.resourceVersion ?? '';
      for (const item of page.items ?? []) items.push(this.withTypeMeta(item));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    if (signal.aborted) return;
    this.replace(items, rv);
  }

  private replace(items: T[], rv: string): void {
    const listed = new Set<string>();
    const initial = !this.synced;
    for (const obj of items) {
      const key = objectKey(obj);
      listed.add(key);
      const old = this.store.put(obj);
      if (old) this.dispatchUpdate(old, obj);
      else this.dispatchAdd(obj, initial);
    }
    for (const key of this.store.keys()) {
      if (listed.has(key)) continue;
      const old = this.store.remove(key)!;
      this.dispatchDelete({ key, obj: old });
    }
    this.lastRV = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Watches from lastRV until an error asks for a relist or `signal` aborts; resumes after a closed stream. */
  private async watchLoop(signal: AbortSignal, backoff: Backoff): Promise<void> {
    while (!signal.aborted) {
      // client-go picks a random server-side timeout between 5 and 10 minutes so watches do not renew in lockstep
      const timeoutSeconds = Math.floor(300 * (1 + Math.random()));
      const began = performance.now();
      let received = 0;
      try {
        const events = this.api.watch({ ...this.listOpts(), resourceVersion: this.lastRV, allowWatchBookmarks: true, timeoutSeconds, signal });
        for await (const ev of events) {
          const obj = ev.type === 'BOOKMARK' ? ev.object : this.withTypeMeta(ev.object);
          const rv = obj?.metadata?.resourceVersion;
          switch (ev.type) {
            case 'ADDED':
            case 'MODIFIED': {
              const old = this.store.put(obj);
              if (old) this.dispatchUpdate(old, obj);
              else this.dispatchAdd(obj, false);
              break;
            }
            case 'DELETED': {
              const old = this.store.remove(objectKey(obj));
              this.dispatchDelete(obj ?? old);
              break;
            }
            case 'BOOKMARK':
              break;
          }
          if (rv) this.lastRV = rv;
          received++;
          backoff.reset();
        }
        // a server that closes every watch at once would make this loop spin: back off as client-go does for a "very short watch"
        if (received === 0 && performance.now() - began < 1000 && !signal.aborted) await sleep(backoff.next(), signal).catch(() => {});
      } catch (e) {
        if (signal.aborted) return;
        if (isGone(e) || isResourceExpired(e)) throw new RelistNeeded();
        const delay = backoff.next();
        this.log.warn({ resource: this.ref.resource, rv: this.lastRV, err: e instanceof Error ? e.message : String(e), retryInMs: Math.round(delay) }, 'watch failed, resuming');
        await sleep(delay, signal).catch(() => {});
      }
    }
  }

  private async resyncLoop(signal: AbortSignal, periodMs: number): Promise<void> {
    while (!signal.aborted) {
      await sleep(periodMs, signal).catch(() => {});
      if (signal.aborted || !this.synced) continue;
      for (const obj of this.store.list()) this.dispatchUpdate(obj, obj);
    }
  }
}
