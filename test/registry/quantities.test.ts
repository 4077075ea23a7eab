import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

/**
 * Quantities on write, as kube-apiserver 1.33 treats them: every resource.Quantity field is stored and
 * served canonical, pods request their limits by default, and bad values are refused with upstream's
 * messages (a decode error, a 422 on the patch, or the validation of resources).
 */

let f: ApiFixture;
const NS = 'quantities';
const PODS = `/api/v1/namespaces/${NS}/pods`;

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, NS);
});
afterAll(async () => {
  await f.close();
});

function pod(name: string, resources: unknown, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx', resources }], ...extra } };
}

test('container resources and overhead are stored canonical; requests default to limits', async () => {
  const r = await request(f.base, 'POST', PODS, pod('canon', { limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: 0.5 } }, { overhead: { memory: '1.5Gi' } }));
  expect(r.status).toBe(201);
  const res = r.json.spec.containers[0].resources;
  expect(res.limits).toEqual({ cpu: '1', memory: '1Gi' });
  expect(res.requests).toEqual({ cpu: '500m', memory: '1Gi' });
  expect(r.json.spec.overhead).toEqual({ memory: '1536Mi' });
  expect(r.json.status.qosClass).toBe('Burstable');
  const got = await request(f.base, 'GET', `${PODS}/canon`);
  expect(got.json.spec.containers[0].resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
});

test('limits alone make a Guaranteed pod (requests copied, compared as quantities)', async () => {
  const r = await request(f.base, 'POST', PODS, pod('guaranteed', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m' } }));
  expect(r.status).toBe(201);
  expect(r.json.status.qosClass).toBe('Guaranteed');
});

test('node capacity, HPA targets, quota and PVC requests are canonical too', async () => {
  const node = await request(f.base, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: '4000m', memory: '8388608Ki', pods: '110' } },
  });
  expect(node.status).toBe(201);
  const status = await request(f.base, 'PUT', '/api/v1/nodes/n1/status', { ...node.json, status: { capacity: { cpu: '4000m', memory: '8388608Ki', pods: '110' }, allocatable: { memory: '0.5Gi' } } });
  expect(status.json.status.capacity).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
  expect(status.json.status.allocatable).toEqual({ memory: '512Mi' });
  const hpa = await request(f.base, 'POST', `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`, {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, maxReplicas: 3,
      metrics: [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1000m' } } }] },
  });
  expect(hpa.status).toBe(201);
  expect(hpa.json.spec.metrics[0].pods.target.averageValue).toBe('1');
  const quota = await request(f.base, 'POST', `/api/v1/namespaces/${NS}/resourcequotas`, {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': '2000m', pods: '10' } },
  });
  expect(quota.json.spec.hard).toEqual({ 'requests.cpu': '2', pods: '10' });
  const pvc = await request(f.base, 'POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } },
  });
  expect(pvc.json.spec.resources.requests).toEqual({ storage: '1Gi' });
});

test('a patch is canonicalised; a bad quantity in a patch is 422 on the patch', async () => {
  await request(f.base, 'POST', PODS, pod('patched', { requests: { cpu: '100m' } }));
  const merge = await request(f.base, 'PATCH', `${PODS}/patched`, { metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(merge.status).toBe(200);
  const node = await request(f.base, 'PATCH', '/api/v1/nodes/n1/status', { status: { capacity: { cpu: '8000m' } } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(node.json.status.capacity.cpu).toBe('8');
  const bad = await request(f.base, 'PATCH', '/api/v1/nodes/n1/status', { status: { capacity: { cpu: 'lots' } } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(bad.status).toBe(422);
  expect(bad.json.reason).toBe('Invalid');
  expect(bad.json.details.causes[0]).toMatchObject({ field: 'patch' });
  expect(bad.json.message).toContain("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
});

test('node capacity and allocatable are validated as upstream ValidateNodeResources', async () => {
  const r = await request(f.base, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'bad-node' }, status: { capacity: { cpu: '-1' } },
  });
  // A node keeps the status it is created with (as the kubelet registers it), so the create is checked too.
  expect(r.status).toBe(422);
  expect(r.json.message).toBe('Node "bad-node" is invalid: status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0');
  const good = await request(f.base, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'bad-node' }, status: { capacity: { cpu: '2000m' } } });
  expect(good.json.status.capacity).toEqual({ cpu: '2' });
  const bad = await request(f.base, 'PUT', '/api/v1/nodes/bad-node/status', { ...good.json, status: { capacity: { cpu: '-1', pods: '1.5' } } });
  expect(bad.status).toBe(422);
  expect(bad.json.message).toBe(
    'Node "bad-node" is invalid: [status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0, status.capacity.pods: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer]',
  );
});

test('limit ranges and claims: upstream relations between quantities, a positive storage request', async () => {
  const LR = `/api/v1/namespaces/${NS}/limitranges`;
  const ok = await request(f.base, 'POST', LR, {
    apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'ok' },
    spec: { limits: [{ type: 'Container', min: { cpu: '100m' }, max: { cpu: '2000m' }, default: { cpu: '0.5' }, defaultRequest: { cpu: '200m' } }] },
  });
  expect(ok.status).toBe(201);
  expect(ok.json.spec.limits[0]).toMatchObject({ max: { cpu: '2' }, default: { cpu: '500m' } });
  const bad = await request(f.base, 'POST', LR, {
    apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'bad' },
    spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }, { type: 'Pod', default: { cpu: '1' } }, { type: 'Thing' }] },
  });
  expect(bad.status).toBe(422);
  expect((bad.json.details.causes as { field: string; message: string }[]).map((c) => `${c.field}: ${c.message}`)).toEqual([
    'spec.limits[0].min[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"2", Format:"DecimalSI"}: min value 2 is greater than max value 1',
    "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
    'spec.limits[2].type: Invalid value: "Thing": must be a standard limit type or fully qualified',
  ]);
  const PVC = `/api/v1/namespaces/${NS}/persistentvolumeclaims`;
  const claim = (name: string, requests: Record<string, string>) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests } } });
  const none = await request(f.base, 'POST', PVC, claim('none', {}));
  expect(none.json.message).toBe('PersistentVolumeClaim "none" is invalid: spec.resources[storage]: Required value');
  const zero = await request(f.base, 'POST', PVC, claim('zero', { storage: '0' }));
  expect(zero.json.message).toBe('PersistentVolumeClaim "zero" is invalid: spec.resources[storage]: Invalid value: "0": must be greater than zero');
});
