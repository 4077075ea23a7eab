/**
 * The Endpoints and EndpointSlice controllers against a real apiserver: pods come and go, turn ready and
 * not ready, get deleted gracefully; the service's Endpoints and EndpointSlices follow.
 */
import { resources } from '../../src/client/index.js';
import type { Endpoints, EndpointSlice, Pod, Service } from '../../src/client/index.js';
import * as endpointsController from '../../src/controllers/endpoints/index.js';
import * as endpointsliceController from '../../src/controllers/endpointslice/index.js';
import { TriggerTimeTracker } from '../../src/controllers/util/service-pods.js';
import { truncate } from '../../src/controllers/endpoints/subsets.js';
import { startHarness, waitFor } from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('ep');
  h.startControllers([(ctx) => endpointsController.start(ctx), (ctx) => endpointsliceController.start(ctx, { maxEndpointsPerSlice: 3 })]);
});
afterAll(async () => {
  await h?.close();
});

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

async function makePod(name: string, ip: string, ready: boolean, labels: Record<string, string> = { app: 'web' }): Promise<Pod> {
  const pods = h.client.resource(resources.pods, 'ep');
  const pod = await pods.create({
    metadata: { name, labels },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  return setReady(pod, ip, ready);
}

async function setReady(pod: Pod, ip: string, ready: boolean): Promise<Pod> {
  const t = now();
  return h.client.resource(resources.pods, 'ep').updateStatus({
    ...pod,
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t }] },
  });
}

const endpoints = (name: string) => h.client.resource(resources.endpoints, 'ep').get(name);
const slices = async (svc: string) =>
  (await h.client.resource(resources.endpointslices, 'ep').list({ labelSelector: `kubernetes.io/service-name=${svc}` })).items;
const ips = (list?: { ip: string }[]) => (list ?? []).map((a) => a.ip).sort();
const sliceView = (ss: EndpointSlice[]) =>
  ss
    .flatMap((s) => s.endpoints.map((e) => `${e.addresses[0]} ready=${e.conditions?.ready} serving=${e.conditions?.serving} terminating=${e.conditions?.terminating}`))
    .sort();

test('Endpoints and EndpointSlices list ready pods, then follow readiness and deletion', async () => {
  const svc: Service = await h.client.resource(resources.services, 'ep').create({
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'raw', port: 81, targetPort: 9090 }] },
  });
  const a = await makePod('a', '10.244.1.10', true);
  const b = await makePod('b', '10.244.1.11', false);
  await makePod('other', '10.244.1.12', true, { app: 'other' });

  const ep = await waitFor('endpoints with a ready and b not ready', async () => {
    const e = await endpoints('web');
    return ips(e.subsets?.[0]?.addresses).join() === '10.244.1.10' && ips(e.subsets?.[0]?.notReadyAddresses).join() === '10.244.1.11' ? e : undefined;
  });
  expect(ep.subsets).toHaveLength(1);
  // The named target port resolves to the container's port, the number stays a number; sorted by name.
  expect(ep.subsets![0].ports).toEqual([
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'raw', port: 9090, protocol: 'TCP' },
  ]);
  expect(ep.subsets![0].addresses![0]).toEqual({ ip: '10.244.1.10', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: 'ep', name: 'a', uid: a.metadata.uid } });
  expect(ep.metadata.labels).toEqual({ tier: 'front' });

  const [slice] = await waitFor('one slice', async () => {
    const ss = await slices('web');
    return sliceView(ss).length === 2 ? ss : undefined;
  });
  expect(slice.metadata.labels).toEqual({ tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
  expect(slice.addressType).toBe('IPv4');
  expect(slice.ports).toEqual(expect.arrayContaining([{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'raw', port: 9090, protocol: 'TCP' }]));
  expect(sliceView([slice])).toEqual(['10.244.1.10 ready=true serving=true terminating=false', '10.244.1.11 ready=false serving=false terminating=false']);
  expect(slice.endpoints.find((e) => e.addresses[0] === '10.244.1.10')?.nodeName).toBe('node-a');

  // b turns ready; a is deleted gracefully (stays terminating: nothing finishes the deletion here).
  await setReady(await h.client.resource(resources.pods, 'ep').get('b'), '10.244.1.11', true);
  await h.client.resource(resources.pods, 'ep').delete('a', { gracePeriodSeconds: 30 });
  await waitFor('endpoints drop the terminating pod', async () => {
    const e = await endpoints('web');
    return ips(e.subsets?.[0]?.addresses).join() === '10.244.1.11' && !e.subsets?.[0]?.notReadyAddresses;
  });
  await waitFor('the slice keeps the terminating pod as terminating', async () =>
    JSON.stringify(sliceView(await slices('web'))) ===
    JSON.stringify(['10.244.1.10 ready=false serving=true terminating=true', '10.244.1.11 ready=true serving=true terminating=false']),
  );
});

test('publishNotReadyAddresses, headless label, more endpoints than fit one slice, placeholder and cleanup', async () => {
  const api = h.client.resource(resources.services, 'ep');
  await api.create({ metadata: { name: 'all' }, spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'many' }, ports: [{ port: 7000 }] } });
  for (let i = 0; i < 4; i++) await makePod(`m${i}`, `10.244.2.${10 + i}`, i % 2 === 0, { app: 'many' });
  const e = await waitFor('every pod listed as ready', async () => {
    const got = await endpoints('all');
    return ips(got.subsets?.[0]?.addresses).length === 4 ? got : undefined;
  });
  expect(e.subsets![0].notReadyAddresses).toBeUndefined();
  expect(e.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
  // Three endpoints per slice here: four pods take two slices.
  const ss = await waitFor('two slices', async () => {
    const got = await slices('all');
    return sliceView(got).length === 4 ? got : undefined;
  });
  expect(ss.map((s) => s.endpoints.length).sort()).toEqual([1, 3]);
  expect(ss.every((s) => s.endpoints.every((x) => x.conditions?.ready === true))).toBe(true);
  expect(ss[0].metadata.labels?.['service.kubernetes.io/headless']).toBe('');

  // A service selecting nothing keeps one empty placeholder slice and empty Endpoints.
  await api.create({ metadata: { name: 'none' }, spec: { selector: { app: 'nobody' }, ports: [{ port: 1 }] } });
  const placeholder = await waitFor('placeholder slice', async () => {
    const got = await slices('none');
    return got.length === 1 ? got[0] : undefined;
  });
  expect(placeholder.endpoints ?? []).toEqual([]);
  expect(placeholder.ports).toBeUndefined();
  const empty: Endpoints = await waitFor('empty endpoints', () => endpoints('none'));
  expect(empty.subsets ?? []).toEqual([]);

  // A service without a selector: its Endpoints are someone else's.
  await api.create({ metadata: { name: 'manual' }, spec: { ports: [{ port: 1 }] } });
  await h.client.resource(resources.endpoints, 'ep').create({ metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '10.244.9.9' }], ports: [{ port: 1 }] }] });
  // Deleting the service deletes its Endpoints.
  await api.delete('none');
  await waitFor('endpoints of a deleted service gone', async () => {
    try {
      await endpoints('none');
      return false;
    } catch {
      return true;
    }
  });
  expect(ips((await endpoints('manual')).subsets?.[0]?.addresses)).toEqual(['10.244.9.9']);
  expect(await slices('manual')).toEqual([]);
});

test('the last-change-trigger-time is the earliest change since the previous sync', () => {
  const t = new TriggerTimeTracker();
  const svc: Service = { metadata: { name: 's', creationTimestamp: '2026-01-01T00:00:05Z' } };
  const pod = (name: string, ready: string): Pod => ({
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' },
    status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ready }] },
  });
  expect(t.compute('k', svc, [pod('a', '2026-01-01T00:00:10Z')])).toBe('2026-01-01T00:00:05Z');
  expect(t.compute('k', svc, [pod('a', '2026-01-01T00:00:10Z')])).toBeUndefined();
  expect(t.compute('k', svc, [pod('a', '2026-01-01T00:00:30Z'), pod('b', '2026-01-01T00:00:20Z')])).toBe('2026-01-01T00:00:20Z');
});

test('over 1000 addresses: not-ready ones are cut first, in proportion per subset', () => {
  const addrs = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.${base}.${Math.floor(i / 250)}.${i % 250}` }));
  const { subsets, truncated } = truncate([
    { addresses: addrs(900, 1), notReadyAddresses: addrs(100, 2), ports: [{ port: 1 }] },
    { addresses: addrs(50, 3), notReadyAddresses: addrs(100, 4), ports: [{ port: 2 }] },
  ]);
  expect(truncated).toBe(true);
  expect(subsets.map((s) => [s.addresses?.length, s.notReadyAddresses?.length])).toEqual([[900, 25], [50, 25]]);
  expect(truncate([{ addresses: addrs(10, 1) }]).truncated).toBe(false);
  const ready = truncate([{ addresses: addrs(1200, 1), notReadyAddresses: addrs(5, 2) }]);
  expect([ready.subsets[0].addresses?.length, ready.subsets[0].notReadyAddresses]).toEqual([1000, undefined]);
});
