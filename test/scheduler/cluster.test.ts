/**
 * The scheduler and agent as processes (`pgkube scheduler`, `pgkube agent --runtime simulated`), as a
 * cluster runs them: leader election on kube-system/kube-scheduler, and pods scheduled and run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, resources } from '../../src/client/index.js';
import type { Pod } from '../../src/client/index.js';
import { startCluster } from '../support/cluster.js';
import type { Cluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: Cluster;
let client: Client;

beforeAll(async () => {
  cluster = await startCluster({ scheduler: true, simulatedNodes: 3 });
  client = new Client({ server: cluster.url });
});

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

test('pgkube scheduler takes the kube-scheduler lease; pgkube agent registers its nodes; a pod is placed and runs', async () => {
  const lease = await eventually('the scheduler lease', async () => {
    const l = await client.resource(resources.leases, 'kube-system').get('kube-scheduler');
    return l.spec?.holderIdentity ? l : undefined;
  });
  expect(lease.spec?.leaseDurationSeconds).toBe(15);
  const nodes = await eventually('three nodes', async () => {
    const list = await client.resource(resources.nodes).list();
    return list.items.length === 3 ? list.items : undefined;
  });
  expect(nodes.map((n) => n.metadata.name).sort()).toEqual(['sim-node-0', 'sim-node-1', 'sim-node-2']);
  const pods = client.resource(resources.pods, 'default');
  await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } as Pod);
  const running = await eventually('hello Running', async () => {
    const p = await pods.get('hello');
    return p.status?.phase === 'Running' ? p : undefined;
  });
  expect(running.spec?.nodeName).toMatch(/^sim-node-[012]$/);
  expect(running.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
}, 60_000);

test('a second scheduler waits as a candidate while the first holds the lease', async () => {
  const before = await client.resource(resources.leases, 'kube-system').get('kube-scheduler');
  const second = spawn(process.execPath, [path.resolve('bin/pgkube.js'), 'scheduler', '--kubeconfig', cluster.kubeconfig, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  second.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  second.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  try {
    await eventually('the second scheduler to start', async () => output.includes('scheduler starting'));
    // Renewals go on: the holder stays the first scheduler, and the second never reports leading.
    await eventually('a renewal by the holder', async () => {
      const l = await client.resource(resources.leases, 'kube-system').get('kube-scheduler');
      return l.spec?.renewTime !== before.spec?.renewTime ? l : undefined;
    });
    const after = await client.resource(resources.leases, 'kube-system').get('kube-scheduler');
    expect(after.spec?.holderIdentity).toBe(before.spec?.holderIdentity);
    expect(output).not.toContain('became leader');
  } finally {
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  }
}, 60_000);
