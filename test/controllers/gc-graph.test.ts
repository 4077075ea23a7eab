import { DependencyGraph } from '../../src/controllers/garbagecollector/graph.js';
import type { ObservedObject, OwnerRef } from '../../src/controllers/garbagecollector/graph.js';
import { decideAttemptToDelete } from '../../src/controllers/garbagecollector/classify.js';
import type { OwnerState } from '../../src/controllers/garbagecollector/classify.js';

const SCOPES: Record<string, boolean> = { 'apps/v1/ReplicaSet': true, 'v1/Pod': true, 'v1/ConfigMap': true, 'v1/Node': false };
const namespaced = (apiVersion: string, kind: string): boolean | undefined => SCOPES[`${apiVersion}/${kind}`];

function obj(kind: string, name: string, uid: string, owners: OwnerRef[] = [], extra: Partial<ObservedObject> = {}): ObservedObject {
  const apiVersion = kind === 'ReplicaSet' ? 'apps/v1' : 'v1';
  return {
    identity: { apiVersion, kind, namespace: kind === 'Node' ? '' : 'ns', name, uid },
    ownerReferences: owners,
    beingDeleted: false,
    finalizers: [],
    ...extra,
  };
}

function ref(kind: string, name: string, uid: string, block = false): OwnerRef {
  return { apiVersion: kind === 'ReplicaSet' ? 'apps/v1' : 'v1', kind, name, uid, ...(block ? { blockOwnerDeletion: true } : {}) };
}

describe('DependencyGraph', () => {
  test('a dependent of a known owner needs no check; deleting the owner asks to check the dependent', () => {
    const g = new DependencyGraph();
    expect(g.observe(obj('ReplicaSet', 'rs', 'o1'), namespaced).attemptToDelete).toEqual([]);
    expect(g.observe(obj('Pod', 'p', 'd1', [ref('ReplicaSet', 'rs', 'o1')]), namespaced).attemptToDelete).toEqual([]);
    expect(g.dependents('o1').map((n) => n.identity.uid)).toEqual(['d1']);
    expect(g.remove('o1').attemptToDelete).toEqual(['d1']);
  });

  test('a dependent whose owner is not in the graph is checked against the server', () => {
    const g = new DependencyGraph();
    expect(g.observe(obj('Pod', 'p', 'd1', [ref('ReplicaSet', 'rs', 'gone')]), namespaced).attemptToDelete).toEqual(['d1']);
  });

  test('an owner reference to another namespace, or to a kind of another group, is checked against the server', () => {
    const g = new DependencyGraph();
    const other = obj('ConfigMap', 'cm', 'o2');
    other.identity.namespace = 'elsewhere';
    g.observe(other, namespaced);
    expect(g.observe(obj('Pod', 'p', 'd2', [ref('ConfigMap', 'cm', 'o2')]), namespaced).attemptToDelete).toEqual(['d2']);
    g.observe(obj('Node', 'n', 'o3'), namespaced);
    expect(g.observe(obj('Pod', 'q', 'd3', [ref('Node', 'n', 'o3')]), namespaced).attemptToDelete).toEqual([]);
    expect(g.observe(obj('Pod', 'r', 'd4', [{ ...ref('Node', 'n', 'o3'), apiVersion: 'example.com/v1' }]), namespaced).attemptToDelete).toEqual(['d4']);
  });

  test('the orphan finalizer on a deleted owner asks to orphan once', () => {
    const g = new DependencyGraph();
    g.observe(obj('ReplicaSet', 'rs', 'o1'), namespaced);
    const deleting = obj('ReplicaSet', 'rs', 'o1', [], { beingDeleted: true, finalizers: ['orphan'] });
    expect(g.observe(deleting, namespaced).attemptToOrphan).toEqual(['o1']);
    expect(g.observe(deleting, namespaced).attemptToOrphan).toEqual([]);
  });

  test('foreground deletion checks every dependent and the owner; a blocking dependent going away rechecks the owner', () => {
    const g = new DependencyGraph();
    g.observe(obj('ReplicaSet', 'rs', 'o1'), namespaced);
    g.observe(obj('Pod', 'a', 'd1', [ref('ReplicaSet', 'rs', 'o1', true)]), namespaced);
    g.observe(obj('Pod', 'b', 'd2', [ref('ReplicaSet', 'rs', 'o1')]), namespaced);
    const actions = g.observe(obj('ReplicaSet', 'rs', 'o1', [], { beingDeleted: true, finalizers: ['foregroundDeletion'] }), namespaced);
    expect(actions.attemptToDelete.sort()).toEqual(['d1', 'd2', 'o1']);
    expect(g.blockingDependents('o1').map((n) => n.identity.uid)).toEqual(['d1']);
    expect(g.remove('d2').attemptToDelete).toEqual(['o1']);
    expect(g.remove('d1').attemptToDelete).toEqual(['o1']);
    expect(g.blockingDependents('o1')).toEqual([]);
  });

  test('dropping an owner reference or its blockOwnerDeletion rechecks a foreground owner', () => {
    const g = new DependencyGraph();
    g.observe(obj('ReplicaSet', 'rs', 'o1', [], { beingDeleted: true, finalizers: ['foregroundDeletion'] }), namespaced);
    g.observe(obj('Pod', 'a', 'd1', [ref('ReplicaSet', 'rs', 'o1', true)]), namespaced);
    expect(g.observe(obj('Pod', 'a', 'd1', [ref('ReplicaSet', 'rs', 'o1', false)]), namespaced).attemptToDelete).toEqual(['o1']);
    expect(g.observe(obj('Pod', 'a', 'd1', []), namespaced).attemptToDelete).toEqual(['o1']);
    expect(g.dependents('o1')).toEqual([]);
  });
});

describe('decideAttemptToDelete (upstream attemptToDeleteItem)', () => {
  const owners = [ref('ReplicaSet', 'a', 'A'), ref('ReplicaSet', 'b', 'B')];
  const states = (a: OwnerState, b: OwnerState) => new Map<string, OwnerState>([['A', a], ['B', b]]);
  const base = { owners, finalizers: [] as string[], hasDependents: false, aDependentIsDeletingDependents: false };

  test('solid owners keep the object; references to absent or waiting owners are dropped', () => {
    expect(decideAttemptToDelete({ ...base, states: states('solid', 'solid') })).toEqual({ action: 'none' });
    expect(decideAttemptToDelete({ ...base, states: states('solid', 'absent') })).toEqual({ action: 'removeOwnerReferences', uids: ['B'] });
    expect(decideAttemptToDelete({ ...base, states: states('waiting', 'solid') })).toEqual({ action: 'removeOwnerReferences', uids: ['A'] });
  });

  test('no solid owner: background delete, or the policy of its own finalizers', () => {
    expect(decideAttemptToDelete({ ...base, states: states('absent', 'absent') })).toEqual({ action: 'delete', policy: 'Background' });
    expect(decideAttemptToDelete({ ...base, states: states('absent', 'waiting') })).toEqual({ action: 'delete', policy: 'Background' });
    expect(decideAttemptToDelete({ ...base, finalizers: ['orphan'], states: states('absent', 'absent') })).toEqual({ action: 'delete', policy: 'Orphan' });
    expect(decideAttemptToDelete({ ...base, finalizers: ['foregroundDeletion'], states: states('absent', 'absent') })).toEqual({
      action: 'delete',
      policy: 'Foreground',
    });
  });

  test('a waiting owner and dependents of its own: foreground, unblocking when a dependent waits too', () => {
    expect(decideAttemptToDelete({ ...base, hasDependents: true, states: states('waiting', 'absent') })).toEqual({ action: 'deleteForeground', unblockOwners: false });
    expect(decideAttemptToDelete({ ...base, hasDependents: true, aDependentIsDeletingDependents: true, states: states('waiting', 'waiting') })).toEqual({
      action: 'deleteForeground',
      unblockOwners: true,
    });
  });

  test('an object without owners is never deleted', () => {
    expect(decideAttemptToDelete({ ...base, owners: [], states: new Map() })).toEqual({ action: 'none' });
  });
});
