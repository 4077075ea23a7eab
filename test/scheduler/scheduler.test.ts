import { Agent, SimulatedRuntime } from '../../src/agent/index.js';
import { Client, isNotFound, resources } from '../../src/client/index.js';
import type { Event, Node, Pod } from '../../src/client/index.js';
import { Scheduler } from '../../src/scheduler/index.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';
import { eventually } from '../support/eventually.js';

let f: ApiFixture;
let client: Client;
const stop = new AbortController();
let running: Promise<unknown>;

beforeAll(async () => {
  f = await apiFixture();
  client = new Client({ server: f.base, qps: 1000, burst: 1000 });
  const agent = new Agent({
    client,
    runtime: new SimulatedRuntime({ podStartDelayMs: 50 }),
    nodes: ['sim-0', 'sim-1', 'sim-2'].map((name) => ({ name, cpu: '2', memory: '4Gi', pods: '110' })),
  });
  const agentRun = agent.run(stop.signal);
  await eventually('3 Ready nodes', async () => (await client.resource(resources.nodes).list()).items.length === 3);
  const scheduler = new Scheduler({ client, backoffFlushMs: 100 });
  running = Promise.all([agentRun, scheduler.run(stop.signal)]);
});

afterAll(async () => {
  stop.abort();
  await running;
  await client.close();
  await f.close();
});

const pods = () => client.resource(resources.pods, 'default');

function pod(name: string, cpu: string, extra: Partial<NonNullable<Pod['spec']>> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...meta },
    spec: { containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu } } }], ...extra },
  };
}

async function nodeOf(name: string): Promise<string> {
  return eventually(`${name} bound`, async () => (await pods().get(name)).spec?.nodeName || undefined);
}

function scheduledCondition(p: Pod) {
  return p.status?.conditions?.find((c) => c.type === 'PodScheduled');
}

async function removeAll(names: string[]): Promise<void> {
  for (const n of names) await pods().delete(n, { gracePeriodSeconds: 0 });
  for (const n of names) await eventually(`${n} gone`, () => pods().get(n).then(() => false, (e: unknown) => isNotFound(e)));
}

test('pods go to a node where their requests fit, and run there', async () => {
  await pods().create(pod('big', '1500m'));
  const bigNode = await nodeOf('big');
  await pods().create(pod('one-a', '1500m'));
  const a = await nodeOf('one-a');
  expect(a).not.toBe(bigNode);
  await pods().create(pod('one-b', '1500m'));
  const b = await nodeOf('one-b');
  expect(new Set([bigNode, a, b]).size).toBe(3);
  await pods().create(pod('one-c', '1500m'));
  const c = await eventually('one-c unschedulable', async () => {
    const p = await pods().get('one-c');
    return scheduledCondition(p)?.status === 'False' && p;
  });
  expect(scheduledCondition(c)).toMatchObject({
    reason: 'Unschedulable',
    message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
  });
  const running = await eventually('big Running', async () => {
    const p = await pods().get('big');
    return p.status?.phase === 'Running' && p;
  });
  expect(scheduledCondition(running)?.status).toBe('True');
  // Deleting a pod frees its node: the waiting pod is tried again and placed there.
  await removeAll(['one-a']);
  expect(await nodeOf('one-c')).toBe(a);
  const scheduled = (await client.resource(resources.events, 'default').list()).items.filter(
    (e: Event) => e.reason === 'Scheduled' && e.involvedObject.name === 'big',
  );
  expect(scheduled.map((e) => [e.type, e.message, e.source?.component])).toEqual([['Normal', `Successfully assigned default/big to ${bigNode}`, 'default-scheduler']]);
  await removeAll(['big', 'one-b', 'one-c']);
});

test('six replicas of one controller spread two per node', async () => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', controller: true };
  const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
  await Promise.all(names.map((n) => pods().create(pod(n, '10m', {}, { labels: { app: 'web' }, ownerReferences: [owner] }))));
  const placed = await Promise.all(names.map(nodeOf));
  const perNode = new Map<string, number>();
  for (const n of placed) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  expect([...perNode.values()]).toEqual([2, 2, 2]);
  await removeAll(names);
});

test('a pod whose nodeSelector no node matches stays Pending with PodScheduled=False and FailedScheduling, and is placed when a fitting node appears', async () => {
  await pods().create(pod('picky', '10m', { nodeSelector: { disktype: 'ssd' } }));
  const expected = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
  const p = await eventually('picky unschedulable', async () => {
    const got = await pods().get('picky');
    return scheduledCondition(got)?.status === 'False' && got;
  });
  expect(p.status?.phase).toBe('Pending');
  expect(p.spec?.nodeName).toBeUndefined();
  expect(scheduledCondition(p)).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: expected });
  const event = await eventually('FailedScheduling event', async () =>
    (await client.resource(resources.events, 'default').list()).items.find((e: Event) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'picky'),
  );
  expect(event).toMatchObject({ type: 'Warning', message: expected, source: { component: 'default-scheduler' } });

  const kubectl = await kubectlPath();
  const described = await runKubectl(kubectl, ['describe', 'pod', 'picky', '-n', 'default'], { server: f.base });
  expect(described.code).toBe(0);
  expect(described.stdout).toMatch(/Status:\s+Pending/);
  expect(described.stdout).toMatch(/PodScheduled\s+False/);
  expect(described.stdout).toMatch(/Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);

  // A node with the label appears (a bare Node object, no agent behind it).
  const nodes = client.resource(resources.nodes);
  const created = await nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'ssd-node', labels: { disktype: 'ssd', 'kubernetes.io/hostname': 'ssd-node' } } } as Node);
  await nodes.updateStatus({ ...created, status: { capacity: { cpu: '1', memory: '1Gi', pods: '10' }, allocatable: { cpu: '1', memory: '1Gi', pods: '10' } } });
  expect(await nodeOf('picky')).toBe('ssd-node');
  await removeAll(['picky']);
});
