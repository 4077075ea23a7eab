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
  return secondsTimestamp(Date.now());
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
  if (def.subresources.includes('status')) obj.status = {};
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

/** '' for the object itself, 'status', or a subresource with its own update strategy ('finalize'). */
export type UpdateSubresource = string;

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
  const subStrategy = subresource !== '' && subresource !== 'status' ? def.strategy.subresourceUpdates?.[subresource] : undefined;
  if (subresource !== '' && subresource !== 'status' && !subStrategy) throw new Error(`no update strategy for ${def.plural}/${subresource}`);
  if (subStrategy) {
    obj = cloneObject(body);
  } else if (subresource === 'status') {
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
  subStrategy?.prepareForUpdate(obj, old);
  if (!jsonEqual(specPart(obj), specPart(old))) meta.generation = (old.metadata.generation ?? 0) + 1;

  // The update check re-validates labels, annotations and owners; name and namespace are immutable.
  const errs = validateObjectMetaUpdate(meta, old.metadata);
  errs.push(...((subStrategy ? subStrategy.validateUpdate?.(obj, old) : def.strategy.validateUpdate?.(obj, old)) ?? []));
  throwIfInvalid(def, name, errs);

  if (jsonEqual(obj, old)) return { action: 'noop' };
  // The update that removes the last finalizer of an object being deleted deletes it.
  if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && !def.strategy.holdsDeletion?.(obj)) {
    return { action: 'delete', object: obj };
  }
  return { action: 'put', object: obj };
}

/** The delete options that choose how dependents are treated. */
export interface DeletePolicy {
  propagationPolicy?: string;
  /** Deprecated upstream, still honoured: true is Orphan, false is "not Orphan". */
  orphanDependents?: boolean;
}

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * Whether dependents are orphaned (upstream's shouldOrphanDependents): explicit options first, then the
 * finalizers the object already has, then the kind's default.
 */
function shouldOrphan(def: ResourceDefinition, finalizers: string[], opts: DeletePolicy): boolean {
  if (opts.orphanDependents !== undefined) return opts.orphanDependents;
  if (opts.propagationPolicy === 'Orphan') return true;
  if (opts.propagationPolicy === 'Background' || opts.propagationPolicy === 'Foreground') return false;
  for (const f of finalizers) {
    if (f === ORPHAN) return true;
    if (f === FOREGROUND) return false;
  }
  return def.strategy.defaultGarbageCollectionPolicy === 'OrphanDependents';
}

/** Whether dependents are deleted first (upstream's shouldDeleteDependents). */
function shouldDeleteInForeground(finalizers: string[], opts: DeletePolicy): boolean {
  if (opts.orphanDependents !== undefined) return false;
  if (opts.propagationPolicy === 'Foreground') return true;
  if (opts.propagationPolicy === 'Background' || opts.propagationPolicy === 'Orphan') return false;
  for (const f of finalizers) {
    if (f === FOREGROUND) return true;
    if (f === ORPHAN) return false;
  }
  return false;
}

/**
 * The finalizers an object has after a delete with these options (upstream's
 * deletionFinalizersForGarbageCollection): the garbage collector's two finalizers are dropped and put back
 * as the options, the existing finalizers or the kind's default policy say. This also applies to an object
 * already being deleted, so a second delete may switch, say, from Foreground to Orphan.
 */
export function garbageCollectionFinalizers(def: ResourceDefinition, finalizers: string[], opts: DeletePolicy): string[] {
  if (def.strategy.defaultGarbageCollectionPolicy === 'Unsupported') return [...finalizers];
  const out = finalizers.filter((f) => f !== ORPHAN && f !== FOREGROUND);
  if (shouldOrphan(def, finalizers, opts)) out.push(ORPHAN);
  if (shouldDeleteInForeground(finalizers, opts)) out.push(FOREGROUND);
  return out;
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
  opts: DeletePolicy & { preconditions?: DeletePreconditions; gracePeriodSeconds?: number },
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
  const graceful = gracefulDelete(def, obj, opts.gracePeriodSeconds);
  if (graceful === 'pending') return { action: 'noop' };
  const oldFinalizers = old.metadata.finalizers ?? [];
  const finalizers = garbageCollectionFinalizers(def, oldFinalizers, opts);
  const changed = !sameSet(finalizers, oldFinalizers);
  if (graceful === 'marked') {
    // Graceful deletion and the garbage collector's finalizers are written in one update, as upstream does.
    if (finalizers.length > 0) obj.metadata.finalizers = finalizers;
    else delete obj.metadata.finalizers;
    return { action: 'put', object: obj };
  }
  const held = def.strategy.holdsDeletion?.(obj) ?? false;
  if (finalizers.length === 0 && !held) return { action: 'delete', object: obj };
  if (obj.metadata.deletionTimestamp && !changed) return { action: 'noop' };
  if (finalizers.length > 0) obj.metadata.finalizers = finalizers;
  else delete obj.metadata.finalizers;
  obj.metadata.deletionTimestamp ??= now();
  obj.metadata.deletionGracePeriodSeconds ??= 0;
  def.strategy.markDeleting?.(obj);
  return { action: 'put', object: obj };
}

/**
 * Graceful deletion (upstream's rest.BeforeDelete) for kinds with a grace period: the first delete with a
 * period above 0 sets deletionTimestamp that far ahead and deletionGracePeriodSeconds, and keeps the object
 * ('marked'); a later delete may only shorten the period ('marked' again), otherwise it changes nothing
 * ('pending'). A period of 0 (or a kind without grace periods) leaves the decision to the finalizers
 * ('now').
 */
function gracefulDelete(def: ResourceDefinition, obj: KubeObject, requested: number | undefined): 'now' | 'marked' | 'pending' {
  if (!def.strategy.gracePeriod) return 'now';
  const meta = obj.metadata;
  if (meta.deletionTimestamp) {
    const current = meta.deletionGracePeriodSeconds;
    if (current === undefined || current === 0) return 'now';
    if (requested === undefined || requested >= current) return 'pending';
    if (requested === 0) return 'now';
    const start = Date.parse(meta.deletionTimestamp) - current * 1000;
    meta.deletionTimestamp = secondsTimestamp(start + requested * 1000);
    meta.deletionGracePeriodSeconds = requested;
    return 'marked';
  }
  const period = def.strategy.gracePeriod(obj, requested);
  if (period <= 0) return 'now';
  meta.deletionTimestamp = secondsTimestamp(Date.now() + period * 1000);
  meta.deletionGracePeriodSeconds = period;
  return 'marked';
}

/** RFC 3339 at second precision of a time in milliseconds since the epoch. */
function secondsTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export { gr as groupResourceOf, gk as groupKindOf, groupResource };
