import type { KubeObject } from '../../src/machinery/object.js';
import type { ObjectKey, WriteRequest } from '../../src/storage/types.js';
import { cm, storageFixture } from './storage-fixture.js';
import type { StorageFixture } from './storage-fixture.js';

/** WriteDecision.also: writes to other keys made atomically with the request's own (allocation records). */

let f: StorageFixture;
beforeAll(async () => {
  f = await storageFixture();
});
afterAll(async () => {
  await f.close();
});

const claimKey = (name: string): ObjectKey => ({ resource: 'claims.test.internal', namespace: '', name });
const claim = (name: string, owner: string): KubeObject => ({ apiVersion: 'v1', kind: 'Claim', metadata: { name }, owner });

/** Creates configmap `name` and claims `value`, unless another object holds it. */
function claiming(name: string, value: string): WriteRequest {
  return {
    key: { resource: 'configmaps', namespace: 'ns', name },
    reads: [claimKey(value)],
    decide: (current, reads) => {
      if (current) throw new Error(`exists: ${name}`);
      if (reads.get(`claims.test.internal\u0000\u0000${value}`)) throw new Error(`taken: ${value}`);
      return { action: 'put', object: cm(name), also: [{ key: claimKey(value), action: 'put', object: claim(value, name) }] };
    },
  };
}

test('a side write commits with the main one, at the next revision, and later requests in the batch see it', async () => {
  const results = await Promise.allSettled([f.store.write(claiming('one', 'x')), f.store.write(claiming('two', 'x'))]);
  expect(results[0].status).toBe('fulfilled');
  expect(((results[1] as PromiseRejectedResult).reason as Error).message).toBe('taken: x');
  const main = (results[0] as PromiseFulfilledResult<{ rv: bigint }>).value;
  const side = await f.store.get(claimKey('x'));
  expect(side!.rv).toBe(main.rv + 1n);
  expect(side!.object.metadata.resourceVersion).toBe((main.rv + 1n).toString());
  expect(await f.store.currentRevision()).toBe(main.rv + 1n);
  const rows = await f.database.pool.query<{ rv: string; resource: string; type: string }>('SELECT rv, resource, type FROM history WHERE rv >= $1 ORDER BY rv', [
    main.rv.toString(),
  ]);
  expect(rows.rows.map((r) => [r.resource, r.type])).toEqual([
    ['configmaps', 'ADDED'],
    ['claims.test.internal', 'ADDED'],
  ]);
});

test('a side write to a key the request did not read fails the request alone and leaves no gap', async () => {
  const before = await f.store.currentRevision();
  const bad: WriteRequest = {
    key: { resource: 'configmaps', namespace: 'ns', name: 'bad' },
    decide: () => ({ action: 'put', object: cm('bad'), also: [{ key: claimKey('unread'), action: 'put', object: claim('unread', 'bad') }] }),
  };
  const results = await Promise.allSettled([f.store.write(bad), f.store.write(claiming('three', 'y'))]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
  expect(await f.store.get({ resource: 'configmaps', namespace: 'ns', name: 'bad' })).toBeNull();
  expect(await f.store.get(claimKey('unread'))).toBeNull();
  expect(await f.store.currentRevision()).toBe(before + 2n);
});

test('a side delete removes the record with history; deleting a missing one does nothing', async () => {
  const release: WriteRequest = {
    key: { resource: 'configmaps', namespace: 'ns', name: 'one' },
    reads: [claimKey('x'), claimKey('never')],
    decide: (current) => ({
      action: 'delete',
      object: current!.object,
      also: [
        { key: claimKey('x'), action: 'delete' },
        { key: claimKey('never'), action: 'delete' },
      ],
    }),
  };
  const before = await f.store.currentRevision();
  const r = await f.store.write(release);
  expect(r.type).toBe('DELETED');
  expect(await f.store.get(claimKey('x'))).toBeNull();
  expect(await f.store.currentRevision()).toBe(before + 2n);
  const rows = await f.database.pool.query<{ type: string; value: string }>(`SELECT type, value FROM history WHERE resource = 'claims.test.internal' AND name = 'x' ORDER BY rv`);
  expect(rows.rows.map((row) => row.type)).toEqual(['ADDED', 'DELETED']);
  expect(JSON.parse(rows.rows[1].value).metadata.resourceVersion).toBe((before + 2n).toString());
});
