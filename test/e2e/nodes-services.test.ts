/**
 * Issue #6, services and configuration on two docker nodes: from a pod, a Service's DNS name and its
 * ClusterIP reach all three replicas of a Deployment; from the host its NodePort on 127.0.0.1 does too
 * (the agents run with --proxy-localhost-nodeports, which turns route_localnet on as kube-proxy does);
 * a ConfigMap reaches a pod as env and as a volume, a Secret as a volume, and a ConfigMap update reaches
 * the mounted file (the agents' --sync-frequency is 1 s).
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { resources } from '../../src/client/index.js';
import type { Deployment, Pod, Service } from '../../src/client/index.js';
import { eventually } from '../support/eventually.js';
import { httpdDeployment, podReady, skipReason, startNodesCluster, waitForPods } from './nodes-support.js';
import type { NodesCluster } from './nodes-support.js';

const suite = skipReason ? describe.skip : describe;
const title = skipReason ? `services and configuration on docker nodes (skipped: ${skipReason})` : 'services and configuration on docker nodes';
const NS = 'default';
const REQUESTS = 30;
let k: NodesCluster;
let replicas: string[];
let svc: Service;

async function waitPod(name: string, ok: (p: Pod) => boolean): Promise<Pod> {
  return eventually(`pod ${name}`, async () => {
    const p = await k.client.resource(resources.pods, NS).get(name);
    return ok(p) && p;
  }, 90_000, 300);
}

/** A command's stdout in a pod, through kubectl exec. */
async function inPod(pod: string, script: string): Promise<string> {
  const r = await k.kubectl(['exec', pod, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`exec in ${pod}: ${r.code} ${r.stderr}`);
  return r.stdout;
}

/** The distinct bodies of n GETs from the client pod (busybox wget; `timeout` since its -T crashes). */
async function respondersFromPod(url: string, n = REQUESTS): Promise<string[]> {
  const out = await inPod('client', `for i in $(seq ${n}); do timeout 5 wget -q -O - ${url} || echo FAIL; done`);
  return out.split('\n').filter(Boolean);
}

function hostGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('FAIL'));
  });
}

function iptablesProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('iptables', ['-w', '5', '-t', 'nat', '-S', 'OUTPUT'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

suite(title, () => {
  const netProblem = skipReason ? undefined : iptablesProblem();
  if (netProblem) process.stderr.write(`service traffic tests skipped: they need root and iptables (${netProblem})\n`);
  const netTest = netProblem ? test.skip : test;

  beforeAll(async () => {
    k = await startNodesCluster({ agentArgs: ['--proxy-localhost-nodeports'] });
    await k.client.resource(resources.deployments, NS).create(httpdDeployment('web', 3) as Deployment);
    svc = await k.client.resource(resources.services, NS).create({ metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    await k.client.resource(resources.pods, NS).create({
      metadata: { name: 'client' },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'local/busybox:1', imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
    });
    const pods = await waitForPods(k.client, NS, 'app=web', 'three web pods Ready', (ps) => ps.length === 3 && ps.every(podReady), 120_000);
    replicas = pods.map((p) => p.metadata.name!).sort();
    await waitPod('client', podReady);
  }, 200_000);

  afterAll(async () => {
    await k?.stop();
  }, 60_000);

  netTest('from a pod, the Service DNS name and the ClusterIP reach all three replicas', async () => {
    for (const url of ['http://web.default.svc.cluster.local/', `http://${svc.spec!.clusterIP}/`, 'http://web/']) {
      await eventually(`${url} answers`, async () => replicas.includes((await respondersFromPod(url, 1))[0]), 60_000, 500);
      const seen = new Set<string>();
      await eventually(`${url} reaches every replica`, async () => {
        for (const b of await respondersFromPod(url)) seen.add(b);
        return replicas.every((r) => seen.has(r));
      }, 90_000, 200);
      process.stderr.write(`${url}: ${seen.size} distinct responders\n`);
      expect([...seen].filter((b) => b !== 'FAIL').sort()).toEqual(replicas);
    }
  }, 180_000);

  netTest('from the host, the NodePort on 127.0.0.1 reaches all three replicas', async () => {
    expect(execFileSync('sysctl', ['-n', 'net.ipv4.conf.all.route_localnet'], { encoding: 'utf8' }).trim()).toBe('1');
    const url = `http://127.0.0.1:${svc.spec!.ports![0].nodePort}/`;
    await eventually('the node port answers on 127.0.0.1', async () => replicas.includes(await hostGet(url)), 60_000, 500);
    const seen = new Set<string>();
    await eventually('the node port reaches every replica', async () => {
      for (let i = 0; i < REQUESTS; i++) seen.add(await hostGet(url));
      return replicas.every((r) => seen.has(r));
    }, 60_000, 200);
    expect([...seen].filter((b) => b !== 'FAIL').sort()).toEqual(replicas);
  }, 120_000);

  test('a ConfigMap as env and as a volume, a Secret as a volume; a ConfigMap update reaches the file', async () => {
    await k.client.resource(resources.configmaps, NS).create({ metadata: { name: 'settings' }, data: { greeting: 'hello', 'app.conf': 'level=1\n' } });
    await k.client.resource(resources.secrets, NS).create({ metadata: { name: 'creds' }, type: 'Opaque', stringData: { password: 's3cret' } } as never);
    await k.client.resource(resources.pods, NS).create({
      metadata: { name: 'configured' },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [{
          name: 'c', image: 'local/busybox:1', imagePullPolicy: 'Never', command: ['sleep', '3600'],
          env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } }],
          envFrom: [{ prefix: 'CM_', configMapRef: { name: 'settings' } }],
          volumeMounts: [{ name: 'conf', mountPath: '/etc/conf' }, { name: 'creds', mountPath: '/etc/creds', readOnly: true }],
        }],
        volumes: [{ name: 'conf', configMap: { name: 'settings' } }, { name: 'creds', secret: { secretName: 'creds' } }],
      },
    });
    await waitPod('configured', podReady);
    expect(await inPod('configured', 'echo $GREETING $CM_greeting')).toBe('hello hello\n');
    expect(await inPod('configured', 'cat /etc/conf/app.conf')).toBe('level=1\n');
    expect(await inPod('configured', 'cat /etc/creds/password')).toBe('s3cret');
    await k.client.resource(resources.configmaps, NS).patch('settings', { data: { 'app.conf': 'level=2\n' } }, 'merge');
    await eventually('the mounted file follows the update', async () => (await inPod('configured', 'cat /etc/conf/app.conf')) === 'level=2\n', 60_000, 500);
    // Environment variables are fixed when the container starts.
    expect(await inPod('configured', 'echo $GREETING')).toBe('hello\n');
  }, 120_000);
});
