import type { Client } from '../client.js';
import type { Logger } from '../logger.js';
import type { KubeObject } from '../object.js';
import type { ResourceRef } from '../resource-ref.js';
import { SharedIndexInformer } from './shared-informer.js';
import type { SharedInformer } from './shared-informer.js';

/**
 * One informer per (resource, selectors) shared by every controller of a process, as client-go's
 * SharedInformerFactory: asking twice gives the same informer, so one list and one watch feed them all.
 */
export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedIndexInformer<KubeObject>>();
  private signal: AbortSignal | undefined;
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly client: Client,
    private readonly opts: { resyncPeriodMs?: number; namespace?: string; log?: Logger } = {},
  ) {}

  informerFor<T extends KubeObject>(ref: ResourceRef<T>, opts: { labelSelector?: string; fieldSelector?: string } = {}): SharedInformer<T> {
    const id = `${ref.group}/${ref.version}/${ref.resource}?l=${opts.labelSelector ?? ''}&f=${opts.fieldSelector ?? ''}`;
    let inf = this.informers.get(id) as SharedIndexInformer<T> | undefined;
    if (!inf) {
      inf = new SharedIndexInformer<T>(this.client, ref, { ...opts, namespace: this.opts.namespace, resyncPeriodMs: this.opts.resyncPeriodMs, log: this.opts.log });
      this.informers.set(id, inf as unknown as SharedIndexInformer<KubeObject>);
      if (this.signal) this.running.push(inf.run(this.signal));
    }
    return inf;
  }

  /** Starts every informer asked for so far; later ones start when asked for. */
  start(signal: AbortSignal): void {
    if (this.signal) return;
    this.signal = signal;
    for (const inf of this.informers.values()) this.running.push(inf.run(signal));
  }

  /** True once every informer asked for so far has synced; false if `signal` aborts first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal ?? this.signal)));
    return results.every(Boolean);
  }

  /** Resolves when every started informer has stopped (after the start signal aborted). */
  async shutdown(): Promise<void> {
    await Promise.all(this.running);
  }
}
