/** The decisions of the node lifecycle and taint eviction controllers, without a cluster. */
import type { Lease, Node, NodeCondition, Pod } from '../../src/client/index.js';
import { observeNode, unknownConditions, isSilent, gracePeriodFor } from '../../src/controllers/nodelifecycle/health.js';
import { noExecuteTaintFor, noScheduleTaintChanges } from '../../src/controllers/nodelifecycle/node-taints.js';
import { notReadyConditions } from '../../src/controllers/nodelifecycle/pods.js';
import { RateLimitedTimedQueue } from '../../src/controllers/nodelifecycle/timed-queue.js';
import { computeZoneState, zoneEvictionRate, zoneKey } from '../../src/controllers/nodelifecycle/zones.js';
import { decideEviction, minTolerationMs } from '../../src/controllers/tainteviction/decide.js';
import { changeTaints, matchingTolerations, toleratesTaint } from '../../src/controllers/util/taints.js';
import { addDefaultTolerations } from '../../src/registry/core/default-toleration-seconds.js';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function node(conditions: NodeCondition[] | undefined, extra: Partial<Node['spec']> = {}, labels?: Record<string, string>): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: iso(T0 - 3_600_000), labels },
    spec: { ...extra },
    status: conditions ? { conditions } : {},
  };
}

function cond(type: string, status: string, heartbeat = T0 - 60_000): NodeCondition {
  return { type, status, reason: 'KubeletReady', message: 'm', lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0 - 3_000_000) };
}

const healthy = () => [cond('MemoryPressure', 'False'), cond('DiskPressure', 'False'), cond('PIDPressure', 'False'), cond('Ready', 'True')];
const lease = (renew: number): Lease => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: new Date(renew).toISOString() } });
const settings = { nodeMonitorGracePeriodMs: 50_000, nodeStartupGracePeriodMs: 60_000 };

describe('node health', () => {
  test('a renewed lease moves the probe time; a stale one does not', () => {
    const n = node(healthy());
    const first = observeNode(undefined, n, lease(T0 - 1_000), T0);
    expect(first.probeTimestamp).toBe(T0);
    const same = observeNode(first, n, lease(T0 - 1_000), T0 + 30_000);
    expect(same.probeTimestamp).toBe(T0);
    expect(isSilent(same, gracePeriodFor(n, settings), T0 + 50_000)).toBe(false);
    expect(isSilent(same, gracePeriodFor(n, settings), T0 + 50_001)).toBe(true);
    const renewed = observeNode(same, n, lease(T0 + 40_000), T0 + 45_000);
    expect(renewed.probeTimestamp).toBe(T0 + 45_000);
  });

  test('a new heartbeat on the Ready condition counts as a sign of life too', () => {
    const first = observeNode(undefined, node(healthy()), undefined, T0);
    const beat = healthy().map((c) => ({ ...c, lastHeartbeatTime: iso(T0 + 10_000) }));
    const next = observeNode(first, node(beat), undefined, T0 + 20_000);
    expect(next.probeTimestamp).toBe(T0 + 20_000);
    expect(next.readyTransitionTimestamp).toBe(T0);
  });

  test('a node that never posted a Ready condition gets the startup grace period from its creation', () => {
    const n = node(undefined);
    expect(gracePeriodFor(n, settings)).toBe(60_000);
    const h = observeNode(undefined, n, undefined, T0);
    expect(h.probeTimestamp).toBe(T0 - 3_600_000);
    expect(isSilent(h, 60_000, T0)).toBe(true);
  });

  test('silent nodes get every kubelet condition Unknown, heartbeats kept; missing ones are added', () => {
    const conditions = unknownConditions(node(healthy()), iso(T0))!;
    expect(conditions.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['DiskPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['PIDPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
    ]);
    expect(conditions[3].lastHeartbeatTime).toBe(iso(T0 - 60_000));
    expect(conditions[3].lastTransitionTime).toBe(iso(T0));
    expect(unknownConditions(node(conditions), iso(T0 + 5_000))).toBeNull();
    const fresh = unknownConditions(node([{ type: 'NetworkUnavailable', status: 'False' }]), iso(T0))!;
    expect(fresh.find((c) => c.type === 'NetworkUnavailable')?.status).toBe('False');
    expect(fresh.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
  });
});

describe('node taints', () => {
  test('NoSchedule taints follow the conditions and spec.unschedulable', () => {
    const sick = [cond('MemoryPressure', 'True'), cond('DiskPressure', 'False'), cond('PIDPressure', 'True'), cond('Ready', 'Unknown')];
    const change = noScheduleTaintChanges(node(sick, { unschedulable: true }))!;
    expect(change.add.map((t) => `${t.key}:${t.effect}`).sort()).toEqual([
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(change.remove).toEqual([]);
    const tainted = node(healthy(), { taints: [...change.add, { key: 'example.com/mine', effect: 'NoSchedule' }] });
    const back = noScheduleTaintChanges(tainted)!;
    expect(back.add).toEqual([]);
    expect(back.remove.map((t) => t.key).sort()).toEqual([
      'node.kubernetes.io/memory-pressure',
      'node.kubernetes.io/pid-pressure',
      'node.kubernetes.io/unreachable',
      'node.kubernetes.io/unschedulable',
    ]);
    expect(noScheduleTaintChanges(node(healthy()))).toBeNull();
    expect(noScheduleTaintChanges(node(undefined))).toBeNull();
    expect(noScheduleTaintChanges(node([cond('Ready', 'False')]))!.add).toEqual([{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
  });

  test('the NoExecute taint follows Ready', () => {
    expect(noExecuteTaintFor('False')?.key).toBe('node.kubernetes.io/not-ready');
    expect(noExecuteTaintFor('Unknown')?.key).toBe('node.kubernetes.io/unreachable');
    expect(noExecuteTaintFor('True')).toBeUndefined();
  });

  test('changeTaints replaces by key and effect and reports no change as null', () => {
    const taints = [{ key: 'a', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }];
    expect(changeTaints(taints, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }], [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }])).toEqual([
      { key: 'a', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    ]);
    expect(changeTaints(taints, [{ key: 'a', effect: 'NoSchedule' }], [{ key: 'b', effect: 'NoSchedule' }])).toBeNull();
  });
});

describe('zones and eviction rates', () => {
  const rates = { nodeEvictionRate: 0.1, secondaryNodeEvictionRate: 0.01, largeClusterSizeThreshold: 50, unhealthyZoneThreshold: 0.55 };
  const ready = (s: string): NodeCondition => ({ type: 'Ready', status: s });

  test('zone states as upstream computes them', () => {
    expect(computeZoneState([ready('True'), ready('Unknown')], 0.55).state).toBe('Normal');
    expect(computeZoneState([ready('Unknown'), undefined], 0.55).state).toBe('FullDisruption');
    expect(computeZoneState([ready('True'), ready('False'), ready('Unknown'), ready('Unknown')], 0.55).state).toBe('PartialDisruption');
    // Two not-ready nodes never make a partial disruption, whatever the fraction.
    expect(computeZoneState([ready('True'), ready('False'), ready('Unknown')], 0.55).state).toBe('Normal');
  });

  test('rates per state: secondary only in large zones', () => {
    expect(zoneEvictionRate('Normal', 3, rates)).toBe(0.1);
    expect(zoneEvictionRate('FullDisruption', 3, rates)).toBe(0.1);
    expect(zoneEvictionRate('PartialDisruption', 50, rates)).toBe(0);
    expect(zoneEvictionRate('PartialDisruption', 51, rates)).toBe(0.01);
  });

  test('zone keys come from the topology labels', () => {
    expect(zoneKey(node(undefined))).toBe('');
    expect(zoneKey(node(undefined, {}, { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' }))).toBe('r:\x00:z');
  });

  test('the tainting queue lets one node through, then one per 1/rate seconds; rate 0 stops it', async () => {
    let now = T0;
    const q = new RateLimitedTimedQueue(0.1, () => now);
    q.add('a');
    q.add('b');
    expect(q.add('a')).toBe(false);
    const done: string[] = [];
    const take = (v: string) => {
      done.push(v);
      return Promise.resolve({ done: true });
    };
    await q.try(take);
    expect(done).toEqual(['a']);
    now += 5_000;
    await q.try(take);
    expect(done).toEqual(['a']);
    now += 5_000;
    await q.try(take);
    expect(done).toEqual(['a', 'b']);
    q.add('c');
    q.swapLimiter(0);
    now += 60_000;
    await q.try(take);
    expect(done).toEqual(['a', 'b']);
    expect(q.length).toBe(1);
  });
});

describe('taint eviction decisions', () => {
  const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  const notReady = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };

  test('untolerated: now; tolerated for a time: after the shortest; forever: cancel', () => {
    expect(decideEviction([unreachable], [])).toEqual({ action: 'now' });
    expect(decideEviction([unreachable], [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }])).toEqual({ action: 'now' });
    expect(decideEviction([unreachable], [{ key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 7 }])).toEqual({ action: 'after', ms: 7000 });
    expect(
      decideEviction(
        [unreachable, notReady],
        [
          { key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: notReady.key, operator: 'Exists', tolerationSeconds: 20 },
        ],
      ),
    ).toEqual({ action: 'after', ms: 20_000 });
    expect(decideEviction([unreachable], [{ operator: 'Exists' }])).toEqual({ action: 'cancel' });
    expect(decideEviction([], [])).toEqual({ action: 'cancel' });
    expect(decideEviction([unreachable], [{ key: unreachable.key, operator: 'Exists', tolerationSeconds: -5 }])).toEqual({ action: 'after', ms: 0 });
  });

  test('minTolerationMs: unset seconds mean forever unless another sets them', () => {
    expect(minTolerationMs([])).toBe(0);
    expect(minTolerationMs([{ key: 'a' }])).toBe(-1);
    expect(minTolerationMs([{ key: 'a' }, { key: 'b', tolerationSeconds: 3 }])).toBe(3000);
  });

  test('toleration matching as upstream', () => {
    expect(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(true);
    expect(toleratesTaint({ key: 'k', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(false);
    expect(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' })).toBe(false);
    expect(matchingTolerations([unreachable], [{ operator: 'Exists' }]).allTolerated).toBe(true);
  });
});

describe('pods on an unresponsive node', () => {
  test('Ready becomes False with a new transition time; pods already not ready are left alone', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(T0 - 1000) }, { type: 'PodScheduled', status: 'True' }] },
    };
    const next = notReadyConditions(pod, iso(T0))!;
    expect(next[0]).toEqual({ type: 'Ready', status: 'False', lastTransitionTime: iso(T0) });
    expect(next[1]).toEqual({ type: 'PodScheduled', status: 'True' });
    expect(notReadyConditions({ ...pod, status: { conditions: next } }, iso(T0))).toBeNull();
    expect(notReadyConditions({ metadata: { name: 'p' }, status: {} }, iso(T0))).toBeNull();
  });
});

describe('DefaultTolerationSeconds admission', () => {
  const settings = { defaultNotReadyTolerationSeconds: 300, defaultUnreachableTolerationSeconds: 120 };

  test('adds both tolerations to a pod without them', () => {
    const pod = { metadata: { name: 'p' }, spec: { containers: [] } as Record<string, unknown> };
    addDefaultTolerations(pod, settings);
    expect(pod.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 },
    ]);
  });

  test('keeps what the pod says: its own toleration of a taint, or one with an empty key or effect', () => {
    const own = { metadata: { name: 'p' }, spec: { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }] } as Record<string, unknown> };
    addDefaultTolerations(own, settings);
    expect(own.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    const all = { metadata: { name: 'p' }, spec: { tolerations: [{ operator: 'Exists' }] } as Record<string, unknown> };
    addDefaultTolerations(all, settings);
    expect(all.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const noSchedule = { metadata: { name: 'p' }, spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }] } as Record<string, unknown> };
    addDefaultTolerations(noSchedule, settings);
    expect((noSchedule.spec.tolerations as unknown[]).length).toBe(3);
  });
});
