import { withNodeName } from '../../src/scheduler/cache.js';
import { schedulePod } from '../../src/scheduler/algorithm.js';
import { CycleState, defaultNormalizeScore } from '../../src/scheduler/framework.js';
import type { ScorePlugin } from '../../src/scheduler/framework.js';
import { fitErrorMessage } from '../../src/scheduler/fit-error.js';
import type { NodeInfo } from '../../src/scheduler/node-info.js';
import { interPodAffinityScore } from '../../src/scheduler/plugins/inter-pod-affinity.js';
import { nodeAffinityScore } from '../../src/scheduler/plugins/node-affinity.js';
import { balancedAllocation, leastRequestedScore, nodeResourcesLeastAllocated } from '../../src/scheduler/plugins/node-resources-fit.js';
import { podTopologySpreadScore } from '../../src/scheduler/plugins/pod-topology-spread.js';
import { taintTolerationScore } from '../../src/scheduler/plugins/taint-toleration.js';
import { defaultProfile } from '../../src/scheduler/profile.js';
import type { Pod } from '../../src/scheduler/types.js';
import { container, info, makeNode, makePod } from './helpers.js';

/** Raw then normalised scores of one plugin over the nodes, as the framework computes them. */
function scores(plugin: ScorePlugin, pod: Pod, nodes: NodeInfo[]): number[] {
  const state = new CycleState(pod, nodes);
  const out = nodes.map((n) => plugin.score(state, n, nodes));
  plugin.normalize?.(state, out, nodes);
  return out;
}

describe('NodeResourcesFit LeastAllocated', () => {
  test('the free share of cpu and memory, averaged; containers without requests count as 100m/200Mi', () => {
    expect(leastRequestedScore(250, 1000)).toBe(75);
    expect(leastRequestedScore(1001, 1000)).toBe(0);
    const empty = info(makeNode('a', { cpu: '1', memory: '1000Mi' }));
    const busy = info(makeNode('b', { cpu: '1', memory: '1000Mi' }), [makePod('x', { containers: [container({ cpu: '500m', memory: '500Mi' })] })]);
    // pod: 100m + 200Mi by default. a: cpu 90, memory 80 -> 85. b: cpu 40, memory 30 -> 35.
    expect(scores(nodeResourcesLeastAllocated, makePod('p'), [empty, busy])).toEqual([85, 35]);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  test('(1 - |cpu fraction - memory fraction| / 2) * 100; skipped for best-effort pods', () => {
    const node = info(makeNode('a', { cpu: '1', memory: '1000Mi' }));
    const pod = makePod('p', { containers: [container({ cpu: '500m', memory: '100Mi' })] });
    // fractions 0.5 and 0.1: std 0.2 -> 80
    expect(scores(balancedAllocation, pod, [node])).toEqual([80]);
    expect(balancedAllocation.skip!(new CycleState(makePod('be'), [node]), [node])).toBe(true);
    expect(balancedAllocation.skip!(new CycleState(pod, [node]), [node])).toBe(false);
  });
});

describe('TaintToleration score', () => {
  test('untolerated PreferNoSchedule taints lower the score, reversed onto 0..100', () => {
    const clean = info(makeNode('a'));
    const one = info(makeNode('b', { spec: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] } }));
    const two = info(makeNode('c', { spec: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }, { key: 'y', effect: 'PreferNoSchedule' }] } }));
    expect(scores(taintTolerationScore, makePod('p'), [clean, one, two])).toEqual([100, 50, 0]);
    const tolerant = makePod('p', { tolerations: [{ key: 'x', operator: 'Exists', effect: 'PreferNoSchedule' }] });
    expect(scores(taintTolerationScore, tolerant, [clean, one, two])).toEqual([100, 100, 0]);
  });
});

describe('NodeAffinity score', () => {
  test('weights of the matching preferred terms, scaled by the highest', () => {
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 80, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
          ],
        },
      },
    });
    const nodes = [info(makeNode('a', { labels: { disk: 'ssd', zone: 'z' } })), info(makeNode('b', { labels: { disk: 'ssd' } })), info(makeNode('c'))];
    expect(scores(nodeAffinityScore, pod, nodes)).toEqual([100, 80, 0]);
  });
});

describe('PodTopologySpread score (system default constraints)', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true };
  const replica = (name: string) => makePod(name, {}, { ownerReferences: [owner] });
  test('nodes with fewer replicas of the same controller score higher; other pods do not count', () => {
    const nodes = [
      info(makeNode('a'), [replica('r1'), replica('r2')]),
      info(makeNode('b'), [replica('r3'), makePod('other1'), makePod('other2')]),
      info(makeNode('c'), [makePod('other3')]),
    ];
    const s = scores(podTopologySpreadScore, replica('new'), nodes);
    expect(s[2]).toBe(100);
    expect(s[2]).toBeGreaterThan(s[1]);
    expect(s[1]).toBeGreaterThan(s[0]);
  });
  test('a pod without a controller is not spread', () => {
    expect(podTopologySpreadScore.skip!(new CycleState(makePod('p'), []), [])).toBe(true);
  });
});

describe('InterPodAffinity score (preferred anti-affinity)', () => {
  test('nodes holding matching pods score lower', () => {
    const pod = makePod('p', {
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } },
          ],
        },
      },
    });
    const web = (n: string) => makePod(n, {}, { labels: { app: 'web' } });
    const nodes = [info(makeNode('a'), [web('w1'), web('w2')]), info(makeNode('b'), [web('w3')]), info(makeNode('c'))];
    expect(scores(interPodAffinityScore, pod, nodes)).toEqual([0, 50, 100]);
  });
});

describe('defaultNormalizeScore', () => {
  test('scales by the maximum, optionally reversed; all zero stays zero (or becomes max reversed)', () => {
    const a = [1, 2, 4];
    defaultNormalizeScore(100, false, a);
    expect(a).toEqual([25, 50, 100]);
    const b = [0, 0];
    defaultNormalizeScore(100, true, b);
    expect(b).toEqual([100, 100]);
  });
});

describe('schedulePod with the default profile', () => {
  test('six replicas placed one after another spread two per node over three nodes', () => {
    const nodes = ['a', 'b', 'c'].map((n) => info(makeNode(n)));
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true };
    for (let i = 0; i < 6; i++) {
      const pod = makePod(`r${i}`, { containers: [container({ cpu: '100m', memory: '100Mi' })] }, { ownerReferences: [owner] });
      const result = schedulePod(defaultProfile, pod, nodes);
      if (result.node === undefined) throw new Error(result.message);
      nodes.find((n) => n.name === result.node)!.addPod(withNodeName(pod, result.node));
    }
    expect(nodes.map((n) => n.pods.size)).toEqual([2, 2, 2]);
  });

  test('a pod that fits nowhere gets upstream\'s message', () => {
    const nodes = ['a', 'b', 'c'].map((n) => info(makeNode(n)));
    const result = schedulePod(defaultProfile, makePod('p', { nodeSelector: { disk: 'none' } }), nodes);
    expect(result.node).toBeUndefined();
    expect(result.node === undefined && result.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  test('mixed reasons are counted and sorted; resolvable ones find no preemption victims', () => {
    const nodes = [
      info(makeNode('a', { cpu: '1' }), [makePod('x', { containers: [container({ cpu: '900m' })] })]),
      info(makeNode('b', { cpu: '1' }), [makePod('y', { containers: [container({ cpu: '900m' })] })]),
      info(makeNode('c', { spec: { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] } })),
    ];
    const result = schedulePod(defaultProfile, makePod('p', { containers: [container({ cpu: '500m' })] }), nodes);
    expect(result.node === undefined && result.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: infra}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
  });

  test('no nodes at all', () => {
    expect(fitErrorMessage(0, [])).toBe('no nodes available to schedule pods');
  });
});
