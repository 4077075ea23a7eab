/**
 * Two docker nodes (two agent processes) on one machine: each takes its own /24 of the shared pgkube
 * network, and a pod on one reaches a pod on the other by pod IP. A restarted agent adopts the containers
 * it finds instead of starting them again.
 */
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { resources } from '../../src/client/index.js';
import type { Pod } from '../../src/client/index.js';
import { dockerAvailable, dockerTest, execInPod, randomPodCIDR, startDockerCluster, waitForNodeReady, waitForPod } from './docker-support.js';
import type { DockerCluster } from './docker-support.js';

jest.setTimeout(180_000);

let dc: DockerCluster;

beforeAll(async () => {
  if (!dockerAvailable) return;
  dc = await startDockerCluster();
});

afterAll(async () => {
  if (dc) await dc.stop();
});

afterEach(() => {
  if (dc && expect.getState().assertionCalls !== expect.getState().numPassingAsserts) process.stderr.write(dc.logs().slice(-6000));
});

const pods = () => dc.client.resource(resources.pods, 'default');
const running = (p: Pod) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

function containersOf(pod: Pod): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=io.kubernetes.pod.uid=${pod.metadata.uid}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

dockerTest('pods on two nodes reach each other by pod IP; a restarted agent adopts its containers', async () => {
  const a = dc.startAgent(['--pod-cidr', randomPodCIDR()]);
  await waitForNodeReady(dc.client, a.node);
  // The second node picks a free /24 itself.
  const b = dc.startAgent([]);
  await waitForNodeReady(dc.client, b.node);
  const [na, nb] = await Promise.all([a.node, b.node].map((n) => dc.client.resource(resources.nodes).get(n)));
  expect(nb.spec?.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
  expect(nb.spec?.podCIDR).not.toBe(na.spec?.podCIDR);

  await pods().create({
    metadata: { name: 'server' },
    spec: {
      nodeName: a.node,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'httpd', image: 'local/busybox:1', command: ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www'], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
    },
  });
  await pods().create({
    metadata: { name: 'client' },
    spec: { nodeName: b.node, terminationGracePeriodSeconds: 1, containers: [{ name: 'sh', image: 'local/busybox:1', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] }] },
  });
  const server = await waitForPod(dc.client, 'default', 'server', 'Running and Ready', running);
  const client = await waitForPod(dc.client, 'default', 'client', 'Running and Ready', running);
  const cidrPrefix = (cidr: string | undefined) => cidr!.replace(/0\/24$/, '');
  expect(server.status!.podIP!.startsWith(cidrPrefix(na.spec?.podCIDR))).toBe(true);
  expect(client.status!.podIP!.startsWith(cidrPrefix(nb.spec?.podCIDR))).toBe(true);
  expect(execInPod(client, 'sh', ['wget', '-O', '-', `http://${server.status!.podIP}:8080/`])).toBe('hello from server\n');

  // Restart node A's agent: the same containers carry on, nothing is started twice.
  const before = containersOf(server).sort();
  expect(before).toHaveLength(2); // sandbox + httpd
  await a.stop();
  const a2 = dc.startAgent(['--pod-cidr', na.spec!.podCIDR!], a.node);
  await waitForNodeReady(dc.client, a2.node);
  await new Promise((r) => setTimeout(r, 3000));
  const after = await waitForPod(dc.client, 'default', 'server', 'still Running and Ready', running);
  expect(containersOf(server).sort()).toEqual(before);
  expect(after.status!.containerStatuses![0]).toMatchObject({ restartCount: 0, containerID: server.status!.containerStatuses![0].containerID });
  expect(after.status!.podIP).toBe(server.status!.podIP);
  expect(execInPod(client, 'sh', ['wget', '-O', '-', `http://${server.status!.podIP}:8080/`])).toBe('hello from server\n');
});
