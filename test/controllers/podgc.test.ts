import { startCluster } from '../support/cluster.js';
import type { Cluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { request } from '../support/http.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({
    controllerManager: ['podgc'],
    // Short periods instead of upstream's fixed 20 s and 40 s, so the test takes seconds.
    controllerManagerArgs: ['--pod-gc-check-period', '300ms', '--pod-gc-quarantine', '1s', '--terminated-pod-gc-threshold', '2'],
  });
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pgc' } });
  await create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  await create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } });
});
afterAll(async () => {
  await c?.stop();
});

const PODS = '/api/v1/namespaces/pgc/pods';

function withLogs<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: Error) => {
    throw new Error(`${err.message}\n${c.logs()}`);
  });
}

async function create(path: string, body: unknown): Promise<void> {
  const r = await request(c.url, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
}

async function pod(name: string, nodeName: string, extra: Record<string, unknown> = {}): Promise<void> {
  await create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...extra }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
}

async function exists(name: string): Promise<boolean> {
  return (await request(c.url, 'GET', `${PODS}/${name}`)).status === 200;
}

test('pods bound to a node that does not exist are marked Failed and deleted; pods on live nodes stay', async () => {
  await pod('on-n1', 'n1');
  await pod('on-ghost', 'ghost');
  // The finalizer keeps this one visible after the delete, to show what the collector wrote first.
  await pod('on-ghost-held', 'ghost', { finalizers: ['example.com/hold'] });
  await withLogs(eventually('on-ghost deleted', async () => !(await exists('on-ghost'))));
  const held = await withLogs(
    eventually('on-ghost-held marked', async () => {
      const r = await request(c.url, 'GET', `${PODS}/on-ghost-held`);
      return r.json.metadata.deletionTimestamp ? r.json : undefined;
    }),
  );
  expect(held.status.phase).toBe('Failed');
  expect(held.status.conditions).toEqual([
    expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' }),
  ]);
  expect(await exists('on-n1')).toBe(true);
  await request(c.url, 'PATCH', `${PODS}/on-ghost-held`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
});

test('when a node is deleted, its pods go after the quarantine', async () => {
  await pod('on-n2', 'n2');
  expect((await request(c.url, 'DELETE', '/api/v1/nodes/n2')).status).toBe(200);
  await withLogs(eventually('on-n2 deleted', async () => !(await exists('on-n2'))));
});

test('terminated pods over the threshold are deleted, oldest first; running ones are not counted', async () => {
  for (const name of ['t1', 't2', 't3', 't4']) {
    await pod(name, 'n1');
    const cur = (await request(c.url, 'GET', `${PODS}/${name}`)).json;
    const r = await request(c.url, 'PUT', `${PODS}/${name}/status`, { ...cur, status: { phase: 'Succeeded' } });
    expect(r.status).toBe(200);
  }
  await withLogs(eventually('two terminated pods deleted', async () => !(await exists('t1')) && !(await exists('t2'))));
  expect(await exists('t3')).toBe(true);
  expect(await exists('t4')).toBe(true);
  expect(await exists('on-n1')).toBe(true);
});
