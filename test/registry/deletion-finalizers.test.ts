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

describe('namespaces/{name}/finalize', () => {
  test('a Terminating namespace is removed once finalize empties spec.finalizers', async () => {
    await createNamespace(f.base, 'fin-a');
    const del = await request(f.base, 'DELETE', '/api/v1/namespaces/fin-a');
    expect(del.status).toBe(200);
    expect(del.json.status.phase).toBe('Terminating');
    const ns = (await request(f.base, 'GET', '/api/v1/namespaces/fin-a')).json;
    expect(ns.spec.finalizers).toEqual(['kubernetes']);

    ns.spec.finalizers = [];
    const fin = await request(f.base, 'PUT', '/api/v1/namespaces/fin-a/finalize', ns);
    expect(fin.status).toBe(200);
    expect(fin.json.kind).toBe('Namespace');
    expect(fin.json.spec.finalizers).toEqual([]);
    expect((await request(f.base, 'GET', '/api/v1/namespaces/fin-a')).status).toBe(404);
  });

  test('finalize of an active namespace changes spec.finalizers but keeps status, and it stays', async () => {
    await createNamespace(f.base, 'fin-b');
    const ns = (await request(f.base, 'GET', '/api/v1/namespaces/fin-b')).json;
    ns.spec.finalizers = ['kubernetes', 'example.com/mine'];
    ns.status = { phase: 'Terminating' };
    const fin = await request(f.base, 'PUT', '/api/v1/namespaces/fin-b/finalize', ns);
    expect(fin.status).toBe(200);
    expect(fin.json.spec.finalizers).toEqual(['kubernetes', 'example.com/mine']);
    expect(fin.json.status.phase).toBe('Active');
    // A plain update does not change spec.finalizers.
    const upd = { ...fin.json, spec: { finalizers: [] } };
    const put = await request(f.base, 'PUT', '/api/v1/namespaces/fin-b', upd);
    expect(put.status).toBe(200);
    expect(put.json.spec.finalizers).toEqual(['kubernetes', 'example.com/mine']);
  });

  test('finalize checks finalizer names, the resourceVersion, and answers 405 to other verbs', async () => {
    await createNamespace(f.base, 'fin-c');
    const ns = (await request(f.base, 'GET', '/api/v1/namespaces/fin-c')).json;
    const bad = await request(f.base, 'PUT', '/api/v1/namespaces/fin-c/finalize', { ...ns, spec: { finalizers: ['mine'] } });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toContain('spec.finalizers[0]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified');
    const stale = await request(f.base, 'PUT', '/api/v1/namespaces/fin-c/finalize', {
      ...ns,
      metadata: { ...ns.metadata, resourceVersion: '1' },
      spec: { finalizers: [] },
    });
    expect(stale.status).toBe(409);
    const get = await request(f.base, 'GET', '/api/v1/namespaces/fin-c/finalize');
    expect(get.status).toBe(405);
  });
});

describe('delete options become garbage-collector finalizers (upstream deletionFinalizersForGarbageCollection)', () => {
  const CM = '/api/v1/namespaces/gcf/configmaps';
  beforeAll(async () => {
    await createNamespace(f.base, 'gcf');
  });

  async function withFinalizer(name: string): Promise<void> {
    const cm = { ...configMap(name), metadata: { name, finalizers: ['example.com/hold'] } };
    expect((await request(f.base, 'POST', CM, cm)).status).toBe(201);
  }

  test('Foreground adds foregroundDeletion, Orphan adds orphan, Background adds none', async () => {
    for (const [name, policy, expected] of [
      ['fg', 'Foreground', ['example.com/hold', 'foregroundDeletion']],
      ['or', 'Orphan', ['example.com/hold', 'orphan']],
      ['bg', 'Background', ['example.com/hold']],
    ] as const) {
      await withFinalizer(name);
      const r = await request(f.base, 'DELETE', `${CM}/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy });
      expect(r.status).toBe(200);
      expect(r.json.metadata.finalizers).toEqual(expected);
      expect(r.json.metadata.deletionTimestamp).toBeDefined();
    }
  });

  test('a second delete with another policy switches the finalizer; without a policy it keeps it', async () => {
    await withFinalizer('sw');
    await request(f.base, 'DELETE', `${CM}/sw?propagationPolicy=Foreground`);
    const same = await request(f.base, 'DELETE', `${CM}/sw`);
    expect(same.json.metadata.finalizers).toEqual(['example.com/hold', 'foregroundDeletion']);
    const r = await request(f.base, 'DELETE', `${CM}/sw?propagationPolicy=Orphan`);
    expect(r.json.metadata.finalizers).toEqual(['example.com/hold', 'orphan']);
    const legacy = await request(f.base, 'DELETE', `${CM}/sw?orphanDependents=false`);
    expect(legacy.json.metadata.finalizers).toEqual(['example.com/hold']);
  });

  test('an object held only by orphan is removed by a Background delete', async () => {
    const cm = { ...configMap('only-orphan'), metadata: { name: 'only-orphan', finalizers: ['orphan'] } };
    await request(f.base, 'POST', CM, cm);
    const r = await request(f.base, 'DELETE', `${CM}/only-orphan?propagationPolicy=Background`);
    expect(r.status).toBe(200);
    expect((await request(f.base, 'GET', `${CM}/only-orphan`)).status).toBe(404);
  });

  test('v1 ReplicationControllers orphan by default, as upstream', async () => {
    const rc = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc' },
      spec: { selector: { a: 'b' }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    expect((await request(f.base, 'POST', '/api/v1/namespaces/gcf/replicationcontrollers', rc)).status).toBe(201);
    const r = await request(f.base, 'DELETE', '/api/v1/namespaces/gcf/replicationcontrollers/rc');
    expect(r.json.metadata.finalizers).toEqual(['orphan']);
  });

  test('batch/v1 Jobs orphan by default; apps/v1 kinds delete dependents by default', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    expect((await request(f.base, 'POST', '/apis/batch/v1/namespaces/gcf/jobs', job)).status).toBe(201);
    const r = await request(f.base, 'DELETE', '/apis/batch/v1/namespaces/gcf/jobs/j');
    expect(r.json.metadata.finalizers).toEqual(['orphan']);
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    expect((await request(f.base, 'POST', '/apis/apps/v1/namespaces/gcf/replicasets', rs)).status).toBe(201);
    expect((await request(f.base, 'DELETE', '/apis/apps/v1/namespaces/gcf/replicasets/rs')).status).toBe(200);
    expect((await request(f.base, 'GET', '/apis/apps/v1/namespaces/gcf/replicasets/rs')).status).toBe(404);
  });
});
