/**
 * JSON Patch (RFC 6902) as kube-apiserver applies it (it uses evanphx/json-patch v4): add, remove,
 * replace, move, copy and test, with that library's leniencies kept where clients may rely on them:
 * `replace` of a missing object key adds it, negative array indices count from the end for add/remove,
 * and a `test` of a missing or null location against `null` passes.
 *
 * Written for this project; keys are handled as own data properties (see json-keys.ts), so a patch
 * cannot reach an object's prototype.
 */
import { cloneJSON, deleteKey, getKey, hasKey, isJSONObject, setKey } from './json-keys.js';
import type { JSONObject } from './json-keys.js';
import { jsonEqual } from './json-equal.js';

/** kube-apiserver's limit on the operations of one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** The patch document is not a list of operations (upstream answers 400 with this text). */
export class JSONPatchDecodeError extends Error {
  override name = 'JSONPatchDecodeError';
}

/** An operation could not be applied (upstream answers 422). */
export class JSONPatchApplyError extends Error {
  override name = 'JSONPatchApplyError';
}

export interface JSONPatchOperation {
  op?: unknown;
  path?: unknown;
  from?: unknown;
  value?: unknown;
  [key: string]: unknown;
}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';
const TEST_FAILED = 'test failed';

function wrap(message: string, cause: string): JSONPatchApplyError {
  return new JSONPatchApplyError(`${message}: ${cause}`);
}

/**
 * Checks that a decoded body is a JSON patch: a list (or null, an empty patch) of objects. Returns the
 * operations; throws JSONPatchDecodeError with Go's decoding message otherwise.
 */
export function decodeJSONPatch(value: unknown): (JSONPatchOperation | null)[] {
  if (value === null) return [];
  if (!Array.isArray(value)) {
    throw new JSONPatchDecodeError(`json: cannot unmarshal ${goKind(value)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of value) {
    if (op !== null && !isJSONObject(op)) {
      throw new JSONPatchDecodeError(`json: cannot unmarshal ${goKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  return value as (JSONPatchOperation | null)[];
}

function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

function decodeKey(part: string): string {
  return part.replace(/~1|~0/g, (m) => (m === '~1' ? '/' : '~'));
}

type Container = JSONObject | unknown[];

/** The container that holds the last segment of `path`, and that segment; undefined when absent. */
function findObject(doc: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = doc;
  for (const part of split.slice(1, -1)) {
    const next = getChild(cur, decodeKey(part));
    if (next.error !== undefined || next.value === undefined || next.value === null) return undefined;
    if (typeof next.value !== 'object') return undefined;
    cur = next.value as Container;
  }
  return { con: cur, key: decodeKey(split[split.length - 1]) };
}

function parseIndex(key: string): number | undefined {
  // Go's strconv.Atoi: optional sign, decimal digits.
  if (!/^[+-]?\d+$/.test(key)) return undefined;
  const n = Number(key);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `value` undefined means the key is absent (a missing object key is not an error for get). */
function getChild(con: Container, key: string): { value?: unknown; error?: string } {
  if (!Array.isArray(con)) return { value: getKey(con, key) };
  const idx = parseIndex(key);
  if (idx === undefined) return { error: `strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax` };
  if (idx >= con.length || idx < 0) return { error: `Unable to access invalid index: ${idx}: ${INVALID_INDEX}` };
  return { value: con[idx] };
}

function addChild(con: Container, key: string, value: unknown): string | undefined {
  if (!Array.isArray(con)) {
    setKey(con, key, value);
    return undefined;
  }
  if (key === '-') {
    con.push(value);
    return undefined;
  }
  let idx = parseIndex(key);
  if (idx === undefined) return `value was not a proper array index: '${key}': strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`;
  const size = con.length + 1;
  if (idx >= size || idx < -size) return `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;
  if (idx < 0) idx += size;
  con.splice(idx, 0, value);
  return undefined;
}

function removeChild(con: Container, key: string): string | undefined {
  if (!Array.isArray(con)) {
    if (!hasKey(con, key)) return `Unable to remove nonexistent key: ${key}: ${MISSING}`;
    deleteKey(con, key);
    return undefined;
  }
  let idx = parseIndex(key);
  if (idx === undefined) return `strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`;
  if (idx >= con.length || idx < -con.length) return `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;
  if (idx < 0) idx += con.length;
  con.splice(idx, 1);
  return undefined;
}

function stringField(op: JSONPatchOperation, name: 'path' | 'from'): string | undefined {
  const v = getKey(op, name);
  return typeof v === 'string' ? v : undefined;
}

function kindOf(op: JSONPatchOperation | null): string {
  const v = op === null ? undefined : getKey(op, 'op');
  return typeof v === 'string' ? v : 'unknown';
}

/**
 * Applies `ops` to a copy of `doc` and returns the result. Throws JSONPatchApplyError at the first
 * operation that fails (the document is then left as it was).
 */
export function applyJSONPatch(doc: unknown, ops: (JSONPatchOperation | null)[]): unknown {
  if (typeof doc !== 'object' || doc === null) throw new JSONPatchApplyError('Invalid JSON Document');
  const root = cloneJSON(doc) as Container;
  for (const op of ops) {
    const kind = kindOf(op);
    switch (kind) {
      case 'add':
      case 'remove':
      case 'replace':
      case 'test':
        applyPathOp(root, kind, op!);
        break;
      case 'move':
      case 'copy':
        applyFromOp(root, kind, op!);
        break;
      default:
        throw new JSONPatchApplyError(`Unexpected kind: ${kind}`);
    }
  }
  return root;
}

function applyPathOp(root: Container, kind: 'add' | 'remove' | 'replace' | 'test', op: JSONPatchOperation): void {
  const path = stringField(op, 'path');
  if (path === undefined) throw wrap(`${kind} operation failed to decode path`, MISSING);
  const found = findObject(root, path);
  if (!found) {
    if (kind === 'test') throw wrap(`test operation does not apply: is missing path: ${path}`, MISSING);
    const quoted = kind === 'replace' ? path : `"${path}"`;
    throw wrap(`${kind} operation does not apply: doc is missing path: ${quoted}`, MISSING);
  }
  const { con, key } = found;
  const value = hasKey(op, 'value') ? cloneJSON(op.value) : undefined;
  switch (kind) {
    case 'add': {
      const err = addChild(con, key, value === undefined ? null : value);
      if (err) throw new JSONPatchApplyError(`error in add for path: '${path}': ${err}`);
      return;
    }
    case 'remove': {
      const err = removeChild(con, key);
      if (err) throw new JSONPatchApplyError(`error in remove for path: '${path}': ${err}`);
      return;
    }
    case 'replace': {
      const cur = getChild(con, key);
      if (cur.error !== undefined) throw wrap(`replace operation does not apply: doc is missing key: ${path}`, MISSING);
      if (Array.isArray(con)) con[parseIndex(key)!] = value === undefined ? null : value;
      else setKey(con, key, value === undefined ? null : value);
      return;
    }
    case 'test': {
      const cur = getChild(con, key);
      if (cur.error !== undefined) throw new JSONPatchApplyError(`error in test for path: '${path}': ${cur.error}`);
      const actual = cur.value;
      if (actual === undefined || actual === null) {
        if (hasKey(op, 'value') && op.value === null) return;
        throw wrap(`testing value ${path} failed`, TEST_FAILED);
      }
      if (!hasKey(op, 'value') || !jsonEqual(actual, op.value)) throw wrap(`testing value ${path} failed`, TEST_FAILED);
      return;
    }
  }
}

function applyFromOp(root: Container, kind: 'move' | 'copy', op: JSONPatchOperation): void {
  const from = stringField(op, 'from');
  if (from === undefined) throw wrap(`${kind} operation failed to decode from`, `operation, missing from field: ${MISSING}`);
  const source = findObject(root, from);
  if (!source) throw wrap(`${kind} operation does not apply: doc is missing from path: ${from}`, MISSING);
  const got = getChild(source.con, source.key);
  if (got.error !== undefined) throw new JSONPatchApplyError(`error in ${kind} for path: '${source.key}': ${got.error}`);
  let value = got.value === undefined ? null : got.value;
  if (kind === 'move') {
    const err = removeChild(source.con, source.key);
    if (err) throw new JSONPatchApplyError(`error in move for path: '${source.key}': ${err}`);
  } else {
    value = cloneJSON(value);
  }
  const path = stringField(op, 'path');
  if (path === undefined) throw wrap(`${kind} operation failed to decode path`, MISSING);
  const dest = findObject(root, path);
  if (!dest) throw wrap(`${kind} operation does not apply: doc is missing destination path: ${path}`, MISSING);
  const err = addChild(dest.con, dest.key, value);
  if (err) throw new JSONPatchApplyError(kind === 'move' ? `error in move for path: '${path}': ${err}` : `error while adding value during copy: ${err}`);
}
