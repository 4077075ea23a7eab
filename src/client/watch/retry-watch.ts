import type { ResourceClient, WatchOptions } from '../client.js';
import { isGone, isResourceExpired } from '../errors.js';
import { Backoff } from '../flowcontrol/backoff.js';
import { sleep } from '../flowcontrol/token-bucket.js';
import type { KubeObject, WatchEvent } from '../object.js';

/**
 * client-go's RetryWatcher: a watch from `resourceVersion` that survives closed streams and connection
 * failures by watching again from the last resourceVersion it delivered (with the reflector's backoff), so
 * the caller sees every change exactly once. It cannot bridge a gap the server no longer has: 410 Expired
 * is thrown as the ApiError and the caller lists again. Bookmarks are asked for and advance the position
 * but are not yielded. Ends when `signal` aborts.
 */
export async function* retryWatch<T extends KubeObject>(
  api: ResourceClient<T>,
  opts: WatchOptions & { resourceVersion: string; signal: AbortSignal },
): AsyncGenerator<WatchEvent<T>> {
  const { signal } = opts;
  if (!opts.resourceVersion || opts.resourceVersion === '0') throw new Error('retryWatch needs a specific resourceVersion to start from');
  let rv = opts.resourceVersion;
  const backoff = new Backoff();
  while (!signal.aborted) {
    const began = performance.now();
    let received = 0;
    try {
      for await (const ev of api.watch({ ...opts, resourceVersion: rv, allowWatchBookmarks: true })) {
        const next = ev.object?.metadata?.resourceVersion;
        if (next) rv = next;
        received++;
        backoff.reset();
        if (ev.type !== 'BOOKMARK') yield ev;
      }
      if (received === 0 && performance.now() - began < 1000 && !signal.aborted) await sleep(backoff.next(), signal).catch(() => {});
    } catch (e) {
      if (signal.aborted) return;
      if (isGone(e) || isResourceExpired(e)) throw e;
      await sleep(backoff.next(), signal).catch(() => {});
    }
  }
}
