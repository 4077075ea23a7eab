import { CompactedError, FutureRevisionError } from '../../src/storage/types.js';
import { compactOnce } from '../../src/storage/compactor.js';
import { cm, createReq, deleteReq, storageFixture } from './storage-fixture.js';
import type { StorageFixture } from './storage-fixture.js';

let f: StorageFixture;
beforeAll(async () => {
  f = await storageFixture();
});
afterAll(async () => {
  await f.close();
});

const names = (items: string[]) => items.map((j) => (JSON.parse(j) as { metadata: { name: string } }).metadata.name);

test('a list at an older revision recovers changed, deleted and not-yet-created objects', async () => {
  await Promise.all(['a', 'b', 'c'].map((n) => f.store.write(createReq(cm(n, { v: 'old' }, { tier: 'x' })))));
  const at = await f.store.currentRevision();
  await f.store.write({
    key: { resource: 'configmaps', namespace: 'ns', name: 'a' },
    decide: (cur) => ({ action: 'put', object: { ...structuredClone(cur!.object), data: { v: 'new' }, metadata: { ...cur!.object.metadata, labels: { tier: 'y' } } } }),
  });
  await f.store.write(deleteReq('b'));
  await f.store.write(createReq(cm('d')));
  const old = await f.store.list({ resource: 'configmaps', atRevision: at });
  expect(old.rv).toBe(at);
  expect(names(old.items)).toEqual(['a', 'b', 'c']);
  expect(JSON.parse(old.items[0]).data).toEqual({ v: 'old' });
  // Selectors apply to the historical state.
  const oldX = await f.store.list({ resource: 'configmaps', atRevision: at, labelSelector: [{ key: 'tier', operator: '=', values: ['x'] }] });
  expect(names(oldX.items)).toEqual(['a', 'b', 'c']);
  const nowX = await f.store.list({ resource: 'configmaps', labelSelector: [{ key: 'tier', operator: '=', values: ['x'] }] });
  expect(names(nowX.items)).toEqual(['c']);
  const now = await f.store.list({ resource: 'configmaps' });
  expect(names(now.items)).toEqual(['a', 'c', 'd']);
  // Paging an old snapshot.
  const p1 = await f.store.list({ resource: 'configmaps', atRevision: at, limit: 2, countRemaining: true });
  expect(names(p1.items)).toEqual(['a', 'b']);
  expect(p1.remaining).toBe(1);
  const p2 = await f.store.list({ resource: 'configmaps', atRevision: at, limit: 2, after: p1.next });
  expect(names(p2.items)).toEqual(['c']);
  expect(p2.next).toBeUndefined();
});

test('objects whose data holds \\u0000 are stored and listed, also at an older revision', async () => {
  await f.store.write(createReq(cm('nul', { x: 'a\u0000b' })));
  const at = await f.store.currentRevision();
  await f.store.write(deleteReq('nul'));
  const old = await f.store.list({ resource: 'configmaps', atRevision: at, labelSelector: [{ key: 'tier', operator: '!', values: [] }] });
  const nul = old.items.map((j) => JSON.parse(j)).find((o) => o.metadata.name === 'nul');
  expect(nul.data).toEqual({ x: 'a\u0000b' });
});

test('future and compacted revisions are refused', async () => {
  const rv = await f.store.currentRevision();
  await expect(f.store.list({ resource: 'configmaps', atRevision: rv + 5n })).rejects.toBeInstanceOf(FutureRevisionError);
  await f.store.write(createReq(cm('compact-me')));
  await new Promise((r) => setTimeout(r, 1100));
  const compacted = await compactOnce(f.database.pool, 0);
  expect(compacted).toBeGreaterThan(rv);
  await expect(f.store.list({ resource: 'configmaps', atRevision: rv })).rejects.toBeInstanceOf(CompactedError);
  // The latest state is untouched by compaction.
  expect(names((await f.store.list({ resource: 'configmaps' })).items)).toContain('compact-me');
  expect(await f.store.compactedRevision()).toBe(compacted);
});
