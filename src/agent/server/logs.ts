/**
 * GET /containerLogs: PodLogOptions from the query (validated with the API's messages), the runtime's log
 * stream copied to the response as it comes, so `kubectl logs -f` sees each line when it is written.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { LogOptions } from '../runtime.js';

export class LogOptionsError extends Error {
  readonly code = 400;
}

function bool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}

function int(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new LogOptionsError(`${name}: Invalid value: "${v}": must be an integer`);
  return Number(v);
}

export function logOptionsFromQuery(query: URLSearchParams, now = Date.now()): LogOptions {
  const tailLines = int(query, 'tailLines');
  const sinceSeconds = int(query, 'sinceSeconds');
  const limitBytes = int(query, 'limitBytes');
  const sinceTime = query.get('sinceTime') ?? undefined;
  if (sinceSeconds !== undefined && sinceTime !== undefined) throw new LogOptionsError('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (tailLines !== undefined && tailLines < 0) throw new LogOptionsError('tailLines: Invalid value: must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) throw new LogOptionsError('limitBytes: Invalid value: must be greater than 0');
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw new LogOptionsError('sinceSeconds: Invalid value: must be greater than 0');
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000;
  if (sinceTime !== undefined) {
    sinceMs = Date.parse(sinceTime);
    if (Number.isNaN(sinceMs)) throw new LogOptionsError(`sinceTime: Invalid value: "${sinceTime}": must be RFC3339`);
  }
  return { follow: bool(query, 'follow'), previous: bool(query, 'previous'), timestamps: bool(query, 'timestamps'), tailLines, sinceMs, limitBytes };
}

export async function serveLogs(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, open: (opts: LogOptions) => Promise<Readable>): Promise<void> {
  const abort = new AbortController();
  const opts = { ...logOptionsFromQuery(query), signal: abort.signal };
  res.on('close', () => abort.abort());
  const stream = await open(opts);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let left = opts.limitBytes ?? Infinity;
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      if (left <= 0) return;
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      res.write(part);
      if (left <= 0) {
        stream.destroy();
        resolve();
      }
    });
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
    abort.signal.addEventListener('abort', () => {
      stream.destroy();
      resolve();
    });
  });
  res.end();
}
