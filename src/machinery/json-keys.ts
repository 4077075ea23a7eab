/**
 * Own-property access on decoded JSON objects. Patch code copies keys chosen by the client, so a key such
 * as `__proto__` or `constructor` must be an ordinary data key, never the prototype or an inherited member.
 */

export type JSONObject = Record<string, unknown>;

export function isJSONObject(v: unknown): v is JSONObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasKey(o: JSONObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

export function getKey(o: JSONObject, key: string): unknown {
  return hasKey(o, key) ? o[key] : undefined;
}

export function setKey(o: JSONObject, key: string, value: unknown): void {
  if (key === '__proto__' || !hasKey(o, key)) {
    Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    o[key] = value;
  }
}

export function deleteKey(o: JSONObject, key: string): void {
  if (hasKey(o, key)) delete o[key];
}

/** A deep copy of a JSON value in which every key is an own data property. */
export function cloneJSON<T>(v: T): T {
  if (Array.isArray(v)) return v.map((e) => cloneJSON(e)) as T;
  if (isJSONObject(v)) {
    const out: JSONObject = {};
    for (const k of Object.keys(v)) setKey(out, k, cloneJSON(v[k]));
    return out as T;
  }
  return v;
}

/** The JSON kind of a value in the words Go's reflect gives the decoded type (for upstream's messages). */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    case 'boolean':
      return 'bool';
    default:
      return 'map[string]interface {}';
  }
}

/** Go's `%v` for a decoded JSON value: maps with sorted keys as `map[k:v]`, slices as `[a b]`. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isJSONObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}
