import type { Deployment, ReplicaSet } from '../../src/client/index.js';
import { setNewReplicaSetAnnotations, REVISION, REVISION_HISTORY } from '../../src/controllers/deployment/annotations.js';
import { computeHash, fnv32a, safeEncodeString } from '../../src/controllers/deployment/hash.js';
import { maxSurge, maxUnavailable, resolveFenceposts, scaledValue } from '../../src/controllers/deployment/intstr.js';
import { newReplicaSetFor } from '../../src/controllers/deployment/new-replicaset.js';
import { equalIgnoreHash, findActiveOrLatest, findNewReplicaSet, newRSNewReplicas, proportionalSizes } from '../../src/controllers/deployment/replicasets.js';
import { maxScaledDown, planOldScaleDown, planUnhealthyCleanup } from '../../src/controllers/deployment/rolling.js';
import { rolloutStatus, progressRecheckDelay } from '../../src/controllers/deployment/status.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });

function deployment(o: { replicas?: number; surge?: number | string; unavailable?: number | string; image?: string; strategy?: string; generation?: number; status?: Deployment['status']; progressDeadlineSeconds?: number; annotations?: Record<string, string> } = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', generation: o.generation ?? 1, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      replicas: o.replicas ?? 10,
      selector: { matchLabels: { app: 'web' } },
      template: template(o.image ?? 'v2'),
      strategy: o.strategy === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.surge ?? '25%', maxUnavailable: o.unavailable ?? '25%' } },
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
    },
    status: o.status ?? {},
  };
}

function rs(name: string, replicas: number, o: { image?: string; available?: number; created?: number; revision?: string; max?: number; desired?: number; status?: number } = {}): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (o.revision) annotations[REVISION] = o.revision;
  if (o.max !== undefined) annotations['deployment.kubernetes.io/max-replicas'] = String(o.max);
  if (o.desired !== undefined) annotations['deployment.kubernetes.io/desired-replicas'] = String(o.desired);
  const t = template(o.image ?? 'v1');
  t.metadata.labels = { ...t.metadata.labels, 'pod-template-hash': name } as { app: string };
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, creationTimestamp: new Date(NOW - (o.created ?? 0) * 1000).toISOString(), annotations },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: t },
    status: { replicas: o.status ?? replicas, availableReplicas: o.available ?? replicas, readyReplicas: o.available ?? replicas },
  };
}

describe('maxSurge and maxUnavailable', () => {
  it('rounds percentages as upstream: surge up, unavailable down', () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(4, 10, true)).toBe(4);
    expect(() => scaledValue('5', 10, true)).toThrow('invalid type: string is not a percentage');
    expect(resolveFenceposts('0%', '0%', 10)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts(undefined, undefined, 3)).toEqual({ surge: 1, unavailable: 0 });
  });
  it('caps maxUnavailable at the replicas and is 0 for Recreate', () => {
    expect(maxUnavailable(deployment({ replicas: 2, unavailable: 5 }))).toBe(2);
    expect(maxUnavailable(deployment({ strategy: 'Recreate' }))).toBe(0);
    expect(maxSurge(deployment({ strategy: 'Recreate' }))).toBe(0);
    expect(maxSurge(deployment({ replicas: 10 }))).toBe(3);
  });
});

describe('pod-template-hash', () => {
  it('is FNV-32a rendered through SafeEncodeString', () => {
    expect(fnv32a(new Uint8Array())).toBe(0x811c9dc5);
    expect(fnv32a(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv32a(Buffer.from('foobar'))).toBe(0xbf9cf968);
    // byte % 27 over the vowel-free alphabet: decimal digits become 4-9, b, c, d, f as in real names ("7c5ddbdf54")
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    const h = computeHash(template('v1'));
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(template('v1'))).toBe(h);
    expect(computeHash(template('v2'))).not.toBe(h);
    expect(computeHash(template('v1'), 1)).not.toBe(h);
  });
  it('names the new ReplicaSet <deployment>-<hash> and adds the label to template and selector', () => {
    const d = deployment();
    const n = newReplicaSetFor(d);
    const hash = computeHash(d.spec!.template);
    expect(n.metadata.name).toBe(`web-${hash}`);
    expect(n.spec!.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(n.spec!.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(n.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
    expect(equalIgnoreHash(n.spec!.template, d.spec!.template)).toBe(true);
  });
});

describe('new and old ReplicaSets', () => {
  it('compares templates as Go structs: nulls and empty maps do not count, the hash label neither', () => {
    const a = { metadata: { labels: { app: 'web', 'pod-template-hash': 'x' }, creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'i', resources: {} }] } };
    expect(equalIgnoreHash(a as never, template('i'))).toBe(true);
    expect(equalIgnoreHash(a as never, template('j'))).toBe(false);
  });
  it('finds the oldest ReplicaSet with the current template', () => {
    const d = deployment({ image: 'v1' });
    const a = rs('a', 1, { image: 'v1', created: 10 });
    const b = rs('b', 1, { image: 'v1', created: 20 });
    const c = rs('c', 1, { image: 'v0', created: 30 });
    expect(findNewReplicaSet(d, [a, b, c])?.metadata.name).toBe('b');
    expect(findNewReplicaSet(deployment({ image: 'v9' }), [a, b, c])).toBeUndefined();
  });
  it('sizes a new ReplicaSet within maxSurge', () => {
    const d = deployment({ replicas: 10, surge: 3 });
    const old = rs('old', 10);
    const fresh = rs('new', 0, { image: 'v2' });
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(3);
    expect(newRSNewReplicas(d, [rs('old', 8), rs('new', 5)], rs('new', 5))).toBe(5);
    expect(newRSNewReplicas(deployment({ strategy: 'Recreate' }), [old], fresh)).toBe(10);
  });
  it('finds the single active ReplicaSet', () => {
    expect(findActiveOrLatest(rs('n', 3), [rs('o', 0)])?.metadata.name).toBe('n');
    expect(findActiveOrLatest(rs('n', 3), [rs('o', 2)])).toBeUndefined();
    expect(findActiveOrLatest(rs('n', 0), [rs('o', 0)])?.metadata.name).toBe('n');
  });
});

describe('proportional scaling', () => {
  it('spreads a resize over the active ReplicaSets by size, leftovers to the largest', () => {
    // 10 -> 12 replicas mid-rollout, maxSurge 3: the ReplicaSets were sized for 13 pods, now 15.
    const d = deployment({ replicas: 12, surge: 3, unavailable: 2 });
    const old = rs('old', 8, { max: 13, created: 100 });
    const fresh = rs('new', 5, { image: 'v2', max: 13 });
    const sizes = proportionalSizes(d, fresh, [old]);
    expect([...sizes].map(([r, n]) => [r.metadata.name, n])).toEqual([
      ['old', 9],
      ['new', 6],
    ]);
  });
  it('scales down the largest (older first) on a shrink', () => {
    const d = deployment({ replicas: 5, surge: 1, unavailable: 0 });
    const old = rs('old', 6, { max: 11, created: 100 });
    const fresh = rs('new', 5, { image: 'v2', max: 11 });
    const sizes = proportionalSizes(d, fresh, [old]);
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(6);
    expect(sizes.get(old)).toBe(3);
  });
});

describe('rolling update steps', () => {
  it('scales old ReplicaSets down within maxUnavailable, unhealthy replicas first', () => {
    const d = deployment({ replicas: 10, surge: 3, unavailable: 2 });
    const old = rs('old', 10, { available: 10, created: 100 });
    const fresh = rs('new', 3, { image: 'v2', available: 0 });
    // 13 pods, 8 must stay available, 3 new ones are not yet: 2 old may go.
    expect(maxScaledDown(d, [old, fresh], fresh)).toBe(2);
    expect(planUnhealthyCleanup([old], 2)).toEqual([]);
    expect(planOldScaleDown(d, [old, fresh], [old]).map((s) => s.to)).toEqual([8]);
    const sick = rs('sick', 4, { available: 1, created: 200 });
    expect(planUnhealthyCleanup([old, sick], 5).map((s) => [s.rs.metadata.name, s.to])).toEqual([['sick', 1]]);
  });
  it('never scales an old ReplicaSet up whose status still counts pods beyond its new size', () => {
    // Just scaled from 3 to 2; its controller has not deleted the third pod yet, so 3 are available.
    const lagging = rs('lagging', 2, { available: 3, created: 100 });
    expect(() => planUnhealthyCleanup([lagging], 2)).toThrow('when cleaning up unhealthy replicas, got invalid request to scale down ns/lagging 2 -> 3');
  });
});

describe('revision annotations', () => {
  it('gives a new ReplicaSet the revision, the replica annotations and the change-cause', () => {
    const d = deployment({ annotations: { 'kubernetes.io/change-cause': 'kubectl set image', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } });
    const n = newReplicaSetFor(d);
    setNewReplicaSetAnnotations(d, n, '3', false);
    expect(n.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'kubectl set image',
      [REVISION]: '3',
      'deployment.kubernetes.io/desired-replicas': '10',
      'deployment.kubernetes.io/max-replicas': '13',
    });
  });
  it('records the previous revision in revision-history on a rollback', () => {
    const d = deployment();
    const old = rs('old', 0, { revision: '1' });
    expect(setNewReplicaSetAnnotations(d, old, '3', true)).toBe(true);
    expect(old.metadata.annotations![REVISION]).toBe('3');
    expect(old.metadata.annotations![REVISION_HISTORY]).toBe('1');
    setNewReplicaSetAnnotations(d, old, '5', true);
    expect(old.metadata.annotations![REVISION_HISTORY]).toBe('1,3');
    expect(setNewReplicaSetAnnotations(d, old, '5', true)).toBe(false);
  });
});

describe('rollout status', () => {
  it('reports progress, completion and a missed deadline', () => {
    const d = deployment({ replicas: 3, surge: 1, unavailable: 0, status: { observedGeneration: 1, replicas: 3, updatedReplicas: 0, availableReplicas: 3 } });
    const old = rs('old', 2, { available: 2 });
    const fresh = rs('new', 2, { image: 'v2', available: 1 });
    const s = rolloutStatus([old, fresh], fresh, d, NOW);
    expect(s).toMatchObject({ replicas: 4, updatedReplicas: 2, availableReplicas: 3, unavailableReplicas: 1, observedGeneration: 1 });
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
      ['Progressing', 'True', 'ReplicaSetUpdated', 'ReplicaSet "new" is progressing.'],
    ]);
    const done = rolloutStatus([rs('old', 0, { status: 0 }), rs('new', 3, { image: 'v2' })], rs('new', 3), { ...d, status: s }, NOW + 1000);
    expect(done.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "new" has successfully progressed.' });
    // No progress for longer than the deadline.
    const stuck = { ...d, status: s };
    expect(progressRecheckDelay(stuck, s, NOW + 1000)).toBe(599_000);
    const late = rolloutStatus([old, fresh], fresh, stuck, NOW + 601_000);
    expect(late.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "new" has timed out progressing.' });
  });
  it('reports minimum unavailability', () => {
    const d = deployment({ replicas: 3, surge: 1, unavailable: 0 });
    const s = rolloutStatus([rs('new', 3, { available: 1 })], undefined, d, NOW);
    expect(s.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });
});
