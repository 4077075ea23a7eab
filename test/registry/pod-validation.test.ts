import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

/**
 * Pod validation as kube-apiserver 1.33's ValidatePod and ValidatePodUpdate: a pod's spec is fixed but for
 * images, activeDeadlineSeconds, added tolerations and removed scheduling gates; container ports, env and
 * probes are checked with upstream's messages. And --service-node-port-range.
 */

let f: ApiFixture;
const NS = 'podval';
const PODS = `/api/v1/namespaces/${NS}/pods`;

beforeAll(async () => {
  f = await apiFixture({ serviceNodePortRange: '31000-31001' });
  await createNamespace(f.base, NS);
});
afterAll(async () => {
  await f.close();
});

const pod = (name: string, container: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'nginx:1', ...container }], ...spec },
});
const causes = (r: { json: { details?: { causes?: { field: string; message: string }[] } } }) => (r.json.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
const MERGE = { 'Content-Type': 'application/merge-patch+json' };

test('only images, activeDeadlineSeconds, tolerations (added) and scheduling gates (removed) may change', async () => {
  const created = await request(f.base, 'POST', PODS, pod('fixed', {}, { tolerations: [{ key: 'a', operator: 'Exists' }], schedulingGates: [{ name: 'g1' }, { name: 'g2' }] }));
  expect(created.status).toBe(201);
  const image = await request(f.base, 'PATCH', `${PODS}/fixed`, { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } }, { 'Content-Type': 'application/strategic-merge-patch+json' });
  expect(image.status).toBe(200);
  expect(image.json.spec.containers[0].image).toBe('nginx:2');
  const more = await request(f.base, 'PATCH', `${PODS}/fixed`, { spec: { activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }], schedulingGates: [{ name: 'g2' }] } }, MERGE);
  expect(more.status).toBe(200);
  const raise = await request(f.base, 'PATCH', `${PODS}/fixed`, { spec: { activeDeadlineSeconds: 200 } }, MERGE);
  expect(raise.status).toBe(422);
  expect(raise.json.message).toBe('Pod "fixed" is invalid: spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value');
  const gate = await request(f.base, 'PATCH', `${PODS}/fixed`, { spec: { schedulingGates: [{ name: 'g2' }, { name: 'g3' }] } }, MERGE);
  expect(causes(gate)).toContain("spec.schedulingGates[1]: Forbidden: only deletion is allowed, but found new scheduling gate 'g3'");

  const port = await request(f.base, 'PATCH', `${PODS}/fixed`, { spec: { restartPolicy: 'Never' } }, MERGE);
  expect(port.status).toBe(422);
  expect(port.json.message).toMatch(
    /^Pod "fixed" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
  );
  expect(port.json.message).toContain('- spec.restartPolicy: "Always"\n+ spec.restartPolicy: "Never"');
  const node = await request(f.base, 'PATCH', `${PODS}/fixed`, { spec: { nodeName: 'n1' } }, MERGE);
  expect(node.status).toBe(422);
  // The binding subresource still sets the node.
  const bind = await request(f.base, 'POST', `${PODS}/fixed/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'fixed' }, target: { kind: 'Node', name: 'n1' } });
  expect(bind.status).toBe(201);
  expect((await request(f.base, 'GET', `${PODS}/fixed`)).json.spec.nodeName).toBe('n1');
});

test('container ports, env and probes are validated with upstream messages', async () => {
  const r = await request(
    f.base,
    'POST',
    PODS,
    pod('bad', {
      ports: [{ name: 'Web', containerPort: 80 }, { name: 'http', containerPort: 70000 }, { name: 'http', containerPort: 81, hostPort: 8080 }],
      env: [{ name: 'A=B', value: 'x' }, { name: 'C', valueFrom: {} }, { name: 'D', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      livenessProbe: { successThreshold: 2, periodSeconds: -1, httpGet: { port: 'bad--name' } },
      readinessProbe: {},
    }),
  );
  expect(r.status).toBe(422);
  expect(causes(r)).toEqual(
    expect.arrayContaining([
      'spec.containers[0].ports[0].name: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[2].name: Duplicate value: "http"',
      'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
      'spec.containers[0].env[1].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      'spec.containers[0].env[2].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
      'spec.containers[0].livenessProbe.httpGet.port: Invalid value: "bad--name": must not contain consecutive hyphens',
      'spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    ]),
  );
  const hostPorts = await request(f.base, 'POST', PODS, {
    ...pod('hp', { ports: [{ containerPort: 80, hostPort: 8080 }] }),
    spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }, { name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] }] },
  });
  expect(causes(hostPorts)).toEqual(['spec.containers[1].ports[0].hostPort: Duplicate value: "/TCP/8080"']);
});

test('--service-node-port-range bounds node ports', async () => {
  const svc = (name: string, nodePort?: number) => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'NodePort', ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] },
  });
  const first = await request(f.base, 'POST', `/api/v1/namespaces/${NS}/services`, svc('a'));
  expect([31000, 31001]).toContain(first.json.spec.ports[0].nodePort);
  const outside = await request(f.base, 'POST', `/api/v1/namespaces/${NS}/services`, svc('b', 30080));
  expect(outside.status).toBe(422);
  expect(causes(outside)).toEqual(['spec.ports[0].nodePort: Invalid value: 30080: provided port is not in the valid range. The range of valid ports is 31000-31001']);
  await request(f.base, 'POST', `/api/v1/namespaces/${NS}/services`, svc('c'));
  const full = await request(f.base, 'POST', `/api/v1/namespaces/${NS}/services`, svc('d'));
  expect(full.status).toBe(500);
  expect(full.json.message).toMatch(/range is full/);
});
