/** The service proxy's rule text and service map, without touching iptables. */
import { buildRules, chainNames, probability, sepChain, svcChain } from '../../src/agent/proxy/rules.js';
import { servicePorts } from '../../src/agent/proxy/service-map.js';
import type { EndpointSlice, Service } from '../../src/client/index.js';

const svc = (spec: Service['spec']): Service => ({ metadata: { name: 'web', namespace: 'ns' }, spec });
const slice = (endpoints: EndpointSlice['endpoints'], ports = [{ name: 'http', port: 8080, protocol: 'TCP' }]): EndpointSlice => ({
  metadata: { name: 'web-x', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

test('ready endpoints only; serving terminating ones when nothing is ready; unnamed ports by number', () => {
  const s = svc({ clusterIP: '10.96.5.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  const [e] = servicePorts(s, [
    slice([
      { addresses: ['10.244.1.2'], conditions: { ready: true } },
      { addresses: ['10.244.1.3'], conditions: { ready: false, serving: false } },
      { addresses: ['10.244.1.4'], conditions: { ready: false, serving: true, terminating: true } },
    ]),
  ]);
  expect(e).toEqual({ id: 'ns/web:http', clusterIP: '10.96.5.5', protocol: 'TCP', port: 80, endpoints: ['10.244.1.2:8080'] });
  const [t] = servicePorts(s, [slice([{ addresses: ['10.244.1.4'], conditions: { ready: false, serving: true, terminating: true } }])]);
  expect(t.endpoints).toEqual(['10.244.1.4:8080']);
  const [n] = servicePorts(svc({ type: 'NodePort', clusterIP: '10.96.5.6', sessionAffinity: 'ClientIP', ports: [{ port: 81, nodePort: 30081 }] }), []);
  expect(n).toEqual({ id: 'ns/web:81', clusterIP: '10.96.5.6', protocol: 'TCP', port: 81, nodePort: 30081, affinitySeconds: 10800, endpoints: [] });
  expect(servicePorts(svc({ clusterIP: 'None', ports: [{ port: 1 }] }), [])).toEqual([]);
});

test('rules: kube-proxy probabilities, affinity, hairpin masquerade, node ports, rejects without endpoints', () => {
  const names = chainNames('node-a');
  expect(names.services).toMatch(/^PGKUBE-SERVICES-[A-Z2-7]{6}$/);
  expect(chainNames('node-b').tag).not.toBe(names.tag);
  const e = { id: 'ns/web:http', clusterIP: '10.96.5.5', protocol: 'TCP' as const, port: 80, nodePort: 30080, affinitySeconds: 60, endpoints: ['10.244.1.2:8080', '10.244.1.3:8080', '10.244.1.4:8080'] };
  const empty = { id: 'ns/none:80', clusterIP: '10.96.5.9', protocol: 'UDP' as const, port: 80, endpoints: [] };
  const { text, chains } = buildRules([e, empty], names, { clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' });
  const svc = svcChain(names, e);
  expect(svc.length).toBeLessThanOrEqual(28);
  const seps = e.endpoints.map((ep) => sepChain(names, e, ep));
  const lines = text.split('\n');
  expect(lines).toContain(`-A ${names.services} -m comment --comment "ns/web:http cluster IP" -d 10.96.5.5/32 -p tcp -m tcp --dport 80 -j ${svc}`);
  expect(lines).toContain(`-A ${svc} -m comment --comment "ns/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.3333333333 -j ${seps[0]}`);
  expect(lines).toContain(`-A ${svc} -m comment --comment "ns/web:http -> 10.244.1.3:8080" -m statistic --mode random --probability 0.5000000000 -j ${seps[1]}`);
  expect(lines).toContain(`-A ${svc} -m comment --comment "ns/web:http -> 10.244.1.4:8080" -j ${seps[2]}`);
  expect(lines).toContain(`-A ${svc} -m comment --comment "ns/web:http -> 10.244.1.2:8080" -m recent --name ${seps[0]} --rcheck --seconds 60 --reap -j ${seps[0]}`);
  expect(lines).toContain(`-A ${seps[0]} -m comment --comment "ns/web:http" -s 10.244.1.2/32 -j ${names.markMasq}`);
  expect(lines).toContain(`-A ${seps[0]} -m comment --comment "ns/web:http" -p tcp -m recent --name ${seps[0]} --set -m tcp -j DNAT --to-destination 10.244.1.2:8080`);
  expect(lines).toContain(`-A ${names.nodePorts} -m comment --comment "ns/web:http" -p tcp -m tcp --dport 30080 -j ${svc}`);
  expect(lines).toContain(`-A ${names.services} -m comment --comment "ns/none:80 has no endpoints" -d 10.96.5.9/32 -p udp -m udp --dport 80 -j REJECT`);
  expect(lines.find((l) => l.includes('pgkube service nodeports'))).toContain('! -d 127.0.0.0/8');
  // What no rule took stays on the machine; the catch-all comes after the per-service rejects.
  expect(lines.at(-3)).toBe(`-A ${names.services} -m comment --comment "pgkube no service at this address" -d 10.96.0.0/12 -j REJECT`);
  expect(chains.nat).toEqual(expect.arrayContaining([svc, ...seps, names.services, names.nodePorts]));
  // Affinity checks come before the random choice.
  expect(lines.findIndex((l) => l.includes('--rcheck'))).toBeLessThan(lines.findIndex((l) => l.includes('statistic')));
  expect(probability(0, 2)).toBe('0.5000000000');
});
