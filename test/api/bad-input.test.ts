import { apiFixture, configMap } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

let f: ApiFixture;
let revisionBefore: string;
const CM = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  f = await apiFixture();
  await request(f.base, 'POST', CM, configMap('existing', { a: '1' }));
  revisionBefore = (await request(f.base, 'GET', CM)).json.metadata.resourceVersion;
});
afterAll(async () => {
  await f.close();
});

afterEach(async () => {
  // Nothing partial was written, and the server keeps serving.
  const list = await request(f.base, 'GET', CM);
  expect(list.status).toBe(200);
  expect(list.json.metadata.resourceVersion).toBe(revisionBefore);
  expect((await request(f.base, 'GET', '/readyz')).status).toBe(200);
});

function expectStatus(r: { status: number; json: { kind: string; status: string; code: number; reason?: string; message: string } }, code: number, reason: string | undefined, message?: string | RegExp) {
  expect(r.status).toBe(code);
  expect(r.json.kind).toBe('Status');
  expect(r.json.status).toBe('Failure');
  expect(r.json.code).toBe(code);
  expect(r.json.reason).toBe(reason);
  if (typeof message === 'string') expect(r.json.message).toBe(message);
  else if (message) expect(r.json.message).toMatch(message);
}

test('malformed JSON is 400 BadRequest', async () => {
  const r = await request(f.base, 'POST', CM, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}');
  expectStatus(r, 400, 'BadRequest', /^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: /);
});

test('a body of another kind or apiVersion than the path is 400', async () => {
  const secret = await request(f.base, 'POST', CM, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
  expectStatus(secret, 400, 'BadRequest', /Secret in version "v1" cannot be handled as a ConfigMap/);
  const apps = await request(f.base, 'POST', CM, { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } });
  expectStatus(apps, 400, 'BadRequest');
});

test('a name in the body that differs from the URL is 400', async () => {
  const current = (await request(f.base, 'GET', `${CM}/existing`)).json;
  const r = await request(f.base, 'PUT', `${CM}/existing`, { ...current, metadata: { ...current.metadata, name: 'other' } });
  expectStatus(r, 400, 'BadRequest', 'the name of the object (other) does not match the name on the URL (existing)');
});

test('a namespace in the body that differs from the URL is 400', async () => {
  const r = await request(f.base, 'POST', CM, { ...configMap('x'), metadata: { name: 'x', namespace: 'kube-system' } });
  expectStatus(r, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
});

test('invalid names are 422 Invalid with the field cause', async () => {
  const r = await request(f.base, 'POST', CM, configMap('Bad_Name'));
  expectStatus(
    r,
    422,
    'Invalid',
    `ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  );
  expect(r.json.details).toMatchObject({ name: 'Bad_Name', kind: 'ConfigMap', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }] });
  const missing = await request(f.base, 'POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
  expectStatus(missing, 422, 'Invalid', 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
  const label = await request(f.base, 'POST', CM, configMap('x', {}, { 'bad key!': 'v' }));
  expectStatus(label, 422, 'Invalid', /metadata\.labels: Invalid value: "bad key!"/);
});

test('a body over 3 MiB is 413 RequestEntityTooLarge', async () => {
  const big = JSON.stringify(configMap('big', { d: 'x'.repeat(3 * 1024 * 1024) }));
  const r = await request(f.base, 'POST', CM, big);
  expectStatus(r, 413, 'RequestEntityTooLarge', /limit is 3145728/);
});

test('an unsupported content type is 415', async () => {
  const r = await request(f.base, 'POST', CM, 'name: x', { 'Content-Type': 'text/plain' });
  expectStatus(r, 415, 'UnsupportedMediaType', /^the body of the request was in an unknown format - accepted media types include: /);
});

test('malformed query parameters are 400', async () => {
  expectStatus(await request(f.base, 'GET', `${CM}?limit=abc`), 400, 'BadRequest', 'strconv.ParseInt: parsing "abc": invalid syntax');
  expectStatus(
    await request(f.base, 'GET', `${CM}?resourceVersion=abc`),
    400,
    'BadRequest',
    /^invalid resource version: /,
  );
  expectStatus(await request(f.base, 'GET', `${CM}?continue=not-a-token`), 400, 'BadRequest', /^continue key is not valid/);
  expectStatus(await request(f.base, 'GET', `${CM}?labelSelector=${encodeURIComponent('x in (a')}`), 400, 'BadRequest');
  expectStatus(await request(f.base, 'GET', `${CM}?resourceVersion=1&continue=abc`), 400, 'BadRequest', 'specifying resource version is not allowed when using continue');
});

test('a stale resourceVersion and a missing object are refused without writing', async () => {
  const current = (await request(f.base, 'GET', `${CM}/existing`)).json;
  const stale = await request(f.base, 'PUT', `${CM}/existing`, { ...current, metadata: { ...current.metadata, resourceVersion: '1' }, data: { a: '2' } });
  expectStatus(stale, 409, 'Conflict');
  const missing = await request(f.base, 'PUT', `${CM}/nope`, configMap('nope'));
  expectStatus(missing, 404, 'NotFound', 'configmaps "nope" not found');
  const verb = await request(f.base, 'POST', `${CM}/existing`, configMap('existing'));
  expect(verb.status).toBe(405);
});

describe('quantities', () => {
  const PODS = '/api/v1/namespaces/default/pods';
  const pod = (resources: unknown) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: { containers: [{ name: 'app', image: 'nginx', resources }] } });

  test('a value that is no quantity fails the decode: 400', async () => {
    expectStatus(
      await request(f.base, 'POST', PODS, pod({ requests: { cpu: 'one' } })),
      400,
      'BadRequest',
      `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
    expectStatus(await request(f.base, 'POST', PODS, pod({ limits: { memory: '1Ki5' } })), 400, 'BadRequest', /cannot be handled as a Pod: unable to parse quantity's suffix$/);
    expectStatus(await request(f.base, 'POST', PODS, pod({ limits: { memory: true } })), 400, 'BadRequest', /cannot be handled as a Pod: quantities must match/);
  });

  test('negative, over-limit, fractional extended and unknown resources are 422 with upstream messages', async () => {
    const r = await request(f.base, 'POST', PODS, pod({ requests: { memory: '-1', cpu: '2', 'example.com/gpu': '1.5', disk: '1' }, limits: { cpu: '1', 'example.com/gpu': '2' } }));
    expect(r.status).toBe(422);
    const messages = (r.json.details.causes as { field: string; message: string }[]).map((c) => `${c.field}: ${c.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
        'spec.containers[0].resources.requests[disk]: Invalid value: "disk": must be a standard resource type or fully qualified',
        'spec.containers[0].resources.requests[disk]: Invalid value: "disk": must be a standard resource for containers',
        'spec.containers[0].resources.requests: Invalid value: "1500m": must be equal to example.com/gpu limit of 2',
        'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer',
      ]),
    );
  });
});

describe('pods, tokens and node-agent subresources', () => {
  const PODS = '/api/v1/namespaces/default/pods';

  test('an invalid container port name and env name are 422 with upstream messages', async () => {
    const r = await request(f.base, 'POST', PODS, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
      spec: { containers: [{ name: 'app', image: 'x', ports: [{ name: '8080', containerPort: 8080 }], env: [{ name: '' }] }] },
    });
    expectStatus(r, 422, 'Invalid');
    expect(r.json.message).toContain('spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)');
    expect(r.json.message).toContain('spec.containers[0].env[0].name: Required value');
  });

  test('a TokenRequest for a missing service account is 404, whatever else is wrong with it', async () => {
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 1 } };
    expectStatus(await request(f.base, 'POST', '/api/v1/namespaces/default/serviceaccounts/none/token', { ...body, spec: {} }), 404, 'NotFound', 'serviceaccounts "none" not found');
    expectStatus(await request(f.base, 'POST', '/api/v1/namespaces/default/serviceaccounts/none/token', body), 404, 'NotFound', 'serviceaccounts "none" not found');
    expectStatus(await request(f.base, 'POST', '/api/v1/namespaces/default/serviceaccounts/none/token', { apiVersion: 'v1', kind: 'ConfigMap' }), 400, 'BadRequest');
  });

  test('logs and exec of a missing pod are 404, not 405', async () => {
    expectStatus(await request(f.base, 'GET', `${PODS}/none/log`), 404, 'NotFound', 'pods "none" not found');
    expectStatus(await request(f.base, 'POST', `${PODS}/none/exec?command=ls`), 404, 'NotFound', 'pods "none" not found');
  });
});
