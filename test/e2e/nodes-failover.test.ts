/**
 * Issue #6, a node failing: with a Deployment of three httpd pods over two docker nodes behind a
 * NodePort Service, one agent is frozen (SIGSTOP: no more lease renewals or status posts, its
 * containers keep running). Its node goes NotReady (Unknown) past the controller-manager's short grace
 * period, its pods are evicted once their short unreachable toleration runs out and recreated on the
 * other node, and the Service keeps answering from the host throughout.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { resources } from '../../src/client/index.js';
import type { Deployment, Node } from '../../src/client/index.js';
import { eventually } from '../support/eventually.js';
import { httpdDeployment, podReady, skipReason, startNodesCluster, waitForPods } from './nodes-support.js';
import type { NodesCluster } from './nodes-support.js';

const suite = skipReason ? describe.skip : describe;
const title = skipReason ? `a docker node failing (skipped: ${skipReason})` : 'a docker node failing';
const NS = 'default';
let k: NodesCluster;

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

function rootWithIptables(): boolean {
  try {
    execFileSync('iptables', ['-w', '5', '-t', 'nat', '-S', 'OUTPUT'], { stdio: 'pipe' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

suite(title, () => {
  const net = !skipReason && rootWithIptables();
  if (!skipReason && !net) process.stderr.write('node failure test: no root/iptables, so the Service is not checked\n');

  beforeAll(async () => {
    k = await startNodesCluster({ agentArgs: ['--proxy-localhost-nodeports'] });
  }, 150_000);

  afterAll(async () => {
    await k?.stop();
  }, 60_000);

  test('a frozen agent: NotReady, its pods evicted and recreated on the other node, the Service still answers', async () => {
    await k.client.resource(resources.deployments, NS).create(httpdDeployment('web', 3, { tolerationSeconds: 2 }) as Deployment);
    const svc = await k.client.resource(resources.services, NS).create({ metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    const before = await waitForPods(k.client, NS, 'app=web', 'three web pods Ready', (ps) => ps.length === 3 && ps.every(podReady), 120_000);
    // Freeze the agent with more of the pods (both have some: the scheduler spreads them).
    const count = (node: string) => before.filter((p) => p.spec?.nodeName === node).length;
    const [victim, survivor] = count(k.agents[0].node) >= count(k.agents[1].node) ? [k.agents[0], k.agents[1]] : [k.agents[1], k.agents[0]];
    const evicted = new Set(before.filter((p) => p.spec?.nodeName === victim.node).map((p) => p.metadata.name));
    expect(evicted.size).toBeGreaterThan(0);
    // The survivor's node port (127.0.0.1) is the one checked: the frozen agent's rules stay as they were.
    const url = `http://127.0.0.1:${svc.spec!.ports![0].nodePort}/`;
    if (net) await eventually('the node port answers', async () => (await hostGet(url)) !== 'FAIL', 60_000, 500);

    victim.proc.child.kill('SIGSTOP');
    let failures = 0;
    let answers = 0;
    const probing = { on: net };
    const prober = (async () => {
      while (probing.on) {
        if ((await hostGet(url)) === 'FAIL') failures++;
        else answers++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      // The controller sets the condition first, then the NoExecute taint.
      await eventually('the frozen node is NotReady and tainted unreachable', async () => {
        const n: Node = await k.client.resource(resources.nodes).get(victim.node);
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status !== 'True' && n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
      }, 60_000, 300);
      const get = await k.kubectl(['get', 'nodes']);
      expect(get.stdout).toMatch(new RegExp(`${victim.node}\\s+NotReady`));
      const after = await waitForPods(k.client, NS, 'app=web', 'three Ready pods, all on the survivor', (ps) => {
        const live = ps.filter((p) => !p.metadata.deletionTimestamp);
        return live.length === 3 && live.every((p) => p.spec?.nodeName === survivor.node && podReady(p));
      }, 120_000);
      const names = after.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
      expect(names.some((n) => evicted.has(n))).toBe(false);
      const events = await k.kubectl(['get', 'events', '--field-selector', 'reason=TaintManagerEviction']);
      expect(events.stdout).toContain('TaintManagerEviction');
    } finally {
      probing.on = false;
      await prober;
      victim.proc.child.kill('SIGCONT');
    }
    if (net) {
      process.stderr.write(`service during the failover: ${answers} answers, ${failures} failures\n`);
      // The survivor's own replica kept answering; the frozen node's (still running) containers too.
      expect(answers).toBeGreaterThan(0);
      const seen = new Set<string>();
      await eventually('the Service reaches the three new replicas', async () => {
        for (let i = 0; i < 20; i++) seen.add(await hostGet(url));
        const live = (await k.client.resource(resources.pods, NS).list({ labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name!);
        return live.every((n) => seen.has(n));
      }, 60_000, 300);
    }
  }, 240_000);
});
