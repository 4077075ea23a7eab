/**
 * `pgkube agent --runtime docker` running real containers: the node it registers, a pod with an init
 * container, a sidecar and an app container with its kubelet statuses, and what the containers see
 * (environment, configMap/secret/downwardAPI/projected volumes, /etc/hosts, resolv.conf).
 */
import { jest } from '@jest/globals';
import { resources } from '../../src/client/index.js';
import type { Event, Pod } from '../../src/client/index.js';
import { waitFor } from '../support/wait.js';
import { dockerAvailable, dockerTest, execInPod, inspectInPod, randomPodCIDR, startDockerCluster, waitForNodeReady, waitForPod } from './docker-support.js';
import type { DockerCluster } from './docker-support.js';

jest.setTimeout(180_000);

let dc: DockerCluster;
let node: string;
const cidr = randomPodCIDR();

beforeAll(async () => {
  if (!dockerAvailable) return;
  dc = await startDockerCluster();
  node = dc.startAgent(['--pod-cidr', cidr, '--cluster-dns', '10.96.0.10', '--kubelet-port', '10455']).node;
  await waitForNodeReady(dc.client, node);
});

afterAll(async () => {
  if (dc) await dc.stop();
});

afterEach(() => {
  if (dc && expect.getState().assertionCalls !== expect.getState().numPassingAsserts) process.stderr.write(dc.logs().slice(-6000));
});

const pods = () => dc.client.resource(resources.pods, 'default');

dockerTest('the node registers with the docker host as its runtime, its pod CIDR and kubelet port', async () => {
  const n = await dc.client.resource(resources.nodes).get(node);
  expect(n.spec?.podCIDR).toBe(cidr);
  expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^docker:\/\/\d+\./);
  expect(n.status?.nodeInfo?.kernelVersion).not.toBe('simulated');
  expect(n.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10455);
  expect(n.status?.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);
  expect(Number(n.status?.capacity?.cpu)).toBeGreaterThan(0);
  expect(n.status?.capacity?.memory).toMatch(/^\d+Ki$/);
  expect(n.metadata.labels?.['node.pgkube.io/runtime']).toBe('docker');
});

dockerTest('init container, sidecar and app container: Running and Ready with kubelet statuses; env and volumes inside', async () => {
  await dc.client.resource(resources.configmaps, 'default').create({ metadata: { name: 'app-config' }, data: { 'greeting.txt': 'hello', MODE: 'fast' } });
  await dc.client.resource(resources.secrets, 'default').create({ metadata: { name: 'app-secret' }, stringData: { password: 's3cret' } });
  await dc.client.resource(resources.services, 'default').create({ metadata: { name: 'my-db' }, spec: { ports: [{ name: 'pg', port: 5432 }] } });
  const pod: Pod = {
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
    spec: {
      nodeName: node,
      subdomain: 'sub',
      terminationGracePeriodSeconds: 2,
      volumes: [
        { name: 'work', emptyDir: {} },
        { name: 'mem', emptyDir: { medium: 'Memory' } },
        { name: 'cfg', configMap: { name: 'app-config', items: [{ key: 'greeting.txt', path: 'greeting' }] } },
        { name: 'sec', secret: { secretName: 'app-secret', defaultMode: 0o400 } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
      ],
      initContainers: [
        { name: 'setup', image: 'local/busybox:1', command: ['sh', '-c', 'echo initialized > /work/init.txt'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
        { name: 'helper', image: 'local/busybox:1', restartPolicy: 'Always', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] },
      ],
      containers: [
        {
          name: 'main',
          image: 'local/busybox:1',
          command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
          env: [
            { name: 'PLAIN', value: 'v1' },
            { name: 'EXPANDED', value: '$(PLAIN)-x-$(MISSING)' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            { name: 'OPTIONAL', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
            { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          ],
          envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'app-config' } }],
          resources: { limits: { memory: '64Mi', cpu: '500m' } },
          volumeMounts: [
            { name: 'work', mountPath: '/work' },
            { name: 'mem', mountPath: '/mem' },
            { name: 'cfg', mountPath: '/etc/cfg' },
            { name: 'sec', mountPath: '/etc/sec' },
            { name: 'info', mountPath: '/etc/info' },
          ],
        },
      ],
    },
  };
  await pods().create(pod);
  const running = await waitForPod(dc.client, 'default', 'web', 'Running and Ready', (p) => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const st = running.status!;
  expect(Object.fromEntries(st.conditions!.map((c) => [c.type, c.status]))).toEqual({ PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' });
  expect(st.podIP?.startsWith(cidr.replace('0/24', ''))).toBe(true);
  expect(st.podIPs).toEqual([{ ip: st.podIP }]);
  expect(st.hostIP).toBeTruthy();
  expect(st.startTime).toBeTruthy();
  expect(st.qosClass).toBe('Burstable');
  const [setup, helper] = st.initContainerStatuses!;
  expect(setup.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  expect(setup.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
  expect(helper.state?.running?.startedAt).toBeTruthy();
  expect(helper).toMatchObject({ ready: true, started: true, restartCount: 0 });
  const main = st.containerStatuses![0];
  expect(main).toMatchObject({ name: 'main', ready: true, started: true, restartCount: 0, image: 'docker.io/local/busybox:1' });
  expect(main.imageID).toMatch(/^docker(-pullable)?:\/\/.*sha256:[0-9a-f]{64}$/);
  expect(main.containerID).toMatch(/^docker:\/\//);

  // What the container sees.
  const env = Object.fromEntries(
    execInPod(running, 'main', ['env'])
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  expect(env).toMatchObject({
    PLAIN: 'v1',
    EXPANDED: 'v1-x-$(MISSING)',
    POD_NAME: 'web',
    POD_IP: st.podIP,
    NODE: node,
    TIER: 'front',
    PASSWORD: 's3cret',
    MEM_MI: '64',
    CFG_MODE: 'fast',
    MY_DB_SERVICE_PORT: '5432',
    MY_DB_SERVICE_PORT_PG: '5432',
  });
  expect(env.OPTIONAL).toBeUndefined();
  expect(env.MY_DB_SERVICE_HOST).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(env.MY_DB_PORT).toBe(`tcp://${env.MY_DB_SERVICE_HOST}:5432`);
  expect(env.MY_DB_PORT_5432_TCP_ADDR).toBe(env.MY_DB_SERVICE_HOST);
  expect(execInPod(running, 'main', ['cat', '/work/init.txt']).trim()).toBe('initialized');
  expect(execInPod(running, 'main', ['cat', '/etc/cfg/greeting'])).toBe('hello');
  expect(execInPod(running, 'main', ['cat', '/etc/sec/password'])).toBe('s3cret');
  expect(execInPod(running, 'main', ['stat', '-L', '-c', '%a', '/etc/sec/password']).trim()).toBe('400');
  expect(execInPod(running, 'main', ['readlink', '/etc/cfg/..data']).trim()).toMatch(/^\.\.\d{4}_/);
  expect(execInPod(running, 'main', ['cat', '/etc/info/labels'])).toBe('app="web"\ntier="front"');
  expect(execInPod(running, 'main', ['cat', '/etc/info/name'])).toBe('web');
  expect(execInPod(running, 'main', ['sh', '-c', 'grep " /mem " /proc/mounts'])).toContain('tmpfs');
  const hosts = execInPod(running, 'main', ['cat', '/etc/hosts']);
  expect(hosts).toContain('# Kubernetes-managed hosts file.');
  expect(hosts).toContain(`${st.podIP}\tweb.sub.default.svc.cluster.local\tweb`);
  const resolv = execInPod(running, 'main', ['cat', '/etc/resolv.conf']);
  expect(resolv).toContain('search default.svc.cluster.local svc.cluster.local cluster.local');
  expect(resolv).toContain('nameserver 10.96.0.10');
  expect(resolv).toContain('options ndots:5');
  // App and sidecar share the sandbox's network namespace: one IP.
  expect(execInPod(running, 'helper', ['hostname', '-i']).trim()).toContain(st.podIP!);
  // Limits as kubelet maps them: memory in bytes, CPU as a CFS quota per 100 ms period, shares from the request.
  expect(inspectInPod(running, 'main', '{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuShares}}')).toBe(`${64 * 1024 * 1024} 50000 100000 512`);

  // A configMap update reaches the volume (atomic swap of ..data).
  await dc.client.resource(resources.configmaps, 'default').patch('app-config', { data: { 'greeting.txt': 'bonjour' } }, 'merge');
  await waitFor('configMap volume updated', () => execInPod(running, 'main', ['cat', '/etc/cfg/greeting']) === 'bonjour', 30_000, 300);

  // kubelet's events for the pod.
  const events = await waitFor('Started events', async () => {
    const list = (await dc.client.resource(resources.events, 'default').list()).items.filter((e: Event) => e.involvedObject.name === 'web');
    return list.filter((e) => e.reason === 'Started').length >= 3 && list;
  });
  const messages = events.map((e) => `${e.reason}: ${e.message}`);
  expect(messages).toContain('Pulled: Container image "local/busybox:1" already present on machine');
  expect(messages).toContain('Created: Created container: main');
  expect(messages).toContain('Started: Started container main');
  expect(events.find((e) => e.reason === 'Started' && e.message === 'Started container main')?.involvedObject.fieldPath).toBe('spec.containers{main}');
});

dockerTest('a projected volume: a pod-bound service account token from the TokenRequest API, kube-root-ca.crt when present', async () => {
  await dc.client.resource(resources.serviceaccounts, 'default').create({ metadata: { name: 'runner' } });
  await dc.client.resource(resources.configmaps, 'default').create({ metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': 'PEM' } });
  await pods().create({
    metadata: { name: 'sa-pod' },
    spec: {
      nodeName: node,
      serviceAccountName: 'runner',
      terminationGracePeriodSeconds: 1,
      volumes: [
        {
          name: 'kube-api-access',
          projected: {
            defaultMode: 0o644,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
      containers: [{ name: 'main', image: 'local/busybox:1', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'], volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }] }],
    },
  });
  const p = await waitForPod(dc.client, 'default', 'sa-pod', 'Running', (x) => x.status?.phase === 'Running');
  const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
  const token = execInPod(p, 'main', ['cat', `${dir}/token`]);
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string; 'kubernetes.io': { namespace: string; pod: { name: string; uid: string } } };
  expect(claims.sub).toBe('system:serviceaccount:default:runner');
  expect(claims['kubernetes.io'].pod).toEqual({ name: 'sa-pod', uid: p.metadata.uid });
  expect(execInPod(p, 'main', ['cat', `${dir}/ca.crt`])).toBe('PEM');
  expect(execInPod(p, 'main', ['cat', `${dir}/namespace`])).toBe('default');
});
