/**
 * The official JavaScript client, @kubernetes/client-node 1.x (ESM; 2.x needs a newer Node), against an
 * in-process apiserver: typed list, create, merge and strategic merge patches, and an informer that sees
 * objects added, updated and deleted.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';

let f: ApiFixture;
let core: CoreV1Api;
let apps: AppsV1Api;
let kc: KubeConfig;
const NS = 'client-node';

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, NS);
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'pgkube', server: f.base, skipTLSVerify: true }],
    users: [{ name: 'admin' }],
    contexts: [{ name: 'pgkube', cluster: 'pgkube', user: 'admin', namespace: NS }],
    currentContext: 'pgkube',
  });
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});
afterAll(async () => {
  await f.close();
});

/** Resolves once `check` holds, polling what the informer has reported. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('create, list, get', async () => {
  const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'one', labels: { app: 'demo' } }, data: { a: '1' } } });
  expect(created.metadata?.uid).toBeTruthy();
  expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
  const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'app=demo' });
  expect(list.items.map((c) => c.metadata?.name)).toEqual(['one']);
  const got = await core.readNamespacedConfigMap({ namespace: NS, name: 'one' });
  expect(got.data).toEqual({ a: '1' });
  await expect(core.readNamespacedConfigMap({ namespace: NS, name: 'missing' })).rejects.toMatchObject({ code: 404 });
});

test('merge and strategic merge patches', async () => {
  const merged = await core.patchNamespacedConfigMap(
    { namespace: NS, name: 'one', body: { data: { b: '2' } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  expect(merged.data).toEqual({ a: '1', b: '2' });

  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'side', image: 'busybox' }] } },
      },
    },
  });
  // Strategic merge: containers merge by name, so one container changes and the other stays.
  const patched = await apps.patchNamespacedDeployment(
    { namespace: NS, name: 'web', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  expect(patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=nginx:1.28', 'side=busybox']);
  const json = await apps.patchNamespacedDeployment(
    { namespace: NS, name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  expect(json.spec?.replicas).toBe(3);
});

test('an informer sees add, update and delete', async () => {
  const seen: string[] = [];
  const informer = makeInformer<V1ConfigMap & KubernetesObject>(kc, `/api/v1/namespaces/${NS}/configmaps`, () => core.listNamespacedConfigMap({ namespace: NS }));
  informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v ?? ''}`));
  informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
  const errors: unknown[] = [];
  informer.on('error', (e) => errors.push(e));
  await informer.start();
  try {
    await eventually(() => seen.includes('add one'), 'the initial list');
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'watched' }, data: { v: '1' } } });
    await eventually(() => seen.includes('add watched'), 'add');
    await core.replaceNamespacedConfigMap({ namespace: NS, name: 'watched', body: { metadata: { name: 'watched' }, data: { v: '2' } } });
    await eventually(() => seen.includes('update watched 2'), 'update');
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'watched' });
    await eventually(() => seen.includes('delete watched'), 'delete');
    expect(informer.get('watched', NS)).toBeUndefined();
    expect(informer.get('one', NS)?.data).toEqual({ a: '1', b: '2' });
    expect(errors).toEqual([]);
  } finally {
    await informer.stop();
  }
});
