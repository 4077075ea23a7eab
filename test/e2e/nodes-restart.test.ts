/**
 * Issue #6, container lifecycle on docker nodes: a container that exits is restarted at once the first
 * time, then backs off (CrashLoopBackOff in `kubectl get pods`, with the agent's --container-backoff-base
 * short); a failing liveness probe restarts; a failing readiness probe takes the pod out of its Service's
 * endpoints and a recovering one brings it back; deleting a pod sends SIGTERM, waits the grace period,
 * then kills.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resources } from '../../src/client/index.js';
import type { Endpoints, Pod } from '../../src/client/index.js';
import { eventually } from '../support/eventually.js';
import { podReady, skipReason, startNodesCluster } from './nodes-support.js';
import type { NodesCluster } from './nodes-support.js';

const suite = skipReason ? describe.skip : describe;
const title = skipReason ? `container lifecycle on docker nodes (skipped: ${skipReason})` : 'container lifecycle on docker nodes';
const NS = 'default';
let k: NodesCluster;

const podApi = () => k.client.resource(resources.pods, NS);

async function waitPod(name: string, what: string, ok: (p: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> {
  let last: Pod | undefined;
  try {
    return await eventually(`pod ${name}: ${what}`, async () => {
      last = await podApi().get(name);
      return ok(last) && last;
    }, timeoutMs, 200);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`);
  }
}

function pod(name: string, container: Record<string, unknown>, extra: Record<string, unknown> = {}): Pod {
  return {
    metadata: { name, labels: { test: name } },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'local/busybox:1', imagePullPolicy: 'Never', ...container }], ...extra },
  } as Pod;
}

/** Docker's own timestamps (nanoseconds) of a pod's container attempts, oldest first. */
function dockerAttempts(p: Pod): { restart: number; startedAt: string; finishedAt: string }[] {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.kubernetes.pod.uid=${p.metadata.uid}`, '--filter', 'label=io.kubernetes.container.name=c'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const out = execFileSync('docker', ['inspect', '--format', '{{.Name}} {{.State.StartedAt}} {{.State.FinishedAt}}', ...ids], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => {
    const [name, startedAt, finishedAt] = l.split(' ');
    return { restart: Number(name.split('_').at(-1)), startedAt, finishedAt };
  }).sort((a, b) => a.restart - b.restart);
}

suite(title, () => {
  beforeAll(async () => {
    k = await startNodesCluster();
  }, 150_000);

  afterAll(async () => {
    await k?.stop();
  }, 60_000);

  test('an exited container is restarted at once the first time, then backs off into CrashLoopBackOff', async () => {
    // The first run exits 1; the second runs on (its marker survives in an emptyDir).
    await podApi().create(pod('once', { command: ['sh', '-c', 'if [ -f /data/ran ]; then echo second; exec sleep 3600; fi; touch /data/ran; echo first; exit 1'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }, { volumes: [{ name: 'data', emptyDir: {} }] }));
    await podApi().create(pod('crash', { command: ['sh', '-c', 'echo crashing; exit 1'] }));
    const once = await waitPod('once', 'restarted and running', (p) => {
      const s = p.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && !!s.state?.running && !!s.lastState?.terminated;
    });
    const s = once.status!.containerStatuses![0];
    expect(s.lastState!.terminated!.exitCode).toBe(1);
    const apiGapMs = Date.parse(s.state!.running!.startedAt!) - Date.parse(s.lastState!.terminated!.finishedAt!);
    const attempts = dockerAttempts(once);
    const dockerGapMs = attempts.length >= 2 ? Date.parse(attempts[1].startedAt) - Date.parse(attempts[0].finishedAt) : NaN;
    process.stderr.write(`first restart: lastState.finishedAt -> state.running.startedAt = ${apiGapMs} ms (API, second precision); docker's own timestamps: ${dockerGapMs} ms\n`);
    // A generous bound for a loaded machine: the first restart has no back-off.
    expect(apiGapMs).toBeLessThan(5000);

    await waitPod('crash', 'in CrashLoopBackOff', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
    await eventually('kubectl get pods shows CrashLoopBackOff', async () => /crash\s+0\/1\s+CrashLoopBackOff\s+\d+/.test((await k.kubectl(['get', 'pods', 'crash'])).stdout), 60_000, 300);
    const logs = await k.kubectl(['logs', 'crash', '--previous']);
    expect(logs).toMatchObject({ code: 0, stdout: 'crashing\n' });
  }, 120_000);

  test('a failing liveness probe restarts the container', async () => {
    await podApi().create(pod('live', {
      command: ['sh', '-c', 'touch /tmp/alive; exec sleep 3600'],
      livenessProbe: { exec: { command: ['test', '-f', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 },
    }));
    const first = await waitPod('live', 'running', (p) => !!p.status?.containerStatuses?.[0]?.state?.running);
    expect(first.status!.containerStatuses![0].restartCount).toBe(0);
    expect(await k.kubectl(['exec', 'live', '--', 'rm', '/tmp/alive'])).toMatchObject({ code: 0 });
    const after = await waitPod('live', 'restarted by its probe', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && !!p.status?.containerStatuses?.[0]?.state?.running);
    // The restart made a fresh container, which creates the file again.
    expect(after.status!.containerStatuses![0].lastState?.terminated).toBeDefined();
    expect(await k.kubectl(['exec', 'live', '--', 'test', '-f', '/tmp/alive'])).toMatchObject({ code: 0 });
    const events = await k.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=live']);
    expect(events.stdout).toMatch(/Unhealthy|Killing/);
  }, 90_000);

  test('a failing readiness probe takes the pod out of its Service; recovering brings it back', async () => {
    await podApi().create(pod('ready', {
      command: ['sh', '-c', 'touch /tmp/ready; exec sleep 3600'],
      ports: [{ containerPort: 8080 }],
      readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
    }));
    await k.client.resource(resources.services, NS).create({ metadata: { name: 'ready' }, spec: { selector: { test: 'ready' }, ports: [{ port: 80, targetPort: 8080 }] } });
    const p = await waitPod('ready', 'ready', podReady);
    const ip = p.status!.podIP!;
    const epApi = k.client.resource(resources.endpoints, NS);
    const addresses = (e: Endpoints, key: 'addresses' | 'notReadyAddresses') => (e.subsets ?? []).flatMap((s) => (s[key] ?? []).map((a) => a.ip));
    await eventually('the pod is an endpoint', async () => addresses(await epApi.get('ready'), 'addresses').includes(ip), 60_000, 300);
    expect(await k.kubectl(['exec', 'ready', '--', 'rm', '/tmp/ready'])).toMatchObject({ code: 0 });
    await eventually('the pod left the ready endpoints', async () => {
      const e = await epApi.get('ready');
      return !addresses(e, 'addresses').includes(ip) && addresses(e, 'notReadyAddresses').includes(ip);
    }, 60_000, 300);
    expect((await k.kubectl(['get', 'pods', 'ready'])).stdout).toMatch(/ready\s+0\/1\s+Running/);
    expect(await k.kubectl(['exec', 'ready', '--', 'touch', '/tmp/ready'])).toMatchObject({ code: 0 });
    await eventually('the pod is an endpoint again', async () => addresses(await epApi.get('ready'), 'addresses').includes(ip), 60_000, 300);
  }, 90_000);

  test('deleting a pod sends SIGTERM, waits terminationGracePeriodSeconds, then kills', async () => {
    const marks = path.join(k.dir, 'marks');
    fs.mkdirSync(marks);
    const GRACE = 4;
    // The trap only records SIGTERM: the shell carries on, so only SIGKILL after the grace period ends it.
    await podApi().create(pod('stubborn', {
      command: ['sh', '-c', "trap 'date +%s > /marks/term' TERM; while true; do date +%s > /marks/alive; sleep 0.3; done"],
      volumeMounts: [{ name: 'marks', mountPath: '/marks' }],
    }, { terminationGracePeriodSeconds: GRACE, volumes: [{ name: 'marks', hostPath: { path: marks, type: 'Directory' } }] }));
    const running = await waitPod('stubborn', 'running', (p) => !!p.status?.containerStatuses?.[0]?.state?.running);
    await eventually('the heartbeat file', () => fs.existsSync(path.join(marks, 'alive')), 30_000, 200);
    const deletedAt = Date.now();
    expect(await k.kubectl(['delete', 'pod', 'stubborn', '--wait=false'])).toMatchObject({ code: 0 });
    await eventually('the container got SIGTERM', () => fs.existsSync(path.join(marks, 'term')), 30_000, 100);
    await eventually('the pod is gone', async () => !(await podApi().list({ fieldSelector: 'metadata.name=stubborn' })).items.length, 60_000, 200);
    await eventually('the container is gone', () => dockerAttempts(running).length === 0, 30_000, 300);
    const term = Number(fs.readFileSync(path.join(marks, 'term'), 'utf8'));
    const alive = Number(fs.readFileSync(path.join(marks, 'alive'), 'utf8'));
    process.stderr.write(`SIGTERM at ${term}, last heartbeat ${alive} (grace ${GRACE} s), pod gone after ${Date.now() - deletedAt} ms\n`);
    // It kept running through (most of) the grace period after SIGTERM: it was not killed at once.
    expect(alive - term).toBeGreaterThanOrEqual(GRACE - 2);
  }, 90_000);
});
