/**
 * Path elements of server-side apply field sets (structured-merge-diff's fieldpath): how a field set
 * names one node of an object. A field of a struct or map (`f:name`), an item of an associative list by
 * its key fields (`k:{"name":"nginx"}`), an item of a set by its value (`v:"a"`), or a list item by
 * index (`i:0`). The order defined here is the order fieldsV1 lists its entries in.
 */
import { compareGoStrings, goJSON, goNumber } from '../go-format.js';

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  /** Key fields sorted by name, as upstream sorts them. */
  | { readonly kind: 'key'; readonly fields: ReadonlyArray<readonly [string, unknown]> }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'index'; readonly index: number };

export type Path = readonly PathElement[];

export function fieldPE(name: string): PathElement {
  return { kind: 'field', name };
}

const KIND_RANK = { field: 0, key: 1, value: 2, index: 3 } as const;

/** The order of two JSON values as upstream's value.Compare: numbers < strings < bools < lists < maps < null. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return compareGoStrings(a as string, b as string);
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
    }
    case 4: {
      // Maps compare by their sorted entries: key first, then value.
      const ea = sortedEntries(a as Record<string, unknown>);
      const eb = sortedEntries(b as Record<string, unknown>);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const k = compareGoStrings(ea[i][0], eb[i][0]);
        if (k !== 0) return k;
        const c = compareValues(ea[i][1], eb[i][1]);
        if (c !== 0) return c;
      }
      return ea.length === eb.length ? 0 : ea.length < eb.length ? -1 : 1;
    }
    default:
      return 0;
  }
}

function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null && typeof v === 'object') return 4;
  return 5;
}

function sortedEntries(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => compareGoStrings(a, b));
}

export function comparePE(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_RANK[a.kind] < KIND_RANK[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field':
      return compareGoStrings(a.name, (b as typeof a).name);
    case 'key': {
      const fa = a.fields;
      const fb = (b as typeof a).fields;
      for (let i = 0; i < Math.min(fa.length, fb.length); i++) {
        const n = compareGoStrings(fa[i][0], fb[i][0]);
        if (n !== 0) return n;
        const c = compareValues(fa[i][1], fb[i][1]);
        if (c !== 0) return c;
      }
      return fa.length === fb.length ? 0 : fa.length < fb.length ? -1 : 1;
    }
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index':
      return a.index === (b as typeof a).index ? 0 : a.index < (b as typeof a).index ? -1 : 1;
  }
}

/** Go's encoding/json for a value inside a path element: map keys sorted, HTML characters escaped. */
function valueJSON(v: unknown): string {
  return goJSON(sortKeysDeep(v));
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of sortedEntries(v as Record<string, unknown>)) out[k] = sortKeysDeep(x);
    return out;
  }
  return v;
}

/** The fieldsV1 key of a path element: `f:name`, `k:{...}`, `v:value`, `i:index`. */
export function serializePE(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map(([k, v]) => `${goJSON(k)}:${valueJSON(v)}`).join(',')}}`;
    case 'value':
      return `v:${valueJSON(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

export class PathElementError extends Error {}

/** Parses a fieldsV1 key; undefined for an unknown element type (upstream skips those). */
export function parsePE(s: string): PathElement | undefined {
  if (s.length < 2) throw new PathElementError('key must be 2 characters long:');
  if (s[1] !== ':') throw new PathElementError(`missing colon: ${s}`);
  const rest = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { kind: 'field', name: rest };
    case 'v':
      return { kind: 'value', value: parseJSON(rest) };
    case 'k': {
      const obj = parseJSON(rest);
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new PathElementError(`invalid key: ${s}`);
      return keyPE(Object.entries(obj as Record<string, unknown>));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(rest)) throw new PathElementError(`strconv.Atoi: parsing ${JSON.stringify(rest)}: invalid syntax`);
      return { kind: 'index', index: Number(rest) };
    }
    default:
      return undefined;
  }
}

function parseJSON(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch (err) {
    throw new PathElementError((err as Error).message);
  }
}

/** A key path element with its fields in upstream's order (sorted by name). */
export function keyPE(fields: [string, unknown][]): PathElement {
  return { kind: 'key', fields: fields.sort(([a], [b]) => compareGoStrings(a, b)) };
}

/** Go's value.ToString for a key or set value in a path's text form (JSON, as upstream prints it). */
function valueText(v: unknown): string {
  if (typeof v === 'number') return goNumber(v);
  return valueJSON(v);
}

/** The text form of a path in conflict messages: `.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  let out = '';
  for (const pe of path) {
    switch (pe.kind) {
      case 'field':
        out += `.${pe.name}`;
        break;
      case 'key':
        out += `[${pe.fields.map(([k, v]) => `${k}=${valueText(v)}`).join(',')}]`;
        break;
      case 'value':
        out += `[=${valueText(pe.value)}]`;
        break;
      case 'index':
        out += `[${pe.index}]`;
        break;
    }
  }
  return out;
}
