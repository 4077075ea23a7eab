import { randomUUID } from 'node:crypto';
import { jsonEqual } from '../machinery/json-equal.js';
import type { FieldError } from '../machinery/field-errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../machinery/object-meta.js';
import { cloneObject } from '../machinery/object.js';
import type { KubeObject } from '../machinery/object.js';
import { conflict, invalid, OPTIMISTIC_LOCK_MESSAGE } from '../machinery/status.js';
import type { StoredObject, WriteDecision } from '../storage/types.js';
import { groupResource } from './resource.js';
import type { ResourceDefinition } from './resource.js';

/**
 * The metadata rules kube-apiserver's generic registry applies to every kind (rest.BeforeCreate,
 * rest.BeforeUpdate, the store's deletion logic), as pure functions the storage batch can call.
 */

/** RFC 3339 at second precision, as metav1.Time marshals. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function gr(def: ResourceDefinition) {
  return { group: def.group, resource: def.plural };
}

function gk(def: ResourceDefinition) {
  return { group: def.group, kind: def.kind };
}

export function throwIfInvalid(def: ResourceDefinition, name: string, errs: FieldError[]): void {
  if (errs.length > 0) throw invalid(gk(def), name, errs);
}

/** Fills system fields and runs defaults and validation for a create. Returns the object to store. */
export function prepareCreate(def: ResourceDefinition, body: KubeObject, namespace: string): KubeObject {
  const obj = cloneObject(body);
  const meta = obj.metadata;
  if (def.namespaced) meta.namespace = namespace;
  else delete meta.namespace;
  meta.uid = randomUUID();
  meta.creationTimestamp = now();
  meta.generation = 1;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  // A main-resource create does not set status for kinds that have a status subresource.
  if (def.subresources.includes('status') && !def.strategy.keepsStatusOnCreate) obj.status = {};
  def.strategy.prepareForCreate?.(obj);
  const errs = validateObjectMeta(meta, { namespaced: def.namespaced, nameValidator: def.strategy.nameValidator });
  errs.push(...(def.strategy.validate?.(obj) ?? []));
  throwIfInvalid(def, meta.name ?? meta.generateName ?? '', errs);
  return obj;
}

/** Everything but metadata and status: a change there is a new generation. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/**
 * What an update writes: the object ('' ), its status only ('status'), or a pod's binding to a node
 * ('binding': the registry's own write of spec.nodeName, which skips the kind's update rules, as
 * upstream's binding storage does not go through the pod update strategy).
 */
export type UpdateSubresource = '' | 'status' | 'binding';

/**
 * Decides an update (PUT) of `current` to `body`, or of only its status when `subresource` is 'status'.
 * Optimistic concurrency: a body naming another resourceVersion is a 409 Conflict.
 */
export function decideUpdate(
  def: ResourceDefinition,
  current: StoredObject,
  body: KubeObject,
  subresource: UpdateSubresource,
): WriteDecision {
  const old = current.object;
  const name = old.metadata.name!;
  const rv = body.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== current.rv.toString()) {
    throw conflict(gr(def), name, OPTIMISTIC_LOCK_MESSAGE);
  }
  let obj: KubeObject;
  if (subresource === 'status') {
    // A status write leaves everything else alone.
    obj = cloneObject(old);
    obj.status = cloneObject(body.status);
  } else {
    obj = cloneObject(body);
    if (def.subresources.includes('status')) obj.status = cloneObject(old.status);
  }
  const meta = obj.metadata;
  meta.resourceVersion = current.rv.toString();
  meta.generation = old.metadata.generation;
  meta.uid ??= old.metadata.uid;
  if (old.metadata.creationTimestamp) meta.creationTimestamp = old.metadata.creationTimestamp;
  if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
  if (old.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  if (subresource === '') def.strategy.prepareForUpdate?.(obj, old);
  if (!jsonEqual(specPart(obj), specPart(old))) meta.generation = (old.metadata.generation ?? 0) + 1;

  // The update check re-validates labels, annotations and owners; name and namespace are immutable.
  const errs = validateObjectMetaUpdate(meta, old.metadata);
  if (subresource !== 'binding') errs.push(...(def.strategy.validateUpdate?.(obj, old) ?? []));
  throwIfInvalid(def, name, errs);

  if (jsonEqual(obj, old)) return { action: 'noop' };
  // The update that removes the last finalizer of an object being deleted deletes it.
  if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && !def.strategy.holdsDeletion?.(obj)) {
    return { action: 'delete', object: obj };
  }
  return { action: 'put', object: obj };
}

export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * Decides a delete: preconditions, then either removal, or (while finalizers remain) marking the object
 * with a deletionTimestamp, as kube-apiserver does.
 */
export function decideDelete(
  def: ResourceDefinition,
  current: StoredObject,
  opts: { preconditions?: DeletePreconditions; propagationPolicy?: string },
): WriteDecision {
  const old = current.object;
  const name = old.metadata.name!;
  const pre = opts.preconditions;
  if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
    throw conflict(gr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.rv.toString()) {
    throw conflict(
      gr(def),
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.rv}`,
    );
  }
  const obj = cloneObject(old);
  const finalizers = [...(obj.metadata.finalizers ?? [])];
  // Cascading policies that the garbage collector carries out are recorded as finalizers.
  const policyFinalizer =
    opts.propagationPolicy === 'Foreground' ? 'foregroundDeletion' : opts.propagationPolicy === 'Orphan' ? 'orphan' : undefined;
  if (policyFinalizer && !obj.metadata.deletionTimestamp && !finalizers.includes(policyFinalizer)) finalizers.push(policyFinalizer);
  const held = def.strategy.holdsDeletion?.(obj) ?? false;
  if (finalizers.length === 0 && !held) return { action: 'delete', object: obj };
  if (obj.metadata.deletionTimestamp && finalizers.length === (old.metadata.finalizers ?? []).length) return { action: 'noop' };
  if (finalizers.length > 0) obj.metadata.finalizers = finalizers;
  obj.metadata.deletionTimestamp ??= now();
  obj.metadata.deletionGracePeriodSeconds ??= 0;
  def.strategy.markDeleting?.(obj);
  return { action: 'put', object: obj };
}

export { gr as groupResourceOf, gk as groupKindOf, groupResource };
