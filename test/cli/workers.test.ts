import { createRequire } from 'node:module';
import http from 'node:http';
import { spawnApiServer } from '../support/apiserver.js';
import type { ApiServerProcess } from '../support/apiserver.js';
import { configMap, createNamespace } from '../support/fixture.js';
import { request } from '../support/http.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';

interface Family {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

let db: TestDatabase;
let proc: ApiServerProcess;
const NS = '/api/v1/namespaces/shared/configmaps';

beforeAll(async () => {
  db = await createTestDatabase();
  proc = await spawnApiServer(db.url, ['--workers', '2']);
  await createNamespace(proc.url, 'shared');
}, 90_000);
afterAll(async () => {
  await proc?.stop();
  await db?.drop();
});

/** GET on a new connection (so the primary hands it to the next worker). */
function get(path: string, timeoutMs = 10_000): Promise<{ status: number; worker: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http
      .get(new URL(path, proc.url), { agent: false, timeout: timeoutMs }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, worker: String(res.headers['x-pgkube-worker']), text }));
      })
      .on('timeout', () => {
        req.destroy();
        reject(new Error(`GET ${path}: no answer within ${timeoutMs} ms`));
      })
      .on('error', reject);
  });
}

/** pid by worker number, from pgkube_worker_info in the port's (aggregated) /metrics. */
async function workerPids(): Promise<Map<string, number>> {
  const r = await get('/metrics');
  expect(r.status).toBe(200);
  const info = parsePrometheus(r.text).find((f) => f.name === 'pgkube_worker_info')!;
  return new Map(info.metrics.map((m) => [m.labels!.worker, Number(m.labels!.pid)]));
}

function counter(text: string, name: string, labels: Record<string, string>): number {
  const family = parsePrometheus(text).find((f) => f.name === name);
  return (family?.metrics ?? [])
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value), 0);
}

test('two worker processes serve one port, round-robin', async () => {
  const pids = await workerPids();
  expect([...pids.keys()].sort()).toEqual(['1', '2']);
  const distinct = new Set(pids.values());
  expect(distinct.size).toBe(2);
  expect(distinct.has(proc.child.pid!)).toBe(false); // the primary serves nothing itself
  const served = await Promise.all([get('/readyz'), get('/readyz'), get('/readyz'), get('/readyz')]);
  expect(served.every((r) => r.status === 200)).toBe(true);
  expect(new Set(served.map((r) => r.worker))).toEqual(new Set(['1', '2']));
});

test('a watch on one worker sees a write through the other', async () => {
  const events: { type: string; object: { metadata: { name: string } } }[] = [];
  let watchWorker = '';
  const watchReq = http.get(new URL(`${NS}?watch=1`, proc.url), { agent: false });
  await new Promise<void>((resolve) => {
    watchReq.on('response', (res) => {
      watchWorker = String(res.headers['x-pgkube-worker']);
      let buffer = '';
      res.on('data', (c: Buffer) => {
        buffer += c.toString();
        let i;
        while ((i = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, i)));
          buffer = buffer.slice(i + 1);
        }
      });
      resolve();
    });
  });
  // New connections alternate between the workers: write until one lands on the other worker.
  let writer = watchWorker;
  let name = '';
  for (let i = 0; i < 10 && writer === watchWorker; i++) {
    name = `through-${i}`;
    const r = await request(proc.url, 'POST', NS, configMap(name), { Connection: 'close' });
    expect(r.status).toBe(201);
    writer = String(r.headers['x-pgkube-worker']);
  }
  expect(writer).not.toBe(watchWorker);
  for (let i = 0; i < 100 && !events.some((e) => e.object.metadata.name === name); i++) await new Promise((r) => setTimeout(r, 50));
  expect(events.find((e) => e.object.metadata.name === name)?.type).toBe('ADDED');
  watchReq.destroy();
});

test('/metrics sums the workers: every create counted once, whichever worker served it', async () => {
  const labels = { verb: 'POST', resource: 'configmaps', code: '201' };
  const before = counter((await get('/metrics')).text, 'apiserver_request_total', labels);
  const workers = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const r = await request(proc.url, 'POST', NS, configMap(`counted-${i}`), { Connection: 'close' });
    expect(r.status).toBe(201);
    workers.add(String(r.headers['x-pgkube-worker']));
  }
  expect(workers.size).toBe(2);
  const after = counter((await get('/metrics')).text, 'apiserver_request_total', labels);
  expect(after - before).toBe(6);
});

test('the primary restarts a worker that dies, and the port keeps serving', async () => {
  const pids = await workerPids();
  const victim = pids.get('1')!;
  process.kill(victim, 'SIGKILL');
  // The other worker serves meanwhile. A connection the primary hands to the worker in the instant it
  // dies is lost with it (node:cluster): clients time out and retry, as after any crash.
  let answered = 0;
  for (let i = 0; i < 6 && answered < 3; i++) {
    const r = await get('/readyz', 2000).catch(() => undefined);
    if (r?.status === 200) answered += 1;
  }
  expect(answered).toBe(3);
  let now = pids;
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = await workerPids().catch(() => now);
    if (now.size === 2 && now.get('1') !== victim) break;
  }
  expect(now.get('1')).not.toBe(victim);
  expect(now.get('2')).toBe(pids.get('2'));
});

test('SIGTERM to the primary stops every worker and exits 0', async () => {
  const pids = [...(await workerPids()).values()];
  const code = new Promise<number | null>((resolve) => proc.child.once('exit', (c) => resolve(c)));
  proc.child.kill('SIGTERM');
  expect(await code).toBe(0);
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
});
