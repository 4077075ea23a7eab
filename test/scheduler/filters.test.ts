import { CycleState } from '../../src/scheduler/framework.js';
import type { FilterPlugin } from '../../src/scheduler/framework.js';
import type { NodeInfo } from '../../src/scheduler/node-info.js';
import { interPodAffinityFilter } from '../../src/scheduler/plugins/inter-pod-affinity.js';
import { nodeAffinityFilter } from '../../src/scheduler/plugins/node-affinity.js';
import { nodeName } from '../../src/scheduler/plugins/node-name.js';
import { nodePorts } from '../../src/scheduler/plugins/node-ports.js';
import { nodeResourcesFitFilter } from '../../src/scheduler/plugins/node-resources-fit.js';
import { nodeUnschedulable } from '../../src/scheduler/plugins/node-unschedulable.js';
import { podTopologySpreadFilter } from '../../src/scheduler/plugins/pod-topology-spread.js';
import { taintTolerationFilter } from '../../src/scheduler/plugins/taint-toleration.js';
import { podRequests } from '../../src/scheduler/resources.js';
import type { Pod } from '../../src/scheduler/types.js';
import { container, info, makeNode, makePod } from './helpers.js';

function run(plugin: FilterPlugin, pod: Pod, node: NodeInfo, all: NodeInfo[] = [node]) {
  return plugin.filter(new CycleState(pod, all), node);
}

describe('pod requests', () => {
  test('containers add up; an init container counts when larger; sidecars add to both; overhead is added', () => {
    const pod = makePod('p', {
      containers: [container({ cpu: '100m', memory: '64Mi' }), container({ cpu: '200m' })],
      initContainers: [container({ cpu: '1', memory: '1Mi' }), container({ cpu: '50m' }, { restartPolicy: 'Always' })],
      overhead: { cpu: '10m', memory: '1Mi' },
    });
    const r = podRequests(pod);
    // containers 300m + sidecar 50m = 350m; the init container (1000m) started before the sidecar: max = 1000m.
    expect(r.get('cpu')).toBe(1010);
    expect(r.get('memory')).toBe(65 * 1024 * 1024);
  });

  test('an init container started after a sidecar needs room beside it', () => {
    const pod = makePod('p', {
      containers: [container({ cpu: '100m' })],
      initContainers: [container({ cpu: '500m' }, { restartPolicy: 'Always' }), container({ cpu: '700m' })],
    });
    expect(podRequests(pod).get('cpu')).toBe(1200);
  });

  test('non-zero requests give containers without requests 100m and 200Mi', () => {
    const r = podRequests(makePod('p', { containers: [container(), container({ cpu: '1' })] }), true);
    expect(r.get('cpu')).toBe(1100);
    expect(r.get('memory')).toBe(400 * 1024 * 1024);
  });
});

describe('NodeResourcesFit', () => {
  test('fits while allocatable minus requested covers the pod', () => {
    const node = info(makeNode('n', { cpu: '1' }), [makePod('a', { containers: [container({ cpu: '600m' })] })]);
    expect(run(nodeResourcesFitFilter, makePod('p', { containers: [container({ cpu: '400m' })] }), node)).toBeUndefined();
    expect(run(nodeResourcesFitFilter, makePod('p', { containers: [container({ cpu: '401m' })] }), node)).toEqual({
      code: 'Unschedulable',
      reasons: ['Insufficient cpu'],
    });
  });

  test('cpu and memory reasons together; a request above allocatable is unresolvable', () => {
    const node = info(makeNode('n', { cpu: '1', memory: '1Gi' }));
    expect(run(nodeResourcesFitFilter, makePod('p', { containers: [container({ cpu: '2', memory: '2Gi' })] }), node)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['Insufficient cpu', 'Insufficient memory'],
    });
  });

  test('init containers and overhead count', () => {
    const node = info(makeNode('n', { cpu: '1' }));
    expect(run(nodeResourcesFitFilter, makePod('p', { initContainers: [container({ cpu: '1500m' })] }), node)?.reasons).toEqual(['Insufficient cpu']);
    expect(run(nodeResourcesFitFilter, makePod('p', { containers: [container({ cpu: '1' })], overhead: { cpu: '1m' } }), node)?.reasons).toEqual(['Insufficient cpu']);
  });

  test('the pod count: "Too many pods"', () => {
    const node = info(makeNode('n', { pods: '2' }), [makePod('a'), makePod('b')]);
    expect(run(nodeResourcesFitFilter, makePod('p'), node)).toEqual({ code: 'Unschedulable', reasons: ['Too many pods'] });
  });

  test('extended resources the node lacks', () => {
    const node = info(makeNode('n'));
    expect(run(nodeResourcesFitFilter, makePod('p', { containers: [container({ 'example.com/gpu': '1' })] }), node)?.reasons).toEqual([
      'Insufficient example.com/gpu',
    ]);
  });
});

describe('NodeName', () => {
  test('only the named node fits', () => {
    const pod = makePod('p', { nodeName: 'a' });
    expect(run(nodeName, pod, info(makeNode('a')))).toBeUndefined();
    expect(run(nodeName, pod, info(makeNode('b')))?.reasons).toEqual(["node(s) didn't match the requested node name"]);
  });
});

describe('NodeUnschedulable', () => {
  const cordoned = info(makeNode('n', { spec: { unschedulable: true } }));
  test('a cordoned node takes no pod, unless it tolerates node.kubernetes.io/unschedulable', () => {
    expect(run(nodeUnschedulable, makePod('p'), cordoned)).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] });
    const tolerant = makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(run(nodeUnschedulable, tolerant, cordoned)).toBeUndefined();
    expect(run(nodeUnschedulable, makePod('p'), info(makeNode('m')))).toBeUndefined();
  });
});

describe('NodeAffinity', () => {
  const node = info(makeNode('n', { labels: { disk: 'ssd', zone: 'a', cores: '8' } }));
  const affinity = (op: string, key: string, values?: string[]) =>
    makePod('p', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: op, values }] }] } } },
    });
  test('nodeSelector', () => {
    expect(run(nodeAffinityFilter, makePod('p', { nodeSelector: { disk: 'ssd' } }), node)).toBeUndefined();
    expect(run(nodeAffinityFilter, makePod('p', { nodeSelector: { disk: 'hdd' } }), node)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match Pod's node affinity/selector"],
    });
  });
  test.each([
    ['In', 'disk', ['ssd', 'nvme'], true],
    ['In', 'disk', ['hdd'], false],
    ['NotIn', 'disk', ['hdd'], true],
    ['NotIn', 'disk', ['ssd'], false],
    ['Exists', 'zone', undefined, true],
    ['Exists', 'gpu', undefined, false],
    ['DoesNotExist', 'gpu', undefined, true],
    ['DoesNotExist', 'zone', undefined, false],
    ['Gt', 'cores', ['4'], true],
    ['Gt', 'cores', ['8'], false],
    ['Lt', 'cores', ['9'], true],
    ['Lt', 'cores', ['8'], false],
  ])('%s %s %j: fits=%s', (op, key, values, fits) => {
    expect(run(nodeAffinityFilter, affinity(op, key, values), node) === undefined).toBe(fits);
  });
  test('terms are ORed, requirements within a term ANDed; matchFields on metadata.name; an empty term matches nothing', () => {
    const pod = (terms: object[]) =>
      makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as never } } } });
    expect(run(nodeAffinityFilter, pod([{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }]), node)).toBeUndefined();
    expect(run(nodeAffinityFilter, pod([{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }, { key: 'zone', operator: 'In', values: ['b'] }] }]), node)).toBeDefined();
    expect(run(nodeAffinityFilter, pod([{}]), node)).toBeDefined();
  });
});

describe('TaintToleration', () => {
  const tainted = info(makeNode('n', { spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'soft', effect: 'PreferNoSchedule' }] } }));
  test('an untolerated NoSchedule taint rejects, naming it', () => {
    expect(run(taintTolerationFilter, makePod('p'), tainted)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    });
  });
  test('tolerations: Equal with the value, Exists on the key, an empty key with Exists; the wrong effect does not tolerate', () => {
    const tol = (t: object) => makePod('p', { tolerations: [t] });
    expect(run(taintTolerationFilter, tol({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }), tainted)).toBeUndefined();
    expect(run(taintTolerationFilter, tol({ key: 'dedicated', operator: 'Exists' }), tainted)).toBeUndefined();
    expect(run(taintTolerationFilter, tol({ operator: 'Exists' }), tainted)).toBeUndefined();
    expect(run(taintTolerationFilter, tol({ key: 'dedicated', value: 'cpu' }), tainted)).toBeDefined();
    expect(run(taintTolerationFilter, tol({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }), tainted)).toBeDefined();
  });
  test('NoExecute taints filter too; PreferNoSchedule does not', () => {
    expect(run(taintTolerationFilter, makePod('p'), info(makeNode('n', { spec: { taints: [{ key: 'x', effect: 'NoExecute' }] } })))?.reasons).toEqual([
      'node(s) had untolerated taint {x: }',
    ]);
    expect(run(taintTolerationFilter, makePod('p'), info(makeNode('n', { spec: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] } })))).toBeUndefined();
  });
});

describe('NodePorts', () => {
  const withPort = (port: number, extra: object = {}) => makePod(`p${port}`, { containers: [container(undefined, { ports: [{ containerPort: 80, hostPort: port, ...extra }] })] });
  test('a host port in use on the node rejects; another port, protocol or host IP fits', () => {
    const node = info(makeNode('n'), [withPort(8080, { hostIP: '10.0.0.1' })]);
    expect(run(nodePorts, withPort(8080), node)).toEqual({ code: 'Unschedulable', reasons: ["node(s) didn't have free ports for the requested pod ports"] });
    expect(run(nodePorts, withPort(8080, { hostIP: '10.0.0.1' }), node)).toBeDefined();
    expect(run(nodePorts, withPort(8080, { hostIP: '10.0.0.2' }), node)).toBeUndefined();
    expect(run(nodePorts, withPort(8080, { protocol: 'UDP' }), node)).toBeUndefined();
    expect(run(nodePorts, withPort(8081), node)).toBeUndefined();
  });
});

describe('InterPodAffinity', () => {
  const anti = (name: string, labels: Record<string, string>) =>
    makePod(
      name,
      {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
          },
        },
      },
      { labels },
    );
  test('required anti-affinity on the host name keeps replicas apart', () => {
    const a = info(makeNode('a'), [makePod('w1', {}, { labels: { app: 'web' } })]);
    const b = info(makeNode('b'), [makePod('x', {}, { labels: { app: 'db' } })]);
    const pod = anti('w2', { app: 'web' });
    expect(run(interPodAffinityFilter, pod, a, [a, b])).toEqual({ code: 'Unschedulable', reasons: ["node(s) didn't match pod anti-affinity rules"] });
    expect(run(interPodAffinityFilter, pod, b, [a, b])).toBeUndefined();
  });
  test("an existing pod's anti-affinity keeps matching pods off its node", () => {
    const a = info(makeNode('a'), [anti('w1', { app: 'web' })]);
    const b = info(makeNode('b'));
    const pod = makePod('w2', {}, { labels: { app: 'web' } });
    expect(run(interPodAffinityFilter, pod, a, [a, b])?.reasons).toEqual(["node(s) didn't satisfy existing pods anti-affinity rules"]);
    expect(run(interPodAffinityFilter, pod, b, [a, b])).toBeUndefined();
    expect(run(interPodAffinityFilter, makePod('other', {}, { labels: { app: 'db' } }), a, [a, b])).toBeUndefined();
  });
  test('pods in other namespaces do not count unless the term names them', () => {
    const a = info(makeNode('a'), [makePod('w1', {}, { labels: { app: 'web' }, namespace: 'other' })]);
    expect(run(interPodAffinityFilter, anti('w2', { app: 'web' }), a)).toBeUndefined();
  });
});

describe('PodTopologySpread (DoNotSchedule)', () => {
  test('a node whose domain would exceed maxSkew is rejected; a node lacking the key too', () => {
    const constraint = { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } };
    const web = (n: string) => makePod(n, {}, { labels: { app: 'web' } });
    const a = info(makeNode('a', { labels: { zone: 'z1' } }), [web('w1')]);
    const b = info(makeNode('b', { labels: { zone: 'z2' } }));
    const c = info(makeNode('c'));
    const pod = makePod('w2', { topologySpreadConstraints: [constraint] }, { labels: { app: 'web' } });
    const all = [a, b, c];
    expect(run(podTopologySpreadFilter, pod, a, all)?.reasons).toEqual(["node(s) didn't match pod topology spread constraints"]);
    expect(run(podTopologySpreadFilter, pod, b, all)).toBeUndefined();
    expect(run(podTopologySpreadFilter, pod, c, all)?.reasons).toEqual(["node(s) didn't match pod topology spread constraints (missing required label)"]);
  });
});
