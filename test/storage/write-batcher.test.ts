import pg from 'pg';
import { CHANGES_CHANNEL } from '../../src/storage/write-batcher.js';
import { cm, createReq, deleteReq, storageFixture } from './storage-fixture.js';
import type { StorageFixture } from './storage-fixture.js';

let f: StorageFixture;
beforeAll(async () => {
  f = await storageFixture();
});
afterAll(async () => {
  await f.close();
});

async function historyRvs(): Promise<bigint[]> {
  const rows = await f.database.pool.query<{ rv: string }>('SELECT rv FROM history ORDER BY rv');
  return rows.rows.map((r) => BigInt(r.rv));
}

test('concurrent writes share one transaction; a failing request fails alone', async () => {
  const listener = new pg.Client({ connectionString: f.testDb.url });
  await listener.connect();
  const notes: string[] = [];
  listener.on('notification', (n) => notes.push(n.payload ?? ''));
  await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
  const before = f.batcher.stats.batches;
  // Issued in the same tick: one batch.
  const results = await Promise.allSettled([
    f.store.write(createReq(cm('a'))),
    f.store.write(createReq(cm('a'))), // sees the first one's effect inside the batch
    f.store.write(createReq(cm('b'))),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(((results[1] as PromiseRejectedResult).reason as Error).message).toBe('exists: a');
  expect(f.batcher.stats.batches - before).toBe(1);
  const [a, , b] = results as PromiseFulfilledResult<{ rv: bigint; type: string }>[];
  expect(b.value.rv).toBe(a.value.rv + 1n);
  expect(a.value.type).toBe('ADDED');
  expect(await f.store.currentRevision()).toBe(b.value.rv);
  await new Promise((r) => setTimeout(r, 200));
  // One NOTIFY per batch, carrying only the revision.
  expect(notes).toEqual([b.value.rv.toString()]);
  await listener.end();
});

test('several changes to one key in a batch are all in history; the current state is the last', async () => {
  const results = await Promise.all([
    f.store.write(createReq(cm('multi', { v: '1' }))),
    f.store.write({
      key: { resource: 'configmaps', namespace: 'ns', name: 'multi' },
      decide: (current) => ({ action: 'put', object: { ...structuredClone(current!.object), data: { v: '2' } } }),
    }),
    f.store.write(deleteReq('multi')),
    f.store.write(createReq(cm('multi', { v: '3' }))),
  ]);
  expect(results.map((r) => r.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'ADDED']);
  const rows = await f.database.pool.query<{ type: string; value: string; prev_value: string | null }>(
    `SELECT type, value, prev_value FROM history WHERE name = 'multi' ORDER BY rv`,
  );
  expect(rows.rows.map((r) => r.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'ADDED']);
  expect(JSON.parse(rows.rows[1].prev_value!).data).toEqual({ v: '1' });
  expect(rows.rows[3].prev_value).toBeNull();
  const current = await f.store.get({ resource: 'configmaps', namespace: 'ns', name: 'multi' });
  expect(current!.object.data).toEqual({ v: '3' });
  expect(current!.rv).toBe(results[3].rv);
  expect(current!.object.metadata.resourceVersion).toBe(results[3].rv.toString());
});

test('revisions in history are gap-free under concurrent load, and match the revision row', async () => {
  await Promise.allSettled(Array.from({ length: 300 }, (_, i) => f.store.write(createReq(cm(`load-${i % 150}`)))));
  const rvs = await historyRvs();
  for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBe(rvs[i - 1] + 1n);
  expect(await f.store.currentRevision()).toBe(rvs[rvs.length - 1]);
});

test('a batch whose transaction fails rejects every request in it and writes nothing', async () => {
  const rv = await f.store.currentRevision();
  // A value PostgreSQL refuses (a NUL in the jsonb labels column; the API validates labels before
  // this point) fails the whole statement.
  const results = await Promise.allSettled([f.store.write(createReq(cm('ok-neighbour'))), f.store.write(createReq(cm('bad', {}, { x: 'a\u0000b' })))]);
  expect(results.every((r) => r.status === 'rejected')).toBe(true);
  expect(await f.store.currentRevision()).toBe(rv);
  expect(await f.store.get({ resource: 'configmaps', namespace: 'ns', name: 'ok-neighbour' })).toBeNull();
  // And the batcher goes on working.
  const after = await f.store.write(createReq(cm('after-failure')));
  expect(after.rv).toBe(rv + 1n);
});

test('a request that fails after deciding (its object cannot be serialised) leaves no gap in history', async () => {
  const before = await f.store.currentRevision();
  const results = await Promise.allSettled([
    f.store.write(createReq(cm('gap-a'))),
    f.store.write({
      key: { resource: 'configmaps', namespace: 'ns', name: 'gap-bad' },
      // A BigInt makes JSON.stringify throw once the store has stamped the revision.
      decide: () => ({ action: 'put', object: { ...cm('gap-bad'), data: { n: 1n as unknown as string } } }),
    }),
    f.store.write(createReq(cm('gap-c'))),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const a = (results[0] as PromiseFulfilledResult<{ rv: bigint }>).value.rv;
  const c = (results[2] as PromiseFulfilledResult<{ rv: bigint }>).value.rv;
  expect(a).toBe(before + 1n);
  expect(c).toBe(before + 2n);
  const rvs = await historyRvs();
  for (let i = 1; i < rvs.length; i++) expect(rvs[i]).toBe(rvs[i - 1] + 1n);
});
