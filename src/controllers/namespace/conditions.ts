import type { NamespaceCondition, NamespaceStatus } from '../../client/index.js';

/**
 * The status conditions the namespace controller keeps on a Terminating namespace (upstream:
 * pkg/controller/namespace/deletion/status_condition_utils.go): each of the five types is True with the
 * failure found in this pass, or False with its "ok" reason and message.
 */
export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

const OK: Record<ConditionType, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Collects what one deletion pass found, then turns it into conditions. */
export class ConditionUpdater {
  private readonly failures = new Map<ConditionType, { reason: string; message: string }>();
  private readonly contentErrors: string[] = [];

  discoveryFailed(message: string, failingGroups: number): void {
    this.failures.set('NamespaceDeletionDiscoveryFailure', {
      reason: 'DiscoveryFailed',
      message: `Discovery failed for some groups, ${failingGroups} failing: ${message}`,
    });
  }

  deleteContentFailed(message: string): void {
    this.contentErrors.push(message);
  }

  /** Remaining objects per "resource.group" and per finalizer (zero counts are left out, entries sorted). */
  contentTotals(remainingByResource: Map<string, number>, remainingByFinalizer: Map<string, number>): void {
    const resources = [...remainingByResource].filter(([, n]) => n > 0).map(([r, n]) => `${r} has ${n} resource instances`).sort();
    if (remainingByResource.size > 0) {
      this.failures.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${resources.join(', ')}` });
    }
    const finalizers = [...remainingByFinalizer].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
    if (remainingByFinalizer.size > 0) {
      this.failures.set('NamespaceFinalizersRemaining', {
        reason: 'SomeFinalizersRemain',
        message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`,
      });
    }
  }

  /** Writes the conditions into `status`; true when anything changed (a transition time moves only when status flips). */
  update(status: NamespaceStatus): boolean {
    if (!this.failures.has('NamespaceDeletionContentFailure') && this.contentErrors.length > 0) {
      const msgs = [...this.contentErrors].sort();
      this.failures.set('NamespaceDeletionContentFailure', {
        reason: 'ContentDeletionFailed',
        message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
      });
    }
    let changed = false;
    const conditions: NamespaceCondition[] = (status.conditions ??= []);
    for (const type of CONDITION_TYPES) {
      const failure = this.failures.get(type);
      const want = { status: failure ? 'True' : 'False', ...(failure ?? OK[type]) };
      const old = conditions.find((c) => c.type === type);
      if (!old) {
        conditions.push({ type, status: want.status, lastTransitionTime: now(), reason: want.reason, message: want.message });
        changed = true;
      } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
        if (old.status !== want.status) old.lastTransitionTime = now();
        old.status = want.status;
        old.reason = want.reason;
        old.message = want.message;
        changed = true;
      }
    }
    return changed;
  }
}
