import { apiFixture, configMap } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
const PODS = '/api/v1/namespaces/default/pods';
const SMP = { 'Content-Type': 'application/strategic-merge-patch+json' };
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const JSONP = { 'Content-Type': 'application/json-patch+json' };

async function create(path: string, body: unknown) {
  const r = await request(f.base, 'POST', path, body);
  expect(r.status).toBe(201);
  return r.json;
}

function deployment(name: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'sidecar', image: 'busybox:1' }] },
      },
    },
  };
}

describe('PATCH content types', () => {
  test('label- and annotate-style patches change metadata only', async () => {
    const created = await create(CM, configMap('labels', { a: '1' }, { keep: 'yes', drop: 'x' }));
    const r = await request(f.base, 'PATCH', `${CM}/labels?fieldManager=kubectl-label`, { metadata: { labels: { drop: null, add: 'new' }, annotations: { note: 'hi' } } }, SMP);
    expect(r.status).toBe(200);
    expect(r.json.metadata.labels).toEqual({ keep: 'yes', add: 'new' });
    expect(r.json.metadata.annotations).toEqual({ note: 'hi' });
    expect(r.json.data).toEqual({ a: '1' });
    expect(BigInt(r.json.metadata.resourceVersion)).toBeGreaterThan(BigInt(created.metadata.resourceVersion));
    const g = await request(f.base, 'GET', `${CM}/labels`);
    expect(g.json).toEqual(r.json);
  });

  test('merge patch: null deletes, objects merge', async () => {
    await create(CM, configMap('merge', { a: '1', b: '2' }));
    const r = await request(f.base, 'PATCH', `${CM}/merge`, { data: { a: null, c: '3' } }, MERGE);
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ b: '2', c: '3' });
  });

  test('a charset parameter on the Content-Type is accepted', async () => {
    await create(CM, configMap('charset', { a: '1' }));
    const r = await request(f.base, 'PATCH', `${CM}/charset`, { data: { a: '2' } }, { 'Content-Type': 'application/merge-patch+json; charset=utf-8' });
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ a: '2' });
  });

  test('JSON patch with a passing test op', async () => {
    const created = await create(CM, configMap('jsonp', { a: '1' }));
    const rv = created.metadata.resourceVersion;
    const r = await request(
      f.base,
      'PATCH',
      `${CM}/jsonp`,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: rv },
        { op: 'add', path: '/data/b', value: '2' },
        { op: 'remove', path: '/data/a' },
      ],
      JSONP,
    );
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ b: '2' });
  });

  test('a JSON patch whose test fails is 422 and changes nothing', async () => {
    const created = await create(CM, configMap('jsonfail', { a: '1' }));
    const r = await request(
      f.base,
      'PATCH',
      `${CM}/jsonfail`,
      [
        { op: 'add', path: '/data/b', value: '2' },
        { op: 'test', path: '/data/a', value: 'not-1' },
      ],
      JSONP,
    );
    expect(r.status).toBe(422);
    expect(r.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
    const g = await request(f.base, 'GET', `${CM}/jsonfail`);
    expect(g.json).toEqual(created);
  });

  test('a JSON patch to a missing path is 422', async () => {
    await create(CM, configMap('jsonmissing', { a: '1' }));
    const r = await request(f.base, 'PATCH', `${CM}/jsonmissing`, [{ op: 'remove', path: '/metadata/annotations/x' }], JSONP);
    expect(r.status).toBe(422);
    expect(r.json.reason).toBe('Invalid');
  });

  test('a JSON patch that is not a list is 400', async () => {
    await create(CM, configMap('jsonbad'));
    const r = await request(f.base, 'PATCH', `${CM}/jsonbad`, { op: 'add' }, JSONP);
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    const syntax = await request(f.base, 'PATCH', `${CM}/jsonbad`, '[{', JSONP);
    expect(syntax.status).toBe(400);
    expect(syntax.json.reason).toBe('BadRequest');
    expect(syntax.json.message).toBe('unexpected end of JSON input');
  });

  test('a merge patch that is not an object is 400 "Invalid JSON Patch"', async () => {
    await create(CM, configMap('mergebad'));
    for (const body of ['"x"', 'null', '{']) {
      const r = await request(f.base, 'PATCH', `${CM}/mergebad`, body, MERGE);
      expect(r.status).toBe(400);
      expect(r.json.message).toBe('Invalid JSON Patch');
    }
  });

  test('a strategic merge patch that is not an object is 400', async () => {
    await create(CM, configMap('smpbad'));
    const r = await request(f.base, 'PATCH', `${CM}/smpbad`, '[]', SMP);
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('json: cannot unmarshal array into Go value of type map[string]interface {}');
    const retain = await request(f.base, 'PATCH', `${CM}/smpbad`, { metadata: { $retainKeys: 'x' } }, SMP);
    expect(retain.status).toBe(400);
    expect(retain.json.message).toBe('invalid patch format of retainKeys');
  });

  test('an unsupported Content-Type is 415 with the accepted list', async () => {
    await create(CM, configMap('ctype'));
    for (const ct of ['application/json', 'text/plain']) {
      const r = await request(f.base, 'PATCH', `${CM}/ctype`, {}, { 'Content-Type': ct });
      expect(r.status).toBe(415);
      expect(r.json).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
        reason: 'UnsupportedMediaType',
        code: 415,
      });
    }
  });

  test('a patch of a missing object is 404', async () => {
    for (const [body, h] of [[{ data: {} }, MERGE], [[{ op: 'add', path: '/data', value: {} }], JSONP], [{ data: {} }, SMP]] as const) {
      const r = await request(f.base, 'PATCH', `${CM}/nothere`, body, h);
      expect(r.status).toBe(404);
      expect(r.json.message).toBe('configmaps "nothere" not found');
    }
  });

  test('a patch naming a stale resourceVersion is 409 Conflict', async () => {
    const created = await create(CM, configMap('stale', { a: '1' }));
    await request(f.base, 'PATCH', `${CM}/stale`, { data: { a: '2' } }, MERGE);
    const r = await request(f.base, 'PATCH', `${CM}/stale`, { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { a: '3' } }, MERGE);
    expect(r.status).toBe(409);
    expect(r.json.reason).toBe('Conflict');
    expect(r.json.message).toBe(
      'Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('a patch changing the name is 400', async () => {
    await create(CM, configMap('rename'));
    const r = await request(f.base, 'PATCH', `${CM}/rename`, { metadata: { name: 'other' } }, MERGE);
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('the name of the object (other) does not match the name on the URL (rename)');
  });

  test('dryRun=All answers the result and stores nothing', async () => {
    const created = await create(CM, configMap('dry', { a: '1' }));
    const r = await request(f.base, 'PATCH', `${CM}/dry?dryRun=All&fieldManager=kubectl-client-side-apply`, { data: { a: '2' } }, SMP);
    expect(r.status).toBe(200);
    expect(r.json.data).toEqual({ a: '2' });
    expect((await request(f.base, 'GET', `${CM}/dry`)).json).toEqual(created);
  });

  test('PatchOptions are validated as upstream', async () => {
    await create(CM, configMap('opts'));
    const bad = await request(f.base, 'PATCH', `${CM}/opts?fieldValidation=Bogus`, { data: {} }, MERGE);
    expect(bad.status).toBe(422);
    expect(bad.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"');
    expect(bad.json.details).toEqual({
      group: 'meta.k8s.io',
      kind: 'PatchOptions',
      causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"', field: 'fieldValidation' }],
    });
    const force = await request(f.base, 'PATCH', `${CM}/opts?force=true`, { data: {} }, MERGE);
    expect(force.status).toBe(422);
    expect(force.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    for (const q of ['fieldValidation=Strict', 'fieldValidation=Warn', 'fieldValidation=Ignore', 'fieldManager=me']) {
      expect((await request(f.base, 'PATCH', `${CM}/opts?${q}`, { data: { q } }, MERGE)).status).toBe(200);
    }
  });
});

describe('PATCH on built-in kinds', () => {
  test('a deployment image change by strategic merge patch keeps the other containers', async () => {
    await create(DEPLOY, deployment('web'));
    const r = await request(
      f.base,
      'PATCH',
      `${DEPLOY}/web?fieldManager=kubectl-set`,
      { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }], containers: [{ image: 'nginx:2', name: 'web' }] } } } },
      SMP,
    );
    expect(r.status).toBe(200);
    // toMatchObject: the server adds the container defaults (imagePullPolicy, terminationMessage*), as upstream.
    expect(r.json.spec.template.spec.containers).toMatchObject([
      { name: 'web', image: 'nginx:2' },
      { name: 'sidecar', image: 'busybox:1' },
    ]);
    expect(r.json.metadata.generation).toBe(2);
  });

  test('a merge patch replaces the containers list', async () => {
    await create(DEPLOY, deployment('mergelist'));
    const r = await request(f.base, 'PATCH', `${DEPLOY}/mergelist`, { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }] } } } }, MERGE);
    expect(r.status).toBe(200);
    expect(r.json.spec.template.spec.containers).toMatchObject([{ name: 'only', image: 'x' }]);
  });

  test('a merge patch on /status changes status and leaves spec alone', async () => {
    await create(DEPLOY, deployment('status'));
    const r = await request(f.base, 'PATCH', `${DEPLOY}/status/status`, { spec: { replicas: 9 }, status: { replicas: 3, observedGeneration: 1 } }, MERGE);
    expect(r.status).toBe(200);
    expect(r.json.status).toEqual({ replicas: 3, observedGeneration: 1 });
    expect(r.json.spec.replicas).toBe(1);
    const g = await request(f.base, 'GET', `${DEPLOY}/status`);
    expect(g.json.spec.replicas).toBe(1);
    expect(g.json.status.replicas).toBe(3);
  });

  test('a patch of the main resource leaves status alone', async () => {
    await create(DEPLOY, deployment('nostatus'));
    const r = await request(f.base, 'PATCH', `${DEPLOY}/nostatus`, { spec: { replicas: 2 }, status: { replicas: 7 } }, MERGE);
    expect(r.status).toBe(200);
    expect(r.json.spec.replicas).toBe(2);
    expect(r.json.status?.replicas).toBeUndefined();
  });

  // A pod's spec is immutable but for a few fields (pod-validation.test.ts), so the pod spec's patch
  // strategies are exercised on a PodTemplate, which holds the same PodSpec.
  test('pod spec tolerations are replaced, containers merged by name', async () => {
    const TEMPLATES = PODS.replace(/pods$/, 'podtemplates');
    await create(TEMPLATES, {
      apiVersion: 'v1',
      kind: 'PodTemplate',
      metadata: { name: 'tol' },
      template: { spec: { containers: [{ name: 'a', image: 'a' }], tolerations: [{ key: 'k1', operator: 'Exists' }] } },
    });
    const r = await request(
      f.base,
      'PATCH',
      `${TEMPLATES}/tol`,
      { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }], containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] } } },
      SMP,
    );
    expect(r.status).toBe(200);
    expect(r.json.template.spec.tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]);
    expect(r.json.template.spec.containers).toMatchObject([{ name: 'a', image: 'a', env: [{ name: 'X', value: '1' }] }]);
  });

  test('a cluster-scoped object (namespace) is patched', async () => {
    await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'patched-ns' } });
    const r = await request(f.base, 'PATCH', '/api/v1/namespaces/patched-ns', { metadata: { labels: { team: 'a' } } }, SMP);
    expect(r.status).toBe(200);
    expect(r.json.metadata.labels).toMatchObject({ team: 'a' });
    expect(r.json.metadata.namespace).toBeUndefined();
  });

  test('finalizers: merge adds, $deleteFromPrimitiveList removes', async () => {
    await create(CM, { ...configMap('fin'), metadata: { name: 'fin', finalizers: ['example.com/a'] } });
    const add = await request(f.base, 'PATCH', `${CM}/fin`, { metadata: { finalizers: ['example.com/b'] } }, SMP);
    // Upstream puts items new to a merged list ahead of the server's own when no $setElementOrder is sent.
    expect(add.json.metadata.finalizers).toEqual(['example.com/b', 'example.com/a']);
    const del = await request(f.base, 'PATCH', `${CM}/fin`, { metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/a', 'example.com/b'] } }, SMP);
    expect(del.status).toBe(200);
    // Upstream's typed round trip then drops the empty list (omitempty); stored JSON keeps it for now.
    expect(del.json.metadata.finalizers ?? []).toEqual([]);
  });
});

// ---- kubectl 1.33 against the fixture server ----

describe('kubectl 1.33', () => {
  let binary: string;
  beforeAll(async () => {
    binary = await kubectlPath('1.33');
  });
  const kubectl = (args: string[], input?: string) => runKubectl(binary, args, { server: f.base, input, timeoutMs: 30_000 });

  test('kubectl label and annotate', async () => {
    await create(CM, configMap('kl', { a: '1' }, { old: 'x' }));
    const l = await kubectl(['label', 'configmap', 'kl', 'tier=web', 'old-']);
    expect(l.stderr).toBe('');
    expect(l.code).toBe(0);
    expect(l.stdout.trim()).toBe('configmap/kl labeled');
    const a = await kubectl(['annotate', 'configmap', 'kl', 'note=hello']);
    expect(a.code).toBe(0);
    const g = await request(f.base, 'GET', `${CM}/kl`);
    expect(g.json.metadata.labels).toEqual({ tier: 'web' });
    expect(g.json.metadata.annotations).toEqual({ note: 'hello' });
  });

  test('kubectl patch --type=strategic|merge|json', async () => {
    await create(DEPLOY, deployment('kp'));
    const s = await kubectl(['patch', 'deployment', 'kp', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:3"}]}}}}']);
    expect(s.stderr).toBe('');
    expect(s.code).toBe(0);
    expect(s.stdout.trim()).toBe('deployment.apps/kp patched');
    const m = await kubectl(['patch', 'deployment', 'kp', '--type=merge', '-p', '{"spec":{"replicas":4}}']);
    expect(m.code).toBe(0);
    const j = await kubectl(['patch', 'deployment', 'kp', '--type=json', '-p', '[{"op":"replace","path":"/metadata/labels/app","value":"kp2"}]']);
    expect(j.code).toBe(0);
    const g = await request(f.base, 'GET', `${DEPLOY}/kp`);
    expect(g.json.spec.replicas).toBe(4);
    expect(g.json.metadata.labels.app).toBe('kp2');
    expect(g.json.spec.template.spec.containers.map((c: { image: string }) => c.image).sort()).toEqual(['busybox:1', 'nginx:3']);
    const noop = await kubectl(['patch', 'deployment', 'kp', '--type=merge', '-p', '{"spec":{"replicas":4}}']);
    expect(noop.stdout.trim()).toBe('deployment.apps/kp patched (no change)');
  });

  test('kubectl patch --type=json with a failing test prints the upstream error', async () => {
    await create(CM, configMap('kjf', { a: '1' }));
    const r = await kubectl(['patch', 'cm', 'kjf', '--type=json', '-p', '[{"op":"test","path":"/data/a","value":"2"}]']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('the server rejected our request due to an error in our request');
  });

  test('kubectl patch --subresource=status', async () => {
    await create(DEPLOY, deployment('kps'));
    const r = await kubectl(['patch', 'deployment', 'kps', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":2}}']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const g = await request(f.base, 'GET', `${DEPLOY}/kps`);
    expect(g.json.status.replicas).toBe(2);
  });

  test('kubectl apply --server-side updates an object another manager created', async () => {
    await create(CM, configMap('kssa'));
    const child = await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], JSON.stringify(configMap('kssa', { a: '1' })));
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const g = await request(f.base, 'GET', `${CM}/kssa`);
    expect(g.json.data).toEqual({ a: '1' });
    expect(g.json.metadata.managedFields.map((e: { manager: string; operation: string }) => `${e.manager}/${e.operation}`)).toContain('kubectl/Apply');
  });
});
