import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { encodeOpenApiV2 } from '../../src/api/openapi-v2-proto.js';
import { GROUP_VERSIONS } from '../../src/registry/catalog.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { REQUIRED_MINOR, kubectlBinaries, kubectlPath, runKubectl } from '../support/kubectl.js';

let f: ApiFixture;
/** The server's request log lines ("HTTP", with verb, URI and resp), to see what kubectl asked for. */
const httpLog: { verb: string; URI: string; resp: number }[] = [];
beforeAll(async () => {
  const logger = pino({ level: 'info' }, { write: (line: string) => {
    const e = JSON.parse(line) as { msg: string; verb: string; URI: string; resp: number };
    if (e.msg === 'HTTP') httpLog.push(e);
  } });
  f = await apiFixture({ logger });
});
afterAll(async () => {
  await f.close();
});

const PROTO_V2 = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const PROTO_V2_DEPRECATED = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const v3Key = (gv: string) => (gv === 'v1' ? 'api/v1' : `apis/${gv}`);

async function index(): Promise<Record<string, { serverRelativeURL: string }>> {
  const r = await request(f.base, 'GET', '/openapi/v3', undefined, { Accept: 'application/json, */*' });
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('application/json');
  return r.json.paths;
}

describe('/openapi/v3', () => {
  test('the index lists every served group-version, each with its hash URL', async () => {
    const paths = await index();
    expect(Object.keys(paths).sort()).toEqual(GROUP_VERSIONS.map(v3Key).sort());
    for (const [key, { serverRelativeURL }] of Object.entries(paths)) {
      expect(serverRelativeURL).toMatch(new RegExp(`^/openapi/v3/${key.replace(/\./g, '\\.')}\\?hash=[0-9A-F]{128}$`));
    }
  });

  test('a group-version document by its hash URL: ETag, immutable caching, 304, and 301 for a stale hash', async () => {
    const url = (await index())['apis/apps/v1']!.serverRelativeURL;
    const hash = new URL(url, f.base).searchParams.get('hash')!;
    const r = await request(f.base, 'GET', `${url}&timeout=32s`, undefined, { Accept: 'application/json' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers.etag).toBe(`"${hash}"`);
    expect(r.headers.vary).toBe('Accept');
    expect(r.headers['cache-control']).toBe('public, immutable');
    const expires = Date.parse(r.headers.expires!);
    expect(expires - Date.now()).toBeGreaterThan(364 * 24 * 3600 * 1000);
    expect(r.json.openapi).toMatch(/^3\./);
    expect(Object.keys(r.json.paths)).toContain('/apis/apps/v1/namespaces/{namespace}/deployments/{name}');

    const again = await request(f.base, 'GET', url, undefined, { Accept: 'application/json', 'If-None-Match': `"${hash}"` });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    const stale = await request(f.base, 'GET', '/openapi/v3/apis/apps/v1?hash=0123', undefined, { Accept: 'application/json' });
    expect(stale.status).toBe(301);
    expect(stale.headers.location).toBe(url);

    const plain = await request(f.base, 'GET', '/openapi/v3/apis/apps/v1', undefined, { Accept: 'application/json' });
    expect(plain.status).toBe(200);
    expect(plain.headers.etag).toBe(`"${hash}"`);
    expect(plain.headers['cache-control']).toBeUndefined();
    expect(plain.text).toBe(r.text);
  });

  test('unknown group-versions are 404; other media types 406', async () => {
    for (const p of ['/openapi/v3/apis/apps/v1beta1', '/openapi/v3/apis/resource.k8s.io/v1beta1', '/openapi/v3/api/v2', '/openapi/v3/apis']) {
      expect((await request(f.base, 'GET', p)).status).toBe(404);
    }
    const r = await request(f.base, 'GET', '/openapi/v3/api/v1', undefined, { Accept: 'application/com.github.proto-openapi.spec.v3.v1.0+protobuf' });
    expect(r.status).toBe(406);
  });

  test('PATCH operations list fieldValidation and their group-version-kind, as kubectl\'s verifier needs', async () => {
    const r = await request(f.base, 'GET', '/openapi/v3/apis/apps/v1');
    const patch = r.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    const params = [...(patch.parameters ?? []), ...(r.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].parameters ?? [])];
    const resolved = params.map((p: { $ref?: string; name?: string; in?: string }) =>
      p.$ref ? r.json.components.parameters[p.$ref.replace('#/components/parameters/', '')] : p,
    );
    expect(resolved).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
    expect(Object.keys(patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    const deployment = r.json.components.schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  });

  test('no upstream prose in any served document', async () => {
    for (const { serverRelativeURL } of Object.values(await index())) {
      const r = await request(f.base, 'GET', serverRelativeURL);
      expect(r.status).toBe(200);
      expect(r.text).not.toMatch(/"(description|summary)":"/);
    }
    const v2 = await request(f.base, 'GET', '/openapi/v2', undefined, { Accept: 'application/json' });
    expect(v2.text).not.toMatch(/"(description|summary)":"/);
  });
});

describe('/openapi/v2', () => {
  test('JSON by default and for application/json, limited to the served group-versions', async () => {
    for (const accept of [undefined, 'application/json']) {
      const r = await request(f.base, 'GET', '/openapi/v2', undefined, accept ? { Accept: accept } : {});
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.json.swagger).toBe('2.0');
      expect(r.json.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
      expect(Object.keys(r.json.paths).some((p) => p.startsWith('/apis/resource.k8s.io/'))).toBe(false);
    }
  });

  test('gnostic protobuf for either protobuf media type, with an ETag and 304', async () => {
    for (const accept of [PROTO_V2_DEPRECATED, PROTO_V2, `${PROTO_V2_DEPRECATED}, application/json`]) {
      const r = await request(f.base, 'GET', '/openapi/v2?timeout=32s', undefined, { Accept: accept });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe(PROTO_V2);
      expect(r.headers.vary).toBe('Accept');
      expect(Number(r.headers['content-length'])).toBeGreaterThan(100_000);
      const again = await request(f.base, 'GET', '/openapi/v2', undefined, { Accept: accept, 'If-None-Match': r.headers.etag! });
      expect(again.status).toBe(304);
    }
    expect((await request(f.base, 'GET', '/openapi/v2', undefined, { Accept: 'text/html' })).status).toBe(406);
  });

  test('the protobuf encoding: field numbers, oneofs and vendor extensions as YAML', () => {
    const doc = {
      swagger: '2.0',
      info: { title: 'T', version: 'v' },
      paths: { '/x': { patch: { operationId: 'p', parameters: [{ $ref: '#/parameters/q' }, { in: 'query', name: 'fieldValidation', type: 'string', uniqueItems: true }], 'x-kubernetes-action': 'patch' } } },
      definitions: { D: { type: 'object', required: ['a'], properties: { a: { type: 'string' } }, additionalProperties: false } },
    };
    const hex = encodeOpenApiV2(doc).toString('hex');
    const s = (t: string) => Buffer.from(t).toString('hex');
    // Document.swagger = 1 (0x0a), Document.info = 2 (0x12) { title = 1, version = 2 }
    expect(hex.startsWith(`0a03${s('2.0')}1206` + `0a01${s('T')}1201${s('v')}`)).toBe(true);
    // Any.yaml = 2 holds the extension's JSON (JSON is YAML)
    expect(hex).toContain(`0a13${s('x-kubernetes-action')}12091207${s('"patch"')}`);
    // AdditionalPropertiesItem.boolean = 2 is present even when false
    expect(hex).toContain('aa01021000');
    // QueryParameterSubSchema: in = 2, name = 4, type = 6, unique_items = 20
    expect(hex).toContain(`1205${s('query')}220f${s('fieldValidation')}3206${s('string')}a00101`);
  });
});

// ---- real kubectl against the fixture server --------------------------------------------------------

/** Minor versions this machine has; the other optional ones skip their tests, 1.33 is required. */
const AVAILABLE = new Set((await kubectlBinaries()).map((b) => b.minor));

async function kubectl(version: string, args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runKubectl(await kubectlPath(version), args, { server: f.base, home });
}

const manifest = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx:1${extra}
`;

describe.each(['1.27', '1.28', '1.33', '1.35'])('kubectl %s', (version) => {
  const run = version === REQUIRED_MINOR || AVAILABLE.has(version) ? test : test.skip;
  let home: string;
  let dir: string;
  const ns = `oa-${version.replace('.', '-')}`;
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-openapi-home-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-openapi-'));
    await createNamespace(f.base, ns);
  });
  afterAll(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  run('explain deployment.spec.strategy shows the fields and their types', async () => {
    const r = await kubectl(version, ['explain', 'deployment.spec.strategy'], home);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/GROUP:\s+apps/);
    expect(r.stdout).toMatch(/KIND:\s+Deployment/);
    expect(r.stdout).toMatch(/VERSION:\s+v1/);
    expect(r.stdout).toMatch(/FIELD:\s+strategy\s+<DeploymentStrategy>/);
    expect(r.stdout).toMatch(/rollingUpdate\s+<RollingUpdateDeployment>/);
    expect(r.stdout).toMatch(/type\s+<string>/);
  });

  run('explain from the protobuf v2 document', async () => {
    const r = await kubectl(version, ['explain', 'deployment.spec.strategy', '--output=plaintext-openapiv2'], home);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RESOURCE:\s+strategy\s+<Object>/);
    expect(r.stdout).toMatch(/rollingUpdate\s+<Object>/);
    expect(r.stdout).toMatch(/type\s+<string>/);
  });

  run('create -f validates (no --validate=false needed)', async () => {
    const file = path.join(dir, 'ok.yaml');
    fs.writeFileSync(file, manifest('ok'));
    const from = httpLog.length;
    // A fresh HOME: no OpenAPI documents in kubectl's HTTP cache from the tests before.
    const fresh = fs.mkdtempSync(path.join(dir, 'home-'));
    const r = await kubectl(version, ['-n', ns, 'create', '-f', file], fresh);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('deployment.apps/ok created');
    const g = await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/ok`);
    expect(g.status).toBe(200);
    // kubectl found fieldValidation on the PATCH operation, so it left validation to the server.
    const log = httpLog.slice(from);
    const post = log.find((e) => e.verb === 'POST' || e.verb === 'CREATE');
    expect(post?.URI).toContain('fieldValidation=Strict');
    expect(log.filter((e) => e.URI.startsWith('/openapi/')).every((e) => e.resp === 200 || e.resp === 304)).toBe(true);
    // 1.27 and 1.28 decode the protobuf v2 document first, whatever v3 says.
    if (version === '1.27' || version === '1.28') expect(log.some((e) => e.URI.startsWith('/openapi/v2') && e.resp === 200)).toBe(true);
  });

  run('create -f --validate=strict sends fieldValidation=Strict; an unknown field is refused once the server checks', async () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, manifest('bad', '\n        colour: blue'));
    const from = httpLog.length;
    const r = await kubectl(version, ['-n', ns, 'create', '--validate=strict', '-f', file], home);
    const post = httpLog.slice(from).find((e) => e.verb === 'POST' || e.verb === 'CREATE');
    expect(post?.URI).toContain('fieldValidation=Strict');
    // The server answers Strict as kube-apiserver does (400, `strict decoding error: unknown field ...`) when
    // it detects unknown fields; until then the unknown field is dropped and the object created.
    const g = await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/bad`);
    if (r.code !== 0) {
      expect(r.stderr).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.colour"/);
      expect(g.status).toBe(404);
    } else {
      expect(g.status).toBe(200);
    }
  });

  run('apply -f twice: the patch kubectl computes from the served schemas merges the containers list by name', async () => {
    const file = path.join(dir, 'applied.yaml');
    fs.writeFileSync(file, manifest('applied'));
    const fresh = fs.mkdtempSync(path.join(dir, 'home-'));
    const first = await kubectl(version, ['-n', ns, 'apply', '-f', file], fresh);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    fs.writeFileSync(file, manifest('applied').replace('image: nginx:1', 'image: nginx:2'));
    const second = await kubectl(version, ['-n', ns, 'apply', '-f', file], fresh);
    expect(second.stderr).toBe('');
    expect(second.stdout.trim()).toBe('deployment.apps/applied configured');
    const g = await request(f.base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/applied`);
    expect(g.json.spec.template.spec.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`)).toEqual(['web=nginx:2']);
  });
});
