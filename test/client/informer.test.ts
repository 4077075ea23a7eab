import { Client, SharedIndexInformer, SharedInformerFactory, isDeletedFinalStateUnknown, objectKey, resources } from '../../src/client/index.js';
import type { ConfigMap, DeletedFinalStateUnknown } from '../../src/client/index.js';
import type { RunningApiServer } from '../../src/api/apiserver.js';
import { startInProcess } from '../support/apiserver.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { compactEverything, eventually } from './support.js';

let f: ApiFixture;
let client: Client;

beforeAll(async () => {
  f = await apiFixture();
  client = new Client({ server: f.base, qps: 1000, burst: 1000 });
});
afterAll(async () => {
  await client.close();
  await f.close();
});

const cm = (name: string, v: string, labels?: Record<string, string>): ConfigMap => ({ metadata: labels ? { name, labels } : { name }, data: { v } });

function recorder() {
  const log: string[] = [];
  return {
    log,
    handler: {
      onAdd: (o: ConfigMap, initial: boolean) => log.push(`add ${o.metadata.name} ${o.data?.v}${initial ? ' initial' : ''}`),
      onUpdate: (old: ConfigMap, o: ConfigMap) => log.push(`update ${o.metadata.name} ${old.data?.v}->${o.data?.v}`),
      onDelete: (o: ConfigMap | DeletedFinalStateUnknown<ConfigMap>) =>
        log.push(isDeletedFinalStateUnknown(o) ? `delete-unknown ${o.key} ${o.obj.data?.v}` : `delete ${o.metadata.name} ${o.data?.v}`),
    },
  };
}

test('a shared informer: initial list, then watch; handlers in order; late handlers replay the cache; one informer per resource', async () => {
  await createNamespace(f.base, 'inf-basic');
  const cms = client.resource(resources.configmaps, 'inf-basic');
  await cms.create(cm('pre', '1'));
  const factory = new SharedInformerFactory(client, { namespace: 'inf-basic' });
  const inf = factory.informerFor(resources.configmaps);
  expect(factory.informerFor(resources.configmaps)).toBe(inf);
  const a = recorder();
  const order: string[] = [];
  inf.addEventHandler(a.handler);
  inf.addEventHandler({ onAdd: (o) => order.push(`second ${o.metadata.name}`) });
  inf.addEventHandler({ onAdd: (o) => order.push(`third ${o.metadata.name}`) });
  const ac = new AbortController();
  factory.start(ac.signal);
  expect(await factory.waitForCacheSync()).toBe(true);
  expect(inf.hasSynced()).toBe(true);
  expect(inf.lastSyncResourceVersion()).toMatch(/^\d+$/);
  expect(inf.store.get('inf-basic/pre')?.data).toEqual({ v: '1' });

  await cms.create(cm('later', 'a'));
  await cms.patch('later', { data: { v: 'b' } }, 'merge');
  await cms.delete('pre');
  await eventually(() => a.log.length >= 4, 'four events');
  expect(a.log).toEqual(['add pre 1 initial', 'add later a', 'update later a->b', 'delete pre 1']);
  expect(order).toEqual(['second pre', 'third pre', 'second later', 'third later']);
  expect(inf.store.keys()).toEqual(['inf-basic/later']);
  expect(inf.store.byIndex('namespace', 'inf-basic').map(objectKey)).toEqual(['inf-basic/later']);

  const late = recorder();
  inf.addEventHandler(late.handler);
  expect(late.log).toEqual(['add later b initial']);

  // an informer asked for after start starts at once
  const nsInf = factory.informerFor(resources.namespaces);
  expect(await factory.waitForCacheSync()).toBe(true);
  expect(nsInf.store.get('inf-basic')).toBeDefined();
  ac.abort();
  await factory.shutdown();
});

test('lists in pages, filters by label selector, resyncs every period as onUpdate(obj, obj)', async () => {
  await createNamespace(f.base, 'inf-paging');
  const cms = client.resource(resources.configmaps, 'inf-paging');
  for (let i = 0; i < 7; i++) await cms.create(cm(`p${i}`, String(i), { keep: i % 2 ? 'yes' : 'no' }));
  const inf = new SharedIndexInformer(client, resources.configmaps, { namespace: 'inf-paging', labelSelector: 'keep=yes', pageSize: 2, resyncPeriodMs: 150 });
  const resyncs: string[] = [];
  inf.addEventHandler({ onUpdate: (o, n) => o === n && resyncs.push(n.metadata.name!) });
  const ac = new AbortController();
  const run = inf.run(ac.signal);
  expect(await inf.waitForSync()).toBe(true);
  expect(inf.store.keys().sort()).toEqual(['inf-paging/p1', 'inf-paging/p3', 'inf-paging/p5']);
  await eventually(() => resyncs.length >= 6, 'two resyncs');
  expect(new Set(resyncs)).toEqual(new Set(['p1', 'p3', 'p5']));
  ac.abort();
  await run;
});

test('after a 410 the informer lists again: deletions it missed arrive as DeletedFinalStateUnknown', async () => {
  // its own apiserver, stopped and restarted on the same port while others write and history is compacted
  const g = await apiFixture();
  let restarted: RunningApiServer | undefined;
  const c = new Client({ server: g.base, qps: 1000, burst: 1000 });
  try {
    await createNamespace(g.base, 'inf-relist');
    const cms = c.resource(resources.configmaps, 'inf-relist');
    for (const n of ['stays', 'changes', 'goes']) await cms.create(cm(n, '1'));
    const factory = new SharedInformerFactory(c, { namespace: 'inf-relist' });
    const inf = factory.informerFor(resources.configmaps);
    const r = recorder();
    inf.addEventHandler(r.handler);
    const ac = new AbortController();
    factory.start(ac.signal);
    await factory.waitForCacheSync();
    const firstRV = inf.lastSyncResourceVersion();

    await g.server.stop(); // the watch ends; resuming fails until the server is back
    const other = await startInProcess(g.db.url);
    const oc = new Client({ server: other.url });
    const ocms = oc.resource(resources.configmaps, 'inf-relist');
    await ocms.delete('goes');
    await ocms.patch('changes', { data: { v: '2' } }, 'merge');
    await ocms.create(cm('new', '1'));
    await oc.close();
    await other.stop();
    await compactEverything(g.db.url);
    restarted = await startInProcess(g.db.url, { port: g.server.port });

    await eventually(() => inf.store.get('inf-relist/new') !== undefined && inf.store.get('inf-relist/goes') === undefined, 'the relist', 40_000);
    expect(r.log).toContain('delete-unknown inf-relist/goes 1');
    expect(r.log).toContain('update changes 1->2');
    expect(r.log).toContain('add new 1');
    expect(r.log.filter((l) => l.startsWith('add new'))).toEqual(['add new 1']); // not "initial": the first sync is long past
    expect(BigInt(inf.lastSyncResourceVersion())).toBeGreaterThan(BigInt(firstRV));
    expect(inf.store.keys().sort()).toEqual(['inf-relist/changes', 'inf-relist/new', 'inf-relist/stays']);
    ac.abort();
    await factory.shutdown();
  } finally {
    await c.close();
    await restarted?.stop();
    await g.close();
  }
});

test('after a disconnect the informer resumes the watch from the last resourceVersion: no relist, nothing missed', async () => {
  const g = await apiFixture();
  let restarted: RunningApiServer | undefined;
  const c = new Client({ server: g.base, qps: 1000, burst: 1000 });
  try {
    await createNamespace(g.base, 'inf-resume');
    const cms = c.resource(resources.configmaps, 'inf-resume');
    for (const n of ['stays', 'changes', 'goes']) await cms.create(cm(n, '1'));
    const inf = new SharedIndexInformer(c, resources.configmaps, { namespace: 'inf-resume' });
    const r = recorder();
    inf.addEventHandler(r.handler);
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();

    await g.server.stop();
    const other = await startInProcess(g.db.url);
    const oc = new Client({ server: other.url });
    const ocms = oc.resource(resources.configmaps, 'inf-resume');
    await ocms.delete('goes');
    await ocms.patch('changes', { data: { v: '2' } }, 'merge');
    await ocms.create(cm('new', '1'));
    await oc.close();
    await other.stop();
    restarted = await startInProcess(g.db.url, { port: g.server.port });

    await eventually(() => r.log.length >= 6, 'the three missed changes');
    // the changes arrive as watch events, in order: a relist would have said "delete-unknown" and updated "stays"
    expect(r.log).toEqual(['add changes 1 initial', 'add goes 1 initial', 'add stays 1 initial', 'delete goes 1', 'update changes 1->2', 'add new 1']);
    ac.abort();
    await run;
  } finally {
    await c.close();
    await restarted?.stop();
    await g.close();
  }
});
