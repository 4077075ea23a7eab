/**
 * ObjectMeta validation on create and update, following apimachinery's
 * api/validation/objectmeta.go. Input is decoded JSON, so every field is
 * type-checked before its rules run.
 */
import {
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
  typeInvalid,
  type FieldError,
} from './field-errors.js';
import { byteLength, goStringSliceLiteral, compareGoStrings, isGoPrintable } from './go-format.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';

export type NameValidator = (name: string, prefix: boolean) => string[];

export interface ObjectMetaOptions {
  namespaced: boolean;
  /** Defaults to DNS-1123 subdomain (with the trailing-dash allowance for prefixes). */
  nameValidator?: NameValidator;
}

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;
const FIELD_MANAGER_MAX_LENGTH = 128;
const MAX_SUBRESOURCE_NAME_LENGTH = 256;
export const FIELD_IMMUTABLE_MESSAGE = 'field is immutable';
const FINALIZER_ORPHAN = 'orphan';
const FINALIZER_FOREGROUND = 'foregroundDeletion';

const ROOT = 'metadata';
const at = (child: string) => `${ROOT}.${child}`;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The typed getters report a wrong JSON type (which Go would refuse to decode)
// and return undefined so the field's own rules are skipped.
function getString(m: Obj, key: string, errs: FieldError[]): string | undefined {
  const v = m[key];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  errs.push(typeInvalid(at(key), v, 'must be of type string'));
  return undefined;
}

function getInt(m: Obj, key: string, errs: FieldError[]): number | undefined {
  const v = m[key];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  errs.push(typeInvalid(at(key), v, 'must be of type integer'));
  return undefined;
}

function getStringMap(m: Obj, key: string, errs: FieldError[]): Record<string, string> {
  const v = m[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) {
    errs.push(typeInvalid(at(key), v, 'must be of type object'));
    return {};
  }
  // No prototype, so a "__proto__" key is kept (and then reported as invalid).
  const out = Object.create(null) as Record<string, string>;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
    else errs.push(typeInvalid(`${at(key)}.${k}`, val, 'must be of type string'));
  }
  return out;
}

function getArray(m: Obj, key: string, errs: FieldError[]): unknown[] {
  const v = m[key];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  errs.push(typeInvalid(at(key), v, 'must be of type array'));
  return [];
}

export function validateLabels(labels: Record<string, string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(field, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(field, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Annotation keys are label keys except that case does not matter.
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(field, k, msg));
    total += byteLength(k) + byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(field, '', TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

export function validateFinalizers(finalizers: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, f] of finalizers.entries()) {
    if (typeof f !== 'string') {
      errs.push(typeInvalid(`${field}[${i}]`, f, 'must be of type string'));
      continue;
    }
    for (const msg of isQualifiedName(f)) errs.push(invalid(field, f, msg));
  }
  if (finalizers.includes(FINALIZER_ORPHAN) && finalizers.includes(FINALIZER_FOREGROUND)) {
    errs.push(invalid(field, finalizers, `finalizer ${FINALIZER_ORPHAN} and ${FINALIZER_FOREGROUND} cannot be both set`));
  }
  return errs;
}

/** An owner reference re-keyed in Go struct order, for error values. */
function ownerRefValue(r: Obj): Obj {
  const out: Obj = { apiVersion: r.apiVersion ?? '', kind: r.kind ?? '', name: r.name ?? '', uid: r.uid ?? '' };
  if (r.controller !== undefined && r.controller !== null) out.controller = r.controller;
  if (r.blockOwnerDeletion !== undefined && r.blockOwnerDeletion !== null) out.blockOwnerDeletion = r.blockOwnerDeletion;
  return out;
}

/** schema.ParseGroupVersion; undefined when the string has more than one '/'. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } | undefined {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  return undefined;
}

export function validateOwnerReferences(refs: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const [i, raw] of refs.entries()) {
    const p = `${field}[${i}]`;
    if (!isObject(raw)) {
      errs.push(typeInvalid(p, raw, 'must be of type object'));
      continue;
    }
    const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : '');
    const apiVersion = str('apiVersion');
    const gv = parseGroupVersion(apiVersion);
    if (apiVersion === '') errs.push(required(`${p}.apiVersion`, 'must not be empty'));
    else if (gv === undefined || gv.version === '') {
      errs.push(invalid(`${p}.apiVersion`, apiVersion, 'must be <group>/<version> or <version>'));
    }
    for (const key of ['kind', 'name', 'uid']) {
      if (str(key) === '') errs.push(required(`${p}.${key}`, 'must not be empty'));
    }
    // Events may not own anything (upstream's BannedOwners).
    if (gv?.group === '' && gv.version === 'v1' && str('kind') === 'Event') {
      errs.push(invalid(p, ownerRefValue(raw), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (raw.controller === true) {
      const current = `${str('kind')}/${str('name')}`;
      if (firstController === '') {
        firstController = current;
      } else {
        const all = refs.map((r) => (isObject(r) ? ownerRefValue(r) : r));
        errs.push(
          invalid(
            field,
            all,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      }
    }
  }
  return errs;
}

export function validateManagedFields(entries: unknown[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, raw] of entries.entries()) {
    const p = `${field}[${i}]`;
    if (!isObject(raw)) {
      errs.push(typeInvalid(p, raw, 'must be of type object'));
      continue;
    }
    const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : '');
    const operation = str('operation');
    if (operation === '') errs.push(required(`${p}.operation`, 'must not be empty'));
    else if (operation !== 'Apply' && operation !== 'Update') {
      errs.push(notSupported(`${p}.operation`, operation, ['Apply', 'Update']));
    }
    if (str('fieldsType') !== '' && str('fieldsType') !== 'FieldsV1') {
      errs.push(invalid(`${p}.fieldsType`, str('fieldsType'), 'must be `FieldsV1`'));
    }
    errs.push(...validateFieldManager(str('manager'), `${p}.manager`));
    if (byteLength(str('subresource')) > MAX_SUBRESOURCE_NAME_LENGTH) {
      errs.push(tooLong(`${p}.subresource`, '', MAX_SUBRESOURCE_NAME_LENGTH));
    }
  }
  return errs;
}

/** Also used for the `fieldManager` query parameter. */
export function validateFieldManager(manager: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (byteLength(manager) > FIELD_MANAGER_MAX_LENGTH) errs.push(tooLong(field, '', FIELD_MANAGER_MAX_LENGTH));
  let pos = 0; // byte offset, as Go's range over a string reports
  for (const ch of manager) {
    if (!isGoPrintable(ch)) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      errs.push(invalid(field, manager, `invalid character U+${cp} (at position ${pos})`));
    }
    pos += byteLength(ch);
  }
  return errs;
}

/** Rules shared by create and update that look only at the new metadata. */
function validateCommonSets(m: Obj, errs: FieldError[]): void {
  errs.push(...validateLabels(getStringMap(m, 'labels', errs), at('labels')));
  errs.push(...validateAnnotations(getStringMap(m, 'annotations', errs), at('annotations')));
  errs.push(...validateOwnerReferences(getArray(m, 'ownerReferences', errs), at('ownerReferences')));
}

/**
 * Create-time validation. Unlike upstream (which runs after name generation),
 * an empty name is accepted when generateName is set, so this can run before
 * the name is generated; run it again afterwards to check the generated name.
 */
export function validateObjectMeta(meta: unknown, opts: ObjectMetaOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (meta !== undefined && meta !== null && !isObject(meta)) {
    return [typeInvalid(ROOT, meta, 'must be of type object')];
  }
  const m: Obj = isObject(meta) ? meta : {};
  const nameFn = opts.nameValidator ?? nameIsDNSSubdomain;

  const generateName = getString(m, 'generateName', errs);
  if (generateName) {
    for (const msg of nameFn(generateName, true)) errs.push(invalid(at('generateName'), generateName, msg));
  }
  const name = getString(m, 'name', errs);
  if (name === '') {
    if (!generateName) errs.push(required(at('name'), 'name or generateName is required'));
  } else if (name !== undefined) {
    for (const msg of nameFn(name, false)) errs.push(invalid(at('name'), name, msg));
  }

  const namespace = getString(m, 'namespace', errs);
  if (namespace !== undefined) {
    if (opts.namespaced) {
      if (namespace === '') errs.push(required(at('namespace')));
      else for (const msg of nameIsDNSLabel(namespace, false)) errs.push(invalid(at('namespace'), namespace, msg));
    } else if (namespace !== '') {
      errs.push(forbidden(at('namespace'), 'not allowed on this type'));
    }
  }

  const generation = getInt(m, 'generation', errs);
  if (generation !== undefined && generation < 0) errs.push(nonNegative('generation', generation));
  validateCommonSets(m, errs);
  errs.push(...validateFinalizers(getArray(m, 'finalizers', errs), at('finalizers')));
  errs.push(...validateManagedFields(getArray(m, 'managedFields', errs), at('managedFields')));
  return errs;
}

/** metav1.Time as Go marshals it: UTC RFC 3339 at second precision; zero time is null. */
function timeValue(v: unknown): { key: string; shown: unknown } {
  if (v === undefined || v === null || v === '') return { key: '', shown: null };
  if (typeof v !== 'string') return { key: JSON.stringify(v), shown: v };
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return { key: v, shown: v };
  return { key: String(ms), shown: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

function nonNegative(field: string, value: number): FieldError {
  return invalid(at(field), value, 'must be greater than or equal to 0');
}

function immutable(field: string, newShown: unknown, same: boolean): FieldError[] {
  return same ? [] : [invalid(at(field), newShown, FIELD_IMMUTABLE_MESSAGE)];
}

/**
 * Update-time validation of the new metadata against the stored one: identity
 * and deletion fields are immutable, resourceVersion is required, generation
 * may not go down, and no finalizers may be added once deletion has started.
 * Callers that allow unconditional updates must copy the stored
 * resourceVersion in first (as upstream's registry does).
 */
export function validateObjectMetaUpdate(newMeta: unknown, oldMeta: unknown): FieldError[] {
  if (newMeta !== undefined && newMeta !== null && !isObject(newMeta)) {
    return [typeInvalid(ROOT, newMeta, 'must be of type object')];
  }
  const n: Obj = isObject(newMeta) ? newMeta : {};
  const o: Obj = isObject(oldMeta) ? oldMeta : {};
  const errs: FieldError[] = [];
  const ignored: FieldError[] = []; // type errors in the stored object are not the caller's fault

  const oldDeletion = timeValue(o.deletionTimestamp);
  if (oldDeletion.shown !== null) {
    const oldFinalizers = new Set(getArray(o, 'finalizers', ignored));
    const added = [...new Set(getArray(n, 'finalizers', errs))]
      .filter((f): f is string => typeof f === 'string' && !oldFinalizers.has(f))
      .sort(compareGoStrings);
    if (added.length > 0) {
      errs.push(
        forbidden(
          at('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSliceLiteral(added)}`,
        ),
      );
    }
  }

  const rv = getString(n, 'resourceVersion', errs);
  if (rv === '') errs.push(invalid(at('resourceVersion'), '', 'must be specified for an update'));

  const newGen = getInt(n, 'generation', errs);
  const oldGen = getInt(o, 'generation', ignored) ?? 0;
  if (newGen !== undefined && newGen < 0) errs.push(nonNegative('generation', newGen));
  if (newGen !== undefined && newGen < oldGen) errs.push(invalid(at('generation'), newGen, 'must not be decremented'));

  for (const key of ['name', 'namespace', 'uid']) {
    const nv = getString(n, key, errs);
    const ov = getString(o, key, ignored) ?? '';
    if (nv !== undefined) errs.push(...immutable(key, nv, nv === ov));
  }
  for (const key of ['creationTimestamp', 'deletionTimestamp']) {
    const nv = timeValue(n[key]);
    errs.push(...immutable(key, nv.shown, nv.key === timeValue(o[key]).key));
  }
  const grace = (v: unknown) => (v === undefined ? null : v);
  const newGrace = grace(n.deletionGracePeriodSeconds);
  errs.push(...immutable('deletionGracePeriodSeconds', newGrace, newGrace === grace(o.deletionGracePeriodSeconds)));

  validateCommonSets(n, errs);
  errs.push(...validateManagedFields(getArray(n, 'managedFields', errs), at('managedFields')));
  return errs;
}
