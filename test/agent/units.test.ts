import { PodIPPool } from '../../src/agent/ip-pool.js';
import { buildNode, healthyConditions, podCIDR } from '../../src/agent/node-object.js';
import { buildPodStatus, podPhase } from '../../src/agent/pod-status.js';
import type { RuntimeContainerStatus, RuntimePodStatus } from '../../src/agent/runtime.js';
import { normalizeImage } from '../../src/agent/runtime/simulated.js';
import type { Pod } from '../../src/client/index.js';

const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] } };

function container(name: string, state: RuntimeContainerStatus['state'], ready = Boolean(state.running)): RuntimeContainerStatus {
  return { name, image: 'docker.io/library/busybox:latest', imageID: 'x', containerID: `simulated://${name}`, state, ready, started: Boolean(state.running), restartCount: 0 };
}

function runtime(containers: RuntimeContainerStatus[], over: Partial<RuntimePodStatus> = {}): RuntimePodStatus {
  return { sandboxReady: true, initialized: true, startTime: '2026-01-01T00:00:00Z', initContainers: [], containers, ...over };
}

describe('pod phase (kubelet getPhase without restarts)', () => {
  const running = { running: { startedAt: 't' } };
  const waiting = { waiting: { reason: 'ContainerCreating' } };
  const exited = (exitCode: number) => ({ terminated: { exitCode } });
  test.each([
    ['not initialized', runtime([container('a', running)], { initialized: false }), 'Pending'],
    ['a container waiting', runtime([container('a', running), container('b', waiting)]), 'Pending'],
    ['running', runtime([container('a', running), container('b', exited(0))]), 'Running'],
    ['all exited 0', runtime([container('a', exited(0)), container('b', exited(0))]), 'Succeeded'],
    ['one failed', runtime([container('a', exited(0)), container('b', exited(2))]), 'Failed'],
  ])('%s: %s', (_name, rt, phase) => {
    expect(podPhase(pod, rt)).toBe(phase);
  });
});

describe('pod status', () => {
  test('a pod still starting: Pending, unready with the names of the containers, no pod IP yet', () => {
    const st = buildPodStatus(pod, runtime([container('a', { waiting: { reason: 'ContainerCreating' } }), container('b', { waiting: {} })], { sandboxReady: false }), { hostIP: '172.16.0.1' }, 'now');
    expect(st.phase).toBe('Pending');
    expect(st.podIP).toBeUndefined();
    expect(st.conditions?.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? ''])).toEqual([
      ['PodReadyToStartContainers', 'False', '', ''],
      ['Initialized', 'True', '', ''],
      ['Ready', 'False', 'ContainersNotReady', 'containers with unready status: [a b]'],
      ['ContainersReady', 'False', 'ContainersNotReady', 'containers with unready status: [a b]'],
      ['PodScheduled', 'True', '', ''],
    ]);
  });

  test('transition times stay while a condition keeps its status', () => {
    const before: Pod = { ...pod, status: { conditions: [{ type: 'Initialized', status: 'True', lastTransitionTime: 'earlier' }, { type: 'Ready', status: 'False', lastTransitionTime: 'earlier' }] } };
    const st = buildPodStatus(before, runtime([container('a', { running: {} }), container('b', { running: {} })]), { hostIP: 'h', podIP: '10.244.0.2' }, 'now');
    const t = Object.fromEntries(st.conditions!.map((c) => [c.type, c.lastTransitionTime]));
    expect(t.Initialized).toBe('earlier');
    expect(t.Ready).toBe('now');
    expect(st.podIPs).toEqual([{ ip: '10.244.0.2' }]);
  });
});

describe('nodes', () => {
  test('pod CIDRs: 256 nodes per /16 from 10.244.0.0', () => {
    expect([0, 1, 255, 256, 999].map(podCIDR)).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.255.0/24', '10.245.0.0/24', '10.247.231.0/24']);
  });
  test('the Node carries capacity, allocatable, hostname label and the four healthy conditions', () => {
    const n = buildNode({ name: 'n', index: 3, cpu: '4', memory: '8Gi', pods: '110' }, 'now', 'boot');
    expect(n.status?.allocatable).toMatchObject({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(n.metadata.labels?.['kubernetes.io/hostname']).toBe('n');
    expect(n.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']);
    const again = healthyConditions('later', n.status?.conditions);
    expect(again.every((c) => c.lastTransitionTime === 'now' && c.lastHeartbeatTime === 'later')).toBe(true);
  });
});

describe('pod IPs', () => {
  test('.2 to .254 of the node range, stable per pod, reused after release', () => {
    const pool = new PodIPPool('10.244.7.0/24');
    expect(pool.ipFor('a')).toBe('10.244.7.2');
    expect(pool.ipFor('b')).toBe('10.244.7.3');
    expect(pool.ipFor('a')).toBe('10.244.7.2');
    pool.release('a');
    // 253 addresses: b holds one, a's is free again.
    for (let i = 0; i < 252; i++) expect(pool.ipFor(`x${i}`)).toBeDefined();
    expect(pool.ipFor('full')).toBeUndefined();
  });
});

test('images are reported as the runtime resolves them', () => {
  expect(normalizeImage('busybox')).toBe('docker.io/library/busybox:latest');
  expect(normalizeImage('nginx:1.27')).toBe('docker.io/library/nginx:1.27');
  expect(normalizeImage('bitnami/redis')).toBe('docker.io/bitnami/redis:latest');
  expect(normalizeImage('registry.k8s.io/pause:3.10')).toBe('registry.k8s.io/pause:3.10');
  expect(normalizeImage('localhost:5000/app')).toBe('localhost:5000/app:latest');
});
