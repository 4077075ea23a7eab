/**
 * Subresources that need a node agent (pods/log, exec, attach, portforward, proxy; nodes/proxy;
 * services/proxy): upstream's checks first, then the Status kube-apiserver answers when it cannot reach
 * the kubelet or the endpoints, instead of a 405. kubectl logs and exec print it and exit non-zero.
 */
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { kubectlBinaries, runKubectl } from '../support/kubectl.js';

let f: ApiFixture;
const NS = 'agentless';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const NO_KUBELET = 'error dialing backend: no node agent serves the kubelet API of node "n1": the node reports no kubelet endpoint (an address and status.daemonEndpoints.kubeletEndpoint.Port)';

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, NS);
  await request(f.base, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  const pod = (name: string, containers: string[], nodeName?: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
  });
  await request(f.base, 'POST', PODS, pod('placed', ['app'], 'n1'));
  await request(f.base, 'POST', PODS, pod('two', ['a', 'b'], 'n1'));
  await request(f.base, 'POST', PODS, pod('pending', ['app']));
  await request(f.base, 'POST', PODS, pod('lost', ['app'], 'gone'));
});
afterAll(async () => {
  await f.close();
});

function expectStatus(r: { status: number; json: any }, code: number, reason: string, message: string) {
  expect({ status: r.status, code: r.json?.code, reason: r.json?.reason, message: r.json?.message }).toEqual({ status: code, code, reason, message });
}

test('pods/log: container checks, empty for an unscheduled pod, 503 where a kubelet would answer', async () => {
  expectStatus(await request(f.base, 'GET', `${PODS}/placed/log`), 503, 'ServiceUnavailable', NO_KUBELET);
  expectStatus(await request(f.base, 'GET', `${PODS}/two/log`), 400, 'BadRequest', 'a container name must be specified for pod two, choose one of: [a b]');
  expectStatus(await request(f.base, 'GET', `${PODS}/placed/log?container=x`), 400, 'BadRequest', 'container x is not valid for pod placed');
  expectStatus(await request(f.base, 'GET', `${PODS}/nope/log`), 404, 'NotFound', 'pods "nope" not found');
  expectStatus(await request(f.base, 'GET', `${PODS}/lost/log`), 404, 'NotFound', 'nodes "gone" not found');
  const pending = await request(f.base, 'GET', `${PODS}/pending/log`);
  expect([pending.status, pending.text]).toEqual([200, '']);
});

test('pods/exec, attach, portforward: a pod without a node is 400; with one, 503', async () => {
  for (const sub of ['exec', 'attach', 'portforward']) {
    expectStatus(await request(f.base, 'POST', `${PODS}/placed/${sub}?command=ls`), 503, 'ServiceUnavailable', NO_KUBELET);
    expectStatus(await request(f.base, 'GET', `${PODS}/pending/${sub}?command=ls`), 400, 'BadRequest', 'pod pending does not have a host assigned');
    expect((await request(f.base, 'PUT', `${PODS}/placed/${sub}`, {})).status).toBe(405);
  }
});

test('proxies: pods without an IP, services without endpoints, nodes', async () => {
  expectStatus(await request(f.base, 'GET', `${PODS}/placed/proxy/healthz`), 400, 'BadRequest', 'address not allowed');
  expectStatus(await request(f.base, 'GET', '/api/v1/nodes/n1/proxy/metrics'), 503, 'ServiceUnavailable', NO_KUBELET);
  expectStatus(await request(f.base, 'GET', '/api/v1/nodes/nope/proxy/metrics'), 404, 'NotFound', 'nodes "nope" not found');
  await request(f.base, 'POST', `/api/v1/namespaces/${NS}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  expectStatus(await request(f.base, 'GET', `/api/v1/namespaces/${NS}/services/web/proxy/`), 503, 'ServiceUnavailable', 'no endpoints available for service "web"');
  expectStatus(await request(f.base, 'GET', `/api/v1/namespaces/${NS}/services/http:web:80/proxy/`), 503, 'ServiceUnavailable', 'no endpoints available for service "web"');
});

test('discovery lists the subresources with upstream verbs', async () => {
  const core = await request(f.base, 'GET', '/api/v1');
  const verbs = (name: string) => core.json.resources.find((r: { name: string }) => r.name === name)?.verbs;
  expect(verbs('pods/log')).toEqual(['get']);
  expect(verbs('pods/exec')).toEqual(['create', 'get']);
  expect(verbs('pods/proxy')).toEqual(['create', 'delete', 'get', 'patch', 'update']);
  expect(verbs('services/proxy')).toEqual(['create', 'delete', 'get', 'patch', 'update']);
});

const binaries = await kubectlBinaries();
describe.each(binaries.filter((b) => ['1.27', '1.33'].includes(b.minor)).map((b) => [b.minor, b.path] as const))('kubectl %s', (_minor, path) => {
  test('logs prints the Status and exits non-zero', async () => {
    const r = await runKubectl(path, ['-n', NS, 'logs', 'placed'], { server: f.base });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(NO_KUBELET);
  });
  test('exec prints the Status and exits non-zero', async () => {
    const r = await runKubectl(path, ['-n', NS, 'exec', 'placed', '--', 'ls'], { server: f.base });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no node agent serves the kubelet API of node "n1"');
  });
});
