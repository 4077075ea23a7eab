import type { Strategy } from '../resource.js';
import { nameIsDNSLabel } from '../../machinery/names.js';
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';

function specFinalizers(obj: KubeObject): string[] {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  return Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
}

/**
 * Namespaces: DNS-1123 label names, the `kubernetes` finalizer and phase Active on create; a delete only
 * marks the namespace Terminating while spec.finalizers remain (the namespace controller empties it and
 * clears them), as upstream.
 */
export const namespaceStrategy: Strategy = {
  nameValidator: nameIsDNSLabel,
  prepareForCreate(obj) {
    const spec = isPlainObject(obj.spec) ? obj.spec : {};
    const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
    if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
    obj.spec = { ...spec, finalizers };
    obj.status = { phase: 'Active' };
    const labels = (obj.metadata.labels ??= {});
    labels['kubernetes.io/metadata.name'] = obj.metadata.name!;
  },
  holdsDeletion: (obj) => specFinalizers(obj).length > 0,
  markDeleting(obj) {
    obj.status = { ...(isPlainObject(obj.status) ? obj.status : {}), phase: 'Terminating' };
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers changes only through the finalize subresource; the name label is kept.
    obj.spec = old.spec;
    const labels = (obj.metadata.labels ??= {});
    labels['kubernetes.io/metadata.name'] = obj.metadata.name!;
  },
};
