import { resources, runWorkers, WorkQueue } from '../../client/index.js';
import type { Namespace } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import { NamespacedResourcesDeleter, ResourcesRemainingError } from './deleter.js';

export const name = 'namespace';

export interface NamespaceControllerOptions {
  /** --concurrent-namespace-syncs (default 10). */
  workers?: number;
  /** --namespace-sync-period (default 5 min): every Terminating namespace is looked at again this often. */
  syncPeriodMs?: number;
}

/**
 * The namespace controller (upstream: pkg/controller/namespace): every namespace with a deletionTimestamp
 * is emptied and finalized. Content that needs time (finalizers, graceful pods) is looked at again after
 * half the estimate, as upstream.
 */
export async function start(ctx: ControllerContext, opts: NamespaceControllerOptions = {}): Promise<void> {
  const queue = new WorkQueue<string>({ name: 'namespace' });
  const informer = ctx.informers.informerFor(resources.namespaces);
  const enqueue = (ns: Namespace) => {
    if (ns.metadata.deletionTimestamp) queue.add(ns.metadata.name!);
  };
  informer.addEventHandler({
    onAdd: (ns) => enqueue(ns),
    onUpdate: (_old, ns) => enqueue(ns),
  });
  if (!(await ctx.informers.waitForCacheSync(ctx.signal))) return;
  const deleter = new NamespacedResourcesDeleter(ctx.client, ctx.log, ctx.signal);
  // Upstream resyncs the namespace informer: a namespace whose last pass failed quietly is tried again.
  const resync = setInterval(() => {
    for (const ns of informer.store.list()) enqueue(ns);
  }, opts.syncPeriodMs ?? 5 * 60_000);
  ctx.signal.addEventListener('abort', () => clearInterval(resync), { once: true });
  await runWorkers(
    queue,
    opts.workers ?? 10,
    async (key) => {
      try {
        await deleter.delete(key);
      } catch (err) {
        if (!(err instanceof ResourcesRemainingError)) throw err;
        queue.addAfter(key, (Math.floor(err.estimateSeconds / 2) + 1) * 1000);
      }
    },
    ctx.signal,
    ctx.log,
  );
}
