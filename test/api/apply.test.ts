/**
 * Server-side apply over HTTP: PATCH with application/apply-patch+yaml, managedFields on every write,
 * conflicts between managers, force, pruning of fields a manager stops applying, and /status.
 */
import { apiFixture, configMap } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
const APPLY = { 'Content-Type': 'application/apply-patch+yaml' };

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time?: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

function entries(obj: { metadata: { managedFields?: Entry[] } }): Entry[] {
  return obj.metadata.managedFields ?? [];
}

function deployment(name: string, replicas: number, image = 'nginx:1') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

describe('server-side apply', () => {
  test('creates a missing object (201) and records an Apply entry', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-create\n  labels:\n    app: demo\ndata:\n  a: "1"\n';
    const r = await request(f.base, 'PATCH', `${CM}/ssa-create?fieldManager=tool`, yaml, APPLY);
    expect(r.status).toBe(201);
    expect(r.json.data).toEqual({ a: '1' });
    const [e, ...rest] = entries(r.json);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ manager: 'tool', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' });
    expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(e.fieldsV1)).toBe('{"f:data":{"f:a":{}},"f:metadata":{"f:labels":{"f:app":{}}}}');
    expect(Object.keys(e)).toEqual(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
  });

  test('re-applying the same configuration is a no-op that keeps the resourceVersion', async () => {
    const cfg = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-same' }, data: { a: '1' } };
    const first = await request(f.base, 'PATCH', `${CM}/ssa-same?fieldManager=tool`, cfg, APPLY);
    expect(first.status).toBe(201);
    const again = await request(f.base, 'PATCH', `${CM}/ssa-same?fieldManager=tool`, cfg, APPLY);
    expect(again.status).toBe(200);
    expect(again.json.metadata.resourceVersion).toBe(first.json.metadata.resourceVersion);
    expect(again.json.metadata.managedFields).toEqual(first.json.metadata.managedFields);
  });

  test('a POST records an Update entry for the manager named by fieldManager or the User-Agent', async () => {
    const r = await request(f.base, 'POST', `${CM}`, configMap('ssa-post', { a: '1' }, { app: 'x' }), { 'User-Agent': 'mytool/1.2 (linux)' });
    expect(r.status).toBe(201);
    const [e] = entries(r.json);
    expect(e).toMatchObject({ manager: 'mytool', operation: 'Update', apiVersion: 'v1' });
    expect(e.fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } });
  });

  test('a field owned by another manager conflicts (409 with causes); force takes it over', async () => {
    const a = await request(f.base, 'PATCH', `${DEPLOY}/ssa-conflict?fieldManager=alice`, deployment('ssa-conflict', 1), APPLY);
    expect(a.status).toBe(201);
    const b = await request(f.base, 'PATCH', `${DEPLOY}/ssa-conflict?fieldManager=bob`, deployment('ssa-conflict', 3), APPLY);
    expect(b.status).toBe(409);
    expect(b.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' }] },
      code: 409,
    });
    const forced = await request(f.base, 'PATCH', `${DEPLOY}/ssa-conflict?fieldManager=bob&force=true`, deployment('ssa-conflict', 3), APPLY);
    expect(forced.status).toBe(200);
    expect(forced.json.spec.replicas).toBe(3);
    const byManager = Object.fromEntries(entries(forced.json).map((e) => [e.manager, e.fieldsV1]));
    expect((byManager.alice as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas']).toBeUndefined();
    expect((byManager.bob as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas']).toEqual({});
  });

  test('conflicts with an updater name its API version; several are listed by manager', async () => {
    const created = await request(f.base, 'POST', `${CM}?fieldManager=editor`, configMap('ssa-multi', { a: '1', b: '2' }));
    expect(created.status).toBe(201);
    const r = await request(f.base, 'PATCH', `${CM}/ssa-multi?fieldManager=tool`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-multi' }, data: { a: 'x', b: 'y' } }, APPLY);
    expect(r.status).toBe(409);
    expect(r.json.message).toBe('Apply failed with 2 conflicts: conflicts with "editor" using v1:\n- .data.a\n- .data.b');
    expect(r.json.details.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "editor" using v1', field: '.data.a' },
      { reason: 'FieldManagerConflict', message: 'conflict with "editor" using v1', field: '.data.b' },
    ]);
  });

  test('two managers applying the same value share the field; it stays until both stop applying it', async () => {
    const cfg = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-share' }, data });
    expect((await request(f.base, 'PATCH', `${CM}/ssa-share?fieldManager=one`, cfg({ shared: 'v', mine: '1' }), APPLY)).status).toBe(201);
    const two = await request(f.base, 'PATCH', `${CM}/ssa-share?fieldManager=two`, cfg({ shared: 'v' }), APPLY);
    expect(two.status).toBe(200);
    expect(entries(two.json).map((e) => e.manager).sort()).toEqual(['one', 'two']);
    // "one" stops applying both keys: "mine" goes, "shared" stays (still owned by "two").
    const one = await request(f.base, 'PATCH', `${CM}/ssa-share?fieldManager=one`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-share' } }, APPLY);
    expect(one.status).toBe(200);
    expect(one.json.data).toEqual({ shared: 'v' });
  });

  test('a field the manager stops applying is removed; a list item too', async () => {
    const withSidecar = deployment('ssa-prune', 2);
    withSidecar.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox:1' });
    expect((await request(f.base, 'PATCH', `${DEPLOY}/ssa-prune?fieldManager=tool`, withSidecar, APPLY)).status).toBe(201);
    const cfg = deployment('ssa-prune', 2) as { spec: Record<string, unknown> };
    delete cfg.spec.replicas;
    const r = await request(f.base, 'PATCH', `${DEPLOY}/ssa-prune?fieldManager=tool`, cfg, APPLY);
    expect(r.status).toBe(200);
    expect(r.json.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web']);
    // replicas is defaulted again once nobody sets it.
    expect(r.json.spec.replicas).toBe(1);
  });

  test('an update takes the fields it changes from the applier', async () => {
    const a = await request(f.base, 'PATCH', `${CM}/ssa-update?fieldManager=tool`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-update' }, data: { a: '1', b: '2' } }, APPLY);
    expect(a.status).toBe(201);
    const m = await request(f.base, 'PATCH', `${CM}/ssa-update?fieldManager=editor`, { data: { a: 'changed' } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(m.status).toBe(200);
    const byManager = Object.fromEntries(entries(m.json).map((e) => [e.manager, e]));
    expect(byManager.tool.fieldsV1).toEqual({ 'f:data': { 'f:b': {} } });
    expect(byManager.editor).toMatchObject({ operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:data': { 'f:a': {} } } });
    // Apply entries come before Update entries.
    expect(entries(m.json).map((e) => e.operation)).toEqual(['Apply', 'Update']);
  });

  test('apply to /status owns status fields with subresource "status"', async () => {
    expect((await request(f.base, 'PATCH', `${DEPLOY}/ssa-status?fieldManager=tool`, deployment('ssa-status', 1), APPLY)).status).toBe(201);
    const r = await request(
      f.base,
      'PATCH',
      `${DEPLOY}/ssa-status/status?fieldManager=controller`,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ssa-status' }, status: { replicas: 1, observedGeneration: 1 } },
      APPLY,
    );
    expect(r.status).toBe(200);
    expect(r.json.status).toMatchObject({ replicas: 1, observedGeneration: 1 });
    const e = entries(r.json).find((x) => x.manager === 'controller')!;
    expect(e).toMatchObject({ operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } } });
    // A missing object is not created through /status.
    const missing = await request(f.base, 'PATCH', `${DEPLOY}/nothing-here/status?fieldManager=c`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nothing-here' } }, APPLY);
    expect(missing.status).toBe(404);
  });

  test('a write through /scale is recorded with subresource "scale" and takes .spec.replicas', async () => {
    expect((await request(f.base, 'PATCH', `${DEPLOY}/ssa-scale?fieldManager=tool`, deployment('ssa-scale', 1), APPLY)).status).toBe(201);
    const scale = await request(f.base, 'GET', `${DEPLOY}/ssa-scale/scale`);
    const put = await request(f.base, 'PUT', `${DEPLOY}/ssa-scale/scale?fieldManager=scaler`, { ...scale.json, spec: { replicas: 4 } });
    expect(put.status).toBe(200);
    const d = (await request(f.base, 'GET', `${DEPLOY}/ssa-scale`)).json;
    const e = entries(d).find((x) => x.manager === 'scaler')!;
    expect(e).toMatchObject({ operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    const tool = entries(d).find((x) => x.manager === 'tool')!;
    expect((tool.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas']).toBeUndefined();
    // The applier now conflicts with the scaler on replicas.
    const again = await request(f.base, 'PATCH', `${DEPLOY}/ssa-scale?fieldManager=tool`, deployment('ssa-scale', 1), APPLY);
    expect(again.status).toBe(409);
    expect(again.json.message).toBe('Apply failed with 1 conflict: conflict with "scaler" with subresource "scale" using apps/v1: .spec.replicas');
  });

  test('a Service applied twice: ports key on port and the defaulted protocol; the second apply changes nothing', async () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ssa-svc' },
      spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    const path = '/api/v1/namespaces/default/services/ssa-svc?fieldManager=tool';
    const first = await request(f.base, 'PATCH', path, svc, APPLY);
    expect(first.status).toBe(201);
    expect(first.json.spec.ports[0].protocol).toBe('TCP');
    const e = entries(first.json)[0];
    expect(Object.keys((e.fieldsV1['f:spec'] as Record<string, Record<string, unknown>>)['f:ports'])).toEqual(['k:{"port":80,"protocol":"TCP"}']);
    const again = await request(f.base, 'PATCH', path, svc, APPLY);
    expect(again.status).toBe(200);
    expect(again.json.metadata.resourceVersion).toBe(first.json.metadata.resourceVersion);
    expect(again.json.spec.clusterIP).toBe(first.json.spec.clusterIP);
  });

  test('a Deployment and a Pod applied twice stay unchanged despite their defaults', async () => {
    const d1 = await request(f.base, 'PATCH', `${DEPLOY}/ssa-twice?fieldManager=tool`, deployment('ssa-twice', 2), APPLY);
    const d2 = await request(f.base, 'PATCH', `${DEPLOY}/ssa-twice?fieldManager=tool`, deployment('ssa-twice', 2), APPLY);
    expect([d1.status, d2.status]).toEqual([201, 200]);
    expect(d2.json.metadata.resourceVersion).toBe(d1.json.metadata.resourceVersion);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ssa-pod' },
      spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] },
    };
    const p1 = await request(f.base, 'PATCH', '/api/v1/namespaces/default/pods/ssa-pod?fieldManager=tool', pod, APPLY);
    const p2 = await request(f.base, 'PATCH', '/api/v1/namespaces/default/pods/ssa-pod?fieldManager=tool', pod, APPLY);
    expect([p1.status, p2.status]).toEqual([201, 200]);
    expect(p2.json.metadata.resourceVersion).toBe(p1.json.metadata.resourceVersion);
  });

  test('dryRun=All applies without storing', async () => {
    const r = await request(f.base, 'PATCH', `${CM}/ssa-dry?fieldManager=tool&dryRun=All`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-dry' } }, APPLY);
    expect(r.status).toBe(201);
    expect((await request(f.base, 'GET', `${CM}/ssa-dry`)).status).toBe(404);
  });

  test('options and bodies upstream rejects', async () => {
    const cfg = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-bad' } };
    const noManager = await request(f.base, 'PATCH', `${CM}/ssa-bad`, cfg, APPLY);
    expect(noManager.status).toBe(422);
    expect(noManager.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const force = await request(f.base, 'PATCH', `${CM}/ssa-bad?force=true`, { data: {} }, { 'Content-Type': 'application/merge-patch+json' });
    expect(force.status).toBe(422);
    expect(force.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const version = await request(f.base, 'PATCH', `${CM}/ssa-bad?fieldManager=t`, { ...cfg, apiVersion: 'v2' }, APPLY);
    expect(version.status).toBe(400);
    expect(version.json.message).toBe('Incorrect version specified in apply patch. Specified patch version: v2, expected: v1');
    const managed = await request(f.base, 'PATCH', `${CM}/ssa-bad?fieldManager=t`, { ...cfg, metadata: { name: 'ssa-bad', managedFields: [] } }, APPLY);
    expect(managed.status).toBe(400);
    expect(managed.json.message).toBe('metadata.managedFields must be nil');
    const unknown = await request(f.base, 'PATCH', `${CM}/ssa-bad?fieldManager=t`, { ...cfg, spec: { x: 1 } }, APPLY);
    expect(unknown.status).toBe(500);
    expect(unknown.json.message).toBe('failed to create typed patch object (/v1, Kind=ConfigMap): .spec: field not declared in schema');
    const yaml = await request(f.base, 'PATCH', `${CM}/ssa-bad?fieldManager=t`, '- a\n- b\n', APPLY);
    expect(yaml.status).toBe(400);
    expect(yaml.json.message).toMatch(/^error decoding YAML: /);
  });

  test('managedFields set by a request: [] or [{}] reset them, other values replace them', async () => {
    const created = await request(f.base, 'POST', `${CM}?fieldManager=maker`, configMap('ssa-reset', { a: '1' }));
    expect(entries(created.json)).toHaveLength(1);
    const reset = await request(f.base, 'PATCH', `${CM}/ssa-reset`, { metadata: { managedFields: [{}] } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(reset.status).toBe(200);
    expect(reset.json.metadata.managedFields).toBeUndefined();
    const edited = await request(f.base, 'PATCH', `${CM}/ssa-reset?fieldManager=x`, [
      { op: 'add', path: '/metadata/managedFields', value: [{ manager: 'someone', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }] },
    ], { 'Content-Type': 'application/json-patch+json' });
    expect(edited.status).toBe(200);
    expect(entries(edited.json)).toEqual([{ manager: 'someone', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }]);
    // A write without managedFields keeps the stored ones.
    const put = await request(f.base, 'PUT', `${CM}/ssa-reset?fieldManager=x`, { ...configMap('ssa-reset', { a: '1' }), metadata: { name: 'ssa-reset' } });
    expect(put.status).toBe(200);
    expect(entries(put.json).map((e) => e.manager)).toEqual(['someone']);
  });

  test('applying to an object nobody owns fields of: its fields belong to "before-first-apply"', async () => {
    await request(f.base, 'POST', `${CM}?fieldManager=maker`, configMap('ssa-first', { a: '1' }));
    const reset = await request(f.base, 'PATCH', `${CM}/ssa-first`, { metadata: { managedFields: [] } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(reset.json.metadata.managedFields).toBeUndefined();
    const cfg = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-first' }, data: { a: '2' } };
    const r = await request(f.base, 'PATCH', `${CM}/ssa-first?fieldManager=tool`, cfg, APPLY);
    expect(r.status).toBe(409);
    expect(r.json.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
    const same = await request(f.base, 'PATCH', `${CM}/ssa-first?fieldManager=tool`, { ...cfg, data: { a: '1' } }, APPLY);
    expect(same.status).toBe(200);
    expect(entries(same.json).map((e) => `${e.manager}/${e.operation}`)).toEqual(['tool/Apply', 'before-first-apply/Update']);
  });

  test('a create or update with an invalid fieldManager is 422 on its options', async () => {
    const long = 'm'.repeat(129);
    const c = await request(f.base, 'POST', `${CM}?fieldManager=${long}`, configMap('ssa-long'));
    expect(c.status).toBe(422);
    expect(c.json.message).toMatch(/^CreateOptions\.meta\.k8s\.io "" is invalid: fieldManager: Too long: /);
    const u = await request(f.base, 'PUT', `${CM}/ssa-long?fieldManager=a%01b`, configMap('ssa-long'));
    expect(u.status).toBe(422);
    expect(u.json.message).toBe('UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\x01b": invalid character U+0001 (at position 1)');
  });

  test('the 415 for an unknown patch type lists apply-patch+yaml', async () => {
    const r = await request(f.base, 'PATCH', `${CM}/whatever`, '{}', { 'Content-Type': 'application/foo' });
    expect(r.status).toBe(415);
    expect(r.json.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    );
  });
});
