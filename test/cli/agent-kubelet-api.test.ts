/**
 * `pgkube agent --kubelet-port 0 --kubelet-token-file F` with `pgkube apiserver --kubelet-client-token-file F`:
 * the processes as an operator runs them. The node reports where its kubelet API is, and kubectl's logs,
 * exec and port-forward reach the simulated runtime, which answers each honestly.
 */
import net from 'node:net';
import { startCluster } from '../support/cluster.js';
import type { Cluster } from '../support/cluster.js';
import { request } from '../support/http.js';
import { kubectlPath, runKubectl, spawnKubectl } from '../support/kubectl.js';

let cluster: Cluster;
let kubectl: string;

beforeAll(async () => {
  kubectl = await kubectlPath();
  cluster = await startCluster({ scheduler: true, simulatedNodes: 1, kubeletApi: true });
  await request(cluster.url, 'POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sim' }, spec: { containers: [{ name: 'app', image: 'busybox' }] },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await request(cluster.url, 'GET', '/api/v1/namespaces/default/pods/sim');
    if (r.json?.status?.phase === 'Running') break;
    if (Date.now() > deadline) throw new Error(`pod not running: ${JSON.stringify(r.json?.status)}\n${cluster.logs()}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

test('the node reports its kubelet endpoint on the agent\'s address', async () => {
  const node = (await request(cluster.url, 'GET', '/api/v1/nodes/sim-node-0')).json;
  expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
  expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBeGreaterThan(0);
});

test('kubectl logs, exec and port-forward reach the simulated runtime', async () => {
  const run = (args: string[]) => runKubectl(kubectl, args, { kubeconfig: cluster.kubeconfig });
  expect(await run(['logs', 'sim'])).toMatchObject({ code: 0, stdout: 'simulated container app started: the simulated runtime runs no processes, so there is no output\n' });
  const exec = await run(['exec', 'sim', '--', 'ls']);
  expect(exec.code).not.toBe(0);
  expect(exec.stderr).toContain('the simulated runtime runs no processes: exec is not supported');
  const pf = spawnKubectl(kubectl, ['port-forward', 'pod/sim', ':80'], { kubeconfig: cluster.kubeconfig });
  try {
    let out = '';
    let err = '';
    pf.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    pf.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const deadline = Date.now() + 30_000;
    let port: string | undefined;
    while (!(port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1])) {
      if (Date.now() > deadline) throw new Error(`kubectl port-forward did not listen: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A connection makes kubectl open streams; the agent's answer comes back on the error stream.
    const conn = net.connect(Number(port), '127.0.0.1');
    conn.on('error', () => {});
    while (!err.includes('the simulated runtime has no pod network: port-forward is not supported')) {
      if (Date.now() > deadline) throw new Error(`no error from the agent: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    conn.destroy();
  } finally {
    pf.kill();
  }
});
