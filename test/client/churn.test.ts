/**
 * The acceptance test for the client: an informer feeding a workqueue and workers against a real
 * apiserver while many writers create, update and delete concurrently. Nothing may be missed: every
 * acknowledged write reaches the handlers, the cache ends equal to a fresh list, and every key's last
 * state is what its last reconcile saw.
 */
import { Client, SharedInformerFactory, WorkQueue, isAlreadyExists, isConflict, isNotFound, objectKey, resources, runWorkers } from '../../src/client/index.js';
import type { ConfigMap } from '../../src/client/index.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { eventually } from './support.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f.close();
});

const NS = 'churn';
const WRITERS = 8;
const OPS_PER_WRITER = 60;
const KEYS = 25;

test('informer + workqueue under concurrent churn: no change missed, cache equals a fresh list, last versions reconciled', async () => {
  await createNamespace(f.base, NS);
  const client = new Client({ server: f.base, qps: 5000, burst: 5000 });
  const cms = client.resource(resources.configmaps, NS);
  for (let i = 0; i < 5; i++) await cms.create({ metadata: { name: `k${i}` }, data: { v: 'seed' } });

  const factory = new SharedInformerFactory(client, { namespace: NS });
  const inf = factory.informerFor(resources.configmaps);
  const queue = new WorkQueue<string>({ name: 'churn' });
  const delivered = new Map<string, Set<string>>(); // key -> resourceVersions the handlers saw
  const regressions: string[] = [];
  const lastDelivered = new Map<string, bigint>();
  const note = (key: string, rv: string | undefined) => {
    if (!rv) return;
    let s = delivered.get(key);
    if (!s) delivered.set(key, (s = new Set()));
    s.add(rv);
    const prev = lastDelivered.get(key);
    if (prev !== undefined && BigInt(rv) < prev) regressions.push(`${key}: ${rv} after ${prev}`);
    lastDelivered.set(key, BigInt(rv));
  };
  inf.addEventHandler({
    onAdd: (o) => {
      note(objectKey(o), o.metadata.resourceVersion);
      queue.add(objectKey(o));
    },
    onUpdate: (_old, o) => {
      note(objectKey(o), o.metadata.resourceVersion);
      queue.add(objectKey(o));
    },
    onDelete: (o) => {
      const key = objectKey(o);
      if (!('key' in o && 'obj' in o)) note(key, o.metadata.resourceVersion);
      queue.add(key);
    },
  });

  const ac = new AbortController();
  factory.start(ac.signal);
  expect(await factory.waitForCacheSync()).toBe(true);

  // reconcile: what the cache says now, per key; a key is never reconciled by two workers at once
  const reconciled = new Map<string, string>();
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  const workers = runWorkers(
    queue,
    4,
    async (key) => {
      if (inFlight.has(key)) overlaps.push(key);
      inFlight.add(key);
      try {
        await new Promise((r) => setTimeout(r, Math.random() * 2));
        // one in 20 reconciles fails once, to exercise rate-limited requeues
        if (Math.random() < 0.05) {
          throw new Error('injected failure');
        }
        reconciled.set(key, inf.store.get(key)?.metadata.resourceVersion ?? 'absent');
      } finally {
        inFlight.delete(key);
      }
    },
    ac.signal,
  );

  // writers: random create/update/delete on a shared key space; every acknowledged write is recorded
  const acked: { key: string; rv: string }[] = [];
  const writer = async (w: number) => {
    for (let i = 0; i < OPS_PER_WRITER; i++) {
      const name = `k${Math.floor(Math.random() * KEYS)}`;
      const op = Math.random();
      try {
        if (op < 0.35) {
          const o = await cms.create({ metadata: { name }, data: { v: `${w}-${i}` } });
          acked.push({ key: `${NS}/${name}`, rv: o.metadata.resourceVersion! });
        } else if (op < 0.8) {
          const cur = await cms.get(name);
          const o = await cms.update({ ...cur, data: { v: `${w}-${i}` } });
          acked.push({ key: `${NS}/${name}`, rv: o.metadata.resourceVersion! });
        } else {
          const o = (await cms.delete(name)) as ConfigMap;
          if (o?.metadata?.resourceVersion) acked.push({ key: `${NS}/${name}`, rv: o.metadata.resourceVersion });
        }
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e) && !isAlreadyExists(e)) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

  const fresh = await cms.list();
  // the informer has caught up once it has delivered the last acknowledged write
  const lastAck = acked.reduce((m, a) => (BigInt(a.rv) > m ? BigInt(a.rv) : m), 0n);
  await eventually(() => BigInt(inf.lastSyncResourceVersion()) >= lastAck, `the informer to reach rv ${lastAck}`, 30_000);
  const expected = new Map(fresh.items.map((o) => [objectKey(o), o.metadata.resourceVersion!]));
  const allKeys = new Set([...Array.from({ length: KEYS }, (_, i) => `${NS}/k${i}`)]);
  await eventually(
    () => queue.len() === 0 && [...allKeys].every((k) => (reconciled.get(k) ?? (delivered.has(k) ? undefined : 'absent')) === (expected.get(k) ?? 'absent')),
    'every key reconciled at its last version',
    30_000,
  );
  ac.abort();
  await workers;
  await factory.shutdown();
  await client.close();

  expect(acked.length).toBeGreaterThan(WRITERS * OPS_PER_WRITER * 0.3);
  // every acknowledged write reached the handlers, in order per key
  const missed = acked.filter((a) => !delivered.get(a.key)?.has(a.rv)).map((a) => `${a.key}@${a.rv}`);
  expect(missed).toEqual([]);
  expect(regressions).toEqual([]);
  // the cache equals a fresh list
  const cache = new Map(inf.store.list().map((o) => [objectKey(o), o.metadata.resourceVersion!]));
  expect(cache).toEqual(expected);
  expect(overlaps).toEqual([]);
});
