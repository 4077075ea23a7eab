import { ConditionUpdater } from '../../src/controllers/namespace/conditions.js';
import type { NamespaceStatus } from '../../src/client/index.js';

describe('namespace deletion conditions', () => {
  test('all five are written as False with their ok reasons when nothing failed', () => {
    const status: NamespaceStatus = { phase: 'Terminating' };
    expect(new ConditionUpdater().update(status)).toBe(true);
    expect(status.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
      ['NamespaceContentRemaining', 'False', 'ContentRemoved'],
      ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers'],
    ]);
    // The same outcome again changes nothing.
    expect(new ConditionUpdater().update(status)).toBe(false);
  });

  test('failures are True with sorted messages; the transition time moves only when the status flips', () => {
    const status: NamespaceStatus = {
      conditions: [
        { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: 'old', lastTransitionTime: '2020-01-01T00:00:00Z' },
        { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'x', lastTransitionTime: '2020-01-01T00:00:00Z' },
        { type: 'SomethingElse', status: 'True' },
      ],
    };
    const u = new ConditionUpdater();
    u.discoveryFailed('unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: down', 1);
    u.deleteContentFailed('zeta failed');
    u.deleteContentFailed('alpha failed');
    u.contentTotals(new Map([['pods.', 2], ['deployments.apps', 1]]), new Map([['b/x', 1], ['a/y', 3]]));
    expect(u.update(status)).toBe(true);
    const by = Object.fromEntries(status.conditions!.map((c) => [c.type, c]));
    expect(by.NamespaceDeletionDiscoveryFailure).toMatchObject({
      status: 'True',
      reason: 'DiscoveryFailed',
      message: 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: down',
    });
    expect(by.NamespaceDeletionContentFailure).toEqual({
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: 'Failed to delete all resource types, 2 remaining: alpha failed, zeta failed',
      lastTransitionTime: '2020-01-01T00:00:00Z',
    });
    expect(by.NamespaceContentRemaining.message).toBe('Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances');
    expect(by.NamespaceContentRemaining.lastTransitionTime).not.toBe('2020-01-01T00:00:00Z');
    expect(by.NamespaceFinalizersRemaining.message).toBe('Some content in the namespace has finalizers remaining: a/y in 3 resource instances, b/x in 1 resource instances');
    expect(by.SomethingElse).toEqual({ type: 'SomethingElse', status: 'True' });
  });
});
