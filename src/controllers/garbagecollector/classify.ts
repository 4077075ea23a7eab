import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from './graph.js';
import type { OwnerRef } from './graph.js';

/**
 * What the live server says about one owner reference of an object (upstream's classifyReferences):
 * absent (no object, or another uid), waiting (being deleted in the foreground, so it waits for its
 * dependents), or solid.
 */
export type OwnerState = 'absent' | 'waiting' | 'solid';

export type AttemptDecision =
  /** Keep the object as it is. */
  | { action: 'none' }
  /** Some owner is solid: only drop the references to absent and waiting owners. */
  | { action: 'removeOwnerReferences'; uids: string[] }
  /**
   * No solid owner, an owner waits for this object, and this object has dependents of its own: delete
   * it in the foreground too, after clearing blockOwnerDeletion when a dependent already waits in turn
   * (which would otherwise be a cycle).
   */
  | { action: 'deleteForeground'; unblockOwners: boolean }
  /** No solid owner: delete it, keeping the policy its own finalizers ask for. */
  | { action: 'delete'; policy: 'Orphan' | 'Foreground' | 'Background' };

export function decideAttemptToDelete(input: {
  owners: OwnerRef[];
  states: Map<string, OwnerState>;
  finalizers: string[];
  hasDependents: boolean;
  aDependentIsDeletingDependents: boolean;
}): AttemptDecision {
  const { owners, states } = input;
  if (owners.length === 0) return { action: 'none' };
  const solid = owners.filter((o) => states.get(o.uid) === 'solid');
  const dangling = owners.filter((o) => states.get(o.uid) === 'absent');
  const waiting = owners.filter((o) => states.get(o.uid) === 'waiting');
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { action: 'none' };
    return { action: 'removeOwnerReferences', uids: [...dangling, ...waiting].map((o) => o.uid) };
  }
  if (waiting.length > 0 && input.hasDependents) {
    return { action: 'deleteForeground', unblockOwners: input.aDependentIsDeletingDependents };
  }
  if (input.finalizers.includes(FINALIZER_ORPHAN)) return { action: 'delete', policy: 'Orphan' };
  if (input.finalizers.includes(FINALIZER_FOREGROUND)) return { action: 'delete', policy: 'Foreground' };
  return { action: 'delete', policy: 'Background' };
}
