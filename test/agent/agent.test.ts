import { Agent, EXIT_CODE_ANNOTATION, SimulatedRuntime } from '../../src/agent/index.js';
import { Client, isNotFound, resources } from '../../src/client/index.js';
import type { Lease, Node, Pod } from '../../src/client/index.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { eventually } from '../support/eventually.js';

let f: ApiFixture;
let client: Client;
const stop = new AbortController();
let running: Promise<void>;

beforeAll(async () => {
  f = await apiFixture();
  client = new Client({ server: f.base, qps: 1000, burst: 1000 });
  const agent = new Agent({
    client,
    runtime: new SimulatedRuntime({ podStartDelayMs: 100 }),
    nodes: [
      { name: 'sim-0', cpu: '8', memory: '16Gi', pods: '110' },
      { name: 'sim-1', cpu: '8', memory: '16Gi', pods: '110' },
    ],
    leaseRenewMs: 500,
  });
  running = agent.run(stop.signal);
});

afterAll(async () => {
  stop.abort();
  await running;
  await client.close();
  await f.close();
});

const pods = () => client.resource(resources.pods, 'default');

function pod(name: string, spec: Partial<NonNullable<Pod['spec']>> = {}, annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec },
  };
}

test('simulated nodes register Ready with the kubelet conditions, and renew their leases in kube-node-lease', async () => {
  const node = await eventually('node sim-1 Ready', async () => {
    const n = await client.resource(resources.nodes).get('sim-1');
    return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && n;
  });
  expect(node.status?.capacity).toMatchObject({ cpu: '8', memory: '16Gi', pods: '110' });
  expect(node.status?.allocatable).toMatchObject({ cpu: '8', memory: '16Gi', pods: '110' });
  expect(node.metadata.labels?.['kubernetes.io/hostname']).toBe('sim-1');
  expect(node.spec?.podCIDR).toBe('10.244.1.0/24');
  expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.33/);
  expect(node.status?.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);
  const conditions = Object.fromEntries((node.status?.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
  expect(conditions).toEqual({
    MemoryPressure: ['False', 'KubeletHasSufficientMemory'],
    DiskPressure: ['False', 'KubeletHasNoDiskPressure'],
    PIDPressure: ['False', 'KubeletHasSufficientPID'],
    Ready: ['True', 'KubeletReady'],
  });

  const events = await eventually('NodeReady event', async () => {
    const list = (await client.resource(resources.events, 'default').list()).items.filter((e) => e.involvedObject.kind === 'Node' && e.involvedObject.name === 'sim-1');
    return list.some((e) => e.reason === 'NodeReady') && list;
  });
  expect(events.map((e) => e.reason).sort()).toEqual(['NodeHasNoDiskPressure', 'NodeHasSufficientMemory', 'NodeHasSufficientPID', 'NodeReady']);
  expect(events.find((e) => e.reason === 'NodeReady')).toMatchObject({ type: 'Normal', message: 'Node sim-1 status is now: NodeReady', source: { component: 'kubelet', host: 'sim-1' } });

  const leases = client.resource(resources.leases, 'kube-node-lease');
  const first: Lease = await eventually('lease sim-1', () => leases.get('sim-1').catch(() => undefined));
  expect(first.spec).toMatchObject({ holderIdentity: 'sim-1', leaseDurationSeconds: 40 });
  expect(first.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'sim-1', uid: node.metadata.uid }]);
  const renewed = await eventually('a renewal', async () => {
    const l = await leases.get('sim-1');
    return l.spec?.renewTime !== first.spec?.renewTime && l;
  });
  expect(Date.parse(renewed.spec!.renewTime!)).toBeGreaterThan(Date.parse(first.spec!.renewTime!));
});

test('a pod bound to a simulated node becomes Running and Ready', async () => {
  await eventually('node sim-0', () => client.resource(resources.nodes).get('sim-0').catch(() => undefined));
  await pods().create(pod('web', { nodeName: 'sim-0', containers: [{ name: 'main', image: 'nginx:1.27', resources: { requests: { cpu: '100m' } } }] }));
  const p = await eventually('web Ready', async () => {
    const got = await pods().get('web');
    return got.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && got;
  });
  const st = p.status!;
  expect(st.phase).toBe('Running');
  expect(st.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
    'PodReadyToStartContainers=True',
    'Initialized=True',
    'Ready=True',
    'ContainersReady=True',
    'PodScheduled=True',
  ]);
  expect(st.podIP).toMatch(/^10\.244\.0\.\d+$/);
  expect(st.podIPs).toEqual([{ ip: st.podIP }]);
  expect(st.hostIP).toBeTruthy();
  expect(st.startTime).toBeTruthy();
  expect(st.qosClass).toBe('Burstable');
  const c = st.containerStatuses![0];
  expect(c).toMatchObject({ name: 'main', ready: true, started: true, restartCount: 0, image: 'docker.io/library/nginx:1.27' });
  expect(c.containerID).toMatch(/^simulated:\/\/[0-9a-f]{64}$/);
  expect(c.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  expect(c.state?.running?.startedAt).toBeTruthy();
});

test('pods with restartPolicy Never run to completion with the exit code the annotation gives', async () => {
  await pods().create(pod('ok', { nodeName: 'sim-1', restartPolicy: 'Never' }, { [EXIT_CODE_ANNOTATION]: '0' }));
  await pods().create(pod('bad', { nodeName: 'sim-1', restartPolicy: 'Never' }, { [EXIT_CODE_ANNOTATION]: '3' }));
  const ok = await eventually('ok Succeeded', async () => {
    const got = await pods().get('ok');
    return got.status?.phase === 'Succeeded' && got;
  });
  expect(ok.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  expect(ok.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  const bad = await eventually('bad Failed', async () => {
    const got = await pods().get('bad');
    return got.status?.phase === 'Failed' && got;
  });
  expect(bad.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
});

test('deleting a pod on a node marks it; the agent removes it after the grace period; an unbound pod goes at once', async () => {
  await pods().create(pod('graceful', { nodeName: 'sim-0', terminationGracePeriodSeconds: 2 }));
  await eventually('graceful Running', async () => (await pods().get('graceful')).status?.phase === 'Running');
  const marked = (await pods().delete('graceful')) as Pod;
  expect(marked.metadata.deletionTimestamp).toBeTruthy();
  expect(marked.metadata.deletionGracePeriodSeconds).toBe(2);
  // Still there while the grace period runs.
  expect((await pods().get('graceful')).metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
  // A second delete without a shorter period changes nothing.
  expect(((await pods().delete('graceful')) as Pod).metadata.deletionGracePeriodSeconds).toBe(2);
  await eventually('graceful removed', () => pods().get('graceful').then(() => false, (e: unknown) => isNotFound(e)));

  await pods().create(pod('unbound'));
  await pods().delete('unbound');
  await expect(pods().get('unbound')).rejects.toMatchObject({ code: 404 });
});

test('a delete with a shorter grace period shortens it', async () => {
  await pods().create(pod('slow', { nodeName: 'sim-1', terminationGracePeriodSeconds: 300 }));
  await eventually('slow Running', async () => (await pods().get('slow')).status?.phase === 'Running');
  const marked = (await pods().delete('slow')) as Pod;
  expect(marked.metadata.deletionGracePeriodSeconds).toBe(300);
  const shorter = (await pods().delete('slow', { gracePeriodSeconds: 1 })) as Pod;
  expect(shorter.metadata.deletionGracePeriodSeconds).toBe(1);
  expect(Date.parse(shorter.metadata.deletionTimestamp!)).toBeLessThan(Date.parse(marked.metadata.deletionTimestamp!));
  await eventually('slow removed', () => pods().get('slow').then(() => false, (e: unknown) => isNotFound(e)));
});

test('node objects are left in place by the agent (a kubelet does not delete its node)', async () => {
  const list = await client.resource(resources.nodes).list();
  expect(list.items.map((n: Node) => n.metadata.name).sort()).toEqual(['sim-0', 'sim-1']);
});
