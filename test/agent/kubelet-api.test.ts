/**
 * The agent's kubelet API and the API server's proxying to it, without Docker: the simulated runtime
 * (its honest log line, its exec refusal) and a runtime whose "process" is a few lines of JavaScript, so
 * the WebSocket channel protocol (v4, v5 with its close signal, resize) and kubectl's SPDY and WebSocket
 * exec can be checked on any machine. test/agent/streaming-e2e.test.ts does the same against Docker.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import type { Duplex } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { Agent, KubeletServer, SimulatedRuntime } from '../../src/agent/index.js';
import type { ContainerStreams, StreamOptions, TerminalSize } from '../../src/agent/index.js';
import { Client } from '../../src/client/index.js';
import { createCa, issueCertificate } from '../../src/cli/pki.js';
import { startInProcess } from '../support/apiserver.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { kubectlBinaries, runKubectl } from '../support/kubectl.js';

/**
 * Simulated pods whose exec runs `upper` (stdin upper-cased to stdout, "done" to stderr, exit code
 * argv[1]) in-process; resizes are recorded.
 */
class ScriptedRuntime extends SimulatedRuntime {
  readonly resizes: TerminalSize[] = [];

  override async exec(_uid: string, _container: string, cmd: string[], opts: StreamOptions): Promise<ContainerStreams> {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let exit!: (code: number) => void;
    const exitCode = new Promise<number>((r) => (exit = r));
    if (cmd[0] !== 'upper') throw Object.assign(new Error(`executable file not found: ${cmd[0]}`), { code: 400 });
    stdin.on('data', (c: Buffer) => stdout.write(c.toString().toUpperCase()));
    stdin.on('end', () => {
      stdout.end();
      if (opts.stderr) stderr.end('done\n');
      else stderr.end();
      exit(Number(cmd[1] ?? '0'));
    });
    if (!opts.stdin) stdin.end();
    return { stdin, stdout, stderr, resize: (s) => this.resizes.push(s), exitCode, close: () => {} };
  }

  /** The pod's "network" is this machine's loopback: port-forward reaches the test's own TCP server. */
  override portForward(_uid: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const conn = net.connect(port, '127.0.0.1');
      conn.once('connect', () => resolve(conn));
      conn.once('error', reject);
    });
  }
}

const NS = 'kapi';
const NODE = 'kapi-node';
const TOKEN = randomBytes(16).toString('hex');
let f: ApiFixture;
let runtime: ScriptedRuntime;
let kubelet: KubeletServer;
let clientCert: { cert: string; key: string };
const stop = new AbortController();
let agentDone: Promise<void>;
const binaries = await kubectlBinaries();

beforeAll(async () => {
  f = await apiFixture({ kubeletClient: { token: TOKEN } });
  const ca = await createCa('kapi-ca');
  const serving = await issueCertificate(ca, { commonName: 'agent', usage: 'server', ipAddresses: ['127.0.0.1'] });
  clientCert = await issueCertificate(ca, { commonName: 'kube-apiserver-kubelet-client', usage: 'client' });
  runtime = new ScriptedRuntime({ podStartDelayMs: 10 });
  let agent: Agent | undefined;
  kubelet = new KubeletServer({
    runtime,
    pods: { get: (ns, name) => agent?.podByName(ns, name), list: () => agent?.boundPods() ?? [] },
    cert: serving.cert,
    key: serving.key,
    clientCA: ca.cert,
    tokens: [TOKEN],
    host: '127.0.0.1',
    port: 0,
  });
  const port = await kubelet.start();
  agent = new Agent({ client: new Client({ server: f.base }), runtime, nodes: [{ name: NODE, cpu: '4', memory: '8Gi', pods: '110' }], kubeletEndpoint: { address: '127.0.0.1', port } });
  agentDone = agent.run(stop.signal);
  await createNamespace(f.base, NS);
  for (const name of ['p1']) {
    await request(f.base, 'POST', `/api/v1/namespaces/${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox' }] } });
  }
  for (;;) {
    const r = await request(f.base, 'GET', `/api/v1/namespaces/${NS}/pods/p1`);
    if (r.json?.status?.phase === 'Running') break;
    await new Promise((res) => setTimeout(res, 100));
  }
});

afterAll(async () => {
  stop.abort();
  await agentDone?.catch(() => {});
  await kubelet?.close();
  await f?.close();
});

function kubeletGet(path: string, opts: { token?: string; cert?: { cert: string; key: string } } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port: kubelet.port, path, rejectUnauthorized: false, ...(opts.cert ?? {}), headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** One exec over the WebSocket channel protocol; returns what each channel received. */
function wsExec(path: string, protocol: string, send: (ws: WebSocket) => void): Promise<Record<number, string>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${kubelet.port}${path}`, [protocol], { rejectUnauthorized: false, headers: { authorization: `Bearer ${TOKEN}` } });
    const got: Record<number, string> = {};
    ws.on('open', () => {
      expect(ws.protocol).toBe(protocol);
      send(ws);
    });
    ws.on('message', (data: Buffer) => {
      got[data[0]] = (got[data[0]] ?? '') + data.subarray(1).toString();
    });
    ws.on('close', () => resolve(got));
    ws.on('error', reject);
  });
}

test('only the API server may use it: a token or a client certificate of the CA; /healthz is open', async () => {
  expect(await kubeletGet('/healthz')).toEqual({ status: 200, body: 'ok' });
  expect((await kubeletGet('/pods')).status).toBe(401);
  expect((await kubeletGet('/pods', { token: 'wrong' })).status).toBe(401);
  const byToken = await kubeletGet('/pods', { token: TOKEN });
  expect(byToken.status).toBe(200);
  expect(JSON.parse(byToken.body).items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['p1']);
  expect((await kubeletGet('/pods', { cert: clientCert })).status).toBe(200);
});

test('WebSocket v5: stdin, stdout, stderr, the close signal ends stdin, the exit code as a NonZeroExitCode Status', async () => {
  const got = await wsExec(`/exec/${NS}/p1/c?command=upper&command=3&stdin=1&stdout=1&stderr=1`, 'v5.channel.k8s.io', (ws) => {
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('abc')]));
    ws.send(Buffer.from([255, 0]));
  });
  expect(got[1]).toBe('ABC');
  expect(got[2]).toBe('done\n');
  expect(JSON.parse(got[3])).toEqual({
    metadata: {},
    status: 'Failure',
    reason: 'NonZeroExitCode',
    message: 'command terminated with non-zero exit code: error executing command [upper 3], exit code 3',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
});

test('WebSocket v4: success Status; a TTY resize reaches the process', async () => {
  const got = await wsExec(`/exec/${NS}/p1/c?command=upper&stdout=1&tty=1`, 'v4.channel.k8s.io', (ws) => {
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":40}')]));
  });
  expect(JSON.parse(got[3])).toEqual({ metadata: {}, status: 'Success' });
  expect(runtime.resizes).toContainEqual({ width: 120, height: 40 });
});

test('a runtime failure is a Status on the error channel', async () => {
  const got = await wsExec(`/exec/${NS}/p1/c?command=nope&stdout=1`, 'v5.channel.k8s.io', () => {});
  expect(JSON.parse(got[3])).toMatchObject({ status: 'Failure', code: 400, message: 'executable file not found: nope' });
});

test('the API server proxies logs and nodes/proxy, and says when it cannot dial an agent', async () => {
  const log = await request(f.base, 'GET', `/api/v1/namespaces/${NS}/pods/p1/log`);
  expect(log.status).toBe(200);
  expect(log.text).toBe('simulated container c started: the simulated runtime runs no processes, so there is no output\n');
  const healthz = await request(f.base, 'GET', `/api/v1/nodes/${NODE}/proxy/healthz`);
  expect([healthz.status, healthz.text]).toEqual([200, 'ok']);
  const bad = await request(f.base, 'GET', `/api/v1/namespaces/${NS}/pods/p1/log?tailLines=-1`);
  expect([bad.status, bad.json?.message]).toEqual([400, 'tailLines: Invalid value: must be greater than or equal to 0']);

  // A node whose agent is not listening: the dial error, as kube-apiserver reports it.
  await request(f.base, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'dead' } });
  await request(f.base, 'PATCH', '/api/v1/nodes/dead/status', { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 1 } } } }, { 'Content-Type': 'application/merge-patch+json' });
  await request(f.base, 'POST', `/api/v1/namespaces/${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan' }, spec: { nodeName: 'dead', containers: [{ name: 'c', image: 'busybox' }] } });
  const dead = await request(f.base, 'GET', `/api/v1/namespaces/${NS}/pods/orphan/log`);
  expect(dead.status).toBe(503);
  expect(dead.json?.message).toMatch(/^error dialing backend: dial tcp 127\.0\.0\.1:1: connect ECONNREFUSED/);
});

describe('@kubernetes/client-node', () => {
  let kc: k8s.KubeConfig;
  beforeAll(() => {
    kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: f.base, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });

  test('Exec: stdin to stdout, the exit code in the status callback', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      const stdin = new PassThrough();
      new k8s.Exec(kc).exec(NS, 'p1', 'c', ['upper', '4'], stdout, stderr, stdin, false, resolve).catch(reject);
      stdin.end('from client-node');
    });
    expect(out).toBe('FROM CLIENT-NODE');
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '4' }] } });
  });

  test('PortForward over the v4 channel protocol reaches the port', async () => {
    const echo = net.createServer((c) => c.on('data', (d: Buffer) => c.end(`echo:${d.toString()}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const port = (echo.address() as net.AddressInfo).port;
    try {
      const output = new PassThrough();
      let got = '';
      const answered = new Promise<void>((resolve) => output.on('data', (c: Buffer) => ((got += c.toString()), got.includes('echo:') ? resolve() : undefined)));
      const input = new PassThrough();
      const ws = await new k8s.PortForward(kc).portForward(NS, 'p1', [port], output, null, input);
      input.write('ping');
      await answered;
      expect(got).toBe('echo:ping');
      (ws as { close(): void }).close();
    } finally {
      echo.close();
    }
  });
});

describe('through an HTTPS API server with client certificates', () => {
  let tls: Awaited<ReturnType<typeof startInProcess>>;
  let dir: string;
  let kubeconfig: string;
  beforeAll(async () => {
    const ca = await createCa('kapi-tls-ca');
    const serving = await issueCertificate(ca, { commonName: 'apiserver', usage: 'server', ipAddresses: ['127.0.0.1'] });
    const admin = await issueCertificate(ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
    // The same database as the plain server: the agent's node and pods are there already.
    tls = await startInProcess(f.db.url, { tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert }, kubeletClient: { cert: clientCert.cert, key: clientCert.key } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kapi-tls-'));
    const write = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));
    kubeconfig = write('kubeconfig', [
      'apiVersion: v1', 'kind: Config',
      `clusters: [{name: c, cluster: {server: "${tls.url}", certificate-authority: "${write('ca.crt', ca.cert)}"}}]`,
      `users: [{name: u, user: {client-certificate: "${write('admin.crt', admin.cert)}", client-key: "${write('admin.key', admin.key)}"}}]`,
      'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', '',
    ].join('\n'));
  });
  afterAll(async () => {
    await tls?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each(binaries.filter((b) => ['1.27', '1.33'].includes(b.minor)).map((b) => [b.minor, b.path] as const))('kubectl %s exec (the API server presents its kubelet client certificate)', async (_minor, kubectl) => {
    const r = await runKubectl(kubectl, ['-n', NS, 'exec', '-i', 'p1', '--', 'upper'], { kubeconfig, input: 'over tls' });
    expect(r).toMatchObject({ code: 0, stdout: 'OVER TLS' });
  });
});

describe.each(binaries.filter((b) => ['1.27', '1.33'].includes(b.minor)).map((b) => [b.minor, b.path] as const))('kubectl %s', (_minor, kubectl) => {
  const run = (args: string[], input?: string) => runKubectl(kubectl, ['-n', NS, ...args], { server: f.base, input });

  test('logs of a simulated pod', async () => {
    const r = await run(['logs', 'p1']);
    expect(r).toMatchObject({ code: 0, stdout: 'simulated container c started: the simulated runtime runs no processes, so there is no output\n' });
  });

  test('exec with stdin and an exit code; a dead agent is a clear error', async () => {
    const r = await run(['exec', '-i', 'p1', '--', 'upper', '5'], 'shout');
    expect(r).toMatchObject({ code: 5, stdout: 'SHOUT', stderr: 'done\ncommand terminated with exit code 5\n' });
    const dead = await run(['exec', 'orphan', '--', 'upper']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain('error dialing backend: dial tcp 127.0.0.1:1');
  });
});
