/**
 * The apiserver keeps default/kubernetes (Service, Endpoints, EndpointSlice) as kube-apiserver does, and
 * puts them back when deleted.
 */
import { apiFixture } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';
import { firstServiceIP } from '../../src/api/kubernetes-service.js';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture({ advertiseAddress: '192.0.2.10' });
});
afterAll(async () => {
  await f?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    if (i > 600) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const get = (path: string) => async () => {
  const r = await request(f.base, 'GET', path);
  return r.status === 200 ? r.json : undefined;
};

test('default/kubernetes points at the apiserver', async () => {
  const port = Number(new URL(f.base).port);
  const svc = await eventually(get('/api/v1/namespaces/default/services/kubernetes'));
  expect(svc.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
  expect(svc.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.96.0.1', sessionAffinity: 'None', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] });
  const ep = await eventually(get('/api/v1/namespaces/default/endpoints/kubernetes'));
  expect(ep.subsets).toEqual([{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'https', port, protocol: 'TCP' }] }]);
  const slice = await eventually(get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes'));
  expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
  expect(slice.endpoints).toEqual([{ addresses: ['192.0.2.10'], conditions: { ready: true } }]);

  // Deleted Endpoints come back on the next pass.
  expect((await request(f.base, 'DELETE', '/api/v1/namespaces/default/endpoints/kubernetes')).status).toBe(200);
  const back = await eventually(get('/api/v1/namespaces/default/endpoints/kubernetes'));
  expect(back.subsets[0].addresses).toEqual([{ ip: '192.0.2.10' }]);
}, 30_000);

test('the service address is the first of the range', () => {
  expect(firstServiceIP('10.96.0.0/12')).toBe('10.96.0.1');
  expect(firstServiceIP('172.20.5.0/16,fd00::/108')).toBe('172.20.0.1');
});
