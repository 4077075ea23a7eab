import pg from 'pg';
import { compactOnce } from '../../src/storage/compactor.js';
import { apiFixture, configMap, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request, watch } from '../support/http.js';
import { startInProcess } from '../support/apiserver.js';

let f: ApiFixture;
const NS = '/api/v1/namespaces/watching/configmaps';
beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, 'watching');
});
afterAll(async () => {
  await f.close();
});

test('resourceVersion=0 sends the current objects as ADDED, then live changes', async () => {
  await request(f.base, 'POST', NS, configMap('w0-a'));
  const w = await watch(f.base, `${NS}?watch=1&resourceVersion=0`);
  expect(w.status).toBe(200);
  await w.waitFor(1);
  expect(w.events[0].type).toBe('ADDED');
  expect(w.events[0].object.metadata.name).toBe('w0-a');
  const created = (await request(f.base, 'POST', NS, configMap('w0-b'))).json;
  await w.waitFor(2);
  expect(w.events[1]).toEqual({ type: 'ADDED', object: created });
  const del = (await request(f.base, 'DELETE', `${NS}/w0-a`)).json;
  await w.waitFor(3);
  expect(w.events[2].type).toBe('DELETED');
  expect(w.events[2].object.metadata.resourceVersion).toBe(del.metadata.resourceVersion);
  w.close();
});

test('a watch from a resourceVersion delivers every later change once, in order', async () => {
  const start = (await request(f.base, 'GET', NS)).json.metadata.resourceVersion;
  const writes = [];
  for (let i = 0; i < 20; i++) writes.push(request(f.base, 'POST', NS, configMap(`seq-${i}`)));
  const made = await Promise.all(writes);
  const w = await watch(f.base, `${NS}?watch=true&resourceVersion=${start}`);
  await w.waitFor(20);
  const rvs = w.events.map((e) => BigInt(e.object.metadata.resourceVersion));
  for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBeGreaterThan(rvs[i - 1]);
  expect(new Set(w.events.map((e) => e.object.metadata.name))).toEqual(new Set(made.map((m) => m.json.metadata.name)));
  w.close();
});

test('label selectors: an object entering is ADDED, one leaving is DELETED', async () => {
  const start = (await request(f.base, 'GET', NS)).json.metadata.resourceVersion;
  const w = await watch(f.base, `${NS}?watch=1&resourceVersion=${start}&labelSelector=team%3Dblue`);
  const c = (await request(f.base, 'POST', NS, configMap('mover', {}, { team: 'red' }))).json;
  const blue = (await request(f.base, 'PUT', `${NS}/mover`, { ...c, metadata: { ...c.metadata, labels: { team: 'blue' } } })).json;
  const blue2 = (await request(f.base, 'PUT', `${NS}/mover`, { ...blue, data: { x: '1' } })).json;
  const red = (await request(f.base, 'PUT', `${NS}/mover`, { ...blue2, metadata: { ...blue2.metadata, labels: { team: 'red' } } })).json;
  await w.waitFor(3);
  expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  expect(w.events[0].object).toEqual(blue);
  // Leaving: the last state that matched, at the revision of the change.
  expect(w.events[2].object.metadata.labels).toEqual({ team: 'blue' });
  expect(w.events[2].object.metadata.resourceVersion).toBe(red.metadata.resourceVersion);
  w.close();
});

test('sendInitialEvents ends the initial state with the initial-events-end bookmark', async () => {
  await request(f.base, 'POST', NS, configMap('initial-1'));
  const w = await watch(f.base, `${NS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dinitial-1`);
  await w.waitFor(2);
  expect(w.events[0].type).toBe('ADDED');
  expect(w.events[1].type).toBe('BOOKMARK');
  expect(w.events[1].object.kind).toBe('ConfigMap');
  expect(w.events[1].object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  expect(BigInt(w.events[1].object.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(w.events[0].object.metadata.resourceVersion));
  w.close();
  const bad = await request(f.base, 'GET', `${NS}?watch=1&sendInitialEvents=true`);
  expect(bad.status).toBe(422);
  expect(bad.json.reason).toBe('Invalid');
});

test('timeoutSeconds ends the stream, with a bookmark shortly before when allowed', async () => {
  const start = (await request(f.base, 'GET', NS)).json.metadata.resourceVersion;
  const t0 = Date.now();
  const w = await watch(f.base, `${NS}?watch=1&resourceVersion=${start}&timeoutSeconds=3&allowWatchBookmarks=true`);
  await w.ended;
  expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
  expect(w.events.map((e) => e.type)).toEqual(['BOOKMARK']);
  expect(BigInt(w.events[0].object.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(start));
});

test('a watch from a compacted revision gets 410 Expired as an ERROR event in a 200 stream', async () => {
  const old = (await request(f.base, 'GET', NS)).json.metadata.resourceVersion;
  await request(f.base, 'POST', NS, configMap('after-old'));
  const pool = new pg.Pool({ connectionString: f.db.url });
  await new Promise((r) => setTimeout(r, 1100));
  await compactOnce(pool, 0);
  await pool.end();
  // A second apiserver started now keeps no events from before: it must read history, which is gone.
  const second = await startInProcess(f.db.url);
  const w = await watch(second.url, `${NS}?watch=1&resourceVersion=${BigInt(old) - 1n}`);
  expect(w.status).toBe(200);
  await w.ended;
  await second.stop();
  expect(w.events).toHaveLength(1);
  expect(w.events[0].type).toBe('ERROR');
  expect(w.events[0].object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
  expect(w.events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
});
