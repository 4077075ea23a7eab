/**
 * Issue #5, end to end: two controller-managers on a cluster of separate processes; the leader is killed
 * with SIGKILL in the middle of a Deployment's rollout. The standby takes the Lease once it has expired and
 * finishes the rollout, and nothing is done twice: no second ReplicaSet for one template, no pod beyond
 * replicas + maxSurge at any event, no pod created again. (test/controllers/leader-election.test.ts covers
 * the garbage collector and namespace controller, and a leader paused past its lease.)
 */
import { jest } from '@jest/globals';
import { resources } from '../../src/client/index.js';
import type { ReplicaSet } from '../../src/client/index.js';
import type { RoleProcess } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { isReady, isTerminating, PodWatch, startE2E } from './cluster-support.js';
import type { E2ECluster } from './cluster-support.js';

jest.setTimeout(120_000);

// Short enough to keep the test quick, long enough that a leader on this loaded machine renews in time
// (with 4 s and a 3 s renew deadline, a renewal slowed by the start of every process lost the lease).
const LEASE_SECONDS = 8;
let e: E2ECluster;
beforeAll(async () => {
  e = await startE2E({
    simulatedNodes: 2,
    controllerManagerArgs: ['--leader-elect-lease-duration', `${LEASE_SECONDS}s`, '--leader-elect-renew-deadline', '6s', '--leader-elect-retry-period', '1s'],
  });
});
afterAll(async () => {
  await e?.stop();
});

function identityOf(p: RoleProcess): string | undefined {
  return /"started leading" identity="([^"]+)"/.exec(p.output())?.[1];
}

const withLogs = <T>(p: Promise<T>): Promise<T> =>
  p.catch((err: Error) => {
    throw new Error(`${err.message}\n${e.cluster.logs()}`);
  });

test('the leader killed mid-rollout: the standby takes over and finishes it, and nothing is created twice', async () => {
  const a = e.cluster.processes.find((p) => p.role === 'controller-manager')!;
  const idA = await withLogs(eventually('the first controller-manager leads', async () => identityOf(a)));
  const b = e.cluster.startControllerManager();
  await withLogs(eventually('the standby sees the leader', async () => b.output().includes(`"new leader elected" leader="${idA}"`)));

  const k = (...args: string[]) => e.k('-n', 'default', ...args);
  await k('create', 'deployment', 'web', '--image=nginx:1', '--replicas=4');
  await k('patch', 'deployment/web', '-p', '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}');
  await k('rollout', 'status', 'deployment/web', '--timeout=90s');
  expect(identityOf(b)).toBeUndefined();

  const replicaSets = new Map<string, ReplicaSet>();
  const rsClient = e.client.resource(resources.replicasets, 'default');
  const rsList = await rsClient.list();
  const stopRS = new AbortController();
  const rsDone = (async () => {
    for await (const ev of rsClient.watch({ resourceVersion: rsList.metadata.resourceVersion, signal: stopRS.signal })) {
      if (ev.type !== 'BOOKMARK') replicaSets.set(ev.object.metadata.uid!, ev.object);
    }
  })();
  for (const rs of rsList.items) replicaSets.set(rs.metadata.uid!, rs);
  const watch = new PodWatch(e.client, 'default', 'app=web');
  await watch.start();
  const oldPods = new Set([...watch.pods.values()].map((p) => p.metadata.uid));
  expect(oldPods.size).toBe(4);

  await k('set', 'image', 'deployment/web', 'nginx=nginx:2');
  // Kill the leader once the new ReplicaSet has its first pod, before the rollout can be done.
  await withLogs(eventually('a pod of the new template', async () => [...watch.pods.values()].some((p) => p.spec?.containers[0].image === 'nginx:2'), 30_000, 20));
  const killedAt = Date.now();
  await a.kill();
  const idB = await withLogs(eventually('the standby takes over', async () => identityOf(b), 30_000, 50));
  const takeoverMs = Date.now() - killedAt;
  expect(idB).not.toBe(idA);

  expect(await k('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('successfully rolled out');
  await withLogs(
    eventually('only the four new pods are active', async () => {
      const active = [...watch.pods.values()].filter((p) => !isTerminating(p));
      return active.length === 4 && active.every((p) => p.spec?.containers[0].image === 'nginx:2' && isReady(p));
    }, 60_000),
  );
  const samples = await watch.stop();
  stopRS.abort();
  await rsDone;
  process.stdout.write(`leader killed mid-rollout: the standby led ${takeoverMs} ms later (lease ${LEASE_SECONDS} s; measured, not asserted); ${samples.length} pod events\n`);

  // One ReplicaSet per template, and two in all.
  const owned = [...replicaSets.values()].filter((rs) => rs.metadata.labels?.app === 'web');
  expect(owned.map((rs) => rs.spec?.template?.spec?.containers[0].image).sort()).toEqual(['nginx:1', 'nginx:2']);
  // At every event: at most replicas + maxSurge pods active, never fewer than replicas Ready (maxUnavailable 0).
  const bad = samples.filter((s) => s.active > 4 + 1 || s.ready < 4);
  expect(bad.map((s) => `rv ${s.resourceVersion}: ${s.active} active, ${s.ready} ready; ${s.byOwner}`)).toEqual([]);
  // No pod was made twice: the old ReplicaSet made none, the new one exactly its four (none of which was deleted).
  const made = [...watch.seen.values()].filter((p) => !oldPods.has(p.metadata.uid));
  expect(made.map((p) => p.spec?.containers[0].image)).toEqual(['nginx:2', 'nginx:2', 'nginx:2', 'nginx:2']);
  expect(made.filter(isTerminating)).toEqual([]);
  // The Lease changed hands once.
  const lease = (await e.client.resource(resources.leases, 'kube-system').get('kube-controller-manager')).spec!;
  expect([lease.holderIdentity, lease.leaseTransitions]).toEqual([idB, 1]);
});
