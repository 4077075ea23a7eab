/**
 * The docker runtime's streaming calls, which the kubelet API serves: logs (with previous, tail,
 * timestamps), exec with stdin and exit codes, attach, and port-forward into the pod. The agent runs in
 * this process against an in-process apiserver, and the test calls its runtime directly.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Agent } from '../../src/agent/index.js';
import { RuntimeStreamError } from '../../src/agent/runtime.js';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import { Client, resources } from '../../src/client/index.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { dockerAvailable, dockerTest, randomPodCIDR, removeByLabel, waitForPod } from './docker-support.js';

jest.setTimeout(120_000);

let f: ApiFixture;
let client: Client;
let runtime: DockerRuntime;
let running: Promise<void>;
let root: string;
const stop = new AbortController();
const node = `ds-${Math.random().toString(16).slice(2, 8)}`;

beforeAll(async () => {
  if (!dockerAvailable) return;
  f = await apiFixture();
  client = new Client({ server: f.base, qps: 500, burst: 500 });
  root = mkdtempSync(path.join(os.tmpdir(), 'pgkube-docker-streams-'));
  const podCIDR = randomPodCIDR();
  runtime = new DockerRuntime({ client, nodeName: node, podCIDR, hostIP: '127.0.0.1', rootDir: root, backoffBaseMs: 500 });
  await runtime.start();
  const agent = new Agent({ client, runtime, nodes: [{ name: node, cpu: '2', memory: '4Gi', pods: '110', podCIDR, address: '127.0.0.1', runtimeName: 'docker' }] });
  running = agent.run(stop.signal);
});

afterAll(async () => {
  if (!dockerAvailable) return;
  stop.abort();
  await running;
  removeByLabel(node);
  await client.close();
  await f.close();
  rmSync(root, { recursive: true, force: true });
});

async function readAll(r: Readable | undefined): Promise<string> {
  if (!r) return '';
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

dockerTest('logs, exec, attach and port-forward reach the real containers', async () => {
  await client.resource(resources.pods, 'default').create({
    metadata: { name: 'stream' },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'web', image: 'local/busybox:1', command: ['sh', '-c', 'echo out-line; echo err-line >&2; mkdir -p /www; echo hi > /www/index.html; exec httpd -f -p 8080 -h /www'] },
        { name: 'cat', image: 'local/busybox:1', stdin: true, command: ['cat'] },
      ],
    },
  });
  const pod = await waitForPod(client, 'default', 'stream', 'Running', (p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state?.running));
  const uid = pod.metadata.uid!;

  const logs = await readAll(await runtime.logs(uid, 'web', {}));
  // stdout and stderr are separate pipes: docker keeps each in order, not the two against each other.
  expect(logs.split('\n').sort()).toEqual(['', 'err-line', 'out-line']);
  expect(await readAll(await runtime.logs(uid, 'web', { tailLines: 1 }))).toMatch(/^(out|err)-line\n$/);
  expect(await readAll(await runtime.logs(uid, 'web', { timestamps: true }))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (out|err)-line\n\d{4}-/);
  expect(await readAll(await runtime.logs(uid, 'web', { limitBytes: 3 }))).toMatch(/^(out|err)$/);
  await expect(runtime.logs(uid, 'web', { previous: true })).rejects.toMatchObject({ code: 400, message: `previous terminated container "web" in pod "stream_default(${uid})" not found` });
  await expect(runtime.logs(uid, 'nope', {})).rejects.toBeInstanceOf(RuntimeStreamError);

  const ex = await runtime.exec(uid, 'web', ['sh', '-c', 'cat; echo to-stderr >&2; exit 7'], { stdin: true, stdout: true, stderr: true, tty: false });
  ex.stdin!.end('from-stdin\n');
  const [out, err] = await Promise.all([readAll(ex.stdout), readAll(ex.stderr)]);
  expect(out).toBe('from-stdin\n');
  expect(err).toBe('to-stderr\n');
  expect(await ex.exitCode).toBe(7);

  const at = await runtime.attach(uid, 'cat', { stdin: true, stdout: true, stderr: false, tty: false });
  const echoed = new Promise<string>((resolve) => at.stdout!.once('data', (c: Buffer) => resolve(c.toString())));
  at.stdin!.write('ping\n');
  expect(await echoed).toBe('ping\n');
  at.close();

  const sock = await runtime.portForward(uid, 8080);
  sock.write('GET /index.html HTTP/1.0\r\n\r\n');
  const response = await readAll(sock);
  expect(response).toMatch(/^HTTP\/1\.[01] 200/);
  expect(response.endsWith('hi\n')).toBe(true);
  await expect(runtime.portForward(uid, 9)).rejects.toMatchObject({ code: 500 });
});
