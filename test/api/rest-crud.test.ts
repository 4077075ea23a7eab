import { apiFixture, configMap, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f.close();
});

const CM = '/api/v1/namespaces/default/configmaps';

test('the system namespaces exist from the start', async () => {
  const r = await request(f.base, 'GET', '/api/v1/namespaces');
  expect(r.status).toBe(200);
  expect(r.json.kind).toBe('NamespaceList');
  const names = r.json.items.map((n: { metadata: { name: string } }) => n.metadata.name);
  expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
  const ns = r.json.items.find((n: { metadata: { name: string } }) => n.metadata.name === 'default');
  expect(ns.status.phase).toBe('Active');
  expect(ns.spec.finalizers).toEqual(['kubernetes']);
});

test('create fills the metadata kube-apiserver fills, get returns the same object', async () => {
  const r = await request(f.base, 'POST', CM, configMap('meta', { a: '1' }));
  expect(r.status).toBe(201);
  const m = r.json.metadata;
  expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(m.resourceVersion).toMatch(/^[1-9]\d*$/);
  expect(m.generation).toBe(1);
  expect(m.namespace).toBe('default');
  const g = await request(f.base, 'GET', `${CM}/meta`);
  expect(g.status).toBe(200);
  expect(g.json).toEqual(r.json);
});

test('a second create of the same name is 409 AlreadyExists', async () => {
  await request(f.base, 'POST', CM, configMap('dup'));
  const r = await request(f.base, 'POST', CM, configMap('dup'));
  expect(r.status).toBe(409);
  expect(r.json).toEqual({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'configmaps "dup" already exists',
    reason: 'AlreadyExists',
    details: { name: 'dup', kind: 'configmaps' },
    code: 409,
  });
});

test('creating in a missing namespace is 404 for the namespace, and nothing is written', async () => {
  const r = await request(f.base, 'POST', '/api/v1/namespaces/nowhere/configmaps', configMap('x'));
  expect(r.status).toBe(404);
  expect(r.json.message).toBe('namespaces "nowhere" not found');
  expect(r.json.details).toEqual({ name: 'nowhere', kind: 'namespaces' });
  const list = await request(f.base, 'GET', '/api/v1/namespaces/nowhere/configmaps');
  expect(list.json.items).toEqual([]);
});

test('generateName gets a random 5-character suffix', async () => {
  const r = await request(f.base, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
  expect(r.status).toBe(201);
  expect(r.json.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  expect(r.json.metadata.generateName).toBe('gen-');
});

test('an update naming a stale resourceVersion is 409 Conflict and changes nothing', async () => {
  const c = await request(f.base, 'POST', CM, configMap('occ', { v: '1' }));
  const first = c.json;
  const u1 = await request(f.base, 'PUT', `${CM}/occ`, { ...first, data: { v: '2' } });
  expect(u1.status).toBe(200);
  expect(BigInt(u1.json.metadata.resourceVersion)).toBeGreaterThan(BigInt(first.metadata.resourceVersion));
  const stale = await request(f.base, 'PUT', `${CM}/occ`, { ...first, data: { v: '3' } });
  expect(stale.status).toBe(409);
  expect(stale.json.reason).toBe('Conflict');
  expect(stale.json.message).toBe(
    'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
  );
  const g = await request(f.base, 'GET', `${CM}/occ`);
  expect(g.json.data).toEqual({ v: '2' });
});

test('generation moves with the spec part only; a no-op update keeps the resourceVersion', async () => {
  const c = (await request(f.base, 'POST', CM, configMap('gen', { a: '1' }))).json;
  const labelsOnly = (await request(f.base, 'PUT', `${CM}/gen`, { ...c, metadata: { ...c.metadata, labels: { x: 'y' } } })).json;
  expect(labelsOnly.metadata.generation).toBe(1);
  const data = (await request(f.base, 'PUT', `${CM}/gen`, { ...labelsOnly, data: { a: '2' } })).json;
  expect(data.metadata.generation).toBe(2);
  const noop = await request(f.base, 'PUT', `${CM}/gen`, data);
  expect(noop.status).toBe(200);
  expect(noop.json.metadata.resourceVersion).toBe(data.metadata.resourceVersion);
});

test('an update without resourceVersion is unconditional; uid cannot change', async () => {
  const c = (await request(f.base, 'POST', CM, configMap('uncond'))).json;
  const { resourceVersion: _rv, ...meta } = c.metadata;
  const u = await request(f.base, 'PUT', `${CM}/uncond`, { ...c, metadata: meta, data: { k: 'v' } });
  expect(u.status).toBe(200);
  expect(u.json.data).toEqual({ k: 'v' });
  const bad = await request(f.base, 'PUT', `${CM}/uncond`, { ...u.json, metadata: { ...u.json.metadata, uid: '00000000-0000-0000-0000-000000000000' } });
  expect(bad.status).toBe(422);
  expect(bad.json.reason).toBe('Invalid');
  expect(bad.json.details.causes[0].field).toBe('metadata.uid');
});

test('status and main resource are written separately for kinds with a status subresource', async () => {
  const D = '/apis/apps/v1/namespaces/default/deployments';
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    status: { replicas: 99 },
  };
  const c = await request(f.base, 'POST', D, dep);
  expect(c.status).toBe(201);
  expect(c.json.status).toEqual({});
  const s = await request(f.base, 'PUT', `${D}/web/status`, { ...c.json, spec: { ...c.json.spec, replicas: 5 }, status: { replicas: 1 } });
  expect(s.status).toBe(200);
  expect(s.json.status).toEqual({ replicas: 1 });
  expect(s.json.spec.replicas).toBe(1);
  expect(s.json.metadata.generation).toBe(1);
  const m = await request(f.base, 'PUT', `${D}/web`, { ...s.json, spec: { ...s.json.spec, replicas: 3 }, status: { replicas: 7 } });
  expect(m.json.spec.replicas).toBe(3);
  expect(m.json.status).toEqual({ replicas: 1 });
  expect(m.json.metadata.generation).toBe(2);
  const all = await request(f.base, 'GET', '/apis/apps/v1/deployments');
  expect(all.json.kind).toBe('DeploymentList');
  expect(all.json.apiVersion).toBe('apps/v1');
  expect(all.json.items.map((d: { metadata: { name: string } }) => d.metadata.name)).toContain('web');
});

test('delete answers the deleted object at the deletion revision; preconditions are checked', async () => {
  const c = (await request(f.base, 'POST', CM, configMap('del'))).json;
  const wrongUid = await request(f.base, 'DELETE', `${CM}/del`, { preconditions: { uid: 'not-the-uid' } });
  expect(wrongUid.status).toBe(409);
  expect(wrongUid.json.message).toBe(
    `Operation cannot be fulfilled on configmaps "del": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${c.metadata.uid}`,
  );
  const wrongRv = await request(f.base, 'DELETE', `${CM}/del`, { preconditions: { resourceVersion: '1' } });
  expect(wrongRv.status).toBe(409);
  const d = await request(f.base, 'DELETE', `${CM}/del`, { preconditions: { uid: c.metadata.uid } });
  expect(d.status).toBe(200);
  expect(d.json.metadata.name).toBe('del');
  expect(BigInt(d.json.metadata.resourceVersion)).toBeGreaterThan(BigInt(c.metadata.resourceVersion));
  expect((await request(f.base, 'GET', `${CM}/del`)).status).toBe(404);
  const again = await request(f.base, 'DELETE', `${CM}/del`);
  expect(again.status).toBe(404);
  expect(again.json.message).toBe('configmaps "del" not found');
});

test('finalizers: delete only marks; the update removing the last finalizer deletes', async () => {
  const c = (await request(f.base, 'POST', CM, { ...configMap('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } })).json;
  const d = await request(f.base, 'DELETE', `${CM}/fin`);
  expect(d.status).toBe(200);
  expect(d.json.metadata.deletionTimestamp).toBeDefined();
  const g = (await request(f.base, 'GET', `${CM}/fin`)).json;
  expect(g.metadata.deletionTimestamp).toBeDefined();
  expect(g.metadata.uid).toBe(c.metadata.uid);
  const addFinalizer = await request(f.base, 'PUT', `${CM}/fin`, { ...g, metadata: { ...g.metadata, finalizers: ['example.com/hold', 'example.com/more'] } });
  expect(addFinalizer.status).toBe(422);
  const release = await request(f.base, 'PUT', `${CM}/fin`, { ...g, metadata: { ...g.metadata, finalizers: [] } });
  expect(release.status).toBe(200);
  expect((await request(f.base, 'GET', `${CM}/fin`)).status).toBe(404);
});

test('cluster-scoped and namespaced paths are kept apart', async () => {
  expect((await request(f.base, 'GET', '/api/v1/namespaces/default/nodes')).status).toBe(404);
  expect((await request(f.base, 'GET', '/api/v1/nosuchthings')).status).toBe(404);
  await createNamespace(f.base, 'other');
  await request(f.base, 'POST', '/api/v1/namespaces/other/configmaps', configMap('elsewhere'));
  const all = await request(f.base, 'GET', '/api/v1/configmaps');
  const keys = all.json.items.map((c: { metadata: { namespace: string; name: string } }) => `${c.metadata.namespace}/${c.metadata.name}`);
  expect(keys).toContain('other/elsewhere');
  expect(keys).toContain('default/meta');
  const sorted = [...keys].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0));
  expect(keys).toEqual(sorted);
});

test('dryRun=All validates and answers without writing', async () => {
  const r = await request(f.base, 'POST', `${CM}?dryRun=All`, configMap('dry'));
  expect(r.status).toBe(201);
  expect(r.json.metadata.name).toBe('dry');
  expect((await request(f.base, 'GET', `${CM}/dry`)).status).toBe(404);
});

test('deleting a namespace marks it Terminating; nothing new may be created in it', async () => {
  await createNamespace(f.base, 'doomed');
  await request(f.base, 'POST', '/api/v1/namespaces/doomed/configmaps', configMap('inside'));
  const d = await request(f.base, 'DELETE', '/api/v1/namespaces/doomed');
  expect(d.status).toBe(200);
  expect(d.json.status.phase).toBe('Terminating');
  expect(d.json.metadata.deletionTimestamp).toBeDefined();
  const g = await request(f.base, 'GET', '/api/v1/namespaces/doomed');
  expect(g.status).toBe(200);
  expect(g.json.status.phase).toBe('Terminating');
  expect(g.json.spec.finalizers).toEqual(['kubernetes']);
  const c = await request(f.base, 'POST', '/api/v1/namespaces/doomed/configmaps', configMap('late'));
  expect(c.status).toBe(403);
  expect(c.json.reason).toBe('Forbidden');
  expect(c.json.message).toBe('configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
  // What is in it stays until the namespace controller empties it.
  expect((await request(f.base, 'GET', '/api/v1/namespaces/doomed/configmaps/inside')).status).toBe(200);
});
