/**
 * Issue #5, end to end: stock kubectl 1.33 against apiserver, controller-manager, scheduler and a simulated
 * agent, each its own process. A Deployment is created, rolled out, rolled to a new image within its
 * surge and unavailability bounds (checked on every pod event of a watch), scaled, and heals a deleted pod.
 */
import { jest } from '@jest/globals';
import { resources } from '../../src/client/index.js';
import { eventually } from '../support/eventually.js';
import { isReady, isTerminating, PodWatch, rows, startE2E } from './cluster-support.js';
import type { E2ECluster, PodSample } from './cluster-support.js';

jest.setTimeout(120_000);

let e: E2ECluster;
beforeAll(async () => {
  e = await startE2E({ simulatedNodes: 2 });
  await e.k('create', 'namespace', 'shop');
});
afterAll(async () => {
  await e?.stop();
});

const k = (...args: string[]) => e.k('-n', 'shop', ...args);

/** The pods of deployment/web that are not being deleted. */
async function webPods() {
  return (await e.client.resource(resources.pods, 'shop').list({ labelSelector: 'app=web' })).items.filter((p) => !isTerminating(p));
}

test('create deployment, then rollout status: three pods Running and Ready on the simulated nodes', async () => {
  expect(await k('create', 'deployment', 'web', '--image=nginx', '--replicas=3')).toContain('deployment.apps/web created');
  expect(await k('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('deployment "web" successfully rolled out');
  const pods = await webPods();
  expect(pods).toHaveLength(3);
  const nodes = (await e.client.resource(resources.nodes).list()).items.map((n) => n.metadata.name);
  for (const p of pods) {
    expect([p.metadata.name, p.status?.phase, isReady(p)]).toEqual([p.metadata.name, 'Running', true]);
    expect(nodes).toContain(p.spec?.nodeName);
  }
  const table = rows(await k('get', 'pods', '-l', 'app=web'));
  expect(table.map((r) => r.slice(1, 3))).toEqual([
    ['1/1', 'Running'],
    ['1/1', 'Running'],
    ['1/1', 'Running'],
  ]);
  expect(rows(await k('get', 'deployment', 'web'))).toEqual([['web', '3/3', '3', '3', expect.any(String)]]);
});

/** Rolls deployment/web to `image` while watching its pods; returns the samples seen. */
async function rollWatched(image: string) {
  const watch = new PodWatch(e.client, 'shop', 'app=web');
  await watch.start();
  await k('set', 'image', 'deployment/web', `nginx=${image}`);
  expect(await k('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('successfully rolled out');
  // The rollout is done once the old pods are being deleted too: wait for the watch to see only the new ones
  // active (the simulated containers take their whole grace period to stop, so terminating ones linger).
  await eventually('only the new pods remain', async () => {
    const all = [...watch.pods.values()].filter((p) => !isTerminating(p));
    const want = (await e.client.resource(resources.deployments, 'shop').get('web')).spec!.replicas!;
    return all.length === want && all.every((p) => p.spec?.containers[0].image === image && isReady(p) && !isTerminating(p));
  }, 60_000);
  return watch.stop();
}

/** Every sample within the rolling update's bounds; else fails with the whole sequence and the cluster's logs. */
function expectWithin(samples: PodSample[], replicas: number, maxSurge: number, maxUnavailable: number): void {
  const bad = samples.filter((s) => s.active > replicas + maxSurge || s.ready < replicas - maxUnavailable);
  if (bad.length === 0) return;
  const seq = samples.map((s) => `rv ${s.resourceVersion}: ${s.active} active, ${s.ready} ready, ${s.total} in all; ${s.byOwner}`).join('\n');
  throw new Error(`pods outside ${replicas} replicas, surge ${maxSurge}, unavailable ${maxUnavailable} at rv ${bad.map((s) => s.resourceVersion).join(', ')}:\n${seq}\n${e.cluster.logs()}`);
}

test('set image rolls with at most maxSurge extra and maxUnavailable missing pods at every event', async () => {
  // kubectl create deployment leaves upstream's defaults: 25% surge (rounded up: 1 of 3), 25% unavailable (rounded down: 0).
  const d = await e.client.resource(resources.deployments, 'shop').get('web');
  expect(d.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
  const samples = await rollWatched('nginx:1.27');
  const maxActive = Math.max(...samples.map((s) => s.active));
  const minReady = Math.min(...samples.map((s) => s.ready));
  // Upstream bounds pods not being deleted; terminating ones are reported, not bounded.
  process.stdout.write(`rollout 3 replicas, surge 1, unavailable 0: ${samples.length} pod events, max ${maxActive} active, max ${Math.max(...samples.map((s) => s.total))} with terminating, min ${minReady} ready\n`);
  expectWithin(samples, 3, 1, 0);
  // The rollout did surge: a fourth pod existed at some point.
  expect(maxActive).toBe(4);

  // A wider window: 4 replicas, surge 2, unavailable 1.
  await k('patch', 'deployment/web', '-p', '{"spec":{"replicas":4,"strategy":{"rollingUpdate":{"maxSurge":2,"maxUnavailable":1}}}}');
  expect(await k('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('successfully rolled out');
  const wide = await rollWatched('nginx:1.28');
  process.stdout.write(`rollout 4 replicas, surge 2, unavailable 1: ${wide.length} pod events, max ${Math.max(...wide.map((s) => s.active))} active, min ${Math.min(...wide.map((s) => s.ready))} ready\n`);
  expectWithin(wide, 4, 2, 1);
  expect(rows(await k('get', 'rs')).filter((r) => r[1] !== '0')).toHaveLength(1);
});

test('scale up and down', async () => {
  expect(await k('scale', 'deployment/web', '--replicas=6')).toContain('deployment.apps/web scaled');
  expect(await k('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('successfully rolled out');
  await eventually('six Ready pods', async () => (await webPods()).filter(isReady).length === 6);
  expect(rows(await k('get', 'deployment', 'web'))[0][1]).toBe('6/6');

  expect(await k('scale', 'deployment/web', '--replicas=2')).toContain('deployment.apps/web scaled');
  expect(await k('rollout', 'status', 'deployment/web', '--timeout=90s')).toContain('successfully rolled out');
  await eventually('two pods left', async () => (await webPods()).length === 2, 60_000);
  expect(rows(await k('get', 'deployment', 'web'))[0][1]).toBe('2/2');
});

test('a deleted pod is replaced by a new Ready pod', async () => {
  const before = await webPods();
  expect(before).toHaveLength(2);
  const victim = before[0].metadata.name!;
  const watch = new PodWatch(e.client, 'shop', 'app=web');
  await watch.start();
  const t0 = Date.now();
  // --wait=false: time from the delete request, not from the end of the pod's graceful termination.
  expect(await k('delete', 'pod', victim, '--wait=false')).toContain(`pod "${victim}" deleted`);
  const replacement = await eventually('a new Ready pod', async () => {
    const fresh = [...watch.pods.values()].find((p) => !before.some((b) => b.metadata.uid === p.metadata.uid) && isReady(p) && !isTerminating(p));
    return fresh && { name: fresh.metadata.name!, ms: Date.now() - t0 };
  }, 30_000);
  await watch.stop();
  process.stdout.write(`deleted pod ${victim} replaced by Ready ${replacement.name} after ${replacement.ms} ms (measured, not asserted)\n`);
  await eventually('the deleted pod is being deleted and two others remain', async () => {
    const pods = await webPods();
    return pods.length === 2 && !pods.some((p) => p.metadata.name === victim) && pods.every(isReady);
  }, 60_000);
});
