import { Client, ApiError, isAlreadyExists, isConflict, isGone, isInvalid, isNotFound, resources } from '../../src/client/index.js';
import type { ConfigMap, Pod, WatchEvent } from '../../src/client/index.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import { startInProcess } from '../support/apiserver.js';
import { compactEverything } from './support.js';
import type { ApiFixture } from '../support/fixture.js';

let f: ApiFixture;
let client: Client;
const NS = 'client-rest';

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, NS);
  client = new Client({ server: f.base, qps: 1000, burst: 1000 });
});
afterAll(async () => {
  await client.close();
  await f.close();
});

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: labels ? { name, labels } : { name },
  data,
});

test('create, get, update, updateStatus, delete; errors are ApiErrors with the Status', async () => {
  const cms = client.resource(resources.configmaps, NS);
  const created = await cms.create(cm('crud', { a: '1' }));
  expect(created.metadata.uid).toBeTruthy();
  expect(created.metadata.namespace).toBe(NS);
  const got = await cms.get('crud');
  expect(got.data).toEqual({ a: '1' });

  const updated = await cms.update({ ...got, data: { a: '2' } });
  expect(updated.data).toEqual({ a: '2' });
  expect(BigInt(updated.metadata.resourceVersion!)).toBeGreaterThan(BigInt(got.metadata.resourceVersion!));

  // optimistic concurrency: the stale resourceVersion is a 409 Conflict
  const stale = await cms.update({ ...got, data: { a: '3' } }).catch((e: unknown) => e);
  expect(stale).toBeInstanceOf(ApiError);
  expect(isConflict(stale)).toBe(true);
  expect((stale as ApiError).code).toBe(409);
  expect((stale as ApiError).status.message).toMatch(/the object has been modified/);

  const dup = await cms.create(cm('crud')).catch((e: unknown) => e);
  expect(isAlreadyExists(dup)).toBe(true);
  expect((dup as ApiError).message).toBe('configmaps "crud" already exists');

  await cms.delete('crud');
  const gone = await cms.get('crud').catch((e: unknown) => e);
  expect(isNotFound(gone)).toBe(true);
  expect((gone as ApiError).status).toMatchObject({ kind: 'Status', reason: 'NotFound', details: { name: 'crud', kind: 'configmaps' } });

  const bad = await cms.create(cm('Not_A_Name')).catch((e: unknown) => e);
  expect(isInvalid(bad)).toBe(true);

  // status subresource: only status changes
  const pods = client.resource(resources.pods, NS);
  const pod: Pod = await pods.create({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const withStatus = await pods.updateStatus({ ...pod, status: { phase: 'Running' }, spec: { ...pod.spec!, activeDeadlineSeconds: 5 } });
  expect(withStatus.status?.phase).toBe('Running');
  expect(withStatus.spec?.activeDeadlineSeconds).toBeUndefined();
});

test('a namespaced client needs a namespace to write, and uses the object’s one', async () => {
  const all = client.resource(resources.configmaps);
  expect(() => all.create(cm('x'))).toThrow(/namespaced/);
  const created = await all.create({ ...cm('from-object'), metadata: { name: 'from-object', namespace: NS } });
  expect(created.metadata.namespace).toBe(NS);
  const cluster = client.resource(resources.namespaces);
  expect((await cluster.get(NS)).metadata.name).toBe(NS);
});

test('every patch type: json, merge, strategic; and subresource patches', async () => {
  const cms = client.resource(resources.configmaps, NS);
  await cms.create(cm('patched', { a: '1', b: '2' }));
  const json = await cms.patch('patched', [{ op: 'replace', path: '/data/a', value: 'j' }, { op: 'remove', path: '/data/b' }], 'json');
  expect(json.data).toEqual({ a: 'j' });
  const merge = await cms.patch('patched', { data: { c: 'm' }, metadata: { labels: { x: 'y' } } }, 'merge');
  expect(merge.data).toEqual({ a: 'j', c: 'm' });
  expect(merge.metadata.labels).toEqual({ x: 'y' });

  const pods = client.resource(resources.pods, NS);
  await pods.create({ metadata: { name: 'sp' }, spec: { containers: [{ name: 'a', image: 'one' }, { name: 'b', image: 'two' }] } });
  // strategic: containers merge by name, so only b changes
  const sp = await pods.patch('sp', { spec: { containers: [{ name: 'b', image: 'three' }] } }, 'strategic');
  expect(sp.spec!.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=one', 'b=three']);
  const st = await pods.patch('sp', { status: { phase: 'Pending', message: 'patched' } }, 'merge', { subresource: 'status' });
  expect(st.status?.message).toBe('patched');

  const dry = await cms.patch('patched', { data: { dry: 'run' } }, 'merge', { dryRun: true });
  expect(dry.data?.dry).toBe('run');
  expect((await cms.get('patched')).data?.dry).toBeUndefined();
});

test('apply sends an apply patch with the field manager', async () => {
  const cms = client.resource(resources.configmaps, NS);
  const res = await cms.apply(cm('applied', { k: 'v' }), { fieldManager: 'client-test', force: true }).catch((e: unknown) => e);
  if (res instanceof ApiError) {
    // a server without server-side apply says so for exactly this content type
    expect(res.code).toBe(415);
    expect(res.message).toMatch(/server-side apply/);
  } else {
    expect((res as ConfigMap).data).toEqual({ k: 'v' });
    expect((res as ConfigMap).metadata.managedFields?.some((m) => m.manager === 'client-test' && m.operation === 'Apply')).toBe(true);
  }
});

test('list with label and field selectors, paging by limit/continue, listAll', async () => {
  const cms = client.resource(resources.configmaps, NS);
  for (let i = 0; i < 7; i++) await cms.create(cm(`page-${i}`, {}, { set: 'paging', parity: String(i % 2) }));
  const first = await cms.list({ labelSelector: 'set=paging', limit: 3 });
  expect(first.items).toHaveLength(3);
  expect(first.metadata.continue).toBeTruthy();
  const all = await cms.listAll({ labelSelector: 'set=paging', limit: 2 });
  expect(all.items.map((c) => c.metadata.name)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
  expect(all.metadata.continue).toBeUndefined();
  expect(all.metadata.resourceVersion).toMatch(/^\d+$/);
  const odd = await cms.list({ labelSelector: 'set=paging,parity=1' });
  expect(odd.items).toHaveLength(3);
  // set-based selectors have spaces and parentheses: the query encoding must carry them
  const inSet = await cms.list({ labelSelector: 'set = paging, parity in (1, 3)' });
  expect(inSet.items).toHaveLength(3);
  const byName = await cms.list({ fieldSelector: 'metadata.name=page-4' });
  expect(byName.items.map((c) => c.metadata.name)).toEqual(['page-4']);

  await cms.deleteCollection({ labelSelector: 'set=paging,parity=0' });
  expect((await cms.list({ labelSelector: 'set=paging' })).items).toHaveLength(3);
});

test('watch from a resourceVersion sees every change in order; aborting ends it quietly', async () => {
  const cms = client.resource(resources.configmaps, NS);
  const start = (await cms.list()).metadata.resourceVersion!;
  const ac = new AbortController();
  const seen: WatchEvent<ConfigMap>[] = [];
  const done = (async () => {
    for await (const ev of cms.watch({ resourceVersion: start, labelSelector: 'w=1', signal: ac.signal, allowWatchBookmarks: true })) {
      if (ev.type === 'BOOKMARK') continue;
      seen.push(ev);
      if (seen.length === 3) ac.abort();
    }
  })();
  await cms.create(cm('w1', { v: '1' }, { w: '1' }));
  await cms.patch('w1', { data: { v: '2' } }, 'merge');
  await cms.delete('w1');
  await done;
  expect(seen.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.data?.v}`)).toEqual(['ADDED w1 1', 'MODIFIED w1 2', 'DELETED w1 2']);
});

test('a watch from a compacted resourceVersion throws the 410 Expired ApiError', async () => {
  const cms = client.resource(resources.configmaps, NS);
  const old = (await cms.list()).metadata.resourceVersion!;
  await cms.create(cm('before-compaction'));
  await compactEverything(f.db.url);
  // a second apiserver has no events in memory: it must read the compacted history
  const second = await startInProcess(f.db.url);
  const other = new Client({ server: second.url });
  try {
    const err = await (async () => {
      for await (const _ of other.resource(resources.configmaps, NS).watch({ resourceVersion: old })) {
        // nothing may arrive before the error
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(isGone(err)).toBe(true);
    expect((err as ApiError).status).toMatchObject({ code: 410, reason: 'Expired' });
  } finally {
    await other.close();
    await second.stop();
  }
});

test('raw requests and the user agent', async () => {
  const version = await client.request<{ gitVersion: string }>({ method: 'GET', path: '/version' });
  expect(version.gitVersion).toMatch(/^v1\.33/);
  const raw = await client.requestRaw({ method: 'GET', path: '/api/v1/namespaces/nope/configmaps/nope' });
  expect(raw.status).toBe(404);
  expect(client.transport.config.userAgent).toBeUndefined();
});
