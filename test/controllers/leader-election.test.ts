import { startCluster } from '../support/cluster.js';
import type { Cluster, RoleProcess } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { request } from '../support/http.js';

/**
 * Two controller-managers on one cluster: only the holder of the Lease kube-system/kube-controller-manager
 * acts; after the holder is killed with SIGKILL (no release), the standby takes the Lease once it has
 * expired and does the work, and no piece of work is done twice.
 */
let c: Cluster;
afterAll(async () => {
  await c?.stop();
});

const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager';

function identityOf(p: RoleProcess): string | undefined {
  return /"started leading" identity="([^"]+)"/.exec(p.output())?.[1];
}

function actions(p: RoleProcess): string[] {
  return p.output().split('\n').filter((l) => l.includes('garbage collector: deleting object') || l.includes('namespace emptied and finalized'));
}

function withLogs<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: Error) => {
    throw new Error(`${err.message}\n${c.logs()}`);
  });
}

async function create(path: string, body: unknown): Promise<string> {
  const r = await request(c.url, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return r.json.metadata.uid;
}

/** An owner with three dependents, and a namespace, all deleted; resolves when the controllers have cleaned up. */
async function work(tag: string): Promise<void> {
  const cms = '/api/v1/namespaces/default/configmaps';
  const uid = await create(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${tag}-owner` } });
  for (const i of [1, 2, 3]) {
    await create(cms, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${tag}-dep-${i}`, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: `${tag}-owner`, uid }] },
    });
  }
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${tag}-ns` } });
  await create(`/api/v1/namespaces/${tag}-ns/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inside' } });
  expect((await request(c.url, 'DELETE', `${cms}/${tag}-owner`)).status).toBe(200);
  expect((await request(c.url, 'DELETE', `/api/v1/namespaces/${tag}-ns`)).status).toBe(200);
  await withLogs(
    eventually(`${tag}: dependents and namespace gone`, async () => {
      for (const i of [1, 2, 3]) if ((await request(c.url, 'GET', `${cms}/${tag}-dep-${i}`)).status !== 404) return false;
      return (await request(c.url, 'GET', `/api/v1/namespaces/${tag}-ns`)).status === 404;
    }, 60_000),
  );
}

test('the standby takes over after the leader is killed, and nothing is done twice', async () => {
  const fast = ['--leader-elect-lease-duration', '8s', '--leader-elect-renew-deadline', '6s', '--leader-elect-retry-period', '1s'];
  c = await startCluster({ controllerManager: ['garbagecollector', 'namespace'], controllerManagerArgs: fast });
  const a = c.processes[0];
  const idA = await withLogs(eventually('first controller-manager leads', async () => identityOf(a)));
  const b = c.startControllerManager();
  // The standby has read the Lease and knows who leads.
  await withLogs(eventually('standby sees the leader', async () => b.output().includes(`"new leader elected" leader="${idA}"`)));

  await work('one');
  expect(identityOf(b)).toBeUndefined();
  expect(actions(b)).toEqual([]);
  const byA = actions(a);
  for (const i of [1, 2, 3]) expect(byA.filter((l) => l.includes(`name="one-dep-${i}"`))).toHaveLength(1);
  expect(byA.filter((l) => l.includes('namespace="one-ns"'))).toHaveLength(1);

  const before = (await request(c.url, 'GET', LEASE)).json;
  expect(before.spec.holderIdentity).toBe(idA);
  await a.kill();
  const idB = await withLogs(eventually('standby takes over', async () => identityOf(b), 30_000));
  expect(idB).not.toBe(idA);
  const after = (await request(c.url, 'GET', LEASE)).json;
  expect(after.spec.holderIdentity).toBe(idB);
  expect(after.spec.leaseTransitions).toBe((before.spec.leaseTransitions ?? 0) + 1);
  // The new leader took the Lease only after the old one's record went unrenewed for the lease duration.
  expect(Date.parse(after.spec.acquireTime) - Date.parse(before.spec.renewTime)).toBeGreaterThanOrEqual(0);

  await work('two');
  const all = [...actions(a), ...actions(b)];
  for (const tag of ['one', 'two']) {
    for (const i of [1, 2, 3]) expect([tag, i, all.filter((l) => l.includes(`name="${tag}-dep-${i}"`)).length]).toEqual([tag, i, 1]);
    expect([tag, all.filter((l) => l.includes(`namespace="${tag}-ns"`)).length]).toEqual([tag, 1]);
  }
  // Nothing from the first round was redone by the new leader.
  expect(actions(b).filter((l) => l.includes('one-'))).toEqual([]);
});

test('a leader that was paused past its lease finds the Lease taken when it wakes, and exits', async () => {
  // Continues on the cluster above: the second controller-manager leads now.
  const b = c.processes[1];
  const idB = identityOf(b)!;
  const d = c.startControllerManager();
  await withLogs(eventually('a new standby sees the leader', async () => d.output().includes(`"new leader elected" leader="${idB}"`)));
  b.expectExit();
  b.child.kill('SIGSTOP');
  try {
    await withLogs(eventually('the standby takes over from the paused leader', async () => identityOf(d), 30_000));
  } finally {
    b.child.kill('SIGCONT');
  }
  expect(await b.exited).toBe(1);
  expect(b.output()).toContain('"leaderelection lost"');
  expect((await request(c.url, 'GET', LEASE)).json.spec.holderIdentity).toBe(identityOf(d));
});
