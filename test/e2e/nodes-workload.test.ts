/**
 * Issue #6, a workload on two docker nodes through stock kubectl: a Deployment of three busybox httpd
 * pods becomes Ready across the nodes; `kubectl logs -f` follows a line; `kubectl exec -i` passes stdin
 * and the exit code; `kubectl port-forward` carries an HTTP GET; `kubectl cp` copies a file in. exec and
 * port-forward run with kubectl 1.29 (SPDY), 1.33 and 1.35 (WebSocket) since their protocols differ.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { resources } from '../../src/client/index.js';
import type { Deployment, Pod } from '../../src/client/index.js';
import { kubectlPath, spawnKubectl } from '../support/kubectl.js';
import { httpdDeployment, podReady, skipReason, startNodesCluster, waitForPods } from './nodes-support.js';
import type { NodesCluster } from './nodes-support.js';

const suite = skipReason ? describe.skip : describe;
const title = skipReason ? `kubectl against docker nodes (skipped: ${skipReason})` : 'kubectl against docker nodes';
let k: NodesCluster;
let pods: Pod[];

function waitForOutput(child: ReturnType<typeof spawnKubectl>, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in kubectl output: ${out} ${err}`)), timeoutMs);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl exited (${code}) before ${pattern}: ${out} ${err}`));
    });
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

suite(title, () => {
  beforeAll(async () => {
    k = await startNodesCluster();
    await k.client.resource(resources.deployments, 'default').create(httpdDeployment('web', 3) as Deployment);
    pods = await waitForPods(k.client, 'default', 'app=web', 'three web pods Ready', (ps) => ps.length === 3 && ps.every(podReady), 120_000);
  }, 200_000);

  afterAll(async () => {
    await k?.stop();
  }, 60_000);

  test('the Deployment is available with its three pods spread over both nodes', async () => {
    const rollout = await k.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    expect(rollout).toMatchObject({ code: 0 });
    const nodes = new Set(pods.map((p) => p.spec?.nodeName));
    expect([...nodes].every((n) => k.agents.some((a) => a.node === n))).toBe(true);
    expect(nodes.size).toBe(2);
    const wide = await k.kubectl(['get', 'pods', '-o', 'wide']);
    for (const p of pods) expect(wide.stdout).toMatch(new RegExp(`${p.metadata.name}\\s+1/1\\s+Running`));
  });

  test('kubectl logs shows the first line, and -f follows a new one', async () => {
    const pod = pods[0].metadata.name!;
    expect((await k.kubectl(['logs', pod])).stdout).toContain(`serving ${pod}`);
    const marker = `followed-${Date.now()}`;
    const child = spawnKubectl(await kubectlPath(), ['logs', '-f', pod], { kubeconfig: k.c.kubeconfig });
    try {
      const seen = waitForOutput(child, new RegExp(marker));
      await waitForOutput(child, /serving/);
      expect(await k.kubectl(['exec', pod, '--', 'sh', '-c', `echo ${marker} > /proc/1/fd/1`])).toMatchObject({ code: 0 });
      await seen;
    } finally {
      child.kill();
    }
  }, 60_000);

  test('kubectl cp copies a file into the pod', async () => {
    const pod = pods[1].metadata.name!;
    const src = path.join(k.dir, 'copied.txt');
    const content = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    fs.writeFileSync(src, content);
    expect(await k.kubectl(['cp', src, `default/${pod}:/tmp/copied.txt`])).toMatchObject({ code: 0 });
    const read = await k.kubectl(['exec', pod, '--', 'md5sum', '/tmp/copied.txt']);
    const { createHash } = await import('node:crypto');
    expect(read.stdout.split(/\s+/)[0]).toBe(createHash('md5').update(content).digest('hex'));
  }, 60_000);

  describe.each(['1.29', '1.33', '1.35'])('kubectl %s', (minor) => {
    test('exec -i passes stdin and the exit code', async () => {
      const pod = pods[2].metadata.name!;
      const r = await k.kubectl(['exec', '-i', pod, '--', 'sh', '-c', 'cat; echo; echo to-stderr >&2; exit 3'], { minor, input: `stdin-of-${minor}` });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe(`stdin-of-${minor}\n`);
      expect(r.stderr).toContain('to-stderr');
    }, 60_000);

    test('port-forward carries HTTP to the pod', async () => {
      const pod = pods[0].metadata.name!;
      const child = spawnKubectl(await kubectlPath(minor), ['port-forward', `pod/${pod}`, ':8080'], { kubeconfig: k.c.kubeconfig });
      try {
        const m = await waitForOutput(child, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
        expect(await httpGet(`http://127.0.0.1:${m[1]}/`)).toBe(`${pod}\n`);
        expect(await httpGet(`http://127.0.0.1:${m[1]}/index.html`)).toBe(`${pod}\n`);
      } finally {
        child.kill();
      }
    }, 60_000);
  });
});
