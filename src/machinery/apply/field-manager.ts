/**
 * The field manager kube-apiserver runs on every write (apiserver's fieldmanager stack): it keeps
 * metadata.managedFields up to date for creates, updates and patches, and performs server-side apply.
 * Layers, as upstream stacks them: the kubectl client-side-apply upgrade (last-applied annotation),
 * the cap on update entries, per-manager entries with timestamps, and the metadata fields nobody owns.
 */
import { byteLength, compareGoStrings, goJSON, isGoPrintable } from '../go-format.js';
import { badRequest, plainServerError } from '../status.js';
import { FieldSet } from './field-set.js';
import { fieldPE } from './path.js';
import type { Path } from './path.js';
import type { StructType } from './schema.js';
import { checkConfig, compare, dropNullFields, toFieldSet, TypedError } from './typed.js';
import { applyConfig, ConflictsError, updateOwnership } from './updater.js';
import type { Conflict, ManagedFields } from './updater.js';
import {
  conflictStatus,
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  isResetManagedFields,
  ManagedFieldsDecodeError,
  managerIdentifier,
} from './managed-fields.js';
import type { Managed } from './managed-fields.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Update entries kept before the oldest are merged into "ancient-changes" (DefaultMaxUpdateManagers). */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
/** The manager existing fields get when an object without managedFields is first applied to. */
const BEFORE_FIRST_APPLY = 'before-first-apply';
/** kubectl's server-side apply manager: the only one whose applies upgrade client-side apply. */
const KUBECTL_SSA_MANAGER = 'kubectl';
const FIELD_MANAGER_MAX_LENGTH = 128;

type Obj = Record<string, unknown>;

/** What the field manager knows about the resource being written. */
export interface FieldManagerScope {
  /** The kind's schema. */
  type: StructType;
  group: string;
  version: string;
  kind: string;
  /** '' for the main resource, 'status' for the status subresource. */
  subresource: string;
  /** Fields the endpoint resets, which no manager owns through it (status on the main resource...). */
  resetFields?: FieldSet;
  /** The time entries get, RFC 3339 at second precision. */
  now: string;
}

function apiVersionOf(s: FieldManagerScope): string {
  return s.group ? `${s.group}/${s.version}` : s.version;
}

/** Metadata and type fields never recorded as owned (stripMetaManager). */
const STRIPPED: FieldSet = FieldSet.of(
  [fieldPE('apiVersion')],
  [fieldPE('kind')],
  [fieldPE('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map(
    (f): Path => [fieldPE('metadata'), fieldPE(f)],
  ),
);

/** The manager a request without fieldManager gets: its User-Agent up to the first '/' (prefixFromUserAgent). */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const head = (userAgent ?? '').split('/')[0];
  let out = '';
  let bytes = 0;
  for (const ch of head) {
    if (!isGoPrintable(ch)) continue;
    const n = byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The object without metadata.managedFields, sharing everything else. */
function withoutManagedFields(obj: Obj): Obj {
  const meta = obj.metadata;
  if (meta === null || typeof meta !== 'object' || !('managedFields' in (meta as Obj))) return obj;
  const { managedFields: _drop, ...rest } = meta as Obj;
  return { ...obj, metadata: rest };
}

function metadataOf(obj: Obj): Obj {
  let meta = obj.metadata as Obj | undefined;
  if (meta === null || typeof meta !== 'object') {
    meta = {};
    obj.metadata = meta;
  }
  return meta;
}

function setManagedFields(obj: Obj, managed: Managed): void {
  const meta = metadataOf(obj);
  const entries = encodeManagedFields(managed);
  if (entries) meta.managedFields = entries;
  else delete meta.managedFields;
}

function stripFields(fields: ManagedFields, id: string): void {
  const vs = fields.get(id);
  if (!vs) return;
  const set = vs.set.difference(STRIPPED);
  if (set.isEmpty()) fields.delete(id);
  else fields.set(id, { ...vs, set });
}

function liveManaged(live: Obj | undefined): Managed {
  if (!live) return emptyManaged();
  try {
    return decodeManagedFields((live.metadata as Obj | undefined)?.managedFields);
  } catch (err) {
    if (err instanceof ManagedFieldsDecodeError) return emptyManaged();
    throw err;
  }
}

/**
 * The managed fields an update starts from: those the request sets (so clients can edit them), unless it
 * is a subresource, asks for a reset, or sets none or unreadable ones; then the live object's.
 */
function startingManaged(live: Obj | undefined, next: Obj, scope: FieldManagerScope): Managed {
  if (scope.subresource) return liveManaged(live);
  const requested = (next.metadata as Obj | undefined)?.managedFields;
  if (isResetManagedFields(requested)) return emptyManaged();
  try {
    const managed = decodeManagedFields(requested);
    if (managed.fields.size > 0) return managed;
  } catch (err) {
    if (!(err instanceof ManagedFieldsDecodeError)) throw err;
  }
  return liveManaged(live);
}

/** Merges the oldest update entries into "ancient-changes" buckets while there are too many. */
function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  const secs = (id: string) => {
    const t = managed.times.get(id);
    return t ? Math.floor(Date.parse(t) / 1000) : 0;
  };
  updaters.sort((a, b) => secs(a) - secs(b) || (a < b ? -1 : a > b ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i];
    const vs = managed.fields.get(id)!;
    const bucket = managerIdentifier({ manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstByVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstByVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      managed.fields.set(bucket, managed.fields.get(first)!);
      managed.fields.delete(first);
    }
    const b = managed.fields.get(bucket)!;
    managed.fields.set(bucket, { set: vs.set.union(b.set), apiVersion: vs.apiVersion, applied: vs.applied });
    managed.fields.delete(id);
    length--;
    managed.times.set(bucket, managed.times.get(id));
  }
}

/** The ownership after an update by `manager` from `liveObj` to `newObj` (both without managedFields). */
function updateManaged(managed: Managed, liveObj: Obj, newObj: Obj, manager: string, scope: FieldManagerScope): Managed {
  const current = managerIdentifier({ manager: 'current-operation', operation: 'Update' });
  const fields = updateOwnership(liveObj, newObj, scope.type, apiVersionOf(scope), managed.fields, current, scope.resetFields);
  stripFields(fields, current);
  const id = managerIdentifier({ manager, operation: 'Update', apiVersion: apiVersionOf(scope), subresource: scope.subresource });
  const times = new Map(managed.times);
  const took = fields.get(current);
  if (took) {
    // The manager changed something: its entry grows and gets the time of this write.
    fields.delete(current);
    const previous = fields.get(id);
    fields.set(id, { set: previous ? took.set.union(previous.set) : took.set, apiVersion: took.apiVersion, applied: false });
    times.set(id, scope.now);
  }
  for (const k of times.keys()) if (!fields.has(k)) times.delete(k);
  const result: Managed = { fields, times };
  capUpdateManagers(result);
  return result;
}

/**
 * Records an update (create, PUT, non-apply PATCH) by `manager` in `next.metadata.managedFields` (in
 * place). `live` is undefined for a create. As upstream's UpdateNoErrors, an object that cannot be
 * typed loses its managedFields instead of failing the write.
 */
export function recordUpdate(live: Obj | undefined, next: Obj, manager: string, scope: FieldManagerScope): void {
  try {
    const managed = startingManaged(live, next, scope);
    const liveObj = live ? withoutManagedFields(live) : scope.type.zero();
    setManagedFields(next, updateManaged(managed, liveObj, withoutManagedFields(next), manager, scope));
  } catch (err) {
    if (!(err instanceof TypedError)) throw err;
    delete metadataOf(next).managedFields;
  }
}

/** schema.GroupVersionKind's String(): "/v1, Kind=ConfigMap" for the core group. */
function gvkText(scope: FieldManagerScope): string {
  return `${scope.group}/${scope.version}, Kind=${scope.kind}`;
}

/** The fields kubectl's last-applied annotation still accounts for in the live object, if it has one. */
function allowedConflictsFromLastApplied(live: Obj, scope: FieldManagerScope): FieldSet | undefined {
  const annotations = (live.metadata as Obj | undefined)?.annotations as Record<string, unknown> | undefined;
  const text = annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (lastApplied === null || typeof lastApplied !== 'object' || Array.isArray(lastApplied)) return undefined;
  if ((lastApplied as Obj).apiVersion !== apiVersionOf(scope)) return undefined;
  try {
    checkConfig(lastApplied, scope.type);
    const set = toFieldSet(lastApplied, scope.type);
    const cmp = compare(lastApplied, live, scope.type);
    // Fields whose last-applied value is not the live one were changed by someone else since.
    return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch (err) {
    if (err instanceof TypedError) return undefined;
    throw err;
  }
}

/** The annotation kubectl would write for this configuration: its JSON without the annotation itself. */
function buildLastApplied(config: Obj): string {
  const copy = structuredClone(config);
  const meta = copy.metadata as Obj | undefined;
  const annotations = meta?.annotations as Obj | undefined;
  if (annotations && typeof annotations === 'object') delete annotations[LAST_APPLIED_ANNOTATION];
  // Go's encoding of a map: keys sorted, HTML characters escaped.
  return goJSON(sortKeys(copy));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Obj = {};
    for (const k of Object.keys(v as Obj).sort(compareGoStrings)) out[k] = sortKeys((v as Obj)[k]);
    return out;
  }
  return v;
}

/**
 * Server-side apply of `config` by `manager` onto `live` (an empty object for a create). Returns the
 * object to store, with its managedFields. Errors are upstream's: 400 for a patch of another version or
 * one that sets managedFields, 409 with FieldManagerConflict causes for conflicts, 500 for a
 * configuration the schema does not describe.
 */
export function applyPatch(live: Obj, config: Obj, manager: string, force: boolean, scope: FieldManagerScope): Obj {
  const version = apiVersionOf(scope);
  if (config.apiVersion !== version) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${String(config.apiVersion ?? '')}, expected: ${version}`);
  }
  const configMeta = config.metadata as Obj | undefined;
  if (configMeta && typeof configMeta === 'object' && configMeta.managedFields !== undefined && configMeta.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  let managed: Managed;
  try {
    managed = decodeManagedFields((live.metadata as Obj | undefined)?.managedFields);
  } catch (err) {
    if (err instanceof ManagedFieldsDecodeError) throw plainServerError(`failed to decode managed fields: ${err.message}`);
    throw err;
  }
  const liveObj = withoutManagedFields(live);
  // An object nobody owns anything of yet (made before fields were tracked, or reset): what it holds is
  // attributed to "before-first-apply", so the apply conflicts with values it would change.
  if (managed.fields.size === 0) {
    try {
      managed = updateManaged(managed, scope.type.zero(), liveObj, BEFORE_FIRST_APPLY, scope);
    } catch (err) {
      if (err instanceof TypedError) throw plainServerError(`failed to create manager for existing fields: ${err.message}`);
      throw err;
    }
  }
  try {
    checkConfig(config, scope.type);
  } catch (err) {
    if (err instanceof TypedError) throw plainServerError(`failed to create typed patch object (${gvkText(scope)}): ${err.message}`);
    throw err;
  }
  const id = managerIdentifier({ manager, operation: 'Apply', subresource: scope.subresource });
  const run = (forced: boolean): Obj => {
    const result = applyConfig(liveObj, config, scope.type, version, managed.fields, id, forced, scope.resetFields);
    stripFields(result.managers, id);
    const times = new Map(managed.times);
    let object: Obj;
    if (result.object) {
      object = result.object;
      // The object as the Go type holds it: null fields of the configuration are unset.
      dropNullFields(object, scope.type);
      times.set(id, scope.now);
    } else {
      object = structuredClone(liveObj);
    }
    for (const k of times.keys()) if (!result.managers.has(k)) times.delete(k);
    setManagedFields(object, { fields: result.managers, times });
    return object;
  };
  let object: Obj;
  try {
    try {
      object = run(force);
    } catch (err) {
      // kubectl --server-side taking over from client-side apply: conflicts on fields the last-applied
      // annotation still describes are expected, and forced.
      if (!(err instanceof ConflictsError) || manager !== KUBECTL_SSA_MANAGER) throw err;
      const allowed = allowedConflictsFromLastApplied(liveObj, scope);
      if (!allowed) throw err;
      const remaining: Conflict[] = err.conflicts.filter((c) => !allowed.has(c.path));
      if (remaining.length > 0) throw new ConflictsError(remaining);
      object = run(true);
    }
  } catch (err) {
    if (err instanceof ConflictsError) throw conflictStatus(err.conflicts);
    if (err instanceof TypedError) throw plainServerError(`failed to create typed patch object (${gvkText(scope)}): ${err.message}`);
    throw err;
  }
  // Keep kubectl's last-applied annotation in step with what kubectl --server-side applies.
  const annotations = (object.metadata as Obj | undefined)?.annotations as Obj | undefined;
  if (manager === KUBECTL_SSA_MANAGER && typeof annotations?.[LAST_APPLIED_ANNOTATION] === 'string' && annotations[LAST_APPLIED_ANNOTATION] !== '') {
    (object.metadata as Obj).annotations = { ...annotations, [LAST_APPLIED_ANNOTATION]: buildLastApplied(config) };
  }
  return object;
}
