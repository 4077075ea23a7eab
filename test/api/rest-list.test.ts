import pg from 'pg';
import { compactOnce } from '../../src/storage/compactor.js';
import { apiFixture, configMap, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

let f: ApiFixture;
const NS = '/api/v1/namespaces/lists/configmaps';
beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, 'lists');
  await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      request(f.base, 'POST', NS, configMap(`cm-${String(i).padStart(2, '0')}`, { i: String(i) }, { app: i % 2 ? 'odd' : 'even', tier: i < 5 ? 'front' : 'back' })),
    ),
  );
});
afterAll(async () => {
  await f.close();
});

const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);

test('pages continue the first page snapshot, with remainingItemCount', async () => {
  const p1 = (await request(f.base, 'GET', `${NS}?limit=10`)).json;
  expect(names(p1)).toHaveLength(10);
  expect(p1.metadata.remainingItemCount).toBe(15);
  expect(p1.metadata.continue).toBeTruthy();
  // Changes after the first page must not show in the next pages.
  await request(f.base, 'POST', NS, configMap('cm-99-late'));
  const victim = (await request(f.base, 'GET', `${NS}/cm-20`)).json;
  await request(f.base, 'PUT', `${NS}/cm-20`, { ...victim, data: { changed: 'yes' } });
  await request(f.base, 'DELETE', `${NS}/cm-21`);
  const p2 = (await request(f.base, 'GET', `${NS}?limit=10&continue=${encodeURIComponent(p1.metadata.continue)}`)).json;
  expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
  expect(p2.metadata.remainingItemCount).toBe(5);
  const p3 = (await request(f.base, 'GET', `${NS}?limit=10&continue=${encodeURIComponent(p2.metadata.continue)}`)).json;
  expect(p3.metadata.continue).toBeUndefined();
  expect(p3.metadata.remainingItemCount).toBeUndefined();
  const all = [...names(p1), ...names(p2), ...names(p3)];
  expect(all).toEqual(Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, '0')}`));
  const old20 = p3.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'cm-20');
  expect(old20.data).toEqual({ i: '20' });
  // The latest list sees the changes.
  const now = (await request(f.base, 'GET', NS)).json;
  expect(names(now)).toContain('cm-99-late');
  expect(names(now)).not.toContain('cm-21');
  // Put things back for the other tests.
  await request(f.base, 'DELETE', `${NS}/cm-99-late`);
  await request(f.base, 'POST', NS, configMap('cm-21', { i: '21' }, { app: 'odd', tier: 'back' }));
});

test('resourceVersionMatch=Exact lists an older snapshot; NotOlderThan the latest', async () => {
  const before = (await request(f.base, 'GET', NS)).json;
  const rv = before.metadata.resourceVersion;
  const cm = (await request(f.base, 'GET', `${NS}/cm-03`)).json;
  await request(f.base, 'PUT', `${NS}/cm-03`, { ...cm, data: { i: 'three' } });
  const exact = (await request(f.base, 'GET', `${NS}?resourceVersion=${rv}&resourceVersionMatch=Exact`)).json;
  expect(exact.metadata.resourceVersion).toBe(rv);
  expect(exact.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'cm-03').data).toEqual({ i: '3' });
  const newer = (await request(f.base, 'GET', `${NS}?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`)).json;
  expect(BigInt(newer.metadata.resourceVersion)).toBeGreaterThan(BigInt(rv));
  expect(newer.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'cm-03').data).toEqual({ i: 'three' });
  const future = await request(f.base, 'GET', `${NS}?resourceVersion=${BigInt(newer.metadata.resourceVersion) + 1000n}&resourceVersionMatch=NotOlderThan`);
  expect(future.status).toBe(504);
  expect(future.json.reason).toBe('Timeout');
});

test('label selectors filter in the database', async () => {
  expect(names((await request(f.base, 'GET', `${NS}?labelSelector=app%3Dodd,tier%3Dfront`)).json)).toEqual(['cm-01', 'cm-03']);
  expect(names((await request(f.base, 'GET', `${NS}?labelSelector=${encodeURIComponent('tier in (front),app!=odd')}`)).json)).toEqual([
    'cm-00',
    'cm-02',
    'cm-04',
  ]);
  expect(names((await request(f.base, 'GET', `${NS}?labelSelector=!app`)).json)).toEqual([]);
  expect(names((await request(f.base, 'GET', `${NS}?labelSelector=${encodeURIComponent('tier notin (back)')}`)).json)).toHaveLength(5);
  const paged = (await request(f.base, 'GET', `${NS}?labelSelector=app%3Deven&limit=3`)).json;
  expect(names(paged)).toEqual(['cm-00', 'cm-02', 'cm-04']);
  // Upstream reports remainingItemCount only for unfiltered lists.
  expect(paged.metadata.remainingItemCount).toBeUndefined();
  const bad = await request(f.base, 'GET', `${NS}?labelSelector=${encodeURIComponent('a in (b')}`);
  expect(bad.status).toBe(400);
  expect(bad.json.reason).toBe('BadRequest');
});

test('field selectors on metadata.name and metadata.namespace; others are 400', async () => {
  expect(names((await request(f.base, 'GET', `${NS}?fieldSelector=metadata.name%3Dcm-07`)).json)).toEqual(['cm-07']);
  expect(names((await request(f.base, 'GET', `/api/v1/configmaps?fieldSelector=metadata.namespace%3Dlists,metadata.name!%3Dcm-00`)).json)).toHaveLength(24);
  const bad = await request(f.base, 'GET', `${NS}?fieldSelector=spec.nodeName%3Dx`);
  expect(bad.status).toBe(400);
  expect(bad.json.message).toBe('"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"');
});

test('a continue token older than the history window is 410 with an inconsistent continue token', async () => {
  const p1 = (await request(f.base, 'GET', `${NS}?limit=5`)).json;
  const cm = (await request(f.base, 'GET', `${NS}/cm-10`)).json;
  await request(f.base, 'PUT', `${NS}/cm-10`, { ...cm, data: { compacted: 'away' } });
  const pool = new pg.Pool({ connectionString: f.db.url });
  await new Promise((r) => setTimeout(r, 1100));
  await compactOnce(pool, 0);
  await pool.end();
  const expired = await request(f.base, 'GET', `${NS}?limit=5&continue=${encodeURIComponent(p1.metadata.continue)}`);
  expect(expired.status).toBe(410);
  expect(expired.json.reason).toBe('Expired');
  expect(expired.json.message).toMatch(/^The provided continue parameter is too old to display a consistent list result\./);
  const token = expired.json.metadata.continue;
  expect(token).toBeTruthy();
  // The inconsistent token continues from the latest state after the same key.
  const rest = (await request(f.base, 'GET', `${NS}?limit=5&continue=${encodeURIComponent(token)}`)).json;
  expect(names(rest)).toEqual(['cm-05', 'cm-06', 'cm-07', 'cm-08', 'cm-09']);
  const exactOld = await request(f.base, 'GET', `${NS}?resourceVersion=${p1.metadata.resourceVersion}&resourceVersionMatch=Exact`);
  expect(exactOld.status).toBe(410);
  expect(exactOld.json.message).toBe('The resourceVersion for the provided list is too old.');
});
