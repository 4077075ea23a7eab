/**
 * The node lifecycle and taint eviction controllers end to end, in separate processes: an apiserver, a
 * controller-manager with short grace periods, the scheduler and two agent processes of one simulated node
 * each. Freezing one agent stops its node's lease renewals: the node goes Unknown and gets the unreachable
 * taints, its pods are marked not ready and evicted once their (short) toleration runs out, and the
 * Deployment's ReplicaSet recreates them on the other node.
 */
import { Client, resources } from '../../src/client/index.js';
import type { Deployment, Event, Node, Pod } from '../../src/client/index.js';
import { startCluster } from '../support/cluster.js';
import type { Cluster, RoleProcess } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';

const NS = 'nl';
const REPLICAS = 4;
const TOLERATION_SECONDS = 2;

let c: Cluster;
let client: Client;
const agents = new Map<string, RoleProcess>();

function withLogs<T>(p: Promise<T>): Promise<T> {
  return p.catch((err: Error) => {
    throw new Error(`${err.message}\n${c.logs()}`);
  });
}

beforeAll(async () => {
  c = await startCluster({
    controllerManager: ['nodelifecycle', 'tainteviction', 'replicaset', 'deployment'],
    controllerManagerArgs: ['--node-monitor-period', '500ms', '--node-monitor-grace-period', '4s', '--node-startup-grace-period', '10s'],
    scheduler: true,
    // Leases renewed every 250 ms, well inside the 4 s grace period.
    agentArgs: ['--node-lease-duration-seconds', '1', '--pod-start-delay', '100ms'],
  });
  agents.set('node-a-0', c.startAgent(['--nodes', '1', '--node-name-prefix', 'node-a-']));
  agents.set('node-b-0', c.startAgent(['--nodes', '1', '--node-name-prefix', 'node-b-']));
  client = new Client({ server: c.url });
  await client.resource(resources.namespaces).create({ metadata: { name: NS } });
}, 60_000);

afterAll(async () => {
  for (const a of agents.values()) a.child.kill('SIGCONT');
  if (process.env.PGKUBE_TEST_DUMP && c) process.stderr.write(`${c.logs()}\n`);
  await client?.close();
  await c?.stop();
});

const nodeApi = () => client.resource(resources.nodes);
const podApi = () => client.resource(resources.pods, NS);
const readyOf = (n: Node) => n.status?.conditions?.find((x) => x.type === 'Ready');
const podReady = (p: Pod) => p.status?.conditions?.find((x) => x.type === 'Ready')?.status;

test('the apiserver gives every pod the default not-ready and unreachable tolerations of 300 s', async () => {
  const pod = await podApi().create({ metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  expect(pod.spec?.tolerations).toEqual([
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  await podApi().delete('plain', { gracePeriodSeconds: 0 });
});

test('a node that stops renewing its lease goes Unknown and tainted, its pods are evicted and recreated elsewhere; back, it loses the taints', async () => {
  await withLogs(
    eventually('both nodes Ready', async () => {
      const nodes = (await nodeApi().list()).items;
      return nodes.length === 2 && nodes.every((n) => readyOf(n)?.status === 'True') ? nodes : undefined;
    }),
  );
  const toleration = (key: string) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SECONDS });
  const deployment: Deployment = {
    metadata: { name: 'web' },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'busybox', resources: { requests: { cpu: '1' } } }],
          // The agent, back, stops the evicted pods within this; 30 s would only make the test wait.
          terminationGracePeriodSeconds: 1,
          tolerations: [toleration('node.kubernetes.io/not-ready'), toleration('node.kubernetes.io/unreachable')],
        },
      },
    },
  };
  await client.resource(resources.deployments, NS).create(deployment);
  const running = await withLogs(
    eventually(
      'the pods running',
      async () => {
        const pods = (await podApi().list({ labelSelector: 'app=web' })).items;
        return pods.length === REPLICAS && pods.every((p) => p.spec?.nodeName && podReady(p) === 'True') ? pods : undefined;
      },
      60_000,
    ),
  );
  // The node that holds the first pod falls silent: its agent process is frozen (SIGSTOP), as a machine cut
  // off from the network, so it neither renews its lease nor posts anything.
  const victim = running[0].spec!.nodeName!;
  const survivor = [...agents.keys()].find((n) => n !== victim)!;
  const victimPods = running.filter((p) => p.spec?.nodeName === victim).map((p) => p.metadata.name!);
  agents.get(victim)!.child.kill('SIGSTOP');

  const unknown = await withLogs(
    eventually(
      'the node Unknown and tainted unreachable',
      async () => {
        const n = await nodeApi().get(victim);
        const keys = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
        return readyOf(n)?.status === 'Unknown' && keys.includes('node.kubernetes.io/unreachable:NoExecute') && keys.includes('node.kubernetes.io/unreachable:NoSchedule')
          ? n
          : undefined;
      },
      30_000,
    ),
  );
  for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    expect(unknown.status?.conditions?.find((x) => x.type === type)).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
  }
  expect((unknown.spec?.taints ?? []).find((t) => t.effect === 'NoExecute')?.timeAdded).toBeDefined();
  expect(readyOf(await nodeApi().get(survivor))?.status).toBe('True');

  // The evicted pods stay Terminating (nobody runs their node to finish them), marked as upstream marks them.
  const evicted = await withLogs(
    eventually(
      'the pods on the node evicted',
      async () => {
        const pods = await Promise.all(victimPods.map((name) => podApi().get(name)));
        return pods.every((p) => p.metadata.deletionTimestamp) ? pods : undefined;
      },
      30_000,
    ),
  );
  for (const p of evicted) {
    expect(podReady(p)).toBe('False');
    expect(p.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
  }
  // The ReplicaSet makes up for them on the node that is left.
  await withLogs(
    eventually(
      'replacements running on the other node',
      async () => {
        const pods = (await podApi().list({ labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
        return pods.length === REPLICAS && pods.every((p) => p.spec?.nodeName === survivor && podReady(p) === 'True') ? pods : undefined;
      },
      60_000,
    ),
  );

  const events = async () => (await client.resource(resources.events).list()).items as Event[];
  const seen = await withLogs(
    eventually('the events', async () => {
      const all = await events();
      const has = (reason: string, message: string) => all.some((e) => e.reason === reason && e.message === message);
      return has('NodeNotReady', `Node ${victim} status is now: NodeNotReady`) &&
        victimPods.every((name) => has('TaintManagerEviction', `Marking for deletion Pod ${NS}/${name}`)) &&
        all.some((e) => e.reason === 'NodeNotReady' && e.message === 'Node is not ready' && e.involvedObject.kind === 'Pod')
        ? all
        : undefined;
    }),
  );
  expect(seen.length).toBeGreaterThan(0);

  // kubectl shows the node as upstream's would.
  const kubectl = await kubectlPath();
  const get = await runKubectl(kubectl, ['get', 'node', victim], { kubeconfig: c.kubeconfig });
  expect(get.stderr).toBe('');
  expect(get.stdout).toMatch(new RegExp(`${victim}\\s+NotReady`));
  const describe = await runKubectl(kubectl, ['describe', 'node', victim], { kubeconfig: c.kubeconfig });
  expect(describe.stderr).toBe('');
  expect(describe.stdout).toMatch(/Taints:\s+node\.kubernetes\.io\/unreachable:NoExecute\n\s+node\.kubernetes\.io\/unreachable:NoSchedule\n/);
  expect(describe.stdout).toMatch(/Ready\s+Unknown\s.*NodeStatusUnknown\s+Kubelet stopped posting node status\./);
  expect(describe.stdout).toMatch(/MemoryPressure\s+Unknown\s.*NodeStatusUnknown/);
  expect(describe.stdout).toMatch(new RegExp(`Normal\\s+NodeNotReady\\s.*Node ${victim} status is now: NodeNotReady`));

  // The node comes back (SIGCONT): its agent renews the lease, sees its Node Unknown and posts Ready again,
  // the controller takes the taints off, and the agent finishes the pods evicted while it was away.
  agents.get(victim)!.child.kill('SIGCONT');
  await withLogs(
    eventually(
      'the node Ready and untainted',
      async () => {
        const n = await nodeApi().get(victim);
        return readyOf(n)?.status === 'True' && (n.spec?.taints ?? []).length === 0 ? n : undefined;
      },
      30_000,
    ),
  );
  await withLogs(
    eventually('the evicted pods gone', async () => (await podApi().list({ labelSelector: 'app=web' })).items.every((p) => !p.metadata.deletionTimestamp)),
  );
}, 180_000);
