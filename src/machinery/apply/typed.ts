/**
 * Operations on objects seen through their schema (structured-merge-diff's typed package): the field set
 * an object sets, the comparison of two versions, the apply merge, and removing a set of fields. Objects
 * are plain decoded JSON; `undefined` means a field is absent, `null` a field that is present but null.
 */
import { jsonEqual } from '../json-equal.js';
import { FieldSet } from './field-set.js';
import { fieldPE, keyPE, pathString } from './path.js';
import type { Path, PathElement } from './path.js';
import { SCALAR, UNTYPED } from './schema.js';
import type { ListType, MapType, StructType, TypeRef } from './schema.js';

/** A value that does not fit its schema; `path` in upstream's text form. */
export class TypedError extends Error {
  constructor(readonly errors: { path: string; message: string }[]) {
    super(errors.length === 1 ? `${errors[0].path}: ${errors[0].message}` : `errors:\n  ${errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`);
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const UNTYPED_MAP: MapType = { kind: 'map', elem: UNTYPED, atomic: false };
const UNTYPED_LIST: ListType = { kind: 'list', elem: UNTYPED, relationship: 'atomic', keys: [], keyDefaults: {} };

/** Untyped values take the shape of their value: objects merge by key, lists are atomic. */
function deduce(t: TypeRef, v: unknown): TypeRef {
  if (t.kind !== 'untyped') return t;
  if (isObj(v)) return UNTYPED_MAP;
  if (Array.isArray(v)) return UNTYPED_LIST;
  return SCALAR;
}

/** The type of a key of a struct or map; fields a struct does not declare are untyped. */
function fieldType(t: StructType | MapType, key: string): TypeRef {
  if (t.kind === 'map') return t.elem;
  return t.field(key) ?? UNTYPED;
}

function isAtomic(t: StructType | MapType | ListType): boolean {
  return t.kind === 'list' ? t.relationship === 'atomic' || (t.relationship === 'map' && t.keys.length === 0) : t.atomic;
}

/** The path element naming one item of a granular list: its key fields, or its value for a set. */
export function listItemPE(t: ListType, item: unknown, path: Path): PathElement {
  if (t.relationship === 'set') {
    if (isObj(item)) throw new TypedError([{ path: pathString(path), message: 'only scalar and atomic-list elements are supported in sets' }]);
    return { kind: 'value', value: item };
  }
  if (!isObj(item)) throw new TypedError([{ path: pathString(path), message: `associative list with keys may not have non-map elements` }]);
  const fields: [string, unknown][] = [];
  for (const k of t.keys) {
    let v = item[k];
    if (v === undefined || v === null) v = t.keyDefaults[k];
    if (v === undefined) {
      throw new TypedError([{ path: pathString(path), message: `associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)` }]);
    }
    fields.push([k, v]);
  }
  return keyPE(fields);
}

// ---------------------------------------------------------------------------------------------------
// Field sets

/** The paths an object sets (upstream's ToFieldSet): leaves, list items, and maps or lists set empty. */
export function toFieldSet(value: unknown, type: TypeRef): FieldSet {
  const set = new FieldSet();
  walkFields(value, type, [], set);
  return set;
}

function walkFields(v: unknown, type: TypeRef, path: PathElement[], set: FieldSet): void {
  const t = deduce(type, v);
  if (t.kind === 'scalar') {
    set.insert(path);
    return;
  }
  if (t.kind === 'list') {
    if (isAtomic(t)) {
      set.insert(path);
      return;
    }
    if (!Array.isArray(v)) return;
    const pes = v.map((item) => listItemPE(t, item, path));
    const seen = new Set<string>();
    const dups = new Set<string>();
    const keys = pes.map((pe) => JSON.stringify(pe));
    for (const k of keys) (seen.has(k) ? dups : seen).add(k);
    const insertedDup = new Set<string>();
    for (let i = 0; i < v.length; i++) {
      path.push(pes[i]);
      if (dups.has(keys[i])) {
        if (!insertedDup.has(keys[i])) set.insert(path);
        insertedDup.add(keys[i]);
      } else {
        walkFields(v[i], t.elem, path, set);
        set.insert(path);
      }
      path.pop();
    }
    return;
  }
  if (t.kind === 'untyped') return;
  if (isAtomic(t)) {
    set.insert(path);
    return;
  }
  if (!isObj(v)) return;
  for (const key of Object.keys(v)) {
    const val = v[key];
    if (val === undefined) continue;
    path.push(fieldPE(key));
    walkFields(val, fieldType(t, key), path, set);
    if (val === null || (isObj(val) && Object.keys(val).length === 0) || t.kind === 'map' || !t.field(key)) set.insert(path);
    path.pop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Comparison

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function isSame(c: Comparison): boolean {
  return c.added.isEmpty() && c.modified.isEmpty() && c.removed.isEmpty();
}

/** What changed from `lhs` to `rhs` (upstream's Compare), as sets of paths. */
export function compare(lhs: unknown, rhs: unknown, type: TypeRef): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(lhs, rhs, type, [], c);
  return c;
}

function compareLeaf(l: unknown, r: unknown, path: PathElement[], c: Comparison): void {
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
  else if (!jsonEqual(l, r)) c.modified.insert(path);
}

function emptyish(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : isObj(v) && Object.keys(v).length === 0);
}

function compareAt(l: unknown, r: unknown, type: TypeRef, path: PathElement[], c: Comparison): void {
  const tl = deduce(type, l);
  const tr = deduce(type, r);
  // A value whose shape changed (untyped, or not fitting the schema) compares as a whole.
  const t = l === undefined ? tr : r === undefined ? tl : tl.kind === tr.kind ? tl : SCALAR;
  if (t.kind === 'scalar' || t.kind === 'untyped') return compareLeaf(l, r, path, c);
  if (t.kind === 'list') {
    if (isAtomic(t) || (emptyish(l) && emptyish(r)) || (l !== undefined && l !== null && !Array.isArray(l)) || (r !== undefined && r !== null && !Array.isArray(r))) {
      return compareLeaf(l, r, path, c);
    }
    compareList(t, Array.isArray(l) ? l : [], Array.isArray(r) ? r : [], path, c);
  } else {
    if (isAtomic(t) || (emptyish(l) && emptyish(r)) || (l !== undefined && l !== null && !isObj(l)) || (r !== undefined && r !== null && !isObj(r))) {
      return compareLeaf(l, r, path, c);
    }
    const lo = isObj(l) ? l : {};
    const ro = isObj(r) ? r : {};
    for (const key of Object.keys(lo)) {
      if (lo[key] === undefined) continue;
      path.push(fieldPE(key));
      compareAt(lo[key], ro[key], fieldType(t, key), path, c);
      path.pop();
    }
    for (const key of Object.keys(ro)) {
      if (ro[key] === undefined || (lo[key] !== undefined)) continue;
      path.push(fieldPE(key));
      compareAt(undefined, ro[key], fieldType(t, key), path, c);
      path.pop();
    }
  }
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

interface Indexed {
  pe: PathElement;
  items: unknown[];
}

function indexList(t: ListType, list: unknown[], path: Path): Map<string, Indexed> {
  const out = new Map<string, Indexed>();
  for (const item of list) {
    const pe = listItemPE(t, item, path);
    const k = JSON.stringify(pe);
    const e = out.get(k);
    if (e) e.items.push(item);
    else out.set(k, { pe, items: [item] });
  }
  return out;
}

function compareList(t: ListType, l: unknown[], r: unknown[], path: PathElement[], c: Comparison): void {
  const lv = indexList(t, l, path);
  const rv = indexList(t, r, path);
  const all = [...lv.keys(), ...[...rv.keys()].filter((k) => !lv.has(k))];
  for (const k of all) {
    const li = lv.get(k)?.items ?? [];
    const ri = rv.get(k)?.items ?? [];
    const pe = (lv.get(k) ?? rv.get(k))!.pe;
    path.push(pe);
    if (li.length <= 1 && ri.length <= 1) {
      compareAt(li[0], ri[0], t.elem, path, c);
    } else if (li.length >= 2 && ri.length >= 2) {
      if (!jsonEqual(li, ri)) c.modified.insert(path);
    } else if (li.length >= 2) {
      if (ri.length > 0) compareAt(undefined, ri[0], t.elem, path, c);
      c.removed.insert(path);
    } else {
      if (li.length > 0) compareAt(li[0], undefined, t.elem, path, c);
      c.added.insert(path);
    }
    path.pop();
  }
}

// ---------------------------------------------------------------------------------------------------
// Merge

/** Merges an applied configuration into the live object (upstream's Merge): the configuration wins. */
export function merge(lhs: unknown, rhs: unknown, type: TypeRef): unknown {
  return mergeAt(lhs, rhs, type, []);
}

function mergeAt(l: unknown, r: unknown, type: TypeRef, path: PathElement[]): unknown {
  if (r === undefined) return l;
  if (l === undefined) return r;
  const t = deduce(type, r);
  if (t.kind === 'scalar' || t.kind === 'untyped') return r;
  if (t.kind === 'list') {
    if (isAtomic(t) || (emptyish(l) && emptyish(r)) || !Array.isArray(l ?? []) || (r !== null && !Array.isArray(r))) return r;
    return mergeList(t, Array.isArray(l) ? l : [], Array.isArray(r) ? r : [], path);
  }
  if (isAtomic(t) || (emptyish(l) && emptyish(r)) || (l !== null && !isObj(l)) || (r !== null && !isObj(r))) return r;
  const lo = isObj(l) ? l : {};
  const ro = isObj(r) ? r : {};
  const out: Obj = {};
  for (const key of Object.keys(lo)) {
    if (lo[key] === undefined) continue;
    path.push(fieldPE(key));
    out[key] = mergeAt(lo[key], ro[key], fieldType(t, key), path);
    path.pop();
  }
  for (const key of Object.keys(ro)) {
    if (ro[key] === undefined || lo[key] !== undefined) continue;
    out[key] = ro[key];
  }
  return out;
}

/**
 * Merges two granular lists. Items only in the live list keep their place; items in the configuration
 * follow the configuration's order, with live-only items kept next to the shared ones they followed.
 */
function mergeList(t: ListType, l: unknown[], r: unknown[], path: PathElement[]): unknown[] {
  const rPEs = r.map((item) => listItemPE(t, item, path));
  const rKeys = rPEs.map((pe) => JSON.stringify(pe));
  const rByKey = new Map<string, unknown>();
  rKeys.forEach((k, i) => {
    if (rByKey.has(k)) throw new TypedError([{ path: pathString(path), message: `duplicate entries for key ${pathString([rPEs[i]])}` }]);
    rByKey.set(k, r[i]);
  });
  const lPEs = l.map((item) => listItemPE(t, item, path));
  const lKeys = lPEs.map((pe) => JSON.stringify(pe));
  const lByKey = new Map<string, unknown>();
  lKeys.forEach((k, i) => lByKey.set(k, lByKey.has(k) ? null : l[i]));
  const shared = rKeys.filter((k) => lByKey.has(k));
  let sharedAt = 0;
  const out: unknown[] = [];
  const mergedR = new Set<string>();
  const mergeItem = (k: string, pe: PathElement, lItem: unknown, rItem: unknown) => {
    path.push(pe);
    const v = mergeAt(lItem, rItem, t.elem, path);
    path.pop();
    if (v !== undefined) out.push(v);
    mergedR.add(k);
  };
  let li = 0;
  let ri = 0;
  while (li < l.length || ri < r.length) {
    if (li < l.length && ri < r.length) {
      if (lKeys[li] === rKeys[ri]) {
        mergeItem(rKeys[ri], rPEs[ri], lByKey.get(lKeys[li]), rByKey.get(rKeys[ri]));
        li++;
        ri++;
        sharedAt++;
        continue;
      }
      // A live item that the configuration moves: skip it here, it comes with the configuration's order.
      if (rByKey.has(lKeys[li]) && sharedAt < shared.length && shared[sharedAt] !== lKeys[li]) {
        li++;
        continue;
      }
    }
    if (li < l.length) {
      if (!rByKey.has(lKeys[li])) {
        path.push(lPEs[li]);
        out.push(l[li]);
        path.pop();
        li++;
        continue;
      }
      if (mergedR.has(lKeys[li])) li++;
    }
    if (ri < r.length) {
      const k = rKeys[ri];
      mergeItem(k, rPEs[ri], lByKey.get(k), rByKey.get(k));
      if (sharedAt < shared.length && shared[sharedAt] === k) sharedAt++;
      ri++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Removal

/** The object without the paths of `set` (upstream's RemoveItems); maps and lists left empty go away. */
export function removeItems(value: unknown, set: FieldSet, type: TypeRef): unknown {
  if (set.isEmpty()) return value;
  return removeAt(value, set, type, []);
}

function removeAt(v: unknown, set: FieldSet, type: TypeRef, path: PathElement[]): unknown {
  const t = deduce(type, v);
  if (t.kind === 'scalar' || t.kind === 'untyped') return v;
  if (t.kind === 'list') {
    if (!Array.isArray(v) || v.length === 0 || isAtomic(t)) return v;
    const out: unknown[] = [];
    for (const item of v) {
      const pe = listItemPE(t, item, path);
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      if (sub && !sub.isEmpty()) {
        path.push(pe);
        const kept = removeAt(item, sub, t.elem, path);
        path.pop();
        if (kept !== undefined) out.push(kept);
      } else {
        out.push(item);
      }
    }
    return out.length > 0 ? out : undefined;
  }
  if (!isObj(v) || Object.keys(v).length === 0 || isAtomic(t)) return v;
  const out: Obj = {};
  for (const key of Object.keys(v)) {
    if (v[key] === undefined) continue;
    const pe = fieldPE(key);
    if (set.hasMember(pe)) continue;
    const sub = set.withPrefix(pe);
    if (sub && !sub.isEmpty()) {
      path.push(pe);
      const kept = removeAt(v[key], sub, fieldType(t, key), path);
      path.pop();
      // A map or list emptied by the removal is dropped, as its null would be on decoding.
      if (kept !== undefined) out[key] = kept;
    } else {
      out[key] = v[key];
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The set with every struct field on its paths made a member too (upstream's EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: FieldSet, type: TypeRef): FieldSet {
  const out = new FieldSet();
  for (const n of set.entries()) {
    let childType: TypeRef = UNTYPED;
    let named = false;
    if (n.pe.kind === 'field' && (type.kind === 'struct' || type.kind === 'map')) {
      childType = fieldType(type, n.pe.name);
      named = type.kind === 'struct' && type.field(n.pe.name) !== undefined;
    } else if (n.pe.kind === 'key' && type.kind === 'list') {
      childType = type.elem;
    }
    if (n.member || (named && n.children)) out.addMember(n.pe);
    if (n.children) out.setChildren(n.pe, ensureNamedFieldsAreMembers(n.children, childType));
  }
  return out;
}

/** Fields of the configuration its schema does not declare: upstream's typed conversion errors. */
export function checkConfig(value: unknown, type: TypeRef): void {
  const errors: { path: string; message: string }[] = [];
  checkAt(value, type, [], errors);
  if (errors.length > 0) throw new TypedError(errors);
}

function checkAt(v: unknown, type: TypeRef, path: PathElement[], errors: { path: string; message: string }[]): void {
  if (v === null || v === undefined) return;
  const t = deduce(type, v);
  if (t.kind === 'struct') {
    if (!isObj(v)) return;
    for (const key of Object.keys(v)) {
      path.push(fieldPE(key));
      const ft = t.field(key);
      if (!ft) errors.push({ path: pathString(path), message: 'field not declared in schema' });
      else checkAt(v[key], ft, path, errors);
      path.pop();
    }
  } else if (t.kind === 'map') {
    if (!isObj(v)) return;
    for (const key of Object.keys(v)) {
      path.push(fieldPE(key));
      checkAt(v[key], t.elem, path, errors);
      path.pop();
    }
  } else if (t.kind === 'list' && Array.isArray(v)) {
    if (isAtomic(t)) {
      v.forEach((item, i) => {
        path.push({ kind: 'index', index: i });
        checkAt(item, t.elem, path, errors);
        path.pop();
      });
      return;
    }
    for (const item of v) {
      const pe = listItemPE(t, item, path);
      path.push(pe);
      checkAt(item, t.elem, path, errors);
      path.pop();
    }
  }
}

/**
 * Removes null struct fields, as decoding into the Go type does (a null pointer, slice or map field is
 * simply unset). Nulls inside free-form values stay.
 */
export function dropNullFields(value: unknown, type: TypeRef): void {
  const t = deduce(type, value);
  if (t.kind === 'struct' && isObj(value)) {
    for (const key of Object.keys(value)) {
      const ft = t.field(key);
      if (value[key] === null && ft !== undefined) delete value[key];
      else if (ft) dropNullFields(value[key], ft);
    }
  } else if (t.kind === 'map' && t.elem.kind !== 'untyped' && isObj(value)) {
    for (const key of Object.keys(value)) dropNullFields(value[key], t.elem);
  } else if (t.kind === 'list' && t.elem.kind !== 'untyped' && Array.isArray(value)) {
    for (const item of value) dropNullFields(item, t.elem);
  }
}
