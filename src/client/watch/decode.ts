import { ApiError } from '../errors.js';
import type { WatchEvent } from '../object.js';
import type { Status } from '../types/meta-v1.js';

/**
 * Decodes a watch response body (one JSON WatchEvent per line, split anywhere across chunks) into events.
 * An ERROR event is thrown as the ApiError of its Status (410 Expired when the resourceVersion is too old),
 * as client-go's StreamWatcher turns it into an error for the caller.
 */
export async function* decodeWatchStream<T>(chunks: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<WatchEvent<T>> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield parseEvent<T>(line);
    }
  }
  pending += decoder.decode();
  if (pending.trim()) yield parseEvent<T>(pending.trim());
}

function parseEvent<T>(line: string): WatchEvent<T> {
  const ev = JSON.parse(line) as { type?: string; object?: unknown };
  if (ev.type === 'ERROR') {
    const status = (ev.object ?? {}) as Status;
    throw new ApiError({ ...status, code: status.code ?? 500 });
  }
  if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') {
    throw new Error(`watch: unexpected event type ${JSON.stringify(ev.type)}`);
  }
  return ev as WatchEvent<T>;
}
