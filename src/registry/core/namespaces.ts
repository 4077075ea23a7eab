import type { SpecialHandler, Strategy } from '../resource.js';
import { invalid, typeInvalid } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isQualifiedName, nameIsDNSLabel } from '../../machinery/names.js';
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';

function specFinalizers(obj: KubeObject): string[] {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  return Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
}

/** Finalizer names without a domain that core accepts (upstream's IsStandardFinalizerName). */
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** spec.finalizers entries: qualified names, and a name without a prefix must be a standard one. */
function validateSpecFinalizers(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const list: unknown = spec.finalizers ?? [];
  if (!Array.isArray(list)) return [typeInvalid('spec.finalizers', list, 'must be of type array')];
  for (const [i, f] of list.entries()) {
    const at = `spec.finalizers[${i}]`;
    if (typeof f !== 'string') {
      errs.push(typeInvalid(at, f, 'must be of type string'));
      continue;
    }
    for (const msg of isQualifiedName(f)) errs.push(invalid(at, f, msg));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(invalid(at, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}

/**
 * Namespaces: DNS-1123 label names, the `kubernetes` finalizer and phase Active on create; a delete only
 * marks the namespace Terminating while spec.finalizers remain (the namespace controller empties it and
 * clears them through the finalize subresource), as upstream.
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
  validate: validateSpecFinalizers,
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
  subresourceUpdates: {
    // namespaces/{name}/finalize (upstream's namespaceFinalizeStrategy): the body's spec.finalizers and
    // metadata are taken, status is kept. When an update empties spec.finalizers of a namespace being
    // deleted, and no metadata.finalizers remain, the update deletes it (decideUpdate's holdsDeletion).
    finalize: {
      prepareForUpdate(obj, old) {
        obj.status = old.status;
        const spec = isPlainObject(obj.spec) ? obj.spec : {};
        obj.spec = { ...spec, finalizers: Array.isArray(spec.finalizers) ? spec.finalizers : [] };
        const labels = (obj.metadata.labels ??= {});
        labels['kubernetes.io/metadata.name'] = obj.metadata.name!;
      },
      validateUpdate: (obj) => validateSpecFinalizers(obj),
    },
  },
};

/** PUT namespaces/{name}/finalize with a Namespace: answers the namespace as written (or as last seen, when removed). */
export const namespaceFinalizeHandler: SpecialHandler = {
  verbs: ['update'],
  async handle(req) {
    const result = await req.store.update('', req.name, req.body!, { subresource: 'finalize', dryRun: req.dryRun });
    return { code: 200, body: result.json };
  },
};
