import { startCluster } from '../support/cluster.js';
import type { Cluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { request } from '../support/http.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ controllerManager: ['namespace', 'garbagecollector'] });
});
afterAll(async () => {
  await c?.stop();
});

function withLogs<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: Error) => {
    throw new Error(`${err.message}\n${c.logs()}`);
  });
}

async function create(path: string, body: unknown): Promise<void> {
  const r = await request(c.url, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
}

const podSpec = { containers: [{ name: 'c', image: 'busybox' }] };

async function fill(ns: string): Promise<void> {
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await create(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } });
  await create(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'b' } });
  await create(`/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } });
  await create(`/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: podSpec });
  await create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: podSpec } },
  });
  await create(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: {} });
}

const KINDS = ['/api/v1/namespaces/NS/configmaps', '/api/v1/namespaces/NS/secrets', '/api/v1/namespaces/NS/services', '/api/v1/namespaces/NS/pods', '/apis/apps/v1/namespaces/NS/deployments', '/apis/coordination.k8s.io/v1/namespaces/NS/leases'];

test('kubectl delete namespace returns once everything in it is deleted and the namespace is gone', async () => {
  await fill('doomed');
  const kubectl = await kubectlPath();
  const out = await runKubectl(kubectl, ['delete', 'namespace', 'doomed', '--timeout=60s'], { kubeconfig: c.kubeconfig, timeoutMs: 90_000 });
  if (out.code !== 0) throw new Error(`kubectl: ${out.code} ${out.stderr}\n${c.logs()}`);
  expect(out.stdout.trim()).toBe('namespace "doomed" deleted');
  expect((await request(c.url, 'GET', '/api/v1/namespaces/doomed')).status).toBe(404);
  for (const path of KINDS) {
    const list = await request(c.url, 'GET', path.replace('NS', 'doomed'));
    expect([path, list.json.items]).toEqual([path, []]);
  }
  // Recreating the name gives a new, empty, Active namespace.
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
  expect((await request(c.url, 'GET', '/api/v1/namespaces/doomed/configmaps')).json.items).toEqual([]);
});

test('content held by a finalizer keeps the namespace Terminating with the conditions upstream sets', async () => {
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'held' } });
  await create('/api/v1/namespaces/held/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stuck', finalizers: ['example.com/hold'] } });
  await create('/api/v1/namespaces/held/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'free' } });
  expect((await request(c.url, 'DELETE', '/api/v1/namespaces/held')).status).toBe(200);

  const ns = await withLogs(
    eventually('conditions on held', async () => {
      const r = await request(c.url, 'GET', '/api/v1/namespaces/held');
      const conds = r.json.status?.conditions ?? [];
      return conds.some((x: { type: string; status: string }) => x.type === 'NamespaceFinalizersRemaining' && x.status === 'True') ? r.json : undefined;
    }),
  );
  expect(ns.status.phase).toBe('Terminating');
  const byType = Object.fromEntries(ns.status.conditions.map((x: { type: string; status: string; reason: string; message: string }) => [x.type, [x.status, x.reason, x.message]]));
  expect(byType).toEqual({
    NamespaceDeletionDiscoveryFailure: ['False', 'ResourcesDiscovered', 'All resources successfully discovered'],
    NamespaceDeletionGroupVersionParsingFailure: ['False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'],
    NamespaceDeletionContentFailure: ['False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'],
    NamespaceContentRemaining: ['True', 'SomeResourcesRemain', 'Some resources are remaining: configmaps. has 1 resource instances'],
    NamespaceFinalizersRemaining: ['True', 'SomeFinalizersRemain', 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances'],
  });
  expect(ns.spec.finalizers).toEqual(['kubernetes']);
  expect((await request(c.url, 'GET', '/api/v1/namespaces/held/configmaps/free')).status).toBe(404);

  // Once the finalizer goes, the controller looks again (after half its 15 s estimate) and releases the namespace.
  const r = await request(c.url, 'PATCH', '/api/v1/namespaces/held/configmaps/stuck', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(r.status).toBe(200);
  await withLogs(eventually('held is gone', async () => (await request(c.url, 'GET', '/api/v1/namespaces/held')).status === 404, 40_000));
});
