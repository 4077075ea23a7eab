/**
 * JSON merge patch (RFC 7386) as kube-apiserver applies it (evanphx/json-patch v4 MergePatch): objects
 * merge key by key, `null` deletes a key, anything else replaces. Nulls inside a value that replaces
 * (or is added) are pruned, also from lists, as that library does.
 */
import { cloneJSON, deleteKey, getKey, hasKey, isJSONObject, setKey } from './json-keys.js';
import type { JSONObject } from './json-keys.js';

/** The patch is not a JSON object (or list); upstream answers 400 with this message. */
export class MergePatchError extends Error {
  override name = 'MergePatchError';
}

export const INVALID_JSON_PATCH = 'Invalid JSON Patch';

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((e) => e !== null).map(pruneNulls);
  if (isJSONObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else setKey(v, k, pruneNulls(v[k]));
    }
  }
  return v;
}

function mergeValue(cur: unknown, patch: unknown): unknown {
  if (!isJSONObject(cur)) return pruneNulls(patch);
  if (!isJSONObject(patch)) return patch;
  mergeObjects(cur, patch);
  return cur;
}

function mergeObjects(doc: JSONObject, patch: JSONObject): void {
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) {
      deleteKey(doc, k);
    } else if (!hasKey(doc, k)) {
      setKey(doc, k, pruneNulls(v));
    } else {
      setKey(doc, k, mergeValue(getKey(doc, k), v));
    }
  }
}

/**
 * Applies a decoded merge patch to `doc` (not modified) and returns the result. A patch that is a list
 * becomes the result (with nulls pruned), as upstream does; any other non-object patch is an error.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) return pruneNulls(cloneJSON(patch));
  if (!isJSONObject(patch)) throw new MergePatchError(INVALID_JSON_PATCH);
  const p = cloneJSON(patch);
  if (!isJSONObject(doc)) return pruneNulls(p);
  const out = cloneJSON(doc);
  mergeObjects(out, p);
  return out;
}
