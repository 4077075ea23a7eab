import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_RESOURCES, GROUP_VERSIONS } from '../../src/registry/catalog.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request, watch } from '../support/http.js';

const here = dirname(fileURLToPath(import.meta.url));
const REFERENCE = resolve(here, '../../../shared/reference/kubernetes-1.33/openapi/v3');
const haveReference = existsSync(REFERENCE);

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, 'cat');
});
afterAll(async () => {
  await f.close();
});

const METHOD_OF: Record<string, string> = { get: 'GET', list: 'GET', watch: 'GET', watchlist: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', delete: 'DELETE', deletecollection: 'DELETE' };

interface PathCase {
  path: string;
  method: string;
  action: string;
}

/** Every (path, method) kube-apiserver 1.33 serves for our group-versions, from its OpenAPI v3 description. */
function referenceCases(): PathCase[] {
  const cases: PathCase[] = [];
  for (const gv of GROUP_VERSIONS) {
    const file = gv === 'v1' ? 'api__v1_openapi.json' : `apis__${gv.replace('/', '__')}_openapi.json`;
    const doc = JSON.parse(readFileSync(join(REFERENCE, file), 'utf8')) as { paths: Record<string, Record<string, { 'x-kubernetes-action'?: string }>> };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        const action = item[method]?.['x-kubernetes-action'];
        if (!action) continue;
        cases.push({ path, method: action === 'connect' ? method.toUpperCase() : METHOD_OF[action] ?? method.toUpperCase(), action });
      }
    }
  }
  return cases;
}

function concrete(path: string): string {
  return path.replace('{namespace}', 'cat').replace('{name}', 'nothing-here').replace('{path}', 'x');
}

function isWatch(c: PathCase): boolean {
  return c.action === 'watch' || c.action === 'watchlist';
}

function bodyFor(c: PathCase): unknown {
  if (c.method === 'PATCH') return '{}';
  if (c.method === 'POST' || c.method === 'PUT') return {};
  return undefined;
}

(haveReference ? test : test.skip)('every path and verb kube-apiserver 1.33 serves for these group-versions is routed (no route 404)', async () => {
  const cases = referenceCases();
  expect(cases.length).toBeGreaterThan(500);
  const missing: string[] = [];
  const check = async (c: PathCase) => {
    const path = concrete(c.path);
    if (isWatch(c)) {
      // A watch answers 200 and streams: its headers are enough.
      const w = await watch(f.base, path);
      w.close();
      if (w.status === 404) missing.push(`WATCH ${c.path} -> 404`);
      return;
    }
    const headers: Record<string, string> = c.method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : {};
    const r = await request(f.base, c.method, path, bodyFor(c), headers);
    // A 404 is fine when it is about the object ("nothing-here" does not exist), not about the route.
    const routeMissing = r.status === 404 && (r.json?.details?.name === undefined || r.json?.message === 'the server could not find the requested resource');
    if (routeMissing) missing.push(`${c.method} ${c.path} -> ${r.status} ${r.text.slice(0, 120)}`);
  };
  for (let i = 0; i < cases.length; i += 16) await Promise.all(cases.slice(i, i + 16).map(check));
  expect(missing).toEqual([]);
});

test('the generated table covers every group-version asked for, with subresource kinds', () => {
  const gvs = new Set(BUILTIN_RESOURCES.map((r) => (r.group ? `${r.group}/${r.version}` : r.version)));
  for (const gv of GROUP_VERSIONS) expect(gvs.has(gv)).toBe(true);
  const deployments = BUILTIN_RESOURCES.find((r) => r.group === 'apps' && r.plural === 'deployments')!;
  expect(deployments.subresourceDefinitions).toContainEqual({ name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  const pods = BUILTIN_RESOURCES.find((r) => r.group === '' && r.plural === 'pods')!;
  expect(pods.subresources).toEqual(expect.arrayContaining(['status', 'log', 'exec', 'eviction', 'binding', 'portforward', 'attach', 'proxy']));
  expect(pods.shortNames).toEqual(['po']);
  expect(pods.categories).toEqual(['all']);
  const ssar = BUILTIN_RESOURCES.find((r) => r.plural === 'selfsubjectaccessreviews')!;
  expect(ssar.stored).toBe(false);
  expect(ssar.verbs).toEqual(['create']);
});

interface Sample {
  path: string;
  obj: Record<string, unknown>;
}

const SAMPLES: Sample[] = [
  {
    path: '/apis/batch/v1/namespaces/cat/jobs',
    obj: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j1' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
  },
  {
    path: '/apis/rbac.authorization.k8s.io/v1/namespaces/cat/roles',
    obj: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r1' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
  },
  {
    path: '/apis/networking.k8s.io/v1/namespaces/cat/ingresses',
    obj: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i1' }, spec: { defaultBackend: { service: { name: 's', port: { number: 80 } } } } },
  },
  {
    path: '/apis/coordination.k8s.io/v1/namespaces/cat/leases',
    obj: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l1' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } },
  },
  {
    path: '/apis/scheduling.k8s.io/v1/priorityclasses',
    obj: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 },
  },
  {
    path: '/apis/policy/v1/namespaces/cat/poddisruptionbudgets',
    obj: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p1' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'x' } } } },
  },
  {
    path: '/apis/storage.k8s.io/v1/storageclasses',
    obj: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'example.com/x' },
  },
  {
    path: '/apis/discovery.k8s.io/v1/namespaces/cat/endpointslices',
    obj: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e1' }, addressType: 'IPv4', endpoints: [] },
  },
];

test.each(SAMPLES)('create, get, list and delete work for $obj.kind', async ({ path, obj }) => {
  const name = (obj.metadata as { name: string }).name;
  const c = await request(f.base, 'POST', path, obj);
  expect(c.status).toBe(201);
  expect(c.json.kind).toBe(obj.kind);
  expect(c.json.metadata.uid).toBeDefined();
  const g = await request(f.base, 'GET', `${path}/${name}`);
  expect(g.status).toBe(200);
  expect(g.json).toEqual(c.json);
  const l = await request(f.base, 'GET', path);
  expect(l.status).toBe(200);
  expect(l.json.kind).toBe(`${obj.kind as string}List`);
  expect(l.json.apiVersion).toBe(obj.apiVersion);
  expect(l.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain(name);
  // Background, as kubectl sends: without a policy a batch/v1 Job would orphan its pods and wait for the
  // garbage collector to remove its orphan finalizer (deletion-finalizers.test.ts).
  const d = await request(f.base, 'DELETE', `${path}/${name}?propagationPolicy=Background`);
  expect(d.status).toBe(200);
  expect((await request(f.base, 'GET', `${path}/${name}`)).status).toBe(404);
});

describe('kinds that are not stored', () => {
  test('selfsubjectreviews answer the request user', async () => {
    const r = await request(f.base, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(r.status).toBe(201);
    expect(r.json.kind).toBe('SelfSubjectReview');
    expect(r.json.status.userInfo.username).toBe('system:admin');
    expect(r.json.status.userInfo.groups).toContain('system:masters');
  });

  test('selfsubjectaccessreviews allow an authenticated user and validate the spec', async () => {
    const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    const r = await request(f.base, 'POST', path, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
    });
    expect(r.status).toBe(201);
    expect(r.json.status.allowed).toBe(true);
    expect(r.json.spec.resourceAttributes.resource).toBe('pods');
    const bad = await request(f.base, 'POST', path, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} });
    expect(bad.status).toBe(422);
    expect(bad.json.reason).toBe('Invalid');
  });

  test('they are not stored: get and list are 405', async () => {
    const r = await request(f.base, 'GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect(r.status).toBe(405);
    expect(r.json.reason).toBe('MethodNotAllowed');
  });

  test('tokenreviews answer a clear 405 Status until token authentication exists', async () => {
    const r = await request(f.base, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'x' } });
    expect(r.status).toBe(405);
    expect(r.json.kind).toBe('Status');
    expect(r.json.message).toMatch(/not supported by this server yet/);
  });

  test('componentstatuses list is empty', async () => {
    const r = await request(f.base, 'GET', '/api/v1/componentstatuses');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items: [] });
  });
});

describe('subresources', () => {
  const deploy = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
  const D = '/apis/apps/v1/namespaces/cat/deployments';

  test('scale: get, put and merge patch', async () => {
    expect((await request(f.base, 'POST', D, deploy)).status).toBe(201);
    const g = await request(f.base, 'GET', `${D}/web/scale`);
    expect(g.status).toBe(200);
    expect(g.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'cat' }, spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=web' } });
    const put = await request(f.base, 'PUT', `${D}/web/scale`, { ...g.json, spec: { replicas: 4 } });
    expect(put.status).toBe(200);
    expect(put.json.spec.replicas).toBe(4);
    const p = await request(f.base, 'PATCH', `${D}/web/scale`, '{"spec":{"replicas":3}}', { 'Content-Type': 'application/merge-patch+json' });
    expect(p.status).toBe(200);
    expect(p.json.spec.replicas).toBe(3);
    const d = await request(f.base, 'GET', `${D}/web`);
    expect(d.json.spec.replicas).toBe(3);
    const stale = await request(f.base, 'PUT', `${D}/web/scale`, { ...g.json, spec: { replicas: 5 } });
    expect(stale.status).toBe(409);
  });

  test('binding and eviction of a pod', async () => {
    const P = '/api/v1/namespaces/cat/pods';
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    expect((await request(f.base, 'POST', P, pod)).status).toBe(201);
    const b = await request(f.base, 'POST', `${P}/p1/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n1' } });
    expect(b.status).toBe(201);
    expect(b.json.status).toBe('Success');
    const got = await request(f.base, 'GET', `${P}/p1`);
    expect(got.json.spec.nodeName).toBe('n1');
    expect(got.json.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const again = await request(f.base, 'POST', `${P}/p1/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { name: 'n2' } });
    expect(again.status).toBe(409);
    const e = await request(f.base, 'POST', `${P}/p1/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1', namespace: 'cat' } });
    expect(e.status).toBe(201);
    // The pod is on a node: the eviction deletes it gracefully (its kubelet finishes the deletion).
    const evicted = await request(f.base, 'GET', `${P}/p1`);
    expect(evicted.status).toBe(200);
    expect(evicted.json.metadata.deletionTimestamp).toBeTruthy();
    expect(evicted.json.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await request(f.base, 'DELETE', `${P}/p1?gracePeriodSeconds=0`)).status).toBe(200);
    expect((await request(f.base, 'GET', `${P}/p1`)).status).toBe(404);
  });

  test('subresources not implemented yet answer a 405 Status; unknown ones are 404', async () => {
    const log = await request(f.base, 'GET', '/api/v1/namespaces/cat/pods/p1/log');
    expect(log.status).toBe(405);
    expect(log.json.message).toBe('get on "pods/log" is not supported by this server yet');
    const exec = await request(f.base, 'POST', '/api/v1/namespaces/cat/pods/p1/exec?command=ls');
    expect(exec.status).toBe(405);
    expect((await request(f.base, 'GET', '/api/v1/namespaces/cat/pods/p1/nonsense')).status).toBe(404);
    expect((await request(f.base, 'GET', '/api/v1/namespaces/cat/configmaps/x/status')).status).toBe(404);
  });
});

describe('discovery', () => {
  test('legacy /api/v1 lists subresources with their kinds', async () => {
    const r = await request(f.base, 'GET', '/api/v1');
    const byName = new Map<string, Record<string, unknown>>(r.json.resources.map((e: { name: string }) => [e.name, e]));
    expect(byName.get('pods')).toMatchObject({ singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] });
    expect(byName.get('pods/eviction')).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    expect(byName.get('pods/status')).toEqual({ name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    const apps = await request(f.base, 'GET', '/apis/apps/v1');
    const scale = apps.json.resources.find((e: { name: string }) => e.name === 'deployments/scale');
    expect(scale).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  });

  test('/apis lists every group, autoscaling with v2 preferred', async () => {
    const r = await request(f.base, 'GET', '/apis');
    const names = r.json.groups.map((g: { name: string }) => g.name);
    for (const gv of GROUP_VERSIONS.filter((v) => v.includes('/'))) expect(names).toContain(gv.split('/')[0]);
    const autoscaling = r.json.groups.find((g: { name: string }) => g.name === 'autoscaling');
    expect(autoscaling.preferredVersion.version).toBe('v2');
    expect(autoscaling.versions.map((v: { version: string }) => v.version)).toEqual(['v2', 'v1']);
    for (const gv of GROUP_VERSIONS.filter((v) => v.includes('/'))) expect((await request(f.base, 'GET', `/apis/${gv}`)).status).toBe(200);
  });

  test('aggregated discovery is negotiated on Accept, with an ETag', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const r = await request(f.base, 'GET', '/apis', undefined, { Accept: accept });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(r.json.kind).toBe('APIGroupDiscoveryList');
    const apps = r.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((x: { resource: string }) => x.resource === 'deployments');
    expect(deployments).toMatchObject({ scope: 'Namespaced', singularResource: 'deployment', shortNames: ['deploy'], categories: ['all'] });
    expect(deployments.subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    const etag = r.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await request(f.base, 'GET', '/apis', undefined, { Accept: accept, 'If-None-Match': etag });
    expect(again.status).toBe(304);

    const beta = await request(f.base, 'GET', '/api', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' });
    expect(beta.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    expect(beta.json.apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    expect(beta.json.items).toHaveLength(1);
    expect(beta.json.items[0].versions[0].resources.map((x: { resource: string }) => x.resource)).toContain('pods');

    const legacy = await request(f.base, 'GET', '/api', undefined, { Accept: 'application/json' });
    expect(legacy.json.kind).toBe('APIVersions');
  });
});
