import { CONTROLLERS, selectControllers } from '../../src/controllers/controller-manager.js';
import { terminatedOverThreshold, terminatingOnOutOfServiceNodes } from '../../src/controllers/podgc/select.js';
import type { Node, Pod } from '../../src/client/index.js';

describe('--controllers', () => {
  const names = (flag: string[]) => selectControllers(flag).map((c) => c.name);

  test("'*' is every controller; '-name' turns one off; short and upstream names both work", () => {
    expect(names(['*'])).toEqual(CONTROLLERS.map((c) => c.name));
    const allButPodGC = CONTROLLERS.map((c) => c.name).filter((n) => n !== 'pod-garbage-collector-controller');
    expect(names(['*', '-podgc'])).toEqual(allButPodGC);
    expect(names(['*', '-pod-garbage-collector-controller'])).toEqual(allButPodGC);
    expect(names(['namespace'])).toEqual(['namespace-controller']);
    expect(names(['garbage-collector-controller', 'podgc'])).toEqual(['garbage-collector-controller', 'pod-garbage-collector-controller']);
    expect(names([])).toEqual([]);
  });

  test('an unknown name is an error, as upstream', () => {
    expect(() => selectControllers(['*', 'nope'])).toThrow('"nope" is not in the list of known controllers');
    expect(() => selectControllers(['-nope'])).toThrow('"nope" is not in the list of known controllers');
  });
});

describe('terminated pods over the threshold', () => {
  const p = (name: string, phase: string, created: string, reason?: string): Pod => ({
    metadata: { name, namespace: 'ns', creationTimestamp: created },
    status: { phase, ...(reason ? { reason } : {}) },
  });

  test('evicted pods first, then the oldest; pending, running and unknown pods never count', () => {
    const pods = [
      p('old', 'Succeeded', '2024-01-01T00:00:00Z'),
      p('new', 'Failed', '2024-01-03T00:00:00Z'),
      p('evicted', 'Failed', '2024-01-05T00:00:00Z', 'Evicted'),
      p('mid', 'Succeeded', '2024-01-02T00:00:00Z'),
      p('running', 'Running', '2023-01-01T00:00:00Z'),
      p('unknown', 'Unknown', '2023-01-01T00:00:00Z'),
    ];
    expect(terminatedOverThreshold(pods, 2).map((x) => x.metadata.name)).toEqual(['evicted', 'old']);
    expect(terminatedOverThreshold(pods, 4)).toEqual([]);
    expect(terminatedOverThreshold(pods, 0)).toEqual([]);
  });
});

describe('terminating pods on out-of-service nodes', () => {
  const node = (name: string, ready: boolean, outOfService: boolean): Node => ({
    metadata: { name },
    spec: outOfService ? { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] } : {},
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pod = (name: string, nodeName: string, deleting: boolean): Pod => ({
    metadata: { name, namespace: 'ns', ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName, containers: [] },
  });

  test('only deleting pods on a tainted node that is not Ready', () => {
    const nodes = [node('down', false, true), node('tainted-but-ready', true, true), node('not-ready', false, false)];
    const pods = [pod('a', 'down', true), pod('b', 'down', false), pod('c', 'tainted-but-ready', true), pod('d', 'not-ready', true)];
    expect(terminatingOnOutOfServiceNodes(pods, nodes).map((p) => p.metadata.name)).toEqual(['a']);
  });
});
