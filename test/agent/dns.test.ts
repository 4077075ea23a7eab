/**
 * The cluster DNS server over real UDP and TCP on loopback, answering from a real apiserver's Services
 * and EndpointSlices.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';
import { Client, resources } from '../../src/client/index.js';
import { ClusterDns } from '../../src/agent/dns/server.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { eventually } from '../support/eventually.js';

let f: ApiFixture;
let client: Client;
let dns: ClusterDns;
const stop = new AbortController();

beforeAll(async () => {
  f = await apiFixture();
  client = new Client({ server: f.base });
  await createNamespace(f.base, 'app');
  const svcs = client.resource(resources.services, 'app');
  await svcs.create({ metadata: { name: 'web' }, spec: { clusterIP: '10.96.7.7', ports: [{ name: 'http', port: 80 }] } });
  await svcs.create({ metadata: { name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } });
  await svcs.create({ metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.invalid' } });
  await client.resource(resources.endpointslices, 'app').create({
    metadata: { name: 'db-1', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.3.4'], conditions: { ready: true }, hostname: 'db-0' },
      { addresses: ['10.244.3.5'], conditions: { ready: true } },
      { addresses: ['10.244.3.6'], conditions: { ready: false } },
    ],
  });
  dns = new ClusterDns({ client, address: '127.0.0.1', port: 0 });
  await dns.startInformers(stop.signal);
  await dns.listen();
  await eventually('slices cached', () => dns.slices('app', 'db').length === 1);
});

afterAll(async () => {
  stop.abort();
  dns?.close();
  await client?.close();
  await f?.close();
});

/** dns-packet decodes the response code too; its types leave it out. */
type Reply = DecodedPacket & { rcode: string };

function udp(name: string, type: string): Promise<Reply> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    sock.once('message', (msg) => {
      sock.close();
      resolve(dnsPacket.decode(msg) as Reply);
    });
    sock.once('error', reject);
    sock.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as 'A', name }] }), dns.port(), '127.0.0.1');
  });
}

function tcp(name: string, type: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = net.connect(dns.port(), '127.0.0.1', () => s.write(dnsPacket.streamEncode({ type: 'query', id: 9, questions: [{ type: type as 'A', name }] })));
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.end();
        resolve(dnsPacket.streamDecode(buf) as Reply);
      }
    });
    s.on('error', reject);
  });
}

const data = (answers: Answer[] | undefined) => (answers ?? []).map((a) => ('data' in a ? a.data : undefined));

test('a service name is its cluster IP, over UDP and TCP; other names are NXDOMAIN', async () => {
  const r = await udp('web.app.svc.cluster.local', 'A');
  expect(r.rcode).toBe('NOERROR');
  expect(r.flag_aa).toBe(true);
  expect(r.id).toBe(7);
  expect(data(r.answers)).toEqual(['10.96.7.7']);
  expect(data((await tcp('WEB.app.svc.cluster.local.', 'A')).answers)).toEqual(['10.96.7.7']);
  expect((await udp('nope.app.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
  expect((await udp('web.other.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
  // Outside the cluster domain: no forwarding.
  expect((await udp('example.com', 'A')).rcode).toBe('NXDOMAIN');
  // A name that exists, of a type it has none of: NOERROR without answers.
  const aaaa = await udp('web.app.svc.cluster.local', 'AAAA');
  expect([aaaa.rcode, aaaa.answers]).toEqual(['NOERROR', []]);
});

test('headless services answer with ready endpoints; SRV records; endpoint and pod names; ExternalName', async () => {
  expect(data((await udp('db.app.svc.cluster.local', 'A')).answers)).toEqual(['10.244.3.4', '10.244.3.5']);
  const srv = await udp('_pg._tcp.db.app.svc.cluster.local', 'SRV');
  expect(data(srv.answers)).toEqual([
    { priority: 0, weight: 50, port: 5432, target: 'db-0.db.app.svc.cluster.local' },
    { priority: 0, weight: 50, port: 5432, target: '10-244-3-5.db.app.svc.cluster.local' },
  ]);
  expect(data((await udp('db-0.db.app.svc.cluster.local', 'A')).answers)).toEqual(['10.244.3.4']);
  expect(data((await udp('_http._tcp.web.app.svc.cluster.local', 'SRV')).answers)).toEqual([{ priority: 0, weight: 100, port: 80, target: 'web.app.svc.cluster.local' }]);
  expect((await udp('_http._udp.web.app.svc.cluster.local', 'SRV')).rcode).toBe('NXDOMAIN');
  expect(data((await udp('10-244-3-9.app.pod.cluster.local', 'A')).answers)).toEqual(['10.244.3.9']);
  expect(data((await udp('ext.app.svc.cluster.local', 'A')).answers)).toEqual(['example.invalid']);
});
