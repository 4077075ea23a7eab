import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request, watch } from '../support/http.js';

/**
 * Resources served at several versions and stored once, as kube-apiserver 1.33 does: HorizontalPodAutoscalers
 * at autoscaling/v2 (storage) and autoscaling/v1 (converted, with the round-trip annotations of upstream's
 * conversion), and Events at core v1 (storage) and events.k8s.io/v1.
 */

let f: ApiFixture;
const NS = 'multiversion';
const V1 = `/apis/autoscaling/v1/namespaces/${NS}/horizontalpodautoscalers`;
const V2 = `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`;
const CORE_EVENTS = `/api/v1/namespaces/${NS}/events`;
const NEW_EVENTS = `/apis/events.k8s.io/v1/namespaces/${NS}/events`;
const TABLE = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, NS);
});
afterAll(async () => {
  await f.close();
});

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

test('an HPA created at v1 is one object at v2, with the v2 defaults', async () => {
  const created = await request(f.base, 'POST', V1, {
    apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'from-v1', annotations: { keep: 'me' } },
    spec: { scaleTargetRef: ref, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
  });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec: { minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 } });
  expect(created.json.metadata.annotations).toEqual({ keep: 'me' });
  const v2 = await request(f.base, 'GET', `${V2}/from-v1`);
  expect(v2.json.apiVersion).toBe('autoscaling/v2');
  expect(v2.json.metadata.uid).toBe(created.json.metadata.uid);
  expect(v2.json.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
  expect(v2.json.metadata.annotations).toEqual({ keep: 'me' });
  // Without a target, v1's implicit 80% becomes explicit.
  const bare = await request(f.base, 'POST', V1, { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bare' }, spec: { scaleTargetRef: ref, maxReplicas: 2 } });
  expect(bare.json.spec.targetCPUUtilizationPercentage).toBe(80);
});

test('v2-only fields reach v1 as annotations and survive a v1 read-modify-write', async () => {
  const created = await request(f.base, 'POST', V2, {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'rich' },
    spec: {
      scaleTargetRef: ref, minReplicas: 2, maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1000m' } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  });
  expect(created.status).toBe(201);
  expect(created.json.spec.behavior.scaleUp.policies).toHaveLength(2);
  const v1 = await request(f.base, 'GET', `${V1}/rich`);
  expect(v1.json.spec).toEqual({ scaleTargetRef: ref, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 });
  const annotations = v1.json.metadata.annotations;
  expect(JSON.parse(annotations['autoscaling.alpha.kubernetes.io/metrics'])).toEqual([{ type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '1' } }]);
  const behavior = JSON.parse(annotations['autoscaling.alpha.kubernetes.io/behavior']);
  expect(behavior.ScaleDown).toEqual({ StabilizationWindowSeconds: 300, SelectPolicy: 'Max', Policies: [{ Type: 'Percent', Value: 100, PeriodSeconds: 15 }], Tolerance: null });

  // A v1 client changes maxReplicas and writes the whole object back.
  const put = await request(f.base, 'PUT', `${V1}/rich`, { ...v1.json, spec: { ...v1.json.spec, maxReplicas: 12 } });
  expect(put.status).toBe(200);
  const after = await request(f.base, 'GET', `${V2}/rich`);
  expect(after.json.spec.maxReplicas).toBe(12);
  expect(after.json.spec.metrics).toEqual([
    { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1' } } },
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
  ]);
  expect(after.json.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
  expect(after.json.metadata.annotations).toBeUndefined();

  // Status written at v2 shows at v1 as currentCPUUtilizationPercentage plus the annotations.
  const status = await request(f.base, 'PUT', `${V2}/rich/status`, {
    ...after.json,
    status: { currentReplicas: 3, desiredReplicas: 4, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 55, averageValue: '200m' } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'ReadyForNewScale' }] },
  });
  expect(status.status).toBe(200);
  const v1Status = await request(f.base, 'GET', `${V1}/rich`);
  expect(v1Status.json.status).toEqual({ currentReplicas: 3, desiredReplicas: 4, currentCPUUtilizationPercentage: 55 });
  expect(JSON.parse(v1Status.json.metadata.annotations['autoscaling.alpha.kubernetes.io/conditions'])).toEqual([
    { type: 'AbleToScale', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'ReadyForNewScale' },
  ]);
});

test('v1 lists, patches, tables and watches', async () => {
  const list = await request(f.base, 'GET', V1);
  expect(list.json.kind).toBe('HorizontalPodAutoscalerList');
  expect(list.json.apiVersion).toBe('autoscaling/v1');
  expect(list.json.items.every((i: { apiVersion: string }) => i.apiVersion === 'autoscaling/v1')).toBe(true);
  const patched = await request(f.base, 'PATCH', `${V1}/from-v1`, { spec: { targetCPUUtilizationPercentage: 75 } }, { 'Content-Type': 'application/merge-patch+json' });
  expect(patched.status).toBe(200);
  expect(patched.json.spec.targetCPUUtilizationPercentage).toBe(75);
  const table = await request(f.base, 'GET', V1, undefined, TABLE);
  expect(table.json.kind).toBe('Table');
  expect(table.json.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods']));
  expect(table.json.rows.length).toBe(list.json.items.length);

  const w = await watch(f.base, `${V1}?watch=true&resourceVersion=${patched.json.metadata.resourceVersion}`);
  await request(f.base, 'PATCH', `${V2}/from-v1`, { spec: { maxReplicas: 7 } }, { 'Content-Type': 'application/merge-patch+json' });
  const [event] = await w.waitFor(1);
  w.close();
  expect(event.type).toBe('MODIFIED');
  expect(event.object).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { maxReplicas: 7, targetCPUUtilizationPercentage: 75 } });
});

test('discovery prefers autoscaling/v2 and lists both versions', async () => {
  const group = await request(f.base, 'GET', '/apis/autoscaling');
  expect(group.json.preferredVersion.version).toBe('v2');
  expect(group.json.versions.map((v: { version: string }) => v.version)).toEqual(['v2', 'v1']);
  const v1 = await request(f.base, 'GET', '/apis/autoscaling/v1');
  expect(v1.json.resources.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['horizontalpodautoscalers', 'horizontalpodautoscalers/status']));
  const openapi = await request(f.base, 'GET', '/openapi/v3/apis/autoscaling/v1');
  expect(openapi.status).toBe(200);
  expect(Object.keys(openapi.json.components.schemas)).toContain('io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler');
});

test('an Event is one object at core v1 and events.k8s.io/v1', async () => {
  const created = await request(f.base, 'POST', NEW_EVENTS, {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e1' }, eventTime: '2026-01-01T00:00:00.000000Z',
    reportingController: 'example.com/ctl', reportingInstance: 'ctl-1', action: 'Scale', reason: 'Scaled', type: 'Normal',
    regarding: { kind: 'Deployment', namespace: NS, name: 'web', apiVersion: 'apps/v1' }, note: 'scaled up',
  });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'scaled up', regarding: { name: 'web' }, reportingController: 'example.com/ctl' });
  const core = await request(f.base, 'GET', `${CORE_EVENTS}/e1`);
  expect(core.json).toMatchObject({ apiVersion: 'v1', kind: 'Event', message: 'scaled up', involvedObject: { kind: 'Deployment', name: 'web' }, reportingComponent: 'example.com/ctl', reportingInstance: 'ctl-1' });
  expect(core.json.metadata.uid).toBe(created.json.metadata.uid);

  // A core event, read and selected through events.k8s.io/v1.
  await request(f.base, 'POST', CORE_EVENTS, {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'e2' }, involvedObject: { kind: 'Pod', namespace: NS, name: 'p' },
    reason: 'Pulled', message: 'pulled image', type: 'Normal', count: 3, source: { component: 'kubelet' }, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:01:00Z',
  });
  const list = await request(f.base, 'GET', NEW_EVENTS);
  expect(list.json.apiVersion).toBe('events.k8s.io/v1');
  const e2 = list.json.items.find((e: { metadata: { name: string } }) => e.metadata.name === 'e2');
  expect(e2).toMatchObject({ note: 'pulled image', deprecatedCount: 3, deprecatedSource: { component: 'kubelet' }, deprecatedFirstTimestamp: '2026-01-01T00:00:00Z', regarding: { kind: 'Pod', name: 'p' } });
  const byName = await request(f.base, 'GET', `${NEW_EVENTS}?fieldSelector=metadata.name%3De2`);
  expect(byName.json.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['e2']);
  const byRegarding = await request(f.base, 'GET', `${NEW_EVENTS}?fieldSelector=${encodeURIComponent('regarding.kind=Pod,reportingController!=x')}`);
  expect(byRegarding.json.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['e2']);
  const coreLabel = await request(f.base, 'GET', `${NEW_EVENTS}?fieldSelector=involvedObject.kind%3DPod`);
  expect(coreLabel.status).toBe(400);
  const table = await request(f.base, 'GET', NEW_EVENTS, undefined, TABLE);
  expect(table.json.rows).toHaveLength(2);

  const w = await watch(f.base, `${NEW_EVENTS}?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`);
  await request(f.base, 'DELETE', `${CORE_EVENTS}/e2`);
  const [event] = await w.waitFor(1);
  w.close();
  expect(event).toMatchObject({ type: 'DELETED', object: { apiVersion: 'events.k8s.io/v1', note: 'pulled image' } });
  expect((await request(f.base, 'GET', `${NEW_EVENTS}/e2`)).status).toBe(404);
});

test('kubectl reads both versions', async () => {
  const { kubectlPath, runKubectl } = await import('../support/kubectl.js');
  const bin = await kubectlPath();
  const v1 = await runKubectl(bin, ['-n', NS, 'get', 'horizontalpodautoscalers.v1.autoscaling', 'from-v1', '-o', 'json'], { server: f.base });
  expect(v1.stderr).toBe('');
  expect(JSON.parse(v1.stdout)).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 75 } });
  const table = await runKubectl(bin, ['-n', NS, 'get', 'hpa'], { server: f.base });
  expect(table.stdout).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
  expect(table.stdout).toMatch(/\nfrom-v1\s+Deployment\/web\s+/);
  const events = await runKubectl(bin, ['-n', NS, 'get', 'events.events.k8s.io', '-o', 'name'], { server: f.base });
  expect(events.stdout.trim().split('\n')).toContain('event.events.k8s.io/e1');
});

test('events are validated for the version they are created at', async () => {
  const strict = await request(f.base, 'POST', NEW_EVENTS, {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'bad' }, eventTime: '2026-01-01T00:00:00.000000Z',
    type: 'Info', deprecatedCount: 2, regarding: { kind: 'Pod', namespace: NS, name: 'p' },
  });
  expect(strict.status).toBe(422);
  expect((strict.json.details.causes as { field: string; message: string }[]).map((c) => `${c.field}: ${c.message}`)).toEqual(
    expect.arrayContaining([
      'reportingController: Required value',
      'reportingInstance: Required value',
      'action: Required value',
      'reason: Required value',
      'type: Invalid value: "": has invalid value: Info',
      'deprecatedCount: Invalid value: "": needs to be unset',
    ]),
  );
  expect(strict.json.details).toMatchObject({ group: 'events.k8s.io', kind: 'Event', name: 'bad' });
  const legacy = await request(f.base, 'POST', CORE_EVENTS, {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'elsewhere' }, involvedObject: { kind: 'Pod', namespace: 'other', name: 'p' }, reason: 'R', message: 'm',
  });
  expect(legacy.status).toBe(422);
  expect(legacy.json.message).toBe('Event "elsewhere" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
});
