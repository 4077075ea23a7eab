/**
 * Transport behaviour that a well-behaved apiserver rarely shows on demand: Retry-After answers and a client
 * closed under an open watch. The server here is a plain loopback HTTP server that answers as an overloaded
 * kube-apiserver does (429 with Retry-After and a Status), then normally.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, isTooManyRequests, resources } from '../../src/client/index.js';

function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      }),
    ),
  );
}

const tooMany = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'the server has received too many requests and has asked us to try again later' });

test('429 with Retry-After is retried after the given seconds, as client-go does; without it, the ApiError is thrown', async () => {
  let calls = 0;
  const s = await serve((req, res) => {
    calls++;
    if (req.url!.includes('/retry') && calls === 1) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(tooMany);
      return;
    }
    if (req.url!.includes('/noretry')) {
      res.writeHead(429, { 'content-type': 'application/json' }).end(tooMany);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'retry' } }));
  });
  const client = new Client({ server: s.url });
  try {
    const ns = await client.resource(resources.namespaces).get('retry');
    expect(ns.metadata.name).toBe('retry');
    expect(calls).toBe(2);
    const err = await client.resource(resources.namespaces).get('noretry').catch((e: unknown) => e);
    expect(isTooManyRequests(err)).toBe(true);
    expect(calls).toBe(3);
  } finally {
    await client.close();
    await s.close();
  }
});

test('a non-Status error body becomes an ApiError with the reason client-go derives from the code', async () => {
  const s = await serve((_req, res) => void res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream down'));
  const client = new Client({ server: s.url });
  try {
    const err = (await client.resource(resources.namespaces).list().catch((e: unknown) => e)) as { code: number; reason: string; message: string };
    expect(err.code).toBe(503);
    expect(err.reason).toBe('ServiceUnavailable');
    expect(err.message).toMatch(/upstream down/);
  } finally {
    await client.close();
    await s.close();
  }
});

test('close() does not hang on an open watch', async () => {
  const s = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } }) + '\n'); // and never ends
  });
  const client = new Client({ server: s.url });
  const seen: string[] = [];
  const watching = (async () => {
    for await (const ev of client.resource(resources.namespaces).watch()) seen.push(ev.object.metadata.name!);
  })().catch(() => 'cut');
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
  await client.close();
  expect(await watching).toBe('cut');
  await s.close();
});

test('timeoutMs bounds a request that gets no answer', async () => {
  const s = await serve(() => {
    // never answers
  });
  const client = new Client({ server: s.url, timeoutMs: 200 });
  try {
    const err = (await client.resource(resources.namespaces).get('slow').catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe('UND_ERR_HEADERS_TIMEOUT');
  } finally {
    await s.close();
    await client.close();
  }
});
