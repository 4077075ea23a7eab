/**
 * Adoption and release of dependants (upstream pkg/controller/controller_ref_manager.go).
 *
 * A controller claims the objects its selector matches: an orphan that matches is adopted (a controller
 * ownerReference is patched in), an object it owns that no longer matches is released (the reference is
 * patched out), and objects owned by another controller are left alone. Both patches are strategic merge
 * patches that carry the dependant's uid, so they fail rather than touch a same-named replacement.
 */
import { isInvalid, isNotFound } from '../../client/index.js';
import type { KubeObject, ObjectReference, OwnerReference } from '../../client/index.js';
import { errorMessage } from './errors.js';

export interface OwnerKind {
  apiVersion: string;
  kind: string;
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef: controller and blockOwnerDeletion both true. */
export function newControllerRef(owner: KubeObject, kind: OwnerKind): OwnerReference {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function adoptPatch(owner: KubeObject, kind: OwnerKind, dependant: KubeObject): unknown {
  return { metadata: { ownerReferences: [newControllerRef(owner, kind)], uid: dependant.metadata.uid } };
}

export function releasePatch(owner: KubeObject, dependant: KubeObject): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: owner.metadata.uid }], uid: dependant.metadata.uid } };
}

export interface ClaimOptions<T extends KubeObject> {
  owner: KubeObject;
  matches(obj: T): boolean;
  /** Re-reads the owner from the API: throws if it was replaced or is being deleted (checked once, lazily). */
  recheckOwner(): Promise<void>;
  patch(obj: T, patch: unknown): Promise<void>;
  kind: OwnerKind;
}

export class ClaimError extends Error {
  constructor(readonly errors: unknown[]) {
    super(errors.map(errorMessage).join(', '));
  }
}

/**
 * The objects the owner controls after adopting and releasing. Failed adoptions or releases are
 * collected and thrown together after the pass (as upstream's aggregate error), except that objects
 * gone meanwhile are simply not claimed.
 */
export async function claimObjects<T extends KubeObject>(objs: T[], opts: ClaimOptions<T>): Promise<T[]> {
  const { owner } = opts;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let recheck: Promise<void> | undefined;
  for (const obj of objs) {
    const ref = controllerOf(obj);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue; // another controller's
      if (opts.matches(obj)) {
        claimed.push(obj);
        continue;
      }
      if (owner.metadata.deletionTimestamp) continue; // being deleted: keep references for the garbage collector
      try {
        await opts.patch(obj, releasePatch(owner, obj));
      } catch (e) {
        // Gone, or no longer ours (the uid precondition or the reference is missing): released either way.
        if (!isNotFound(e) && !isInvalid(e)) errors.push(e);
      }
      continue;
    }
    if (owner.metadata.deletionTimestamp || !opts.matches(obj)) continue;
    if (obj.metadata.deletionTimestamp) continue;
    if (owner.metadata.namespace && owner.metadata.namespace !== obj.metadata.namespace) continue;
    try {
      recheck ??= opts.recheckOwner();
      await recheck;
      await opts.patch(obj, adoptPatch(owner, opts.kind, obj));
      claimed.push(obj);
    } catch (e) {
      if (!isNotFound(e)) errors.push(e);
    }
  }
  if (errors.length > 0) throw new ClaimError(errors);
  return claimed;
}

/** The check upstream's RecheckDeletionTimestamp makes on a freshly read owner. */
export function assertSameLiveOwner(fresh: KubeObject, owner: KubeObject): void {
  const ns = owner.metadata.namespace;
  const name = owner.metadata.name;
  if (fresh.metadata.uid !== owner.metadata.uid) {
    throw new Error(`original ${ns}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${owner.metadata.uid}`);
  }
  if (fresh.metadata.deletionTimestamp) {
    throw new Error(`${ns}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
  }
}

/** A reference for events about an object read from a list (list items carry no kind). */
export function referenceFor(obj: KubeObject, kind: OwnerKind): ObjectReference {
  const m = obj.metadata;
  return { apiVersion: kind.apiVersion, kind: kind.kind, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
}
