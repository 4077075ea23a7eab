import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strictDecodingProblems, pruneUnknownFields, warningHeader } from '../../src/registry/field-validation.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';

const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

// The body of kube-apiserver's own field validation integration test (test/integration/apiserver/
// field_validation_test.go), and the messages it expects.
const invalidBodyJSON = `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "dupename",
    "name": "NAME",
    "labels": {"app": "nginx"},
    "unknownMeta": "metaVal"
  },
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {
        "containers": [{
          "name":  "nginx",
          "image": "nginx:latest",
          "unknownNested": "val1",
          "imagePullPolicy": "Always",
          "imagePullPolicy": "Never"
        }]
      }
    }
  }
}`;
const expectedProblems = [
  'duplicate field "metadata.name"',
  'unknown field "metadata.unknownMeta"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
];

describe('strict decoding problems', () => {
  test('JSON: document order, duplicates, nested paths, each message once', () => {
    expect(strictDecodingProblems(DEPLOYMENT, JSON.parse(invalidBodyJSON), invalidBodyJSON)).toEqual(expectedProblems);
  });

  test('decoded bodies (YAML) are walked with sorted keys; maps and free-form fields are not fields', () => {
    const obj = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      zeta: 1,
      metadata: { name: 'x', labels: { anything: 'goes' }, managedFields: [{ fieldsV1: { 'f:data': {} }, bogus: 1 }] },
      data: { k: 'v' },
      alpha: { nested: true },
    };
    expect(strictDecodingProblems({ group: '', version: 'v1', kind: 'ConfigMap' }, obj)).toEqual([
      'unknown field "alpha"',
      'unknown field "metadata.managedFields[0].bogus"',
      'unknown field "zeta"',
    ]);
    pruneUnknownFields({ group: '', version: 'v1', kind: 'ConfigMap' }, obj);
    expect(obj).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'x', labels: { anything: 'goes' }, managedFields: [{ fieldsV1: { 'f:data': {} } }] },
      data: { k: 'v' },
    });
  });

  test('the Warning header value quotes as net.NewWarningHeader does', () => {
    expect(warningHeader('unknown field "spec.foo"')).toBe('299 - "unknown field \\"spec.foo\\""');
  });
});

describe('against a running apiserver', () => {
  let f: ApiFixture;
  const CMS = '/api/v1/namespaces/fv/configmaps';
  const DEPLOYS = '/apis/apps/v1/namespaces/fv/deployments';
  const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, ...extra });
  const warnings = (h: Record<string, unknown>) => {
    const w = h['warning'];
    return w === undefined ? [] : String(w).split(', 299').map((s, i) => (i === 0 ? s : `299${s}`));
  };

  beforeAll(async () => {
    f = await apiFixture();
    await createNamespace(f.base, 'fv');
  });
  afterAll(async () => {
    await f.close();
  });

  test('create, Strict: 400 BadRequest with transformDecodeError\'s message; nothing is stored', async () => {
    const r = await request(f.base, 'POST', `${DEPLOYS}?fieldValidation=Strict`, invalidBodyJSON.replace('NAME', 'strict'));
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe('BadRequest');
    expect(r.json.message).toBe(`Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ${expectedProblems.join(', ')}`);
    expect((await request(f.base, 'GET', `${DEPLOYS}/strict`)).status).toBe(404);
    const c = await request(f.base, 'POST', `${CMS}?fieldValidation=Strict`, cm('s1', { spec: { foo: 1 }, bar: true }));
    expect(c.status).toBe(400);
    expect(c.json.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec", unknown field "bar"');
  });

  test('create, Warn (and the default): one Warning header per problem; unknown fields are dropped', async () => {
    for (const [name, q] of [['warn', '?fieldValidation=Warn'], ['default', '']]) {
      const r = await request(f.base, 'POST', `${DEPLOYS}${q}`, invalidBodyJSON.replace('NAME', name));
      expect(r.status).toBe(201);
      expect(r.headers['warning']).toBe(expectedProblems.map(warningHeader).join(', '));
      expect(r.json.spec.unknown1).toBeUndefined();
      expect(r.json.spec.paused).toBe(false);
      expect(r.json.metadata.unknownMeta).toBeUndefined();
      expect(r.json.spec.template.spec.containers[0]).toEqual(expect.objectContaining({ name: 'nginx', imagePullPolicy: 'Never' }));
      expect(r.json.spec.template.spec.containers[0].unknownNested).toBeUndefined();
      const stored = (await request(f.base, 'GET', `${DEPLOYS}/${name}`)).json;
      expect(stored.spec.unknownDupe).toBeUndefined();
    }
  });

  test('create, Ignore: no warning, unknown fields dropped', async () => {
    const r = await request(f.base, 'POST', `${CMS}?fieldValidation=Ignore`, cm('ign', { bar: true }));
    expect(r.status).toBe(201);
    expect(r.headers['warning']).toBeUndefined();
    expect(r.json.bar).toBeUndefined();
  });

  test('update: Strict refuses, Warn warns, Ignore drops', async () => {
    const created = (await request(f.base, 'POST', CMS, cm('upd'))).json;
    const strict = await request(f.base, 'PUT', `${CMS}/upd?fieldValidation=Strict`, { ...created, metadata: { ...created.metadata, bogus: 'x' } });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.bogus"');
    const warn = await request(f.base, 'PUT', `${CMS}/upd?fieldValidation=Warn`, { ...created, data: { a: '2' }, extra: 1 });
    expect(warn.status).toBe(200);
    expect(warnings(warn.headers)).toEqual(['299 - "unknown field \\"extra\\""']);
    expect(warn.json.extra).toBeUndefined();
    expect(warn.json.data).toEqual({ a: '2' });
    const ignore = await request(f.base, 'PUT', `${CMS}/upd?fieldValidation=Ignore`, { ...warn.json, extra: 1 });
    expect(ignore.status).toBe(200);
    expect(ignore.headers['warning']).toBeUndefined();
  });

  test('patch: Strict is 422 on the patch field; Warn warns; unknown fields never reach storage', async () => {
    await request(f.base, 'POST', CMS, cm('pat'));
    const strict = await request(f.base, 'PATCH', `${CMS}/pat?fieldValidation=Strict`, { data: { b: '2' }, foo: 1 }, { 'Content-Type': 'application/merge-patch+json' });
    expect(strict.status).toBe(422);
    expect(strict.json.reason).toBe('Invalid');
    expect(strict.json.details.causes[0].field).toBe('patch');
    expect(strict.json.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{.*\}": strict decoding error: unknown field "foo"$/);
    const warn = await request(f.base, 'PATCH', `${CMS}/pat`, { data: { b: '2' }, foo: 1 }, { 'Content-Type': 'application/strategic-merge-patch+json' });
    expect(warn.status).toBe(200);
    expect(warnings(warn.headers)).toEqual(['299 - "unknown field \\"foo\\""']);
    expect(warn.json.foo).toBeUndefined();
    expect(warn.json.data).toEqual({ a: '1', b: '2' });
  });

  test('an unknown fieldValidation value is 422 on the options', async () => {
    const r = await request(f.base, 'POST', `${CMS}?fieldValidation=Loud`, cm('loud'));
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"');
    const u = await request(f.base, 'PUT', `${CMS}/loud?fieldValidation=Loud`, cm('loud'));
    expect(u.status).toBe(422);
    expect(u.json.details.kind).toBe('UpdateOptions');
  });

  // ---- real kubectl 1.33 ----
  const kubectl = async (args: string[], home: string) => runKubectl(await kubectlPath('1.33'), args, { server: f.base, home });
  const manifest = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: fv
data:
  a: "1"
colour: blue
`;

  test('kubectl 1.33 create -f with an unknown field: the Strict error as upstream; --validate=warn warns', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-fv-'));
    try {
      const file = path.join(dir, 'x.yaml');
      fs.writeFileSync(file, manifest('kc-strict'));
      const strict = await kubectl(['create', '-f', file], dir);
      expect(strict.code).not.toBe(0);
      expect(strict.stderr.trim()).toBe(
        `Error from server (BadRequest): error when creating "${file}": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "colour"`,
      );
      fs.writeFileSync(file, manifest('kc-warn'));
      const warn = await kubectl(['create', '--validate=warn', '-f', file], dir);
      expect(warn.code).toBe(0);
      expect(warn.stderr.trim()).toBe('Warning: unknown field "colour"');
      expect(warn.stdout.trim()).toBe('configmap/kc-warn created');
      expect((await request(f.base, 'GET', `${CMS}/kc-warn`)).json.colour).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
