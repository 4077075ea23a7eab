/**
 * Strategic merge patch, applied server side as kube-apiserver does (apimachinery
 * pkg/util/strategicpatch: StrategicMergeMapPatch with parallel lists merged and unmatched nulls
 * ignored). Written for this project from upstream's documented behaviour and its test cases.
 *
 * - Maps merge key by key; `null` deletes a key.
 * - Lists follow the field's patch strategy: `merge` lists of objects merge by the merge key, `merge`
 *   lists of scalars are a union; lists without a strategy are replaced.
 * - Directives: `$patch: replace | delete` in a map, `$patch: replace | delete` elements in a merging list,
 *   `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`.
 *
 * The field metadata comes from a PatchMetaLookup (for built-in kinds: src/registry/generated/patch-meta.json).
 */
import { cloneJSON, deleteKey, getKey, goTypeName, goValue, hasKey, isJSONObject, setKey } from './json-keys.js';
import type { JSONObject } from './json-keys.js';

const DIRECTIVE_MARKER = '$patch';
const DELETE_DIRECTIVE = 'delete';
const REPLACE_DIRECTIVE = 'replace';
const MERGE_DIRECTIVE = 'merge';
const RETAIN_KEYS_STRATEGY = 'retainKeys';
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

/** How kube-apiserver answers a failure (handlers/patch.go interpretStrategicMergePatchError). */
export type SMPErrorKind = 'BadRequest' | 'Invalid' | 'Internal';

export class StrategicMergePatchError extends Error {
  override name = 'StrategicMergePatchError';
  constructor(
    message: string,
    readonly kind: SMPErrorKind,
  ) {
    super(message);
  }
}

// apimachinery pkg/util/mergepatch errors.
const errBadPatchFormatForPrimitiveList = () => new StrategicMergePatchError('invalid patch format of primitive list', 'BadRequest');
const errBadPatchFormatForRetainKeys = () => new StrategicMergePatchError('invalid patch format of retainKeys', 'BadRequest');
const errBadPatchFormatForSetElementOrderList = () => new StrategicMergePatchError('invalid patch format of setElementOrder list', 'BadRequest');
const errNoListOfLists = () => new StrategicMergePatchError('lists of lists are not supported', 'Invalid');
const internal = (message: string) => new StrategicMergePatchError(message, 'Internal');
const errBadArgType = (expected: string, actual: unknown) => internal(`expected a ${expected}, but received a ${goTypeName(actual)}`);
const errNoMergeKey = (m: JSONObject, key: string) => internal(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: unknown, m: JSONObject) =>
  internal(`unknown patch type: ${typeof t === 'string' ? t : `%!s(${goTypeName(t)}=${goValue(t)})`} in map: ${goValue(m)}`);

const MAP_TYPE = 'map[string]interface {}';
const SLICE_TYPE = '[]interface {}';

/** A field's patch strategies (e.g. ["merge", "retainKeys"]) and merge key. */
export interface FieldPatchMeta {
  strategies: string[];
  mergeKey: string;
}

/** The schema walk upstream's LookupPatchMeta does: metadata and sub-schema of a field. */
export interface PatchMetaLookup {
  lookupStruct(key: string): [PatchMetaLookup, FieldPatchMeta];
  lookupSlice(key: string): [PatchMetaLookup, FieldPatchMeta];
  name(): string;
}

// ---- schema from derived OpenAPI data ----

export interface PatchMetaShape {
  ref?: string;
  list?: PatchMetaShape;
  map?: PatchMetaShape;
  type?: string;
}

export interface PatchMetaField extends PatchMetaShape {
  strategy?: string;
  mergeKey?: string;
}

export type PatchMetaDefinitions = Record<string, Record<string, PatchMetaField>>;

const NO_META: FieldPatchMeta = { strategies: [], mergeKey: '' };

/**
 * A PatchMetaLookup over the derived definitions. Fields the schema does not know get no strategy
 * (maps merge, lists are replaced), where upstream's typed decoding would have dropped them.
 */
export class SchemaPatchMeta implements PatchMetaLookup {
  constructor(
    private readonly defs: PatchMetaDefinitions,
    private readonly shape: PatchMetaShape,
  ) {}

  static forDefinition(defs: PatchMetaDefinitions, name: string): SchemaPatchMeta {
    return new SchemaPatchMeta(defs, { ref: name });
  }

  private field(key: string): [PatchMetaShape, FieldPatchMeta] {
    if (this.shape.map) return [this.shape.map, NO_META];
    if (this.shape.ref) {
      const def = this.defs[this.shape.ref];
      const f = def && Object.prototype.hasOwnProperty.call(def, key) ? def[key] : undefined;
      if (f) {
        const strategies = f.strategy ? f.strategy.split(',') : [];
        return [f, { strategies, mergeKey: f.mergeKey ?? '' }];
      }
    }
    return [{}, NO_META];
  }

  lookupStruct(key: string): [PatchMetaLookup, FieldPatchMeta] {
    const [shape, meta] = this.field(key);
    return [new SchemaPatchMeta(this.defs, shape), meta];
  }

  lookupSlice(key: string): [PatchMetaLookup, FieldPatchMeta] {
    const [shape, meta] = this.field(key);
    return [new SchemaPatchMeta(this.defs, shape.list ?? {}), meta];
  }

  name(): string {
    if (this.shape.ref) return 'struct';
    if (this.shape.map) return 'map';
    if (this.shape.list) return 'slice';
    return this.shape.type ?? 'interface';
  }
}

// ---- the merge ----

interface MergeOptions {
  mergeParallelList: boolean;
  ignoreUnmatchedNulls: boolean;
}

const SERVER_SIDE: MergeOptions = { mergeParallelList: true, ignoreUnmatchedNulls: true };

/**
 * Applies a decoded strategic merge patch to `original` (neither is modified). `patch` null is an empty
 * patch, as upstream decodes it. Throws StrategicMergePatchError.
 */
export function strategicMergePatch(original: JSONObject, patch: JSONObject | null, schema: PatchMetaLookup): JSONObject {
  const o = cloneJSON(original);
  if (patch === null) return o;
  return mergeMap(o, cloneJSON(patch), schema, SERVER_SIDE);
}

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'object') return 'map';
  return typeof v;
}

function extractRetainKeysPatchStrategy(strategies: string[]): string {
  switch (strategies.length) {
    case 0:
      return '';
    case 1:
      return strategies[0] === RETAIN_KEYS_STRATEGY ? '' : strategies[0];
    case 2:
      if (strategies[0] === RETAIN_KEYS_STRATEGY) return strategies[1];
      if (strategies[1] === RETAIN_KEYS_STRATEGY) return strategies[0];
      throw internal(`unexpected patch strategy: [${strategies.join(' ')}]`);
    default:
      throw internal(`unexpected patch strategy: [${strategies.join(' ')}]`);
  }
}

function handleDirectiveInMergeMap(directive: unknown, patch: JSONObject): JSONObject {
  if (directive === REPLACE_DIRECTIVE) {
    deleteKey(patch, DIRECTIVE_MARKER);
    return patch;
  }
  if (directive === DELETE_DIRECTIVE) return {};
  throw errBadPatchType(directive, patch);
}

function containsDirectiveMarker(item: unknown): boolean {
  return isJSONObject(item) && hasKey(item, DIRECTIVE_MARKER);
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey === '') return left === right;
  if (!isJSONObject(left)) throw errBadArgType(MAP_TYPE, left);
  if (!isJSONObject(right)) throw errBadArgType(MAP_TYPE, right);
  if (!hasKey(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!hasKey(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX) throw errBadPatchFormatForPrimitiveList();
    if (prefix === SET_ELEMENT_ORDER_PREFIX) throw errBadPatchFormatForSetElementOrderList();
    throw internal(`fail to find unknown prefix "${prefix}" in ${s}\n`);
  }
  return s.slice(slash + 1);
}

function extractToDeleteItems(l: unknown[]): [unknown[], unknown[]] {
  const nonDelete: unknown[] = [];
  const toDelete: unknown[] = [];
  for (const v of l) {
    if (!isJSONObject(v)) throw errBadArgType(MAP_TYPE, v);
    if (hasKey(v, DIRECTIVE_MARKER) && v[DIRECTIVE_MARKER] === DELETE_DIRECTIVE) toDelete.push(v);
    else nonDelete.push(v);
  }
  return [nonDelete, toDelete];
}

function validatePatchWithSetOrderList(patchList: unknown, setOrderList: unknown, mergeKey: string): void {
  if (!Array.isArray(setOrderList)) throw errBadPatchFormatForSetElementOrderList();
  // An absent patch list is a nil slice upstream: nothing to check.
  if (patchList === undefined) return;
  if (!Array.isArray(patchList)) throw errBadPatchFormatForSetElementOrderList();
  if (setOrderList.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey !== '' ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < setOrderList.length) {
    if (containsDirectiveMarker(nonDelete[p])) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[p], setOrderList[s], mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= setOrderList.length) {
    throw internal(`The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goValue(setOrderList)}\n`);
  }
}

function applyRetainKeysDirective(original: JSONObject, patch: JSONObject, options: MergeOptions): void {
  if (!hasKey(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retainKeys = patch[RETAIN_KEYS_DIRECTIVE];
  deleteKey(patch, RETAIN_KEYS_DIRECTIVE);
  if (!options.mergeParallelList) {
    if (!hasKey(original, RETAIN_KEYS_DIRECTIVE)) setKey(original, RETAIN_KEYS_DIRECTIVE, retainKeys);
    return;
  }
  if (!Array.isArray(retainKeys)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set<unknown>(retainKeys);
  for (const k of Object.keys(patch)) {
    if (patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || k.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** Processes `$setElementOrder/<list>` directives together with their lists. */
function mergePatchIntoOriginal(original: JSONObject, patch: JSONObject, schema: PatchMetaLookup, options: MergeOptions): void {
  for (const key of Object.keys(patch)) {
    if (!hasKey(patch, key) || !key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const setElementOrder = patch[key];
    if (!options.mergeParallelList && !hasKey(original, key)) setKey(original, key, setElementOrder);
    deleteKey(patch, key);

    if (!Array.isArray(setElementOrder)) throw errBadArgType(SLICE_TYPE, setElementOrder);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER_PREFIX);
    const foundOriginal = hasKey(original, originalKey);
    const foundPatch = hasKey(patch, originalKey);
    const originalList = original[originalKey];
    const patchList = patch[originalKey];
    let originalValue: unknown[] = [];
    let patchValue: unknown[] | undefined;
    if (foundOriginal) {
      if (!Array.isArray(originalList)) throw errBadArgType(SLICE_TYPE, originalList);
      originalValue = originalList;
    }
    if (foundPatch) {
      if (!Array.isArray(patchList)) throw errBadArgType(SLICE_TYPE, patchList);
      patchValue = patchList;
    }
    const [subschema, meta] = schema.lookupSlice(originalKey);
    const strategy = extractRetainKeysPatchStrategy(meta.strategies);
    validatePatchWithSetOrderList(patchValue, setElementOrder, meta.mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) {
      merged = originalValue;
    } else if (!foundOriginal && foundPatch) {
      merged = removeDirectives(patchValue) as unknown[];
    } else if (foundOriginal && foundPatch) {
      merged = mergeSliceHandler(originalList, patchList, subschema, strategy, meta.mergeKey, false, options);
    } else {
      continue;
    }

    const [patchItems, serverOnly] =
      meta.mergeKey === '' ? partitionPrimitives(merged, setElementOrder) : partitionMaps(merged, setElementOrder, meta.mergeKey);
    const kind = sliceElementType(originalValue, patchValue ?? []);
    setKey(original, originalKey, normalizeElementOrder(patchItems, serverOnly, setElementOrder, originalValue, meta.mergeKey, kind));
    deleteKey(patch, originalKey);
  }
}

function partitionPrimitives(original: unknown[], partitionBy: unknown[]): [unknown[], unknown[]] {
  const inPatch = new Set(partitionBy);
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) (inPatch.has(v) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMaps(original: unknown[], partitionBy: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of original) {
    if (!isJSONObject(v)) throw errBadArgType(MAP_TYPE, v);
    if (!hasKey(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    const found = findMapInSlice(partitionBy, mergeKey, v[mergeKey]);
    (found ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

/** Drops directive maps; returns undefined when `obj` itself is one (and is not kept). */
function removeDirectives(obj: unknown): unknown {
  if (isJSONObject(obj)) {
    if (hasKey(obj, DIRECTIVE_MARKER)) return undefined;
    for (const k of Object.keys(obj)) {
      const v = removeDirectives(obj[k]);
      if (v === undefined) delete obj[k];
      else setKey(obj, k, v);
    }
    return obj;
  }
  if (Array.isArray(obj)) {
    const res: unknown[] = [];
    for (const v of obj) {
      const nv = removeDirectives(v);
      if (nv !== undefined) res.push(nv);
    }
    return res;
  }
  return obj;
}

function discardNullValuesFromPatch(v: unknown): void {
  if (isJSONObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNullValuesFromPatch(v[k]);
    }
  } else if (Array.isArray(v)) {
    for (const e of v) discardNullValuesFromPatch(e);
  }
}

function mergeMap(original: JSONObject, patch: JSONObject, schema: PatchMetaLookup, options: MergeOptions): JSONObject {
  if (hasKey(patch, DIRECTIVE_MARKER)) return handleDirectiveInMergeMap(patch[DIRECTIVE_MARKER], patch);

  applyRetainKeysDirective(original, patch, options);
  mergePatchIntoOriginal(original, patch, schema, options);

  for (const key of Object.keys(patch)) {
    if (!hasKey(patch, key)) continue;
    const patchV = patch[key];
    let k = key;
    let isDeleteList = false;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      if (!options.mergeParallelList) {
        setKey(original, key, patchV);
        continue;
      }
      k = extractKey(key, DELETE_FROM_PRIMITIVE_LIST_PREFIX);
      isDeleteList = true;
    }

    if (patchV === null) {
      deleteKey(original, k);
      if (options.ignoreUnmatchedNulls) continue;
    }

    const replaceWithPatch = () => {
      if (isDeleteList) return;
      if (options.ignoreUnmatchedNulls) discardNullValuesFromPatch(patchV);
      const v = removeDirectives(patchV);
      if (v === undefined) deleteKey(original, k);
      else setKey(original, k, v);
    };

    if (!hasKey(original, k)) {
      replaceWithPatch();
      continue;
    }
    const originalV = original[k];
    const originalType = typeOf(originalV);
    if (originalType !== typeOf(patchV)) {
      replaceWithPatch();
      continue;
    }
    if (originalType === 'map') {
      const [subschema, meta] = schema.lookupStruct(k);
      const strategy = extractRetainKeysPatchStrategy(meta.strategies);
      setKey(original, k, mergeMapHandler(originalV, patchV, subschema, strategy, options));
    } else if (originalType === 'slice') {
      const [subschema, meta] = schema.lookupSlice(k);
      const strategy = extractRetainKeysPatchStrategy(meta.strategies);
      setKey(original, k, mergeSliceHandler(originalV, patchV, subschema, strategy, meta.mergeKey, isDeleteList, options));
    } else {
      const v = removeDirectives(patchV);
      if (v === undefined) deleteKey(original, k);
      else setKey(original, k, v);
    }
  }
  return original;
}

function mergeMapHandler(original: unknown, patch: unknown, schema: PatchMetaLookup, strategy: string, options: MergeOptions): JSONObject {
  if (!isJSONObject(original)) throw errBadArgType(MAP_TYPE, original);
  if (!isJSONObject(patch)) throw errBadArgType(MAP_TYPE, patch);
  if (strategy !== REPLACE_DIRECTIVE) return mergeMap(original, patch, schema, options);
  return patch;
}

function mergeSliceHandler(
  original: unknown,
  patch: unknown,
  schema: PatchMetaLookup,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
  options: MergeOptions,
): unknown[] {
  if (!Array.isArray(original)) throw errBadArgType(SLICE_TYPE, original);
  if (!Array.isArray(patch)) throw errBadArgType(SLICE_TYPE, patch);
  if (strategy === MERGE_DIRECTIVE || isDeleteList) return mergeSlice(original, patch, schema, mergeKey, options, isDeleteList);
  return patch;
}

/** 'map' for lists of objects, otherwise the scalar type; upstream rejects lists of lists. */
function sliceElementType(...slices: unknown[][]): string {
  let prev: string | undefined;
  for (const s of slices) {
    for (const v of s) {
      const t = v === null ? 'nil' : Array.isArray(v) ? 'slice' : typeof v === 'object' ? 'map' : typeof v;
      if (prev === undefined) {
        prev = t;
        if (prev === 'slice') throw errNoListOfLists();
      } else if (prev !== t) {
        throw internal(`list element types are not identical: ${goValue(slices)}`);
      }
    }
  }
  if (prev === undefined) throw internal('no elements in any of the given slices');
  return prev;
}

/**
 * A Go slice over a shared backing array. Upstream deletes from and appends to the live list in place, and
 * `$setElementOrder` then orders by that same (changed) backing array; keeping the aliasing keeps its order.
 * The live list is taken to have no spare capacity, as the server's typed-to-map conversion makes it.
 */
interface GoSlice {
  arr: unknown[];
  len: number;
}

function sliceItems(s: GoSlice): unknown[] {
  return s.arr.slice(0, s.len);
}

function goAppend(s: GoSlice, v: unknown): GoSlice {
  if (s.len < s.arr.length) {
    s.arr[s.len] = v;
    return { arr: s.arr, len: s.len + 1 };
  }
  const arr = s.arr.slice(0, s.len);
  arr.push(v);
  return { arr, len: s.len + 1 };
}

function mergeSlice(
  originalList: unknown[],
  patch: unknown[],
  schema: PatchMetaLookup,
  mergeKey: string,
  options: MergeOptions,
  isDeleteList: boolean,
): unknown[] {
  if (originalList.length === 0 && patch.length === 0) return originalList;
  const kind = sliceElementType(originalList, patch);
  let merged: unknown[];
  let original: GoSlice = { arr: originalList, len: originalList.length };
  if (kind !== 'map') {
    if (options.mergeParallelList && isDeleteList) return deleteFromSlice(originalList, patch);
    merged = deduplicateScalars([...originalList, ...patch]);
  } else {
    if (mergeKey === '') throw internal(`cannot merge lists without merge key for ${schema.name()}`);
    [original, patch] = mergeSliceWithSpecialElements(original, patch, mergeKey);
    merged = sliceItems(mergeSliceWithoutSpecialElements({ ...original }, patch, mergeKey, schema, options));
  }
  const [patchItems, serverOnly] = mergeKey === '' ? partitionPrimitives(merged, patch) : partitionMaps(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patch, sliceItems(original), mergeKey, kind);
}

function mergeSliceWithSpecialElements(original: GoSlice, patch: unknown[], mergeKey: string): [GoSlice, unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const m = v as JSONObject;
    if (!hasKey(m, DIRECTIVE_MARKER)) {
      plain.push(v);
      continue;
    }
    const directive = m[DIRECTIVE_MARKER];
    if (directive === DELETE_DIRECTIVE) {
      if (!hasKey(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      original = deleteMatchingEntries(original, mergeKey, m[mergeKey]);
    } else if (directive === REPLACE_DIRECTIVE) {
      replace = true;
    } else if (directive === MERGE_DIRECTIVE) {
      throw internal('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, m);
    }
  }
  if (replace) return [{ arr: plain, len: plain.length }, []];
  return [original, plain];
}

/** Removes every element with the merge key value, shifting later ones down in the backing array. */
function deleteMatchingEntries(original: GoSlice, mergeKey: string, value: unknown): GoSlice {
  let len = original.len;
  for (;;) {
    const i = findMapIndex(original.arr.slice(0, len), mergeKey, value);
    if (i < 0) return { arr: original.arr, len };
    for (let j = i; j < len - 1; j++) original.arr[j] = original.arr[j + 1];
    len--;
  }
}

function mergeSliceWithoutSpecialElements(
  original: GoSlice,
  patch: unknown[],
  mergeKey: string,
  schema: PatchMetaLookup,
  options: MergeOptions,
): GoSlice {
  for (const v of patch) {
    const m = v as JSONObject;
    if (!hasKey(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    const i = findMapIndex(sliceItems(original), mergeKey, m[mergeKey]);
    if (i >= 0) original.arr[i] = mergeMap(original.arr[i] as JSONObject, m, schema, options);
    else original = goAppend(original, v);
  }
  return original;
}

function deleteFromSlice(current: unknown[], toDelete: unknown[]): unknown[] {
  const del = new Set(toDelete);
  return current.filter((v) => !del.has(v));
}

function findMapIndex(list: unknown[], key: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isJSONObject(v)) throw internal(`value for key ${i} is not a map`);
    if (hasKey(v, key) && v[key] === value) return i;
  }
  return -1;
}

function findMapInSlice(list: unknown[], key: string, value: unknown): boolean {
  return findMapIndex(list, key, value) >= 0;
}

/** Upstream's in-place deduplication (keeps its order quirks: a duplicate is replaced by the last item). */
function deduplicateScalars(s: unknown[]): unknown[] {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (s[i] === s[j]) {
        s[j] = s[length];
        s = s.slice(0, length);
        length--;
        j--;
      }
    }
  }
  return s;
}

function indexIn(list: unknown[], item: unknown, mergeKey: string, kind: string): number {
  const val = (x: unknown) => (kind === 'map' ? (isJSONObject(x) ? getKey(x, mergeKey) : undefined) : x);
  const want = val(item);
  for (let i = 0; i < list.length; i++) if (val(list[i]) === want) return i;
  return -1;
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: string): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    for (const l of [toSort, order]) {
      for (const item of l) {
        if (!isJSONObject(item)) throw errBadArgType(MAP_TYPE, item);
        if (!hasKey(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      }
    }
    [toSort, toDelete] = extractToDeleteItems(toSort);
  }
  // Items found in `order` keep its relative order; the sort is stable.
  const keyed = toSort.map((item, pos) => ({ item, pos, at: indexIn(order, item, mergeKey, kind) }));
  keyed.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : a.pos - b.pos));
  return [...keyed.map((k) => k.item), ...toDelete];
}

function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: string,
): unknown[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

/** Interleaves server-only items (left) into the patch items (right) by their order in the live list. */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
