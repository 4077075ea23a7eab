import { decodeObject } from '../../src/api/body.js';
import { decodeMessage, encodeEnvelope, goDuration, ProtoWriter } from '../../src/machinery/protobuf.js';
import type { StatusError } from '../../src/machinery/status.js';
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { kubectlPath, runKubectl } from '../support/kubectl.js';
import { request } from '../support/http.js';

const PB = 'application/vnd.kubernetes.protobuf';
const W = () => new ProtoWriter();

function thrown(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    return err as StatusError;
  }
  throw new Error('no error thrown');
}

// ObjectMeta as Go writes it: every non-pointer scalar present, zero or not; creationTimestamp an empty Time.
function objectMeta(name: string, namespace = '', labels: Record<string, string> = {}) {
  const m = W().bytes(1, name).bytes(2, '').bytes(3, namespace).bytes(4, '').bytes(5, '').bytes(6, '').varint(7, 0).bytes(8, W());
  for (const [k, v] of Object.entries(labels)) m.entry(11, k, v);
  return m;
}

// IntOrString: type (0 int, 1 string), intVal, strVal, all written.
const intOrString = (v: number | string) =>
  typeof v === 'number' ? W().varint(1, 0).varint(2, v).bytes(3, '') : W().varint(1, 1).varint(2, 0).bytes(3, v);
const quantity = (s: string) => W().bytes(1, s);

describe('protobuf bodies', () => {
  test('ConfigMap', () => {
    const cm = W().bytes(1, objectMeta('c', 'default', { app: 'x' })).entry(2, 'a', 'b').entry(2, 'empty', '').varint(4, false);
    const obj = decodeObject(encodeEnvelope('v1', 'ConfigMap', cm), PB, 'ConfigMap', 'v1');
    expect(obj).toEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'c', namespace: 'default', labels: { app: 'x' } },
      data: { a: 'b', empty: '' },
      immutable: false, // a *bool: false is kept
    });
  });

  test('the observed kubectl envelope prefix', () => {
    const body = encodeEnvelope('v1', 'ConfigMap', W().bytes(1, objectMeta('c')));
    expect(body.subarray(0, 21).toString('hex')).toBe('6b3873000a0f0a0276311209436f6e6669674d6170'.slice(0, 42));
  });

  test('Secret: bytes map → base64, stringData and type', () => {
    const s = W().bytes(1, objectMeta('s')).entry(2, 'k', Buffer.from('v')).entry(2, 'bin', Buffer.from([0, 255])).entry(4, 'plain', 'text').bytes(3, 'Opaque');
    const obj = decodeObject(encodeEnvelope('v1', 'Secret', s), PB, 'Secret', 'v1');
    expect(obj).toEqual({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's' },
      data: { k: 'dg==', bin: 'AP8=' },
      stringData: { plain: 'text' },
      type: 'Opaque',
    });
  });

  test('Deployment: nested template, int32 replicas, IntOrString, Quantity', () => {
    const container = W()
      .bytes(1, 'nginx')
      .bytes(2, 'nginx:1.27')
      .bytes(8, W().entry(1, 'cpu', quantity('500m')).entry(2, 'memory', quantity('64Mi')))
      .bytes(6, W().bytes(1, '').varint(2, 0).varint(3, 80).bytes(4, 'TCP').bytes(5, ''))
      .bytes(5, '')
      .bytes(13, '/dev/termination-log')
      .varint(16, false)
      .varint(18, false);
    const podSpec = W().bytes(2, container).bytes(3, 'Always').bytes(6, '').bytes(8, '').varint(11, false);
    const template = W().bytes(1, objectMeta('', '', { app: 'd' })).bytes(2, podSpec);
    const strategy = W().bytes(1, 'RollingUpdate').bytes(2, W().bytes(1, intOrString(0)).bytes(2, intOrString('25%')));
    const spec = W().varint(1, 2).bytes(2, W().entry(1, 'app', 'd')).bytes(3, template).bytes(4, strategy).varint(5, 0).varint(7, false);
    const dep = W().bytes(1, objectMeta('d', '', { app: 'd' })).bytes(2, spec).bytes(3, W());
    const obj = decodeObject(encodeEnvelope('apps/v1', 'Deployment', dep), PB, 'Deployment', 'apps/v1');
    expect(obj).toEqual({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'd', labels: { app: 'd' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.27',
                ports: [{ containerPort: 80, protocol: 'TCP' }],
                resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
                terminationMessagePath: '/dev/termination-log',
              },
            ],
            restartPolicy: 'Always',
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      },
      status: {},
    });
    // Go's field order, not the wire's.
    expect(Object.keys(obj)).toEqual(['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  });

  test('replicas 0 is kept (a pointer), embedded structs are inlined', () => {
    const volume = W().bytes(1, 'cfg').bytes(2, W().bytes(19, W().bytes(1, W().bytes(1, 'my-config')).varint(4, true)));
    const env = W().bytes(1, 'A').bytes(2, '').bytes(3, W().bytes(3, W().bytes(1, W().bytes(1, 'cm')).bytes(2, 'key')));
    const probe = W().bytes(1, W().bytes(2, W().bytes(1, '/healthz').bytes(2, intOrString('http')))).varint(2, 5);
    const container = W().bytes(1, 'c').bytes(2, 'img').bytes(7, env).bytes(10, probe);
    const podSpec = W().bytes(1, volume).bytes(2, container);
    const spec = W().varint(1, 0).bytes(3, W().bytes(1, objectMeta('')).bytes(2, podSpec));
    const obj = decodeObject(encodeEnvelope('apps/v1', 'Deployment', W().bytes(1, objectMeta('z')).bytes(2, spec)), PB, 'Deployment', 'apps/v1');
    const s = obj.spec as { replicas: number; template: { spec: Record<string, unknown> } };
    expect(s.replicas).toBe(0);
    expect(s.template.spec.volumes).toEqual([{ name: 'cfg', configMap: { name: 'my-config', optional: true } }]);
    expect(s.template.spec.containers).toEqual([
      {
        name: 'c',
        image: 'img',
        env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'key' } } }],
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
      },
    ]);
  });

  test('SelfSubjectAccessReview and SelfSubjectReview', () => {
    const attrs = W().bytes(1, 'default').bytes(2, 'create').bytes(3, '').bytes(4, '').bytes(5, 'pods').bytes(6, '').bytes(7, '');
    const ssar = W().bytes(1, objectMeta('')).bytes(2, W().bytes(1, attrs)).bytes(3, W().varint(1, false).varint(4, false).bytes(2, '').bytes(3, ''));
    const obj = decodeObject(encodeEnvelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', ssar), PB, 'SelfSubjectAccessReview', 'authorization.k8s.io/v1');
    expect(obj).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
      status: { allowed: false },
    });
    const ssr = decodeObject(
      encodeEnvelope('authentication.k8s.io/v1', 'SelfSubjectReview', W().bytes(1, objectMeta('')).bytes(2, W())),
      PB,
      'SelfSubjectReview',
      'authentication.k8s.io/v1',
    );
    expect(ssr).toEqual({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: {} });
  });

  test('Time, MicroTime, Duration, RawExtension, FieldsV1, string slices', () => {
    const t = W().varint(1, 1700000000).varint(2, 123456789);
    const meta = W()
      .bytes(1, 'x')
      .bytes(8, t)
      .bytes(17, W().bytes(1, 'kubectl').bytes(2, 'Update').bytes(4, t).bytes(6, 'FieldsV1').bytes(7, W().bytes(1, '{"f:data":{}}')));
    expect(decodeMessage('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta', meta.finish())).toEqual({
      name: 'x',
      creationTimestamp: '2023-11-14T22:13:20Z',
      managedFields: [{ manager: 'kubectl', operation: 'Update', time: '2023-11-14T22:13:20Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }],
    });
    const lease = W().bytes(1, 'holder').bytes(4, t);
    expect(decodeMessage('k8s.io.api.coordination.v1.LeaseSpec', lease.finish())).toEqual({ holderIdentity: 'holder', renewTime: '2023-11-14T22:13:20.123456Z' });
    const rev = W().bytes(1, objectMeta('r')).bytes(2, W().bytes(1, '{"spec":{"a":1}}')).varint(3, 0);
    expect(decodeMessage('k8s.io.api.apps.v1.ControllerRevision', rev.finish())).toEqual({ metadata: { name: 'r' }, data: { spec: { a: 1 } }, revision: 0 });
    const sar = W().entry(5, 'scopes', W().bytes(1, 'a').bytes(1, 'b'));
    expect(decodeMessage('k8s.io.api.authorization.v1.SubjectAccessReviewSpec', sar.finish())).toEqual({ extra: { scopes: ['a', 'b'] } });
    expect([0n, 999n, 1500n, 1_500_000n, 1_500_000_000n, 3_600_000_000_000n, 5_430_000_000_000n].map(goDuration)).toEqual([
      '0s',
      '999ns',
      '1.5µs',
      '1.5ms',
      '1.5s',
      '1h0m0s',
      '1h30m30s',
    ]);
  });

  test('packed and unpacked repeated scalars, unknown fields skipped', () => {
    // NodeSelectorRequirement values are strings; use ContainerStateTerminated? Use a repeated int32: ServiceSpec has none;
    // PodFailurePolicyOnExitCodesRequirement.values is repeated int32.
    const packed = W().bytes(1, 'c').bytes(2, 'In').bytes(3, Buffer.from([1, 2, 0x80, 0x01]));
    expect(decodeMessage('k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement', packed.finish())).toEqual({
      containerName: 'c',
      operator: 'In',
      values: [1, 2, 128],
    });
    const unpacked = W().varint(3, 7).varint(3, 8).varint(99, 1).bytes(100, 'junk').bytes(2, 'NotIn');
    expect(decodeMessage('k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement', unpacked.finish())).toEqual({
      operator: 'NotIn',
      values: [7, 8],
    });
  });

  test('the envelope may leave apiVersion/kind to the endpoint', () => {
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), W().bytes(2, W().bytes(1, objectMeta('n'))).finish()]);
    expect(decodeObject(body, PB, 'ConfigMap', 'v1')).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'n' } });
  });

  test.each([
    ['wrong magic', Buffer.from('k8s!abc'), 'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (6b387321616263)'],
    ['empty', Buffer.alloc(0), 'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (<empty>)'],
    ['truncated varint', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff]), 'the object provided is unrecognized (must be of type ConfigMap): unexpected EOF (6b387300ff)'],
    ['wrong wire type', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x08, 0x01]), 'the object provided is unrecognized (must be of type ConfigMap): proto: wrong wireType = 0 for field TypeMeta (6b3873000801)'],
    ['length past the end', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x10, 0x0a]), 'the object provided is unrecognized (must be of type ConfigMap): unexpected EOF (6b3873000a100a)'],
    ['illegal tag 0', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x00]), 'the object provided is unrecognized (must be of type ConfigMap): proto: Unknown: illegal tag 0 (wire type 0) (6b38730000)'],
    [
      'varint overflow',
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      'the object provided is unrecognized (must be of type ConfigMap): proto: integer overflow (6b387300ffffffffffffffffffff01)',
    ],
  ])('malformed envelope: %s', (_name, body, message) => {
    const err = thrown(() => decodeObject(body, PB, 'ConfigMap', 'v1'));
    expect(err.status).toMatchObject({ code: 400, reason: 'BadRequest', message });
  });

  test('malformed object inside a good envelope', () => {
    const bad = Buffer.from([0x0a, 0x05, 0x0a, 0x01]); // metadata claims 5 bytes, has 2
    const err = thrown(() => decodeObject(encodeEnvelope('v1', 'ConfigMap', bad), PB, 'ConfigMap', 'v1'));
    expect(err.status?.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: unexpected EOF');
    const wrongWire = W().varint(2, 1).finish(); // data is a map, sent as a varint
    expect(thrown(() => decodeObject(encodeEnvelope('v1', 'ConfigMap', wrongWire), PB, 'ConfigMap', 'v1')).status?.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: wrong wireType = 0 for field Data',
    );
    expect(thrown(() => decodeObject(encodeEnvelope('v1', 'Nope', W()), PB, 'ConfigMap', 'v1')).status?.message).toBe(
      'Nope in version "v1" cannot be handled as a ConfigMap: no kind "Nope" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    );
  });

  test('random bytes never crash the decoder', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    const good = encodeEnvelope('apps/v1', 'Deployment', W().bytes(1, objectMeta('d')).bytes(2, W().varint(1, 3)));
    for (let i = 0; i < 2000; i++) {
      const body = Buffer.from(good);
      for (let j = 0; j < 3; j++) body[4 + (rand() % (body.length - 4))] = rand();
      const cut = body.subarray(0, 4 + (rand() % (body.length - 3)));
      try {
        decodeObject(cut, PB, 'Deployment', 'apps/v1');
      } catch (err) {
        expect((err as StatusError).status?.code).toBe(400);
      }
    }
  });
});

describe('YAML bodies', () => {
  test('one document, YAML 1.1 scalars as sigs.k8s.io/yaml reads them', () => {
    const body = Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yy\ndata:\n  a: "yes"\n  t: "2024-01-01"\n---\nkind: Other\n');
    expect(decodeObject(body, 'application/yaml', 'ConfigMap', 'v1')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'yy' },
      data: { a: 'yes', t: '2024-01-01' },
    });
    // go-yaml v2 (YAML 1.1): y/yes/on are booleans, 0777 is octal, timestamps stay strings.
    expect(decodeObject(Buffer.from('a: yes\nb: 0777\nc: 2024-01-01\nd: y\n'), 'application/yaml')).toEqual({ a: true, b: 511, c: '2024-01-01', d: true });
    expect(decodeObject(Buffer.from(''), 'application/yaml', 'ConfigMap')).toEqual({});
  });

  test('invalid YAML is a 400', () => {
    const err = thrown(() => decodeObject(Buffer.from('a: b: c\n'), 'application/yaml', 'ConfigMap'));
    expect(err.status?.code).toBe(400);
    expect(err.status?.message).toMatch(/^the object provided is unrecognized \(must be of type ConfigMap\): error converting YAML to JSON: yaml: line 1: .* \(613a20623a20630a\)$/);
    const list = thrown(() => decodeObject(Buffer.from('- 1\n'), 'application/yaml', 'ConfigMap'));
    expect(list.status?.message).toContain("couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type");
  });
});

// ---- against a server ----

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f.close();
});

const CM = '/api/v1/namespaces/default/configmaps';

describe('over HTTP', () => {
  test('POST and PUT with protobuf, read back as JSON', async () => {
    const body = encodeEnvelope('v1', 'ConfigMap', W().bytes(1, objectMeta('pb1')).entry(2, 'a', 'b'));
    const c = await request(f.base, 'POST', CM, body, { 'Content-Type': PB, Accept: `${PB}, application/json` });
    expect(c.status).toBe(201);
    expect(c.headers['content-type']).toMatch(/^application\/json/);
    expect(c.json.data).toEqual({ a: 'b' });
    const rv = c.json.metadata.resourceVersion as string;
    const upd = encodeEnvelope('v1', 'ConfigMap', W().bytes(1, W().bytes(1, 'pb1').bytes(6, rv)).entry(2, 'a', 'c'));
    const u = await request(f.base, 'PUT', `${CM}/pb1`, upd, { 'Content-Type': PB });
    expect(u.status).toBe(200);
    expect(u.json.data).toEqual({ a: 'c' });
  });

  test('POST with YAML', async () => {
    const r = await request(f.base, 'POST', CM, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y1\ndata:\n  k: v\n', { 'Content-Type': 'application/yaml' });
    expect(r.status).toBe(201);
    expect(r.json.data).toEqual({ k: 'v' });
  });

  test('malformed bodies are 400 and the server keeps serving', async () => {
    for (const body of [Buffer.from('k8s'), Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff]), Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0x03, 0x0a, 0x7f, 0x00])]) {
      const r = await request(f.base, 'POST', CM, body, { 'Content-Type': PB });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    }
    const y = await request(f.base, 'POST', CM, 'a: [', { 'Content-Type': 'application/yaml' });
    expect(y.status).toBe(400);
    const ok = await request(f.base, 'GET', CM);
    expect(ok.status).toBe(200);
  });

  test('PATCH content types stay as they were', async () => {
    const r = await request(f.base, 'PATCH', `${CM}/pb1`, encodeEnvelope('v1', 'ConfigMap', W()), { 'Content-Type': PB });
    expect(r.status).toBe(415);
  });
});

// ---- kubectl 1.33 (sends protobuf bodies from its typed clients) ----

async function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runKubectl(await kubectlPath(), args, { server: f.base });
}

describe('kubectl 1.33 protobuf writes', () => {
  const ok = async (args: string[], stdout: string | RegExp) => {
    const r = await kubectl(args);
    expect({ args, stderr: r.stderr, code: r.code }).toEqual({ args, stderr: '', code: 0 });
    if (typeof stdout === 'string') expect(r.stdout.trim()).toBe(stdout);
    else expect(r.stdout.trim()).toMatch(stdout);
    return r;
  };

  test('create configmap, secret, deployment, job, cronjob, namespace, role, service', async () => {
    await ok(['create', 'configmap', 'kc', '--from-literal=a=b'], 'configmap/kc created');
    expect((await request(f.base, 'GET', `${CM}/kc`)).json.data).toEqual({ a: 'b' });

    await ok(['create', 'secret', 'generic', 'ks', '--from-literal=k=v'], 'secret/ks created');
    const s = await request(f.base, 'GET', '/api/v1/namespaces/default/secrets/ks');
    expect(s.json.data).toEqual({ k: Buffer.from('v').toString('base64') });

    await ok(['create', 'deployment', 'kd', '--image=nginx', '--replicas=2'], 'deployment.apps/kd created');
    const d = await request(f.base, 'GET', '/apis/apps/v1/namespaces/default/deployments/kd');
    expect(d.json.spec.replicas).toBe(2);
    expect(d.json.spec.selector).toEqual({ matchLabels: { app: 'kd' } });
    expect(d.json.spec.template.spec.containers[0]).toMatchObject({ name: 'nginx', image: 'nginx' });

    await ok(['create', 'job', 'kj', '--image=busybox'], 'job.batch/kj created');
    const j = await request(f.base, 'GET', '/apis/batch/v1/namespaces/default/jobs/kj');
    expect(j.json.spec.template.spec.containers[0]).toMatchObject({ name: 'kj', image: 'busybox' });
    expect(j.json.spec.template.spec.restartPolicy).toBe('Never');

    await ok(['create', 'cronjob', 'kcj', '--image=busybox', '--schedule=*/5 * * * *'], 'cronjob.batch/kcj created');
    await ok(['create', 'namespace', 'kn'], 'namespace/kn created');
    await ok(['create', 'role', 'kr', '--verb=get', '--resource=pods'], 'role.rbac.authorization.k8s.io/kr created');
    const role = await request(f.base, 'GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/kr');
    expect(role.json.rules).toEqual([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
    await ok(['create', 'service', 'clusterip', 'ksvc', '--tcp=80:8080'], 'service/ksvc created');
    const svc = await request(f.base, 'GET', '/api/v1/namespaces/default/services/ksvc');
    expect(svc.json.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' });
  });

  test('auth can-i and auth whoami', async () => {
    await ok(['auth', 'can-i', 'create', 'pods'], 'yes');
    await ok(['auth', 'whoami'], /USERNAME|Username/i);
  });
});
