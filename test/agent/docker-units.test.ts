/**
 * The docker runtime's pure parts, without Docker: $(VAR) expansion, the back-off and Go durations,
 * service variables, resolv.conf and /etc/hosts, the downward API, kubelet's phase rules, the atomic writer.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from '../../src/client/index.js';
import { writeAtomically } from '../../src/agent/docker/atomic-writer.js';
import { Backoff, goDuration } from '../../src/agent/docker/backoff.js';
import { hostsFile, resolvConf } from '../../src/agent/docker/dns.js';
import { podFieldValue, resourceFieldValue } from '../../src/agent/docker/downward.js';
import { serviceEnv } from '../../src/agent/docker/env.js';
import { expand } from '../../src/agent/docker/expansion.js';
import { kubeletPhase } from '../../src/agent/docker/phase.js';
import type { RuntimeContainerStatus } from '../../src/agent/runtime.js';

test('$(VAR) expansion: defined names replaced, undefined kept, $$ escapes', () => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const look = (n: string) => vars[n];
  expect(expand('$(A)-$(B)', look)).toBe('x-y');
  expect(expand('$(C) $$(A) $A $', look)).toBe('$(C) $(A) $A $');
  expect(expand('unterminated $(A', look)).toBe('unterminated $(A');
});

test('back-off: first restart free, then base doubling to the cap; forgotten after twice the cap', () => {
  let now = 0;
  const b = new Backoff(10_000, 300_000, () => now);
  expect(b.inBackoffSince('c', 0)).toBe(false);
  b.next('c');
  expect(b.delayMs('c')).toBe(10_000);
  now = 5_000;
  expect(b.inBackoffSince('c', 0)).toBe(true);
  now = 10_001;
  expect(b.inBackoffSince('c', 0)).toBe(false);
  for (let i = 0; i < 10; i++) b.next('c');
  expect(b.delayMs('c')).toBe(300_000);
  now += 600_001;
  b.next('c');
  expect(b.delayMs('c')).toBe(10_000);
  expect([10_000, 80_000, 300_000, 500].map(goDuration)).toEqual(['10s', '1m20s', '5m0s', '500ms']);
});

test('service variables: host, ports by name, docker links', () => {
  const env = serviceEnv([
    { metadata: { name: 'my-db' }, spec: { clusterIP: '10.96.0.5', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }, { name: 'metrics', port: 9187 }] } },
    { metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
  ]);
  expect(Object.fromEntries(env)).toEqual({
    MY_DB_SERVICE_HOST: '10.96.0.5',
    MY_DB_SERVICE_PORT: '5432',
    MY_DB_SERVICE_PORT_PG: '5432',
    MY_DB_SERVICE_PORT_METRICS: '9187',
    MY_DB_PORT: 'tcp://10.96.0.5:5432',
    MY_DB_PORT_5432_TCP: 'tcp://10.96.0.5:5432',
    MY_DB_PORT_5432_TCP_PROTO: 'tcp',
    MY_DB_PORT_5432_TCP_PORT: '5432',
    MY_DB_PORT_5432_TCP_ADDR: '10.96.0.5',
    MY_DB_PORT_9187_TCP: 'tcp://10.96.0.5:9187',
    MY_DB_PORT_9187_TCP_PROTO: 'tcp',
    MY_DB_PORT_9187_TCP_PORT: '9187',
    MY_DB_PORT_9187_TCP_ADDR: '10.96.0.5',
  });
});

const basePod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({ metadata: { name: 'p', namespace: 'team', uid: 'u1', labels: { b: '2', a: '1' } }, spec: { containers: [], ...spec } });
const host = 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n';

test('resolv.conf by dnsPolicy, with dnsConfig merged', () => {
  const dns = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: host };
  expect(resolvConf(basePod(), dns)).toEqual({
    text: 'search team.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    missingClusterDNS: false,
  });
  expect(resolvConf(basePod({ dnsPolicy: 'Default' }), dns).text).toBe('search corp.example\nnameserver 192.0.2.53\noptions edns0\n');
  expect(resolvConf(basePod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] } }), dns).text).toBe(
    'search a.b\nnameserver 1.1.1.1\noptions ndots:2 rotate\n',
  );
  expect(resolvConf(basePod({ dnsConfig: { options: [{ name: 'ndots', value: '1' }] } }), dns).text).toContain('options ndots:1\n');
  expect(resolvConf(basePod(), { clusterDNS: [], clusterDomain: 'cluster.local', hostResolvConf: host })).toEqual({ text: 'search corp.example\nnameserver 192.0.2.53\noptions edns0\n', missingClusterDNS: true });
});

test('/etc/hosts: localhost entries, the pod under its hostname and subdomain, host aliases', () => {
  const text = hostsFile(basePod({ hostname: 'h', subdomain: 's', hostAliases: [{ ip: '1.2.3.4', hostnames: ['x', 'y'] }] }), '10.244.1.5', 'cluster.local');
  expect(text.split('\n')).toEqual([
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    '10.244.1.5\th.s.team.svc.cluster.local\th',
    '',
    '# Entries added by HostAliases.',
    '1.2.3.4\tx\ty',
    '',
  ]);
});

test('downward API values: labels sorted and quoted for volumes, CPU rounded up by divisor, limits default to allocatable', () => {
  const where = { podIP: '10.244.1.5', hostIP: '192.0.2.1', allocatable: { cpu: '4', memory: '8Gi' } };
  expect(podFieldValue(basePod(), 'metadata.labels', where, true)).toBe('a="1"\nb="2"');
  expect(podFieldValue(basePod(), "metadata.labels['b']", where, false)).toBe('2');
  expect(podFieldValue(basePod(), 'status.podIP', where, false)).toBe('10.244.1.5');
  expect(() => podFieldValue(basePod(), 'spec.bogus', where, false)).toThrow('unsupported fieldPath: spec.bogus');
  const c = { name: 'c', resources: { limits: { cpu: '250m', memory: '100Mi' }, requests: { cpu: '250m' } } };
  expect(resourceFieldValue(c, 'limits.cpu', undefined, where)).toBe('1');
  expect(resourceFieldValue(c, 'limits.cpu', '1m', where)).toBe('250');
  expect(resourceFieldValue(c, 'limits.memory', '1Mi', where)).toBe('100');
  expect(resourceFieldValue({ name: 'd' }, 'limits.memory', '1Gi', where)).toBe('8');
});

const cs = (name: string, state: RuntimeContainerStatus['state'], extra: Partial<RuntimeContainerStatus> = {}): RuntimeContainerStatus => ({
  name,
  image: 'i',
  imageID: '',
  containerID: '',
  state,
  ready: false,
  started: false,
  restartCount: 0,
  ...extra,
});

test("kubelet's phase: init containers gate, crash loops stay Running under Always, terminal outcomes", () => {
  const pod = (restartPolicy: string) => ({ metadata: {}, spec: { restartPolicy, containers: [] } }) as Pod;
  const running = cs('a', { running: {} });
  const crashed = cs('a', { waiting: { reason: 'CrashLoopBackOff' } }, { lastState: { terminated: { exitCode: 1 } } });
  const ok = cs('a', { terminated: { exitCode: 0 } });
  const failed = cs('a', { terminated: { exitCode: 2 } });
  expect(kubeletPhase(pod('Always'), [cs('i', { running: {} })], [cs('a', { waiting: { reason: 'PodInitializing' } })], false, false)).toBe('Pending');
  expect(kubeletPhase(pod('Never'), [cs('i', { terminated: { exitCode: 1 } })], [cs('a', { waiting: {} })], false, false)).toBe('Failed');
  expect(kubeletPhase(pod('Always'), [], [running], true, false)).toBe('Running');
  expect(kubeletPhase(pod('Always'), [], [crashed], true, false)).toBe('Running');
  expect(kubeletPhase(pod('Never'), [], [ok], true, false)).toBe('Succeeded');
  expect(kubeletPhase(pod('Never'), [], [failed], true, false)).toBe('Failed');
  expect(kubeletPhase(pod('OnFailure'), [], [failed], true, false)).toBe('Running');
  expect(kubeletPhase(pod('Always'), [cs('side', { running: {} }, { sidecar: true, started: true })], [ok], true, false)).toBe('Running');
  expect(kubeletPhase(pod('Always'), [], [failed], true, true)).toBe('Failed');
  expect(kubeletPhase(pod('Always'), [], [ok], true, true)).toBe('Succeeded');
});

test('atomic writer: ..data swapped to a new timestamped directory, visible names are symlinks, stale keys go', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgkube-atomic-'));
  try {
    const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });
    expect(await writeAtomically(dir, new Map([['a', file('1')], ['sub/b', file('2', 0o400)]]))).toBe(true);
    const first = readlinkSync(path.join(dir, '..data'));
    expect(first).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
    expect(readlinkSync(path.join(dir, 'a'))).toBe('..data/a');
    expect(readFileSync(path.join(dir, 'sub', 'b'), 'utf8')).toBe('2');
    expect(await writeAtomically(dir, new Map([['a', file('1')], ['sub/b', file('2', 0o400)]]))).toBe(false);
    expect(await writeAtomically(dir, new Map([['a', file('changed')]]))).toBe(true);
    expect(readFileSync(path.join(dir, 'a'), 'utf8')).toBe('changed');
    expect(readlinkSync(path.join(dir, '..data'))).not.toBe(first);
    expect(readdirSync(dir).sort()).toEqual(['..data', readlinkSync(path.join(dir, '..data')), 'a'].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
