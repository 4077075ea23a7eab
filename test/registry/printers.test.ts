import { humanDuration, printerFor } from '../../src/registry/printers/index.js';
import { renderList, renderObject } from '../../src/api/table.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString().replace('.000Z', 'Z');
const POD = { group: '', version: 'v1', kind: 'Pod' };
const row = (def: { group: string; version: string; kind: string }, o: unknown) => printerFor(def).print(o, NOW).cells;
const names = (def: { group: string; version: string; kind: string }) => printerFor(def).columns.map((c) => (c.priority ? `[${c.name}]` : c.name));

describe('humanDuration', () => {
  test.each([
    [0, '0s'],
    [-1, '0s'],
    [-3, '<invalid>'],
    [45, '45s'],
    [119, '119s'],
    [123, '2m3s'],
    [300, '5m'],
    [9 * 60 + 59, '9m59s'],
    [47 * 60, '47m'],
    [3 * 3600 + 10 * 60, '3h10m'],
    [5 * 3600, '5h'],
    [30 * 3600, '30h'],
    [2 * 86400 + 3 * 3600, '2d3h'],
    [3 * 86400, '3d'],
    [400 * 86400, '400d'],
    [(2 * 365 + 30) * 86400, '2y30d'],
    [3 * 365 * 86400, '3y'],
    [10 * 365 * 86400, '10y'],
  ])('%ds is %s', (s, text) => {
    expect(humanDuration(s * 1000)).toBe(text);
  });
});

function pod(status: Record<string, unknown>, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(300), ...metadata },
    spec: { containers: [{ name: 'a', image: 'nginx' }], ...spec },
    status,
  };
}

describe('pods', () => {
  test('columns, wide ones last', () => {
    expect(names(POD)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', '[IP]', '[Node]', '[Nominated Node]', '[Readiness Gates]']);
  });

  test('a running, ready pod', () => {
    const p = pod(
      {
        phase: 'Running',
        podIPs: [{ ip: '10.0.0.5' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: { running: { startedAt: ago(200) } } }],
      },
      { nodeName: 'node1' },
    );
    expect(row(POD, p)).toEqual(['p', '1/1', 'Running', '0', '5m', '10.0.0.5', 'node1', '<none>', '<none>']);
  });

  test('a new pod is Pending with nothing known', () => {
    expect(row(POD, pod({ phase: 'Pending' }))).toEqual(['p', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
    expect(row(POD, { metadata: { name: 'bare' } })).toEqual(['bare', '0/0', '', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
  });

  test('init containers: Init:0/1, then Init:<reason>', () => {
    const spec = { initContainers: [{ name: 'init', image: 'busybox' }] };
    const waiting = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { waiting: { reason: 'PodInitializing' } } }] }, spec);
    expect(row(POD, waiting)[2]).toBe('Init:0/1');
    const crash = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, spec);
    expect(row(POD, crash).slice(1, 4)).toEqual(['0/1', 'Init:CrashLoopBackOff', '2']);
    const failed = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 3 } } }] }, spec);
    expect(row(POD, failed)[2]).toBe('Init:ExitCode:3');
  });

  test('a sidecar (restartable init container) counts toward ready', () => {
    const p = pod(
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [{ name: 'side', started: true, ready: true, restartCount: 1, state: { running: {} } }],
        containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: { running: {} } }],
      },
      { initContainers: [{ name: 'side', image: 'envoy', restartPolicy: 'Always' }] },
    );
    expect(row(POD, p).slice(1, 4)).toEqual(['2/2', 'Running', '1']);
  });

  test('CrashLoopBackOff with restarts "(5m ago)"', () => {
    const p = pod({
      phase: 'Running',
      containerStatuses: [
        { name: 'a', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(300) } } },
      ],
    });
    expect(row(POD, p).slice(1, 4)).toEqual(['0/1', 'CrashLoopBackOff', '5 (5m ago)']);
  });

  test('Completed, with a Completed row condition', () => {
    const p = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
    const printed = printerFor(POD).print(p, NOW);
    expect(printed.cells.slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    expect(printed.conditions).toEqual([expect.objectContaining({ type: 'Completed', status: 'True', reason: 'Succeeded' })]);
    const failed = pod({ phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 137, signal: 9 } } }] });
    expect(row(POD, failed)[2]).toBe('Signal:9');
  });

  test('Completed with a container still running reads Running or NotReady', () => {
    const status = {
      phase: 'Running',
      containerStatuses: [
        { name: 'a', ready: true, state: { running: {} } },
        { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
    };
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    expect(row(POD, pod({ ...status, conditions: [{ type: 'Ready', status: 'True' }] }, spec))[2]).toBe('Running');
    expect(row(POD, pod(status, spec))[2]).toBe('NotReady');
  });

  test('Terminating while deleted and not finished; Unknown when the node is lost', () => {
    const running = { phase: 'Running', containerStatuses: [{ name: 'a', ready: true, state: { running: {} } }] };
    expect(row(POD, pod(running, {}, { deletionTimestamp: ago(1) }))[2]).toBe('Terminating');
    expect(row(POD, pod({ phase: 'Succeeded' }, {}, { deletionTimestamp: ago(1) }))[2]).toBe('Succeeded');
    expect(row(POD, pod({ ...running, reason: 'NodeLost' }, {}, { deletionTimestamp: ago(1) }))[2]).toBe('Unknown');
  });

  test('SchedulingGated and readiness gates', () => {
    const p = pod(
      { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }, { type: 'example.com/gate', status: 'True' }] },
      { readinessGates: [{ conditionType: 'example.com/gate' }, { conditionType: 'example.com/other' }] },
    );
    const cells = row(POD, p);
    expect(cells[2]).toBe('SchedulingGated');
    expect(cells[8]).toBe('1/2');
  });
});

describe('apps and batch', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'log', image: 'busybox' }] } };

  test('deployments: ready/desired, up-to-date, available, wide containers and selector', () => {
    const def = { group: 'apps', version: 'v1', kind: 'Deployment' };
    expect(names(def)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', '[Containers]', '[Images]', '[Selector]']);
    const d = {
      metadata: { name: 'web', creationTimestamp: ago(3 * 3600 + 600) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', tier: 'fe' } }, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(row(def, d)).toEqual(['web', '2/3', 3, 2, '3h10m', 'web,log', 'nginx:1,busybox', 'app=web,tier=fe']);
    // No status yet, replicas defaulted.
    expect(row(def, { metadata: { name: 'new', creationTimestamp: ago(45) }, spec: { selector: { matchLabels: { a: 'b' } }, template } }).slice(0, 5)).toEqual(['new', '0/1', 0, 0, '45s']);
  });

  test('replica sets, stateful sets and daemon sets', () => {
    const rs = { metadata: { name: 'rs', creationTimestamp: ago(60) }, spec: { replicas: 2, selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['b', 'a'] }], matchLabels: { app: 'x' } }, template }, status: { replicas: 2, readyReplicas: 1 } };
    expect(row({ group: 'apps', version: 'v1', kind: 'ReplicaSet' }, rs)).toEqual(['rs', 2, 2, 1, '60s', 'web,log', 'nginx:1,busybox', 'app=x,env in (a,b)']);
    const sts = { metadata: { name: 'db', creationTimestamp: ago(60) }, spec: { replicas: 3, template }, status: { readyReplicas: 3 } };
    expect(row({ group: 'apps', version: 'v1', kind: 'StatefulSet' }, sts)).toEqual(['db', '3/3', '60s', 'web,log', 'nginx:1,busybox']);
    const ds = {
      metadata: { name: 'agent', creationTimestamp: ago(60) },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'a', image: 'agent:1' }] } } },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    };
    expect(row({ group: 'apps', version: 'v1', kind: 'DaemonSet' }, ds)).toEqual(['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '60s', 'a', 'agent:1', 'app=agent']);
  });

  test('jobs: status, completions, duration', () => {
    const def = { group: 'batch', version: 'v1', kind: 'Job' };
    expect(names(def)).toEqual(['Name', 'Status', 'Completions', 'Duration', 'Age', '[Containers]', '[Images]', '[Selector]']);
    const done = {
      metadata: { name: 'pi', creationTimestamp: ago(600) },
      spec: { completions: 1, template, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } },
      status: { succeeded: 1, startTime: ago(590), completionTime: ago(467), conditions: [{ type: 'Complete', status: 'True' }] },
    };
    expect(row(def, done).slice(0, 5)).toEqual(['pi', 'Complete', '1/1', '2m3s', '10m']);
    const running = { metadata: { name: 'par', creationTimestamp: ago(60) }, spec: { parallelism: 3, template }, status: { succeeded: 1, startTime: ago(45) } };
    expect(row(def, running).slice(0, 5)).toEqual(['par', 'Running', '1/1 of 3', '45s', '60s']);
    const failed = { metadata: { name: 'f' }, spec: { template }, status: { conditions: [{ type: 'Failed', status: 'True' }] } };
    expect(row(def, failed).slice(1, 4)).toEqual(['Failed', '0/1', '']);
    const suspended = { metadata: { name: 's' }, spec: { template }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } };
    expect(row(def, suspended)[1]).toBe('Suspended');
  });

  test('cron jobs', () => {
    const def = { group: 'batch', version: 'v1', kind: 'CronJob' };
    expect(names(def).slice(0, 7)).toEqual(['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age']);
    const cj = { metadata: { name: 'hourly', creationTimestamp: ago(7200) }, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } }, status: {} };
    expect(row(def, cj)).toEqual(['hourly', '0 * * * *', '<none>', 'False', 0, '<none>', '120m', 'web,log', 'nginx:1,busybox', '<none>']);
    const active = { ...cj, spec: { ...cj.spec, timeZone: 'Etc/UTC', suspend: true }, status: { active: [{ name: 'j1' }], lastScheduleTime: ago(300) } };
    expect(row(def, active).slice(1, 6)).toEqual(['0 * * * *', 'Etc/UTC', 'True', 1, '5m']);
  });
});

describe('core kinds', () => {
  test('services: types, cluster IPs, external IPs and ports', () => {
    const def = { group: '', version: 'v1', kind: 'Service' };
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => row(def, { metadata: { name: 's', creationTimestamp: ago(60) }, spec, status });
    expect(svc({ clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web' } })).toEqual([
      's',
      'ClusterIP',
      '10.96.0.10',
      '<none>',
      '80/TCP,53/UDP',
      '60s',
      'app=web',
    ]);
    expect(svc({ type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080 }], externalIPs: ['1.2.3.4'] }).slice(1, 5)).toEqual(['NodePort', '10.96.0.11', '1.2.3.4', '80:30080/TCP']);
    expect(svc({ type: 'LoadBalancer', ports: [{ port: 443, nodePort: 31443 }] }).slice(1, 5)).toEqual(['LoadBalancer', '<none>', '<pending>', '443:31443/TCP']);
    expect(svc({ type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { hostname: 'lb.example.com' }] } })[3]).toBe('5.6.7.8,lb.example.com');
    expect(svc({ type: 'ExternalName', externalName: 'db.example.com' }).slice(1, 5)).toEqual(['ExternalName', '<none>', 'db.example.com', '<none>']);
    expect(svc({ clusterIPs: ['None'] })[2]).toBe('None');
  });

  test('nodes: status, roles, version and wide addresses', () => {
    const def = { group: '', version: 'v1', kind: 'Node' };
    const node = {
      metadata: { name: 'n1', creationTimestamp: ago(2 * 86400 + 3 * 3600), labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'n1' }],
        nodeInfo: { kubeletVersion: 'v1.33.0', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'containerd://1.7' },
      },
    };
    expect(row(def, node)).toEqual(['n1', 'Ready,SchedulingDisabled', 'control-plane,edge,worker', '2d3h', 'v1.33.0', '192.168.1.10', '<none>', 'Debian', '6.1', 'containerd://1.7']);
    expect(row(def, { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).slice(1, 3)).toEqual(['NotReady', '<none>']);
    expect(row(def, { metadata: { name: 'n3' } }).slice(1, 10)).toEqual(['Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });

  test('namespaces, config maps, secrets', () => {
    expect(row({ group: '', version: 'v1', kind: 'Namespace' }, { metadata: { name: 'ns', creationTimestamp: ago(400 * 86400) }, status: { phase: 'Active' } })).toEqual(['ns', 'Active', '400d']);
    expect(row({ group: '', version: 'v1', kind: 'ConfigMap' }, { metadata: { name: 'cm', creationTimestamp: ago(5) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toEqual(['cm', 3, '5s']);
    expect(row({ group: '', version: 'v1', kind: 'Secret' }, { metadata: { name: 's', creationTimestamp: ago(5) }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } })).toEqual(['s', 'kubernetes.io/tls', 2, '5s']);
    expect(row({ group: '', version: 'v1', kind: 'Secret' }, { metadata: { name: 'o' } })).toEqual(['o', 'Opaque', 0, '<unknown>']);
  });

  test('events: column order and cells, wide ones interleaved', () => {
    const def = { group: '', version: 'v1', kind: 'Event' };
    expect(names(def)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', '[Subobject]', '[Source]', 'Message', '[First Seen]', '[Count]', '[Name]']);
    expect(printerFor(def).columns.find((c) => c.name === 'Name')?.format).toBe('name');
    const ev = {
      metadata: { name: 'web.17a', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled',
      message: ' Pulled image "nginx"\n',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node1' },
      firstTimestamp: ago(600),
      lastTimestamp: ago(45),
      count: 4,
    };
    expect(row(def, ev)).toEqual(['45s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{web}', 'kubelet, node1', 'Pulled image "nginx"', '10m', 4, 'web.17a']);
    const newApi = { metadata: { name: 'e2' }, type: 'Warning', reason: 'Failed', involvedObject: { kind: 'Node' }, eventTime: '2025-06-01T11:59:00.000000Z', reportingController: 'ctl', message: 'x' };
    expect(row(def, newApi)).toEqual(['60s', 'Warning', 'Failed', 'node', '', 'ctl', 'x', '60s', 1, 'e2']);
    const v1 = { metadata: { name: 'e3' }, type: 'Normal', reason: 'R', regarding: { kind: 'Pod', name: 'p' }, note: 'n', eventTime: ago(120), series: { count: 7, lastObservedTime: ago(30) }, reportingController: 'c', reportingInstance: 'i' };
    expect(row({ group: 'events.k8s.io', version: 'v1', kind: 'Event' }, v1)).toEqual(['30s', 'Normal', 'R', 'pod/p', '', 'c, i', 'n', '2m', 7, 'e3']);
  });
});

describe('other groups', () => {
  test('ingresses, HPAs, PDBs, storage classes, role bindings', () => {
    const ing = { metadata: { name: 'i' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } } };
    expect(row({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' }, ing).slice(0, 5)).toEqual(['i', 'nginx', 'a.example.com,b.example.com', '1.1.1.1', '80, 443']);
    const hpa = {
      metadata: { name: 'h' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
      status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] },
    };
    expect(row({ group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' }, hpa).slice(0, 6)).toEqual(['h', 'Deployment/web', 'cpu: 40%/80%', '2', 5, 3]);
    const hpa1 = { metadata: { name: 'h1' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 4, targetCPUUtilizationPercentage: 50 }, status: {} };
    expect(row({ group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' }, hpa1).slice(2, 6)).toEqual(['cpu: <unknown>/50%', '1', 4, 0]);
    const pdb = { metadata: { name: 'p' }, spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } };
    expect(row({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' }, pdb).slice(0, 4)).toEqual(['p', '50%', 'N/A', 1]);
    const sc = { metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' };
    expect(row({ group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass' }, sc).slice(0, 5)).toEqual(['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false]);
    const rb = { metadata: { name: 'rb' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', namespace: 'ns', name: 'sa' }, { kind: 'Group', name: 'devs' }] };
    expect(row({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' }, rb)).toEqual(['rb', 'ClusterRole/view', '<unknown>', 'alice', 'devs', 'ns/sa']);
  });

  test('kinds without a printer get the default Name / Created At table', () => {
    const def = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' };
    expect(printerFor(def).columns).toEqual([
      { name: 'Name', type: 'string', format: 'name', description: expect.any(String), priority: 0 },
      { name: 'Created At', type: 'date', format: '', description: expect.any(String), priority: 0 },
    ]);
    expect(row(def, { metadata: { name: 'admin', creationTimestamp: '2025-05-01T10:00:00Z' } })).toEqual(['admin', '2025-05-01T10:00:00Z']);
    const empty = JSON.parse(renderList(def, '{"kind":"ClusterRoleList","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"resourceVersion":"9"},"items":[]}', { as: 'Table', version: 'v1' }, 'Metadata'));
    expect(empty.rows).toBeNull();
  });
});

describe('Table JSON', () => {
  const CM = { group: '', version: 'v1', kind: 'ConfigMap' };
  const item = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', namespace: 'ns', resourceVersion: '7', labels: { x: 'y' }, creationTimestamp: ago(10) }, data: { k: 'v' } };
  const list = JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '9', continue: 'tok', remainingItemCount: 3 }, items: [item] });

  test('a list: metadata, columns, rows with PartialObjectMetadata', () => {
    const t = JSON.parse(renderList(CM, list, { as: 'Table', version: 'v1' }, 'Metadata', NOW));
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.metadata).toEqual({ resourceVersion: '9', continue: 'tok', remainingItemCount: 3 });
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(t.rows).toEqual([{ cells: ['a', 1, '10s'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: item.metadata } }]);
  });

  test('includeObject Object and None; v1beta1', () => {
    expect(JSON.parse(renderList(CM, list, { as: 'Table', version: 'v1' }, 'Object', NOW)).rows[0].object).toEqual(item);
    expect(JSON.parse(renderList(CM, list, { as: 'Table', version: 'v1' }, 'None', NOW)).rows[0].object).toBeNull();
    const beta = JSON.parse(renderList(CM, list, { as: 'Table', version: 'v1beta1' }, 'Metadata', NOW));
    expect(beta.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect(beta.rows[0].object.apiVersion).toBe('meta.k8s.io/v1beta1');
  });

  test('one object: its resourceVersion, no headers on request', () => {
    const t = JSON.parse(renderObject(CM, item, { as: 'Table', version: 'v1' }, 'Metadata', { now: NOW, noHeaders: true }));
    expect(t.metadata).toEqual({ resourceVersion: '7' });
    expect(t.columnDefinitions).toBeNull();
    expect(t.rows).toHaveLength(1);
  });
});
