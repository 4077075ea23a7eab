/**
 * Issue #5, end to end with kubectl 1.33 against apiserver, controller-manager, scheduler and a simulated
 * agent as separate processes: `kubectl delete deployment` with each cascade policy, `kubectl delete
 * namespace`, and a pod no node can take staying Pending with its FailedScheduling event.
 */
import { jest } from '@jest/globals';
import { resources } from '../../src/client/index.js';
import { eventually } from '../support/eventually.js';
import { isReady, rows, startE2E } from './cluster-support.js';
import type { E2ECluster } from './cluster-support.js';

jest.setTimeout(120_000);

let e: E2ECluster;
beforeAll(async () => {
  e = await startE2E({ simulatedNodes: 2 });
  await e.k('create', 'namespace', 'del');
});
afterAll(async () => {
  await e?.stop();
});

/**
 * A Deployment whose containers get 1 s to stop (simulated containers take the whole grace period, as
 * processes that ignore SIGTERM), rolled out.
 */
async function deploy(ns: string, name: string, replicas = 2): Promise<void> {
  await e.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'nginx', image: 'nginx' }] },
      },
    },
  });
  await e.k('-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=90s');
}

async function left(ns: string, app: string): Promise<{ rs: string[]; pods: string[] }> {
  const rs = (await e.client.resource(resources.replicasets, ns).list({ labelSelector: `app=${app}` })).items;
  const pods = (await e.client.resource(resources.pods, ns).list({ labelSelector: `app=${app}` })).items;
  return { rs: rs.map((r) => r.metadata.name!), pods: pods.map((p) => p.metadata.name!) };
}

const gone = (ns: string, app: string) =>
  eventually(`${app}: ReplicaSets and pods gone`, async () => {
    const l = await left(ns, app);
    return l.rs.length === 0 && l.pods.length === 0;
  }, 60_000);

test('delete deployment --cascade=background removes its ReplicaSets and pods', async () => {
  await deploy('del', 'bg');
  expect((await left('del', 'bg')).pods).toHaveLength(2);
  expect(await e.k('-n', 'del', 'delete', 'deployment', 'bg', '--cascade=background')).toContain('deployment.apps "bg" deleted');
  // Background: the Deployment goes at once, the garbage collector takes the rest.
  expect((await e.run(['-n', 'del', 'get', 'deployment', 'bg'])).stderr).toContain('deployments.apps "bg" not found');
  await gone('del', 'bg');
});

test('delete deployment --cascade=foreground returns once its ReplicaSets and pods are gone', async () => {
  await deploy('del', 'fg');
  const rsName = (await left('del', 'fg')).rs[0];
  // kubectl waits for the Deployment to go, which it does only after its dependents (blockOwnerDeletion).
  expect(await e.k('-n', 'del', 'delete', 'deployment', 'fg', '--cascade=foreground')).toContain('deployment.apps "fg" deleted');
  expect((await e.run(['-n', 'del', 'get', 'deployment', 'fg'])).stderr).toContain('not found');
  expect((await e.run(['-n', 'del', 'get', 'rs', rsName])).stderr).toContain(`replicasets.apps "${rsName}" not found`);
  // Foreground's blocking stops at what the ReplicaSet's pods block on: pods may still be terminating.
  await gone('del', 'fg');
});

test('delete deployment --cascade=orphan leaves its ReplicaSet and pods, without an owner', async () => {
  await deploy('del', 'orph');
  const before = await left('del', 'orph');
  expect(await e.k('-n', 'del', 'delete', 'deployment', 'orph', '--cascade=orphan')).toContain('deployment.apps "orph" deleted');
  expect((await e.run(['-n', 'del', 'get', 'deployment', 'orph'])).stderr).toContain('not found');
  // Give the controllers time to do anything they would wrongly do, then look.
  await new Promise((r) => setTimeout(r, 3000));
  const after = await left('del', 'orph');
  expect(after).toEqual(before);
  const rs = await e.client.resource(resources.replicasets, 'del').get(before.rs[0]);
  expect(rs.metadata.ownerReferences ?? []).toEqual([]);
  const pods = (await e.client.resource(resources.pods, 'del').list({ labelSelector: 'app=orph' })).items;
  expect(pods.map((p) => [isReady(p), !p.metadata.deletionTimestamp])).toEqual([
    [true, true],
    [true, true],
  ]);
  // The orphaned ReplicaSet stays whole and ready.
  expect(rows(await e.k('-n', 'del', 'get', 'rs', before.rs[0]))[0].slice(1, 4)).toEqual(['2', '2', '2']);
});

test('delete namespace empties it and removes it', async () => {
  await e.k('create', 'namespace', 'doomed');
  await deploy('doomed', 'app', 3);
  await e.k('-n', 'doomed', 'create', 'configmap', 'settings', '--from-literal=a=b');
  await e.k('-n', 'doomed', 'create', 'service', 'clusterip', 'app', '--tcp=80:80');
  expect(await e.k('delete', 'namespace', 'doomed', '--timeout=90s')).toContain('namespace "doomed" deleted');
  const r = await e.run(['get', 'namespace', 'doomed']);
  expect([r.code, r.stderr.trim()]).toEqual([1, 'Error from server (NotFound): namespaces "doomed" not found']);
  expect((await e.client.resource(resources.pods).list({ fieldSelector: 'metadata.namespace=doomed' })).items).toEqual([]);
});

test('a pod no node can take stays Pending, and describe shows FailedScheduling', async () => {
  await e.k('-n', 'del', 'run', 'nowhere', '--image=nginx', '--overrides={"apiVersion":"v1","spec":{"nodeSelector":{"disk":"quantum"}}}');
  const ev = await eventually('a FailedScheduling event', async () => {
    const out = await e.k('-n', 'del', 'describe', 'pod', 'nowhere');
    return out.includes('FailedScheduling') && out;
  }, 30_000);
  expect(ev).toMatch(/^Status:\s+Pending$/m);
  expect(ev).toMatch(/^Node:\s+<none>$/m);
  expect(ev).toMatch(/^Node-Selectors:\s+disk=quantum$/m);
  // Upstream's message for two nodes that both fail the node affinity filter.
  expect(ev).toMatch(/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\. preemption: 0\/2 nodes are available: 2 Preemption is not helpful for scheduling\./);
  const pod = await e.client.resource(resources.pods, 'del').get('nowhere');
  expect(pod.status?.phase).toBe('Pending');
  expect(pod.spec?.nodeName).toBeUndefined();
  expect(pod.status?.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' })]);
});

test('a ReplicationController keeps its pods, scales, and takes them along when deleted', async () => {
  await e.apply({
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'legacy', namespace: 'del' },
    spec: {
      replicas: 2,
      selector: { app: 'legacy' },
      template: { metadata: { labels: { app: 'legacy' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'nginx', image: 'nginx' }] } },
    },
  });
  const readyPods = async () => (await e.client.resource(resources.pods, 'del').list({ labelSelector: 'app=legacy' })).items.filter((p) => isReady(p) && !p.metadata.deletionTimestamp);
  await eventually('two Ready pods', async () => (await readyPods()).length === 2);
  expect(await e.k('-n', 'del', 'scale', 'rc/legacy', '--replicas=3')).toContain('replicationcontroller/legacy scaled');
  await eventually('three Ready pods', async () => (await readyPods()).length === 3);
  expect(rows(await e.k('-n', 'del', 'get', 'rc', 'legacy'))).toEqual([['legacy', '3', '3', '3', expect.any(String)]]);
  expect(await e.k('-n', 'del', 'delete', 'rc', 'legacy')).toContain('replicationcontroller "legacy" deleted');
  await gone('del', 'legacy');
});
