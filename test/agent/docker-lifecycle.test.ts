/**
 * Container lifecycle on the docker runtime as kubelet runs it: restarts with the crash-loop back-off,
 * liveness and readiness probes, image pull failures offline, completion, graceful deletion with preStop
 * and SIGTERM. One agent runs all these pods side by side.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isNotFound, resources } from '../../src/client/index.js';
import type { Event, Pod } from '../../src/client/index.js';
import { waitFor } from '../support/wait.js';
import { dockerAvailable, dockerTest, execInPod, randomPodCIDR, startDockerCluster, waitForNodeReady, waitForPod } from './docker-support.js';
import type { DockerCluster } from './docker-support.js';

jest.setTimeout(180_000);

let dc: DockerCluster;
let node: string;
let shared: string;

beforeAll(async () => {
  if (!dockerAvailable) return;
  shared = mkdtempSync(path.join(os.tmpdir(), 'pgkube-docker-shared-'));
  dc = await startDockerCluster();
  node = dc.startAgent(['--pod-cidr', randomPodCIDR()]).node;
  await waitForNodeReady(dc.client, node);
});

afterAll(async () => {
  if (dc) await dc.stop();
  if (shared) rmSync(shared, { recursive: true, force: true });
});

afterEach(() => {
  if (dc && expect.getState().assertionCalls !== expect.getState().numPassingAsserts) process.stderr.write(dc.logs().slice(-6000));
});

const pods = () => dc.client.resource(resources.pods, 'default');
const BUSYBOX = 'local/busybox:1';
/** A shell that ends on SIGTERM (PID 1 ignores signals it has no handler for). */
const SLEEPER = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];

function pod(name: string, spec: Partial<NonNullable<Pod['spec']>>): Pod {
  return { metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 2, containers: [], ...spec } };
}

async function eventsOf(name: string): Promise<string[]> {
  const list = (await dc.client.resource(resources.events, 'default').list()).items.filter((e: Event) => e.involvedObject.name === name);
  return list.map((e) => `${e.reason}: ${e.message}`);
}

dockerTest('a crashing container restarts at once the first time, then waits in CrashLoopBackOff with a doubling back-off', async () => {
  const created = await pods().create(
    pod('crash', { containers: [{ name: 'crash', image: BUSYBOX, command: ['sh', '-c', 'echo bye > /dev/termination-log; exit 3'] }] }),
  );
  const desc = `crash_default(${created.metadata.uid})`;
  // First crash: restarted with no back-off (restartCount 1), the second crash waits the base (1s here).
  const first = await waitForPod(dc.client, 'default', 'crash', 'CrashLoopBackOff after one restart', (p) => {
    const c = p.status?.containerStatuses?.[0];
    return c?.state?.waiting?.reason === 'CrashLoopBackOff' && c.restartCount === 1;
  });
  const c1 = first.status!.containerStatuses![0];
  expect(c1.state!.waiting!.message).toBe(`back-off 1s restarting failed container=crash pod=${desc}`);
  expect(c1.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'bye\n' });
  expect(c1.lastState?.terminated?.containerID).toMatch(/^docker:\/\//);
  expect(c1.ready).toBe(false);
  expect(first.status?.phase).toBe('Running');
  const later = await waitForPod(dc.client, 'default', 'crash', 'the back-off doubled', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.message?.startsWith('back-off 2s') === true);
  expect(later.status!.containerStatuses![0].restartCount).toBe(2);
  await waitFor('BackOff event', async () => (await eventsOf('crash')).includes(`BackOff: Back-off restarting failed container crash in pod ${desc}`));
  await pods().delete('crash', { gracePeriodSeconds: 0 });
});

dockerTest('restartPolicy Never: exit 0 Succeeds, exit 1 Fails; OnFailure: exit 0 Succeeds without a restart', async () => {
  await pods().create(pod('done', { restartPolicy: 'Never', containers: [{ name: 'job', image: BUSYBOX, command: ['true'] }] }));
  await pods().create(pod('fails', { restartPolicy: 'Never', containers: [{ name: 'job', image: BUSYBOX, command: ['sh', '-c', 'exit 1'] }] }));
  await pods().create(pod('onfailure', { restartPolicy: 'OnFailure', containers: [{ name: 'job', image: BUSYBOX, command: ['true'] }] }));
  const done = await waitForPod(dc.client, 'default', 'done', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
  expect(done.status!.containerStatuses![0].state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  expect(done.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  const fails = await waitForPod(dc.client, 'default', 'fails', 'Failed', (p) => p.status?.phase === 'Failed');
  expect(fails.status!.containerStatuses![0]).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } });
  const onFailure = await waitForPod(dc.client, 'default', 'onfailure', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
  expect(onFailure.status!.containerStatuses![0].restartCount).toBe(0);
});

dockerTest('a container over its memory limit ends OOMKilled', async () => {
  await pods().create(
    pod('oom', { restartPolicy: 'Never', containers: [{ name: 'hog', image: BUSYBOX, command: ['tail', '/dev/zero'], resources: { limits: { memory: '16Mi' } } }] }),
  );
  const p = await waitForPod(dc.client, 'default', 'oom', 'Failed', (x) => x.status?.phase === 'Failed');
  expect(p.status!.containerStatuses![0].state!.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
});

dockerTest('a startup probe holds back started and readiness; postStart runs before the container counts as started', async () => {
  await pods().create(
    pod('slow', {
      containers: [
        {
          name: 'app',
          image: BUSYBOX,
          command: SLEEPER,
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hooked > /tmp/poststart'] } } },
          startupProbe: { exec: { command: ['cat', '/tmp/up'] }, periodSeconds: 1, failureThreshold: 600 },
        },
      ],
    }),
  );
  const p = await waitForPod(dc.client, 'default', 'slow', 'running, not started', (x) => x.status?.containerStatuses?.[0]?.state?.running !== undefined);
  expect(p.status!.containerStatuses![0]).toMatchObject({ started: false, ready: false });
  expect(execInPod(p, 'app', ['cat', '/tmp/poststart'])).toBe('hooked\n');
  execInPod(p, 'app', ['touch', '/tmp/up']);
  const up = await waitForPod(dc.client, 'default', 'slow', 'started and Ready', (x) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  expect(up.status!.containerStatuses![0]).toMatchObject({ started: true, ready: true, restartCount: 0 });
});

dockerTest('a failing liveness probe kills and restarts the container, with Unhealthy and Killing events', async () => {
  await pods().create(
    pod('live', {
      containers: [
        {
          name: 'live',
          image: BUSYBOX,
          command: ['sh', '-c', 'trap "exit 0" TERM; [ -f /tmp/started ] || { touch /tmp/healthy; }; touch /tmp/started; while true; do sleep 1; done'],
          livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 },
        },
      ],
    }),
  );
  const p = await waitForPod(dc.client, 'default', 'live', 'Running', (x) => x.status?.containerStatuses?.[0]?.state?.running !== undefined);
  execInPod(p, 'live', ['rm', '/tmp/healthy']);
  const restarted = await waitForPod(dc.client, 'default', 'live', 'restarted once', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  expect(restarted.status!.containerStatuses![0].lastState?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  const events = await waitFor('Killing event', async () => {
    const ev = await eventsOf('live');
    return ev.some((e) => e.startsWith('Killing:')) && ev;
  });
  expect(events).toContain('Killing: Container live failed liveness probe, will be restarted');
  expect(events).toContain("Unhealthy: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory");
});

dockerTest('a readiness probe flips the container and the pod between Ready and not Ready', async () => {
  await pods().create(
    pod('ready', {
      containers: [
        {
          name: 'web',
          image: BUSYBOX,
          command: ['sh', '-c', 'mkdir -p /www; exec httpd -f -p 8080 -h /www'],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/ok', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    }),
  );
  const unready = await waitForPod(dc.client, 'default', 'ready', 'running, not ready', (x) => x.status?.containerStatuses?.[0]?.state?.running !== undefined);
  expect(unready.status!.containerStatuses![0].ready).toBe(false);
  expect(unready.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' });
  execInPod(unready, 'web', ['sh', '-c', 'echo ok > /www/ok']);
  await waitForPod(dc.client, 'default', 'ready', 'Ready', (x) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  execInPod(unready, 'web', ['rm', '/www/ok']);
  const again = await waitForPod(dc.client, 'default', 'ready', 'not Ready again', (x) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False');
  expect(again.status!.containerStatuses![0]).toMatchObject({ ready: false, restartCount: 0 });
  expect(await eventsOf('ready')).toContain('Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404');
});

dockerTest('a missing image: ErrImagePull, then ImagePullBackOff, never a registry; Never policy: ErrImageNeverPull', async () => {
  await pods().create(pod('noimage', { containers: [{ name: 'app', image: 'local/missing:1' }] }));
  await pods().create(pod('neverpull', { containers: [{ name: 'app', image: 'local/missing:1', imagePullPolicy: 'Never' }] }));
  const backoff = await waitForPod(dc.client, 'default', 'noimage', 'ImagePullBackOff', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
  expect(backoff.status!.containerStatuses![0].state!.waiting!.message).toMatch(/^Back-off pulling image "local\/missing:1": ErrImagePull: failed to pull and unpack image "docker.io\/local\/missing:1"/);
  expect(backoff.status!.phase).toBe('Pending');
  const events = await eventsOf('noimage');
  expect(events).toContain('Pulling: Pulling image "local/missing:1"');
  expect(events).toContain('Failed: Error: ErrImagePull');
  expect(events).toContain('BackOff: Back-off pulling image "local/missing:1"');
  expect(events.some((e) => e.startsWith('Failed: Failed to pull image "local/missing:1": '))).toBe(true);
  const never = await waitForPod(dc.client, 'default', 'neverpull', 'ErrImageNeverPull', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull');
  expect(never.status!.containerStatuses![0].state!.waiting!.message).toBe('Container image "local/missing:1" is not present with pull policy of Never');
});

dockerTest('a reference to a missing configMap: CreateContainerConfigError until it exists', async () => {
  await pods().create(pod('needs-config', { containers: [{ name: 'app', image: BUSYBOX, command: SLEEPER, env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'later', key: 'x' } } }] }] }));
  const waiting = await waitForPod(dc.client, 'default', 'needs-config', 'CreateContainerConfigError', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
  expect(waiting.status!.containerStatuses![0].state!.waiting!.message).toBe('configmap "later" not found');
  expect(await eventsOf('needs-config')).toContain('Failed: Error: configmap "later" not found');
  await dc.client.resource(resources.configmaps, 'default').create({ metadata: { name: 'later' }, data: { x: 'now' } });
  const started = await waitForPod(dc.client, 'default', 'needs-config', 'Running', (x) => x.status?.containerStatuses?.[0]?.state?.running !== undefined);
  expect(execInPod(started, 'app', ['sh', '-c', 'echo -n $X'])).toBe('now');
});

dockerTest('graceful deletion runs preStop, then SIGTERM; the agent removes the pod and its containers', async () => {
  await pods().create(
    pod('graceful', {
      terminationGracePeriodSeconds: 20,
      volumes: [{ name: 'out', hostPath: { path: shared, type: 'Directory' } }],
      containers: [
        {
          name: 'app',
          image: BUSYBOX,
          command: ['sh', '-c', 'trap "echo term >> /out/log; exit 0" TERM; echo started >> /out/log; while true; do sleep 1; done'],
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /out/log'] } } },
          volumeMounts: [{ name: 'out', mountPath: '/out' }],
        },
      ],
    }),
  );
  const running = await waitForPod(dc.client, 'default', 'graceful', 'Running', (x) => x.status?.phase === 'Running');
  await pods().delete('graceful');
  await waitFor(
    'pod deleted by the agent',
    async () => {
      try {
        await pods().get('graceful');
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    },
    60_000,
    200,
  );
  expect(readFileSync(path.join(shared, 'log'), 'utf8')).toBe('started\nprestop\nterm\n');
  expect(await eventsOf('graceful')).toContain('Killing: Stopping container app');
  await waitFor('containers removed', () => {
    try {
      execInPod(running, 'app', ['true']);
      return false;
    } catch {
      return true;
    }
  });
});
