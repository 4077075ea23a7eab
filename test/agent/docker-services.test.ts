/**
 * Services on real packets: pods are Docker containers on the pgkube bridge (docker runtime), the
 * Endpoints/EndpointSlice controllers run in the controller-manager, and the agent's service proxy
 * (iptables) and cluster DNS carry traffic. Needs Docker, root and iptables; skipped with a message
 * otherwise. Everything made is removed: containers by label, the agent's chains when it stops.
 */
import { afterAll, beforeAll, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { resources } from '../../src/client/index.js';
import type { Pod, Service } from '../../src/client/index.js';
import { chainNames } from '../../src/agent/proxy/rules.js';
import { defaultNodeIP } from '../../src/agent/docker/node-info.js';
import { eventually } from '../support/eventually.js';
import { dockerAvailable, execInPod, randomPodCIDR, startDockerCluster, waitForNodeReady, waitForPod } from './docker-support.js';
import type { DockerCluster } from './docker-support.js';

function iptablesProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('iptables', ['-w', '5', '-t', 'nat', '-S', 'OUTPUT'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}
const problem = dockerAvailable ? iptablesProblem() : 'docker unavailable';
if (problem) process.stderr.write(`service proxy tests skipped: they need Docker, root and iptables (${problem})\n`);
const netTest = problem ? test.skip : test;

const NS = 'default';
let dc: DockerCluster;
let node: string;
const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const notReady = (p: Pod) => p.status?.phase === 'Running' && !ready(p);

function webPod(name: string): Pod {
  return {
    metadata: { name, labels: { app: 'web', name } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'web',
          image: 'local/busybox:1',
          command: ['sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www`],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    },
  };
}

async function service(body: Service): Promise<Service> {
  return dc.client.resource(resources.services, NS).create(body);
}

/** `wget` from a pod, n times; the bodies (each backend answers its own name). */
function wgetFrom(pod: Pod, url: string, n = 1): string[] {
  // (busybox 1.35's wget crashes with -T: the time limit comes from timeout instead.)
  const out = execInPod(pod, pod.spec!.containers[0].name, ['sh', '-c', `for i in $(seq ${n}); do timeout 5 wget -q -O - ${url} || echo FAIL; done`]);
  return out.split('\n').filter(Boolean);
}

function hostGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

let web1: Pod;
let web2: Pod;
let client: Pod;
let web: Service;

beforeAll(async () => {
  if (problem) return;
  dc = await startDockerCluster();
  dc.cluster.startControllerManager(['--controllers', 'endpoint,endpointslice']);
  const agent = dc.startAgent(['--pod-cidr', randomPodCIDR()]);
  node = agent.node;
  await waitForNodeReady(dc.client, node);
  const pods = dc.client.resource(resources.pods, NS);
  await pods.create(webPod('web-1'));
  await pods.create(webPod('web-2'));
  await pods.create({
    metadata: { name: 'client' },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'local/busybox:1', command: ['sleep', '3600'] }] },
  });
  web1 = await waitForPod(dc.client, NS, 'web-1', 'ready', ready);
  web2 = await waitForPod(dc.client, NS, 'web-2', 'ready', ready);
  client = await waitForPod(dc.client, NS, 'client', 'ready', ready);
  web = await service({ metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
}, 180_000);

afterAll(async () => {
  if (!dc) return;
  await dc.stop();
  // The agent took its chains out when it stopped.
  const tag = chainNames(node).services;
  expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain(tag);
}, 60_000);

netTest('a cluster IP reaches both ready backends from a pod, and from the host', async () => {
  const url = `http://${web.spec!.clusterIP}/`;
  await eventually('the service answers', () => wgetFrom(client, url)[0]?.startsWith('web-'), 60_000, 500);
  const seen = new Set<string>();
  await eventually('both backends answered', () => {
    for (const body of wgetFrom(client, url, 10)) seen.add(body);
    return seen.has('web-1') && seen.has('web-2');
  }, 60_000, 100);
  expect([...seen].sort()).toEqual(['web-1', 'web-2']);
  expect(['web-1', 'web-2']).toContain(await hostGet(url));
}, 120_000);

netTest('a node port answers on the node address and the bridge gateway', async () => {
  const nodePort = web.spec!.ports![0].nodePort!;
  await eventually('node port from the host', async () => ['web-1', 'web-2'].includes(await hostGet(`http://${defaultNodeIP()}:${nodePort}/`)), 60_000, 500);
  expect(['web-1', 'web-2']).toContain(wgetFrom(client, `http://10.244.0.1:${nodePort}/`)[0]);
}, 90_000);

netTest('ClientIP affinity keeps a client on one backend; a pod reaches itself through its service', async () => {
  const sticky = await service({ metadata: { name: 'sticky' }, spec: { selector: { app: 'web' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] } });
  const url = `http://${sticky.spec!.clusterIP}/`;
  await eventually('sticky answers', () => wgetFrom(client, url)[0]?.startsWith('web-'), 60_000, 500);
  expect(new Set(wgetFrom(client, url, 12)).size).toBe(1);
  // Hairpin: web-1 through a service whose only backend is web-1.
  const self = await service({ metadata: { name: 'self' }, spec: { selector: { name: 'web-1' }, ports: [{ port: 8000, targetPort: 8080 }] } });
  await eventually('web-1 reaches itself', () => wgetFrom(web1, `http://${self.spec!.clusterIP}:8000/`)[0] === 'web-1', 60_000, 500);
}, 120_000);

netTest('a backend that turns not ready gets no more traffic', async () => {
  const url = `http://${web.spec!.clusterIP}/`;
  execInPod(web2, 'web', ['rm', '/tmp/ready']);
  await waitForPod(dc.client, NS, 'web-2', 'not ready', notReady);
  await eventually('only web-1 answers', () => wgetFrom(client, url, 10).every((b) => b === 'web-1'), 60_000, 500);
  expect(new Set(wgetFrom(client, url, 10))).toEqual(new Set(['web-1']));
  execInPod(web2, 'web', ['touch', '/tmp/ready']);
  await waitForPod(dc.client, NS, 'web-2', 'ready again', ready);
}, 120_000);

netTest('two agents on one machine: each owns its chains; one stopping leaves the other serving', async () => {
  const second = dc.startAgent(['--pod-cidr', randomPodCIDR()]);
  await waitForNodeReady(dc.client, second.node);
  const mine = chainNames(node).services;
  const theirs = chainNames(second.node).services;
  await eventually('both chain sets hooked', () => {
    const nat = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
    return nat.includes(`-j ${mine}`) && nat.includes(`-j ${theirs}`);
  }, 60_000, 500);
  // The second agent's DNS serves on a port of its own; its pods are sent there and still resolve names.
  await dc.client.resource(resources.pods, NS).create({
    metadata: { name: 'client-2' },
    spec: { nodeName: second.node, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'local/busybox:1', command: ['sleep', '3600'] }] },
  });
  const client2 = await waitForPod(dc.client, NS, 'client-2', 'ready', ready);
  await eventually('client-2 resolves web', () => execInPod(client2, 'c', ['sh', '-c', 'nslookup web.default.svc.cluster.local 2>&1; true']).includes(web.spec!.clusterIP!), 60_000, 1000);
  expect(wgetFrom(client2, `http://${web.spec!.clusterIP}/`)[0]).toMatch(/^web-[12]$/);
  await dc.client.resource(resources.pods, NS).delete('client-2', { gracePeriodSeconds: 0 });
  await second.stop();
  expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toContain(theirs);
  expect(['web-1', 'web-2']).toContain(wgetFrom(client, `http://${web.spec!.clusterIP}/`)[0]);
}, 120_000);

netTest('cluster DNS: service names, the short name through the search path, headless services, SRV, pods', async () => {
  // busybox nslookup tries every search domain and exits 1 when one of them is NXDOMAIN: read stdout either way.
  const nslookup = (args: string[]) => {
    try {
      return execInPod(client, 'c', ['sh', '-c', `nslookup ${args.join(' ')} 2>&1; true`]);
    } catch (e) {
      return (e as Error).message;
    }
  };
  const ip = web.spec!.clusterIP!;
  await eventually('DNS answers', () => nslookup(['web.default.svc.cluster.local']).includes(ip), 60_000, 1000);
  expect(nslookup(['web'])).toContain(`Address: ${ip}`);
  expect(nslookup(['nothing-here.default.svc.cluster.local'])).toMatch(/NXDOMAIN|can't find/);
  await service({ metadata: { name: 'headless' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  const ips = [web1.status!.podIP!, web2.status!.podIP!];
  const headless = await eventually('headless answers with both pods', () => {
    const out = nslookup(['headless.default.svc.cluster.local']);
    return ips.every((x) => out.includes(x)) && out;
  }, 60_000, 1000);
  expect(headless).not.toContain(ip);
  const srv = nslookup(['-type=srv', '_http._tcp.web.default.svc.cluster.local']);
  expect(srv).toContain('web.default.svc.cluster.local');
  expect(srv).toMatch(/\b80\b/);
  const pod = nslookup([`${web1.status!.podIP!.replace(/\./g, '-')}.default.pod.cluster.local`]);
  expect(pod).toContain(web1.status!.podIP!);
}, 120_000);
