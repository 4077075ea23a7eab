import { startCluster } from '../support/cluster.js';
import type { Cluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { request } from '../support/http.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ controllerManager: ['garbagecollector'] });
  for (const ns of ['gc', 'gc-other']) {
    const r = await request(c.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    expect(r.status).toBe(201);
  }
});
afterAll(async () => {
  await c?.stop();
});

const CM = (ns = 'gc') => `/api/v1/namespaces/${ns}/configmaps`;

interface Owner {
  name: string;
  uid: string;
}

async function createCM(name: string, owners: (Owner & { block?: boolean })[] = [], extra: Record<string, unknown> = {}, ns = 'gc'): Promise<Owner> {
  const ownerReferences = owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.name, uid: o.uid, ...(o.block ? { blockOwnerDeletion: true } : {}) }));
  const r = await request(c.url, 'POST', CM(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(owners.length ? { ownerReferences } : {}), ...extra } });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text}`);
  return { name, uid: r.json.metadata.uid };
}

async function gone(name: string, ns = 'gc'): Promise<boolean> {
  return (await request(c.url, 'GET', `${CM(ns)}/${name}`)).status === 404;
}

async function get(name: string, ns = 'gc') {
  const r = await request(c.url, 'GET', `${CM(ns)}/${name}`);
  return r.status === 200 ? r.json : undefined;
}

function withLogs<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: Error) => {
    throw new Error(`${err.message}\n${c.logs()}`);
  });
}

test('background: dependents of a deleted owner are deleted; an object with another live owner only loses the reference', async () => {
  const owner = await createCM('bg-owner');
  const other = await createCM('bg-other');
  await createCM('bg-dep-1', [owner]);
  await createCM('bg-dep-2', [owner]);
  await createCM('bg-shared', [owner, other]);
  const del = await request(c.url, 'DELETE', `${CM()}/bg-owner`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  expect(del.status).toBe(200);
  await withLogs(eventually('bg dependents deleted', async () => (await gone('bg-dep-1')) && (await gone('bg-dep-2'))));
  const shared = await withLogs(eventually('bg-shared loses its reference', async () => {
    const o = await get('bg-shared');
    return o && (o.metadata.ownerReferences ?? []).length === 1 ? o : undefined;
  }));
  expect(shared.metadata.ownerReferences.map((r: Owner) => r.uid)).toEqual([other.uid]);
});

test('foreground: the owner stays until dependents that block it are gone, then its finalizer is removed', async () => {
  const owner = await createCM('fg-owner');
  // The blocking dependent holds its own finalizer, so it lingers in deletion until the test lets it go.
  await createCM('fg-blocker', [{ ...owner, block: true }], { finalizers: ['example.com/hold'] });
  await createCM('fg-plain', [owner]);
  const del = await request(c.url, 'DELETE', `${CM()}/fg-owner?propagationPolicy=Foreground`);
  expect(del.status).toBe(200);
  expect(del.json.metadata.finalizers).toEqual(['foregroundDeletion']);

  await withLogs(eventually('fg dependents deleted or deleting', async () => (await gone('fg-plain')) && !!(await get('fg-blocker'))?.metadata.deletionTimestamp));
  const waiting = await get('fg-owner');
  expect(waiting.metadata.deletionTimestamp).toBeDefined();
  expect(waiting.metadata.finalizers).toEqual(['foregroundDeletion']);

  const blocker = await get('fg-blocker');
  const released = await request(c.url, 'PATCH', `${CM()}/fg-blocker`, { metadata: { finalizers: null, resourceVersion: blocker.metadata.resourceVersion } }, {
    'Content-Type': 'application/merge-patch+json',
  });
  expect(released.status).toBe(200);
  await withLogs(eventually('fg owner deleted', () => gone('fg-owner')));
});

test('foreground through three levels: the middle object is deleted in the foreground too, bottom up', async () => {
  const top = await createCM('chain-top');
  const mid = await createCM('chain-mid', [{ ...top, block: true }]);
  // The bottom holds a finalizer, so the chain visibly waits for it.
  await createCM('chain-bottom', [{ ...mid, block: true }], { finalizers: ['example.com/hold'] });
  expect((await request(c.url, 'DELETE', `${CM()}/chain-top?propagationPolicy=Foreground`)).status).toBe(200);
  const waitingMid = await withLogs(eventually('chain-mid deleting in the foreground', async () => {
    const m = await get('chain-mid');
    return m?.metadata.deletionTimestamp ? m : undefined;
  }));
  expect(waitingMid.metadata.finalizers).toEqual(['foregroundDeletion']);
  await withLogs(eventually('chain-bottom deleting', async () => !!(await get('chain-bottom'))?.metadata.deletionTimestamp));
  expect((await get('chain-top')).metadata.finalizers).toEqual(['foregroundDeletion']);
  await request(c.url, 'PATCH', `${CM()}/chain-bottom`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
  await withLogs(eventually('the whole chain is gone', async () => (await gone('chain-bottom')) && (await gone('chain-mid')) && (await gone('chain-top'))));
});

test('orphan (kubectl delete --cascade=orphan): dependents stay without the reference, then the owner goes', async () => {
  const owner = await createCM('or-owner');
  const keep = await createCM('or-keep');
  await createCM('or-dep', [owner, keep]);
  await createCM('or-dep-2', [owner]);
  const kubectl = await kubectlPath();
  const out = await runKubectl(kubectl, ['-n', 'gc', 'delete', 'configmap', 'or-owner', '--cascade=orphan'], { kubeconfig: c.kubeconfig });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  await withLogs(eventually('or-owner deleted', () => gone('or-owner')));
  const dep = await get('or-dep');
  expect(dep.metadata.ownerReferences.map((r: Owner) => r.uid)).toEqual([keep.uid]);
  const dep2 = await get('or-dep-2');
  expect(dep2).toBeDefined();
  expect(dep2.metadata.ownerReferences).toBeUndefined();
});

test('kubectl delete --cascade=foreground sends Foreground; the default sends Background', async () => {
  const kubectl = await kubectlPath();
  const owner = await createCM('kf-owner');
  await createCM('kf-dep', [{ ...owner, block: true }]);
  const out = await runKubectl(kubectl, ['-n', 'gc', 'delete', 'configmap', 'kf-owner', '--cascade=foreground', '--wait=false'], { kubeconfig: c.kubeconfig });
  expect(out.code).toBe(0);
  await withLogs(eventually('kf-owner and kf-dep deleted', async () => (await gone('kf-owner')) && (await gone('kf-dep'))));

  const owner2 = await createCM('kb-owner');
  await createCM('kb-dep', [owner2]);
  const out2 = await runKubectl(kubectl, ['-n', 'gc', 'delete', 'configmap', 'kb-owner'], { kubeconfig: c.kubeconfig });
  expect(out2.code).toBe(0);
  expect(await gone('kb-owner')).toBe(true);
  await withLogs(eventually('kb-dep deleted', () => gone('kb-dep')));
});

test('a dependent created after its owner was deleted is deleted', async () => {
  const owner = await createCM('late-owner');
  expect((await request(c.url, 'DELETE', `${CM()}/late-owner`)).status).toBe(200);
  await createCM('late-dep', [owner]);
  await withLogs(eventually('late-dep deleted', () => gone('late-dep')));
});

test('an owner reference to an object of another namespace does not resolve: the dependent is deleted', async () => {
  const owner = await createCM('xns-owner', [], {}, 'gc');
  await createCM('xns-dep', [owner], {}, 'gc-other');
  await withLogs(eventually('xns-dep deleted', () => gone('xns-dep', 'gc-other')));
  expect(await gone('xns-owner', 'gc')).toBe(false);
  const event = await withLogs(
    eventually('OwnerRefInvalidNamespace event', async () => {
      const r = await request(c.url, 'GET', '/api/v1/namespaces/gc-other/events?fieldSelector=reason%3DOwnerRefInvalidNamespace');
      return r.json.items?.[0];
    }),
  );
  expect(event.type).toBe('Warning');
  expect(event.involvedObject).toMatchObject({ kind: 'ConfigMap', name: 'xns-dep', namespace: 'gc-other' });
  expect(event.message).toBe(`ownerRef [v1/ConfigMap, namespace: gc-other, name: xns-owner, uid: ${owner.uid}] does not exist in namespace "gc-other"`);
  expect(event.source.component).toBe('garbage-collector-controller');
});

test('a namespaced dependent of a cluster-scoped owner stays while the owner lives and goes with it', async () => {
  const node = await request(c.url, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gc-owner-node' } });
  expect(node.status).toBe(201);
  const ref = [{ apiVersion: 'v1', kind: 'Node', name: 'gc-owner-node', uid: node.json.metadata.uid }];
  const r = await request(c.url, 'POST', CM(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'of-node', ownerReferences: ref } });
  expect(r.status).toBe(201);
  // A live owner: nothing happens to the dependent (checked after another GC action has completed).
  const o = await createCM('probe-owner');
  await createCM('probe-dep', [o]);
  await request(c.url, 'DELETE', `${CM()}/probe-owner`);
  await withLogs(eventually('probe-dep deleted', () => gone('probe-dep')));
  expect(await gone('of-node')).toBe(false);
  expect((await request(c.url, 'DELETE', '/api/v1/nodes/gc-owner-node')).status).toBe(200);
  await withLogs(eventually('of-node deleted', () => gone('of-node')));
});
