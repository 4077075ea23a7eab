import type { Pod } from '../../src/client/index.js';
import { claimObjects } from '../../src/controllers/util/controller-ref.js';
import { Expectations } from '../../src/controllers/util/expectations.js';
import { slowStartBatch } from '../../src/controllers/util/slow-start.js';
import { isPodAvailable } from '../../src/controllers/util/pod-state.js';
import { deletionCost, logarithmicRankDiff, podsToDelete } from '../../src/controllers/replicaset/pod-ranking.js';
import { calculateStatus, statusNeedsUpdate } from '../../src/controllers/replicaset/status.js';
import { podFromTemplate, podNamePrefix } from '../../src/controllers/replicaset/pod-template.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString().replace('.000Z', 'Z');

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readyAgo?: number; createdAgo?: number; restarts?: number; cost?: string; labels?: Record<string, string>; owner?: string } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'a' },
      creationTimestamp: iso(o.createdAgo ?? 3_600_000),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: iso(o.readyAgo ?? 60_000) }] : [],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: !!o.ready, restartCount: o.restarts ?? 0 }],
    },
  };
}

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4 … and stops after the first batch with a failure', async () => {
    let calls = 0;
    const r = await slowStartBatch(20, 1, async () => {
      calls++;
      if (calls === 5) throw new Error('quota');
    });
    expect(calls).toBe(7); // 1 + 2 + 4, then no fourth batch
    expect(r.successes).toBe(6);
    expect((r.error as Error).message).toBe('quota');
  });
  it('caps the last batch at what remains', async () => {
    let calls = 0;
    const r = await slowStartBatch(10, 1, async () => void calls++);
    expect(calls).toBe(10);
    expect(r).toEqual({ successes: 10 });
  });
});

describe('expectations', () => {
  it('is unsatisfied until every creation is observed, satisfied for unknown keys', () => {
    const e = new Expectations(() => NOW);
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectCreations('ns/rs', 2);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
  });
  it('counts each expected deletion once, and only expected pods', () => {
    const e = new Expectations(() => NOW);
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/other');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.deletionObserved('ns/rs', 'ns/b');
    expect(e.satisfied('ns/rs')).toBe(true);
  });
  it('expires after five minutes', () => {
    let now = NOW;
    const e = new Expectations(() => now);
    e.expectCreations('k', 3);
    now += 5 * 60 * 1000;
    expect(e.satisfied('k')).toBe(false);
    now += 1;
    expect(e.satisfied('k')).toBe(true);
  });
  it('lowering for skipped creations satisfies', () => {
    const e = new Expectations(() => NOW);
    e.expectCreations('k', 4);
    e.creationObserved('k');
    e.lower('k', 3, 0);
    expect(e.satisfied('k')).toBe(true);
  });
});

describe('pod ranking for deletion', () => {
  it('deletes unassigned, then pending, then not ready, then cheap, then doubled-up, then recently ready, restarted, newer pods', () => {
    const pods = [
      pod('old-ready', { node: 'n1', ready: true, readyAgo: 86_400_000, createdAgo: 90_000_000 }),
      pod('unassigned', { phase: 'Pending' }),
      pod('pending', { node: 'n2', phase: 'Pending' }),
      pod('unknown', { node: 'n3', phase: 'Unknown' }),
      pod('not-ready', { node: 'n4' }),
      pod('cheap', { node: 'n5', ready: true, readyAgo: 86_400_000, cost: '-5' }),
      pod('fresh-ready', { node: 'n6', ready: true, readyAgo: 1_000 }),
    ];
    const order = podsToDelete(pods, pods, 6, NOW).map((p) => p.metadata.name);
    expect(order).toEqual(['unassigned', 'pending', 'unknown', 'not-ready', 'cheap', 'fresh-ready']);
  });
  it('prefers pods doubled up on a node, then more restarts, then the newer', () => {
    const a = pod('a', { node: 'shared', ready: true, readyAgo: 3_600_000 });
    const b = pod('b', { node: 'shared', ready: true, readyAgo: 3_600_000 });
    const c = pod('c', { node: 'alone', ready: true, readyAgo: 3_600_000 });
    expect(podsToDelete([c, a, b], [a, b, c], 1, NOW)[0].metadata.name).toMatch(/^[ab]$/);
    const restarted = pod('r', { node: 'x', restarts: 3 });
    const calm = pod('q', { node: 'y' });
    expect(podsToDelete([calm, restarted], [], 1, NOW)[0].metadata.name).toBe('r');
    const newer = pod('new', { node: 'x', createdAgo: 10_000 });
    const older = pod('old', { node: 'y', createdAgo: 10_000_000 });
    expect(podsToDelete([older, newer], [], 1, NOW)[0].metadata.name).toBe('new');
  });
  it('buckets ages logarithmically', () => {
    expect(logarithmicRankDiff(NOW - 1100, NOW - 1500, NOW)).toBe(0); // same power-of-two bucket in ns
    expect(logarithmicRankDiff(NOW - 1000, NOW - 4000, NOW)).toBeLessThan(0);
  });
  it('reads pod-deletion-cost as upstream (invalid forms are 0)', () => {
    expect(deletionCost(pod('p', { cost: '100' }))).toBe(100);
    expect(deletionCost(pod('p', { cost: '-3' }))).toBe(-3);
    expect(deletionCost(pod('p', { cost: '+3' }))).toBe(0);
    expect(deletionCost(pod('p', { cost: '007' }))).toBe(0);
    expect(deletionCost(pod('p', { cost: '99999999999' }))).toBe(0);
  });
});

describe('replica status', () => {
  it('counts replicas, fully labelled, ready and available ones', () => {
    const pods = [
      pod('a', { ready: true, readyAgo: 60_000, labels: { app: 'a', tier: 'web' } }),
      pod('b', { ready: true, readyAgo: 5_000, labels: { app: 'a', tier: 'web' } }),
      pod('c', { labels: { app: 'a' } }),
    ];
    const s = calculateStatus({ replicas: 0 }, { app: 'a', tier: 'web' }, pods, 10, { diff: 0 }, NOW);
    expect(s).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: undefined });
    expect(isPodAvailable(pods[1], 10, NOW)).toBe(false);
  });
  it('sets ReplicaFailure on a failed sync and removes it after a good one', () => {
    const failed = calculateStatus({ replicas: 1 }, {}, [], 0, { diff: -2, error: new Error('pods "x" is forbidden: exceeded quota') }, NOW);
    expect(failed.conditions).toEqual([
      { type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-01-01T12:00:00Z', reason: 'FailedCreate', message: 'pods "x" is forbidden: exceeded quota' },
    ]);
    const healed = calculateStatus(failed, {}, [], 0, { diff: 0 }, NOW);
    expect(healed.conditions).toBeUndefined();
    expect(statusNeedsUpdate(failed, healed, 0)).toBe(true);
    expect(statusNeedsUpdate({ ...healed, observedGeneration: 3 }, healed, 3)).toBe(false);
  });
});

describe('pods from the template', () => {
  it('copies labels, annotations, finalizers and spec, names by the owner, and references it', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true };
    const p = podFromTemplate({ metadata: { labels: { app: 'a' }, annotations: { x: 'y' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'i' }] } }, 'ns', 'web', ref);
    expect(p.metadata).toEqual({ generateName: 'web-', namespace: 'ns', labels: { app: 'a' }, annotations: { x: 'y' }, finalizers: ['f'], ownerReferences: [ref] });
    expect(() => podFromTemplate({ spec: { containers: [] } }, 'ns', 'web', ref)).toThrow('unable to create pods, no labels');
    expect(podNamePrefix('web')).toBe('web-');
  });
});

describe('claiming', () => {
  const owner = { metadata: { name: 'rs', namespace: 'ns', uid: 'owner' } };
  const kind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
  it('adopts matching orphans, releases owned pods that stopped matching, leaves others alone', async () => {
    const patches: [string, unknown][] = [];
    let rechecks = 0;
    const pods = [
      pod('orphan'),
      pod('orphan-nomatch', { labels: { app: 'b' } }),
      pod('mine', { owner: 'owner' }),
      pod('mine-relabelled', { owner: 'owner', labels: { app: 'b' } }),
      pod('theirs', { owner: 'other' }),
    ];
    const claimed = await claimObjects(pods, {
      owner,
      kind,
      matches: (p) => p.metadata.labels?.app === 'a',
      recheckOwner: async () => void rechecks++,
      patch: async (p, patch) => void patches.push([p.metadata.name!, patch]),
    });
    expect(claimed.map((p) => p.metadata.name)).toEqual(['orphan', 'mine']);
    expect(rechecks).toBe(1);
    expect(patches).toEqual([
      ['orphan', { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'owner', controller: true, blockOwnerDeletion: true }], uid: 'uid-orphan' } }],
      ['mine-relabelled', { metadata: { ownerReferences: [{ $patch: 'delete', uid: 'owner' }], uid: 'uid-mine-relabelled' } }],
    ]);
  });
  it('does not adopt when the owner is being deleted, and reports failed adoptions', async () => {
    const deleting = { metadata: { ...owner.metadata, deletionTimestamp: iso(0) } };
    const none = await claimObjects([pod('orphan')], { owner: deleting, kind, matches: () => true, recheckOwner: async () => undefined, patch: async () => undefined });
    expect(none).toEqual([]);
    await expect(
      claimObjects([pod('orphan')], {
        owner,
        kind,
        matches: () => true,
        recheckOwner: async () => {
          throw new Error('original ns/rs is gone');
        },
        patch: async () => undefined,
      }),
    ).rejects.toThrow('original ns/rs is gone');
  });
});
