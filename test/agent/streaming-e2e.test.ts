/**
 * kubectl logs, exec, cp and port-forward against a pod in Docker, through the API server's proxy and
 * the agent's kubelet API, for every kubectl the machine has (1.27–1.29 use SPDY for exec; 1.30+ use
 * WebSocket v5, and 1.31+ tunnel port-forward's SPDY in a WebSocket).
 *
 * The pod's container is started by test/support/docker-pod-runtime.ts, a minimal runner standing in for
 * the docker runtime; the streaming code under test is the product's. Needs Docker: without it (`docker
 * info` fails) the suite is skipped with a name that says so.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Agent, KubeletServer } from '../../src/agent/index.js';
import type { StreamSessionInfo } from '../../src/agent/index.js';
import { Client } from '../../src/client/index.js';
import { createCa, issueCertificate } from '../../src/cli/pki.js';
import { DockerPodRuntime } from '../support/docker-pod-runtime.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { kubectlBinaries, runKubectl, spawnKubectl } from '../support/kubectl.js';

function dockerProblem(): string | undefined {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

const problem = dockerProblem();
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const NS = 'streams';
const NODE = 'stream-node';
const POD = 'web';
const TOKEN = randomBytes(24).toString('hex');
const binaries = await kubectlBinaries();

let f: ApiFixture;
let runtime: DockerPodRuntime;
let kubelet: KubeletServer;
const stop = new AbortController();
let agentDone: Promise<void>;
let tmp: string;
/** The stream sessions the agent saw, to check which protocol each kubectl used. */
const sessions: StreamSessionInfo[] = [];

/**
 * kubectl 1.30 and later exec over WebSocket v5 (1.29 offers v5 over SPDY first); 1.31 and later tunnel
 * port-forward's SPDY in a WebSocket.
 */
function expectedProtocols(minor: string): { exec: string; portForward: string } {
  const n = Number(minor.split('.')[1]);
  return {
    exec: n >= 30 ? 'websocket v5.channel.k8s.io' : n === 29 ? 'spdy v5.channel.k8s.io' : 'spdy v4.channel.k8s.io',
    portForward: n >= 31 ? 'websocket SPDY/3.1+portforward.k8s.io' : 'spdy portforward.k8s.io',
  };
}

function lastSession(kind: StreamSessionInfo['kind']): string {
  const s = sessions.filter((x) => x.kind === kind).at(-1);
  return s ? `${s.transport} ${s.protocol}` : 'none';
}

const suite = problem ? describe.skip : describe;
const title = problem ? `streaming through the kubelet API (skipped: docker info failed: ${problem})` : 'streaming through the kubelet API';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Collects a spawned kubectl's stdout until `pattern` shows up. */
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
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

suite(title, () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-streams-'));
    runtime = new DockerPodRuntime(`streaming-${process.pid}-${Date.now()}`);
    f = await apiFixture({ kubeletClient: { token: TOKEN } });
    const ca = await createCa('test-agent-ca');
    const serving = await issueCertificate(ca, { commonName: 'agent', usage: 'server', ipAddresses: ['127.0.0.1'] });
    let agent: Agent | undefined;
    kubelet = new KubeletServer({
      runtime,
      pods: { get: (ns, name) => agent?.podByName(ns, name), list: () => agent?.boundPods() ?? [] },
      cert: serving.cert,
      key: serving.key,
      tokens: [TOKEN],
      host: '127.0.0.1',
      port: 0,
      onSession: (info) => sessions.push(info),
    });
    const port = await kubelet.start();
    agent = new Agent({
      client: new Client({ server: f.base }),
      runtime,
      nodes: [{ name: NODE, cpu: '4', memory: '8Gi', pods: '110' }],
      kubeletEndpoint: { address: '127.0.0.1', port },
    });
    agentDone = agent.run(stop.signal);
    await createNamespace(f.base, NS);
    const script = 'mkdir -p /www && echo hello-from-pod > /www/index.html && httpd -p 8080 -h /www && echo started && while true; do sleep 1; done';
    const created = await request(f.base, 'POST', `/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: 'local/busybox:1', command: ['sh', '-c', script] }] },
    });
    expect(created.status).toBe(201);
    await waitFor('the pod to run', async () => {
      const r = await request(f.base, 'GET', `/api/v1/namespaces/${NS}/pods/${POD}`);
      return r.json?.status?.phase === 'Running' ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    stop.abort();
    await agentDone?.catch(() => {});
    await kubelet?.close();
    await runtime?.removeAll();
    await f?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the kubelet API refuses requests without the API server credentials', async () => {
    const r = await new Promise<number>((resolve, reject) => {
      import('node:https').then(({ default: https }) =>
        https.get({ host: '127.0.0.1', port: kubelet.port, path: `/containerLogs/${NS}/${POD}/main`, rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject),
      );
    });
    expect(r).toBe(401);
  });

  describe.each(binaries.map((b) => [b.minor, b.path] as const))('kubectl %s', (minor, kubectl) => {
    const run = (args: string[], input?: string) => runKubectl(kubectl, ['-n', NS, ...args], { server: f.base, input });

    test('logs, --tail, --timestamps, and -f sees a new line', async () => {
      const all = await run(['logs', POD]);
      expect(all).toMatchObject({ code: 0 });
      expect(all.stdout).toContain('started\n');
      const marker = `line-${minor}-${Date.now()}`;
      const child = spawnKubectl(kubectl, ['--server', f.base, '-n', NS, 'logs', '-f', '--tail=1', POD]);
      try {
        const seen = waitForOutput(child, new RegExp(marker));
        // A line written to the main process's stdout is a new line of the container's log.
        await waitFor('the exec to write', async () => ((await run(['exec', POD, '--', 'sh', '-c', `echo ${marker} > /proc/1/fd/1`])).code === 0 ? true : undefined));
        await seen;
      } finally {
        child.kill();
      }
      const tail = await run(['logs', '--tail=1', POD]);
      expect(tail.stdout.trim().split('\n')).toEqual([marker]);
      const stamped = await run(['logs', '--tail=1', '--timestamps', POD]);
      expect(stamped.stdout).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z ${marker}\\n$`));
      expect(await run(['logs', '--limit-bytes=3', POD])).toMatchObject({ code: 0, stdout: 'sta' });
      const recent = await run(['logs', '--since=1h', POD]);
      expect(recent.stdout.startsWith('started\n')).toBe(true);
      const previous = await run(['logs', '--previous', POD]);
      expect(previous.code).toBe(1);
      expect(previous.stderr).toContain('previous terminated container "main" not found');
    });

    test('exec with stdin, and a non-zero exit code comes back as kubectl\'s', async () => {
      const echoed = await run(['exec', '-i', POD, '--', 'sh', '-c', 'cat; echo " (done)"; echo to-stderr >&2'], `fed through stdin ${minor}`);
      expect(echoed).toMatchObject({ code: 0, stdout: `fed through stdin ${minor} (done)\n`, stderr: 'to-stderr\n' });
      expect(lastSession('exec')).toBe(expectedProtocols(minor).exec);
      const failed = await run(['exec', POD, '--', 'sh', '-c', 'exit 3']);
      expect(failed.code).toBe(3);
    });

    test('attach sees what the main process writes', async () => {
      const marker = `attached-${minor}-${Date.now()}`;
      const child = spawnKubectl(kubectl, ['--server', f.base, '-n', NS, 'attach', POD]);
      try {
        const seen = waitForOutput(child, new RegExp(marker));
        // Until the attach is up, lines written are not seen by it: write until one is.
        let done = false;
        void seen.finally(() => (done = true)).catch(() => {});
        while (!done) {
          await run(['exec', POD, '--', 'sh', '-c', `echo ${marker} > /proc/1/fd/1`]);
          await Promise.race([seen.catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
        }
        await seen;
      } finally {
        child.kill();
      }
      expect(lastSession('attach')).toBe(expectedProtocols(minor).exec);
    });

    (hasScript ? test : test.skip)(`exec -it with a terminal (its size reaches the process)${hasScript ? '' : ' (skipped: no script(1) to give kubectl a terminal)'}`, async () => {
      // script(1) gives kubectl a terminal of 33 rows and 101 columns; the process reads its own size.
      // busybox stty reports the size only onto the terminal itself; the pause lets kubectl's first
      // resize (sent as the session opens, applied once the process started) land before it reads.
      const probe = 'sleep 1; printf size=; stty size';
      const inner = `stty rows 33 cols 101; ${kubectl} --server ${f.base} -n ${NS} exec -it ${POD} -- sh -c '${probe}'`;
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('script', ['-qec', inner, '/dev/null'], { env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: '/dev/null', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(r.out).toContain('size=33 101');
      expect(r.code).toBe(0);
    });

    test('cp to and from the pod', async () => {
      const src = path.join(tmp, `in-${minor}.txt`);
      const back = path.join(tmp, `out-${minor}.txt`);
      // Larger than SPDY's and WebSocket's usual frame sizes, so it crosses many frames.
      const content = Array.from({ length: 20_000 }, (_, i) => `line ${i} of ${minor}`).join('\n') + '\n';
      fs.writeFileSync(src, content);
      const up = await run(['cp', src, `${NS}/${POD}:/tmp/copied-${minor}.txt`]);
      expect(up).toMatchObject({ code: 0 });
      const down = await run(['cp', `${NS}/${POD}:/tmp/copied-${minor}.txt`, back]);
      expect(down).toMatchObject({ code: 0 });
      expect(fs.readFileSync(back, 'utf8')).toBe(content);
    });

    test('port-forward reaches the pod\'s HTTP server', async () => {
      const child = spawnKubectl(kubectl, ['--server', f.base, '-n', NS, 'port-forward', `pod/${POD}`, ':8080']);
      try {
        const m = await waitForOutput(child, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
        expect(await httpGet(`http://127.0.0.1:${m[1]}/`)).toBe('hello-from-pod\n');
        // A second connection over the same port-forward session.
        expect(await httpGet(`http://127.0.0.1:${m[1]}/index.html`)).toBe('hello-from-pod\n');
        expect(lastSession('portForward')).toBe(expectedProtocols(minor).portForward);
      } finally {
        child.kill();
      }
    });
  });
});
