import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { WorkQueue } from './queue.js';

/**
 * Runs `workers` loops taking keys from the queue until `signal` aborts (which shuts the queue down): each key
 * goes to `reconcile`; success forgets its backoff, a throw requeues it rate-limited, as client-go controllers'
 * processNextWorkItem. A key is never reconciled by two workers at once (the queue guarantees it). Resolves
 * once every worker has returned; keys still queued at abort are left unprocessed.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  workers: number,
  reconcile: (key: K) => Promise<void>,
  signal: AbortSignal,
  log: Logger = silentLogger,
): Promise<void> {
  const stop = () => queue.shutDown();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (signal.aborted) {
        queue.done(key);
        return;
      }
      try {
        await reconcile(key);
        queue.forget(key);
      } catch (e) {
        log.warn({ queue: queue.name, key, err: e instanceof Error ? e.message : String(e), requeues: queue.numRequeues(key) }, 'reconcile failed, requeued');
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
