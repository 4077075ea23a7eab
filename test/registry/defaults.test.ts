import { startInProcess } from '../support/apiserver.js';
import { apiFixture, createNamespace } from '../support/fixture.js';
import type { ApiFixture } from '../support/fixture.js';
import { request } from '../support/http.js';

/**
 * Per-kind defaults, validation and Service allocations, against upstream's (kube-apiserver 1.33) answers.
 * Since 1.31 a field error prints a list or map bad value as JSON (["10.96.0.10"], {"app":"x"}), where
 * older releases printed Go literals ([]string{"10.96.0.10"}, map[string]string{"app":"x"}).
 */

let f: ApiFixture;
const NS = 'defaults';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const SVCS = `/api/v1/namespaces/${NS}/services`;
const SECRETS = `/api/v1/namespaces/${NS}/secrets`;
const DEPLOYS = `/apis/apps/v1/namespaces/${NS}/deployments`;
const RS = `/apis/apps/v1/namespaces/${NS}/replicasets`;
const STS = `/apis/apps/v1/namespaces/${NS}/statefulsets`;
const DS = `/apis/apps/v1/namespaces/${NS}/daemonsets`;
const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;
const CRONJOBS = `/apis/batch/v1/namespaces/${NS}/cronjobs`;

beforeAll(async () => {
  f = await apiFixture();
  await createNamespace(f.base, NS);
});
afterAll(async () => {
  await f.close();
});

function pod(name: string, containers: unknown[] = [{ name: 'app', image: 'nginx' }]) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers } };
}

function template(labels: Record<string, string>, containers: unknown[] = [{ name: 'app', image: 'nginx:1.27' }]) {
  return { metadata: { labels }, spec: { containers } };
}

function deployment(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec };
}

function service(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec };
}

describe('defaults', () => {
  test('a pod gets the pod spec and container defaults, phase Pending and its QoS class', async () => {
    const r = await request(f.base, 'POST', PODS, pod('p1', [
      { name: 'a', image: 'nginx', ports: [{ containerPort: 80 }] },
      { name: 'b', image: 'nginx:latest' },
      { name: 'c', image: 'registry:5000/nginx:1.27' },
      { name: 'd', image: 'nginx@sha256:' + '0'.repeat(64) },
    ]));
    expect(r.status).toBe(201);
    const spec = r.json.spec;
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
    });
    expect(spec.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy)).toEqual(['Always', 'Always', 'IfNotPresent', 'IfNotPresent']);
    expect(spec.containers[0]).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    expect(r.json.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  test('QoS class: Guaranteed when limits equal requests, Burstable otherwise', async () => {
    const g = await request(f.base, 'POST', PODS, pod('qos-g', [{ name: 'a', image: 'x:1', resources: { limits: { cpu: '1', memory: '1Gi' } } }]));
    expect(g.json.status.qosClass).toBe('Guaranteed');
    const b = await request(f.base, 'POST', PODS, pod('qos-b', [{ name: 'a', image: 'x:1', resources: { requests: { cpu: '100m' } } }]));
    expect(b.json.status.qosClass).toBe('Burstable');
  });

  test('a deployment gets replicas, strategy, history and deadline defaults, and pod template defaults', async () => {
    const r = await request(f.base, 'POST', DEPLOYS, deployment('d1', { selector: { matchLabels: { app: 'd1' } }, template: template({ app: 'd1' }) }));
    expect(r.status).toBe(201);
    expect(r.json.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler', securityContext: {} } },
    });
    expect(r.json.spec.template.spec.enableServiceLinks).toBeUndefined();
    expect(r.json.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' });
  });

  test('Recreate deployments get no rollingUpdate', async () => {
    const r = await request(f.base, 'POST', DEPLOYS, deployment('d-recreate', { selector: { matchLabels: { app: 'r' } }, strategy: { type: 'Recreate' }, template: template({ app: 'r' }) }));
    expect(r.status).toBe(201);
    expect(r.json.spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('replica sets, stateful sets and daemon sets', async () => {
    const sel = { matchLabels: { app: 'w' } };
    const rs = await request(f.base, 'POST', RS, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs1' }, spec: { selector: sel, template: template({ app: 'w' }) } });
    expect(rs.status).toBe(201);
    expect(rs.json.spec.replicas).toBe(1);
    const sts = await request(f.base, 'POST', STS, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'sts1' }, spec: { selector: sel, serviceName: 's', template: template({ app: 'w' }) } });
    expect(sts.status).toBe(201);
    expect(sts.json.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    const ds = await request(f.base, 'POST', DS, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds1' }, spec: { selector: sel, template: template({ app: 'w' }) } });
    expect(ds.status).toBe(201);
    expect(ds.json.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
  });

  test('a job gets completions, parallelism, backoffLimit, completionMode, suspend and a generated selector', async () => {
    const r = await request(f.base, 'POST', JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j1' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'busybox:1' }] } } },
    });
    expect(r.status).toBe(201);
    const uid = r.json.metadata.uid;
    expect(r.json.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect(r.json.spec.template.metadata.labels).toMatchObject({ 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'j1', 'job-name': 'j1' });
  });

  test('a job whose pods would restart Always is invalid', async () => {
    const r = await request(f.base, 'POST', JOBS, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j-always' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'b' }] } } } });
    expect(r.status).toBe(422);
    expect(r.json.message).toContain('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
  });

  test('a cron job gets its policy and history defaults', async () => {
    const r = await request(f.base, 'POST', CRONJOBS, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj1' },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'a', image: 'busybox' }] } } } } },
    });
    expect(r.status).toBe(201);
    expect(r.json.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(r.json.spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
  });

  test('a secret is Opaque by default', async () => {
    const r = await request(f.base, 'POST', SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, stringData: { a: 'b' } });
    expect(r.status).toBe(201);
    expect(r.json.type).toBe('Opaque');
  });

  test('a service gets type, affinity, protocol, targetPort, IP family and traffic policy defaults and a cluster IP', async () => {
    const r = await request(f.base, 'POST', SVCS, service('svc1', { selector: { app: 'x' }, ports: [{ port: 80 }] }));
    expect(r.status).toBe(201);
    expect(r.json.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    });
    expect(r.json.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(r.json.spec.clusterIPs).toEqual([r.json.spec.clusterIP]);
    expect(r.json.status).toEqual({ loadBalancer: {} });
  });
});

describe('validation', () => {
  test('a deployment without a selector', async () => {
    const r = await request(f.base, 'POST', DEPLOYS, deployment('nosel', { template: template({ app: 'x' }) }));
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('Deployment.apps "nosel" is invalid: spec.selector: Required value');
  });

  test('a selector that does not match the template labels', async () => {
    const r = await request(f.base, 'POST', DEPLOYS, deployment('mismatch', { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'b', tier: 'web' }) }));
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'Deployment.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: {"app":"b","tier":"web"}: `selector` does not match template `labels`',
    );
    expect(r.json.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: {"app":"b","tier":"web"}: `selector` does not match template `labels`' },
    ]);
  });

  test('an empty selector', async () => {
    const r = await request(f.base, 'POST', DEPLOYS, deployment('emptysel', { selector: {}, template: template({ app: 'x' }) }));
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('Deployment.apps "emptysel" is invalid: spec.selector: Invalid value: {}: empty selector is invalid for deployment');
  });

  test('the selector is immutable', async () => {
    const created = await request(f.base, 'POST', DEPLOYS, deployment('immut', { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a', b: 'b' }) }));
    expect(created.status).toBe(201);
    const body = created.json;
    body.spec.selector = { matchLabels: { app: 'a', b: 'b' } };
    const r = await request(f.base, 'PUT', `${DEPLOYS}/immut`, body);
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'Deployment.apps "immut" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"a","b":"b"}}: field is immutable',
    );
  });

  test('containers: required, named by DNS-1123 labels, unique, with images and valid ports', async () => {
    const none = await request(f.base, 'POST', PODS, pod('noc', []));
    expect(none.status).toBe(422);
    expect(none.json.message).toBe('Pod "noc" is invalid: spec.containers: Required value');
    const bad = await request(f.base, 'POST', PODS, pod('bad', [
      { name: 'Web', image: 'nginx' },
      { name: 'a', image: 'nginx', ports: [{ containerPort: 70000 }] },
      { name: 'a' },
      { image: 'x' },
    ]));
    expect(bad.status).toBe(422);
    const messages = bad.json.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);
    expect(messages).toEqual([
      `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      'spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[2].name: Duplicate value: "a"',
      'spec.containers[2].image: Required value',
      'spec.containers[3].name: Required value',
    ]);
  });

  test('a deployment template is validated as a pod spec', async () => {
    const r = await request(f.base, 'POST', DEPLOYS, deployment('noimage', { selector: { matchLabels: { app: 'a' } }, template: template({ app: 'a' }, [{ name: 'web' }]) }));
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('Deployment.apps "noimage" is invalid: spec.template.spec.containers[0].image: Required value');
  });

  test('services: ports required (but not for ExternalName), ports in range', async () => {
    const noPorts = await request(f.base, 'POST', SVCS, service('noports', { selector: { app: 'a' } }));
    expect(noPorts.status).toBe(422);
    expect(noPorts.json.message).toBe('Service "noports" is invalid: spec.ports: Required value');
    const ext = await request(f.base, 'POST', SVCS, service('ext', { type: 'ExternalName', externalName: 'example.com' }));
    expect(ext.status).toBe(201);
    expect(ext.json.spec.clusterIP).toBeUndefined();
    const range = await request(f.base, 'POST', SVCS, service('range', { ports: [{ port: 70000 }] }));
    expect(range.status).toBe(422);
    expect(range.json.details.causes).toContainEqual({ reason: 'FieldValueInvalid', field: 'spec.ports[0].port', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive' });
    const nodePort = await request(f.base, 'POST', SVCS, service('np-on-cip', { ports: [{ port: 80, nodePort: 30001 }] }));
    expect(nodePort.status).toBe(422);
    expect(nodePort.json.message).toBe("Service \"np-on-cip\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  });
});

describe('service allocation', () => {
  test('a requested cluster IP already in use is 422; deleting the service frees it', async () => {
    const a = await request(f.base, 'POST', SVCS, service('ip-a', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }));
    expect(a.status).toBe(201);
    expect(a.json.spec.clusterIPs).toEqual(['10.96.0.10']);
    const b = await request(f.base, 'POST', SVCS, service('ip-b', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }));
    expect(b.status).toBe(422);
    expect(b.json.message).toBe(
      'Service "ip-b" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    // The allocation is an IPAddress object naming the service, as upstream.
    const addr = await request(f.base, 'GET', '/apis/networking.k8s.io/v1/ipaddresses/10.96.0.10');
    expect(addr.status).toBe(200);
    expect(addr.json.spec.parentRef).toEqual({ group: '', resource: 'services', namespace: NS, name: 'ip-a' });
    expect(addr.json.metadata.labels).toEqual({ 'ipaddress.kubernetes.io/ip-family': 'IPv4', 'ipaddress.kubernetes.io/managed-by': 'ipallocator.k8s.io' });
    expect((await request(f.base, 'DELETE', `${SVCS}/ip-a`)).status).toBe(200);
    expect((await request(f.base, 'GET', '/apis/networking.k8s.io/v1/ipaddresses/10.96.0.10')).status).toBe(404);
    const again = await request(f.base, 'POST', SVCS, service('ip-b', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }));
    expect(again.status).toBe(201);
  });

  test('a cluster IP outside the range is 422', async () => {
    const r = await request(f.base, 'POST', SVCS, service('ip-out', { clusterIP: '10.0.0.5', ports: [{ port: 80 }] }));
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'Service "ip-out" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.5"]: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
  });

  test('headless services get no cluster IP', async () => {
    const r = await request(f.base, 'POST', SVCS, service('headless', { clusterIP: 'None', selector: { app: 'a' }, ports: [{ port: 80 }] }));
    expect(r.status).toBe(201);
    expect(r.json.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
  });

  test('node ports: allocated in 30000-32767, a port in use or out of range is 422, kept on update, freed on delete', async () => {
    const a = await request(f.base, 'POST', SVCS, service('np-a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }, { name: 'b', port: 81 }].map((p, i) => ({ name: `p${i}`, ...p })) }));
    expect(a.status).toBe(201);
    expect(a.json.spec.ports[0].nodePort).toBe(30080);
    const auto = a.json.spec.ports[1].nodePort;
    expect(auto).toBeGreaterThanOrEqual(30000);
    expect(auto).toBeLessThanOrEqual(32767);
    expect(a.json.spec.externalTrafficPolicy).toBe('Cluster');

    const b = await request(f.base, 'POST', SVCS, service('np-b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(b.status).toBe(422);
    expect(b.json.message).toBe('Service "np-b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const out = await request(f.base, 'POST', SVCS, service('np-out', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] }));
    expect(out.status).toBe(422);
    expect(out.json.message).toBe(
      'Service "np-out" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );

    // An update that omits the allocated values keeps them.
    const put = await request(f.base, 'PUT', `${SVCS}/np-a`, service('np-a', { type: 'NodePort', ports: [{ name: 'p0', port: 80 }, { name: 'p1', port: 81 }] }));
    expect(put.status).toBe(200);
    expect(put.json.spec.clusterIP).toBe(a.json.spec.clusterIP);
    expect(put.json.spec.ports.map((p: { nodePort: number }) => p.nodePort)).toEqual([30080, auto]);

    // Back to ClusterIP: the node ports are released.
    const toClusterIP = await request(f.base, 'PATCH', `${SVCS}/np-a`, '{"spec":{"type":"ClusterIP"}}', { 'Content-Type': 'application/merge-patch+json' });
    expect(toClusterIP.status).toBe(200);
    expect(toClusterIP.json.spec.ports[0].nodePort).toBeUndefined();
    const reuse = await request(f.base, 'POST', SVCS, service('np-c', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(reuse.status).toBe(201);
    expect((await request(f.base, 'DELETE', `${SVCS}/np-c`)).status).toBe(200);
    const after = await request(f.base, 'POST', SVCS, service('np-d', { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(after.status).toBe(201);
    expect(after.json.spec.allocateLoadBalancerNodePorts).toBe(true);
  });

  test('the cluster IP may not change', async () => {
    const a = await request(f.base, 'POST', SVCS, service('ip-fixed', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] }));
    expect(a.status).toBe(201);
    const body = a.json;
    body.spec.clusterIP = '10.96.0.21';
    body.spec.clusterIPs = ['10.96.0.21'];
    const r = await request(f.base, 'PUT', `${SVCS}/ip-fixed`, body);
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('Service "ip-fixed" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.21"]: may not change once set');
  });

  test('allocation is exclusive across apiservers on one database, and follows --service-cluster-ip-range', async () => {
    const other = await startInProcess(f.db.url, { serviceClusterIPRange: '10.96.0.0/12' });
    try {
      const ns = 'alloc-race';
      await createNamespace(f.base, ns);
      const bases = [f.base, other.url];
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          request(bases[i % 2], 'POST', `/api/v1/namespaces/${ns}/services`, service(`race-${i}`, { clusterIP: '10.96.1.1', type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] })),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 422)).toHaveLength(7);
      // Dynamic picks never collide either.
      const many = await Promise.all(
        Array.from({ length: 20 }, (_, i) => request(bases[i % 2], 'POST', `/api/v1/namespaces/${ns}/services`, service(`many-${i}`, { type: 'NodePort', ports: [{ port: 80 }] }))),
      );
      expect(many.every((r) => r.status === 201)).toBe(true);
      expect(new Set(many.map((r) => r.json.spec.clusterIP)).size).toBe(20);
      expect(new Set(many.map((r) => r.json.spec.ports[0].nodePort)).size).toBe(20);
    } finally {
      await other.stop();
    }
    const small = await startInProcess(f.db.url, { serviceClusterIPRange: '192.168.7.0/29' });
    try {
      // A /29 has six addresses to give; the seventh service finds the range full (500, as upstream).
      const got = [];
      for (let i = 0; i < 6; i++) {
        const r = await request(small.url, 'POST', SVCS, service(`small-${i}`, { ports: [{ port: 80 }] }));
        expect(r.status).toBe(201);
        expect(r.json.spec.clusterIP).toMatch(/^192\.168\.7\.[1-6]$/);
        got.push(r.json.spec.clusterIP);
      }
      expect(new Set(got).size).toBe(6);
      const full = await request(small.url, 'POST', SVCS, service('small-full', { ports: [{ port: 80 }] }));
      expect(full.status).toBe(500);
      expect(full.json.message).toBe('Internal error occurred: failed to allocate a serviceIP: range is full');
      // The range is this server's; an IP held from the old range stays valid on update.
      const keep = await request(small.url, 'PATCH', `${SVCS}/svc1`, '{"metadata":{"labels":{"a":"b"}}}', { 'Content-Type': 'application/merge-patch+json' });
      expect(keep.status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});
