/**
 * The garbage collector's dependency graph (upstream: pkg/controller/garbagecollector, graph.go and
 * graph_builder.go), as pure code: it is fed every object the informers see and answers which objects
 * the workers must look at. It never calls the API; the workers verify every decision against the live
 * objects before they delete anything.
 */
import type { OwnerReference } from '../../client/index.js';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

/** Where an object lives and which incarnation it is (upstream's objectReference). */
export interface Identity {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
}

/** An owner reference as the API serves it. */
export type OwnerRef = OwnerReference;

/** What the graph needs of an object: metadata only. */
export interface ObservedObject {
  identity: Identity;
  ownerReferences: OwnerRef[];
  beingDeleted: boolean;
  finalizers: string[];
}

export interface GraphNode {
  identity: Identity;
  owners: OwnerRef[];
  beingDeleted: boolean;
  /** Being deleted in the foreground: waits for its blocking dependents. */
  deletingDependents: boolean;
  hasOrphanFinalizer: boolean;
}

/** What a change to the graph asks the workers to do. */
export interface GraphActions {
  /** Objects whose owners (or, for foreground deletion, whose dependents) must be checked. */
  attemptToDelete: string[];
  /** Owners with the orphan finalizer: their dependents lose the reference, then the finalizer goes. */
  attemptToOrphan: string[];
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Whether an owner reference names this node. The uid decides; apiVersion may differ in version only
 * (an owner read through another version of its group is the same object).
 */
export function refMatchesNode(ref: OwnerRef, dependentNamespace: string, owner: Identity, ownerNamespaced: boolean): boolean {
  if (ref.uid !== owner.uid || ref.name !== owner.name || ref.kind !== owner.kind) return false;
  if (groupOf(ref.apiVersion) !== groupOf(owner.apiVersion)) return false;
  // A namespaced owner must be in the dependent's namespace; a cluster-scoped dependent cannot have one.
  if (ownerNamespaced) return dependentNamespace !== '' && owner.namespace === dependentNamespace;
  return true;
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();
  /** Owner uid -> uids of the objects that name it, whether or not the owner has been seen. */
  private readonly dependentsOf = new Map<string, Set<string>>();

  get size(): number {
    return this.nodes.size;
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** The objects that name `uid` as an owner and are still in the graph. */
  dependents(uid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependentsOf.get(uid) ?? []) {
      const n = this.nodes.get(d);
      if (n) out.push(n);
    }
    return out;
  }

  /** Dependents whose reference to `uid` has blockOwnerDeletion: a foreground deletion waits for them. */
  blockingDependents(uid: string): GraphNode[] {
    return this.dependents(uid).filter((d) => d.owners.some((o) => o.uid === uid && o.blockOwnerDeletion === true));
  }

  /**
   * An object was added or changed. `isNamespaced` tells whether a kind is namespaced (from discovery),
   * or undefined when the kind is unknown.
   */
  observe(obj: ObservedObject, isNamespaced: (apiVersion: string, kind: string) => boolean | undefined): GraphActions {
    const actions: GraphActions = { attemptToDelete: [], attemptToOrphan: [] };
    const uid = obj.identity.uid;
    const existing = this.nodes.get(uid);
    const node: GraphNode = {
      identity: obj.identity,
      owners: obj.ownerReferences,
      beingDeleted: obj.beingDeleted,
      deletingDependents: obj.beingDeleted && obj.finalizers.includes(FINALIZER_FOREGROUND),
      hasOrphanFinalizer: obj.finalizers.includes(FINALIZER_ORPHAN),
    };
    this.nodes.set(uid, node);

    const oldOwners = existing?.owners ?? [];
    const added = node.owners.filter((o) => !oldOwners.some((p) => p.uid === o.uid));
    const removed = oldOwners.filter((o) => !node.owners.some((p) => p.uid === o.uid));
    for (const o of removed) this.unlink(o.uid, uid);
    for (const o of node.owners) this.link(o.uid, uid);

    // A new owner that is not in the graph, or whose coordinates do not match the reference, may be
    // absent: the worker asks the server (upstream enqueues a virtual node for it).
    for (const o of added) {
      const owner = this.nodes.get(o.uid);
      const namespaced = isNamespaced(o.apiVersion, o.kind);
      if (!owner || namespaced === undefined || !refMatchesNode(o, obj.identity.namespace, owner.identity, namespaced) || owner.beingDeleted) {
        push(actions.attemptToDelete, uid);
      }
    }
    // An owner waiting for its dependents may be unblocked when a reference goes or stops blocking.
    const unblocked = [
      ...removed,
      ...oldOwners.filter((o) => o.blockOwnerDeletion === true && node.owners.some((p) => p.uid === o.uid && p.blockOwnerDeletion !== true)),
    ];
    for (const o of unblocked) if (this.nodes.get(o.uid)?.deletingDependents) push(actions.attemptToDelete, o.uid);

    // Transitions of the object itself (upstream's processTransitions).
    if (node.beingDeleted && node.hasOrphanFinalizer && !(existing?.beingDeleted && existing.hasOrphanFinalizer)) {
      push(actions.attemptToOrphan, uid);
    }
    if (node.deletingDependents && !existing?.deletingDependents) {
      for (const d of this.dependents(uid)) push(actions.attemptToDelete, d.identity.uid);
      push(actions.attemptToDelete, uid);
    }
    return actions;
  }

  /** An object was deleted: its dependents may now be garbage, and a foreground owner may be done. */
  remove(uid: string): GraphActions {
    const actions: GraphActions = { attemptToDelete: [], attemptToOrphan: [] };
    const node = this.nodes.get(uid);
    if (!node) return actions;
    this.nodes.delete(uid);
    for (const o of node.owners) {
      this.unlink(o.uid, uid);
      if (this.nodes.get(o.uid)?.deletingDependents) push(actions.attemptToDelete, o.uid);
    }
    for (const d of this.dependents(uid)) push(actions.attemptToDelete, d.identity.uid);
    return actions;
  }

  /** Every node: used to resync after the informers have listed everything. */
  uids(): string[] {
    return [...this.nodes.keys()];
  }

  private link(owner: string, dependent: string): void {
    let set = this.dependentsOf.get(owner);
    if (!set) this.dependentsOf.set(owner, (set = new Set()));
    set.add(dependent);
  }

  private unlink(owner: string, dependent: string): void {
    const set = this.dependentsOf.get(owner);
    if (!set) return;
    set.delete(dependent);
    if (set.size === 0) this.dependentsOf.delete(owner);
  }
}

function push(list: string[], uid: string): void {
  if (!list.includes(uid)) list.push(uid);
}
