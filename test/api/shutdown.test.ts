import http from 'node:http';
import type { RunningApiServer } from '../../src/api/apiserver.js';
import { startInProcess } from '../support/apiserver.js';
import { apiFixture, configMap, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

describe('health endpoints, as kube-apiserver answers them', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  test('200 "ok", and one line per check with ?verbose', async () => {
    const r = await request(f.base, 'GET', '/readyz');
    expect(r.status).toBe(200);
    expect(r.text).toBe('ok');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect((await request(f.base, 'GET', '/readyz?verbose')).text).toBe(
      '[+]ping ok\n[+]postgres ok\n[+]migrations ok\n[+]change-feed ok\n[+]shutdown ok\nreadyz check passed\n',
    );
    expect((await request(f.base, 'GET', '/livez?verbose=1')).text).toBe('[+]ping ok\n[+]postgres ok\n[+]migrations ok\n[+]change-feed ok\nlivez check passed\n');
    expect((await request(f.base, 'GET', '/healthz')).text).toBe('ok');
  });

  test('?exclude skips a check, and names one that does not exist', async () => {
    const r = await request(f.base, 'GET', '/readyz?verbose&exclude=postgres&exclude=zeta&exclude=alpha');
    expect(r.status).toBe(200);
    expect(r.text).toBe(
      '[+]ping ok\n[+]postgres excluded: ok\n[+]migrations ok\n[+]change-feed ok\n[+]shutdown ok\n' +
        'warn: some health checks cannot be excluded: no matches for "alpha","zeta"\nreadyz check passed\n',
    );
    // Without ?verbose a passing probe says only "ok", whatever was excluded.
    expect((await request(f.base, 'GET', '/livez?exclude=ping')).text).toBe('ok');
  });

  test('one check at /<kind>/<name>; an unknown one is 404', async () => {
    const r = await request(f.base, 'GET', '/readyz/postgres');
    expect([r.status, r.text]).toEqual([200, 'ok']);
    expect((await request(f.base, 'GET', '/livez/ping')).text).toBe('ok');
    expect((await request(f.base, 'GET', '/livez/shutdown')).status).toBe(404); // readiness only
    expect((await request(f.base, 'GET', '/readyz/nonexistent')).status).toBe(404);
  });
});

/** GET on a new connection; resolves with the status and body, or the connection error's code. */
function probe(base: string, path: string): Promise<{ status: number; text: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(new URL(path, base), { agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

interface RawWatch {
  lines: string[];
  /** 'end': the response completed (the server ended the stream); 'error': the connection was cut. */
  outcome: Promise<'end' | 'error'>;
}

function rawWatch(base: string, path: string): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { agent: false }, (res) => {
      const w: RawWatch = {
        lines: [],
        outcome: new Promise((done) => {
          res.on('end', () => done('end'));
          res.on('error', () => done('error'));
          res.on('aborted', () => done('error'));
        }),
      };
      let buffer = '';
      res.on('data', (c: Buffer) => {
        buffer += c.toString();
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
          w.lines.push(buffer.slice(0, i));
          buffer = buffer.slice(i + 1);
        }
      });
      resolve(w);
    });
    req.on('error', reject);
  });
}

describe('graceful shutdown', () => {
  let db: TestDatabase;
  let server: RunningApiServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startInProcess(db.url, { shutdownDelaySeconds: 1 });
    await createNamespace(server.url, 'draining');
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  test('readyz fails first, then the port closes, the request in flight completes, watches end cleanly', async () => {
    const base = server.url;
    const path = '/api/v1/namespaces/draining/configmaps';
    const w = await rawWatch(base, `${path}?watch=1`);

    // A create whose body is still arriving when shutdown begins; the rest is sent once the port has closed.
    const body = JSON.stringify(configMap('in-flight'));
    let post!: http.ClientRequest;
    const posted = new Promise<{ status: number; json: { metadata: { name: string } } }>((resolve, reject) => {
      post = http.request(new URL(path, base), { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        });
      });
      post.on('error', reject);
    });
    post.write(body.slice(0, 10));
    // Let the server take the request in before shutdown starts.
    await new Promise((r) => setTimeout(r, 200));

    const stopping = server.stop();

    // 1. /readyz fails while the port still answers (and /livez still passes).
    let readyz = await probe(base, '/readyz?verbose');
    for (let i = 0; i < 100 && !('status' in readyz && readyz.status === 500); i++) readyz = await probe(base, '/readyz?verbose');
    expect(readyz).toEqual({ status: 500, text: expect.stringContaining('[-]shutdown failed: reason withheld\n') });
    expect((readyz as { text: string }).text.endsWith('readyz check failed\n')).toBe(true);
    expect(await probe(base, '/livez')).toEqual({ status: 200, text: 'ok' });
    expect(await probe(base, '/readyz/shutdown')).toEqual({ status: 500, text: 'internal server error: shutting down\n' });

    // 2. After the delay the port refuses new connections.
    let refused = await probe(base, '/readyz');
    for (let i = 0; i < 100 && !('error' in refused); i++) {
      await new Promise((r) => setTimeout(r, 50));
      refused = await probe(base, '/readyz');
    }
    expect(refused).toEqual({ error: 'ECONNREFUSED' });

    // 3. The request that was in flight completes.
    post.end(body.slice(10));
    const done = await posted;
    expect(done.status).toBe(201);
    expect(done.json.metadata.name).toBe('in-flight');

    // 4. The watch saw that write, then its stream ended cleanly (a complete response, not a cut).
    expect(await w.outcome).toBe('end');
    const events = w.lines.filter((l) => l.trim()).map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'in-flight']]);

    // 5. Then storage closes.
    await stopping;
    expect((server.database.pool as unknown as { ended: boolean }).ended).toBe(true);
  });
});
